// PostgreSQL reports constraint violations with SQLSTATE codes; both `pg` and PGlite expose them.
interface PgError {
  code?: string;
  constraint?: string;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as PgError;
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

export function isForeignKeyViolation(err: unknown, constraint?: string): boolean {
  const e = err as PgError;
  return e?.code === '23503' && (constraint === undefined || e.constraint === constraint);
}

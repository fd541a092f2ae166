// PostgreSQL reports errors with SQLSTATE codes; both `pg` and PGlite expose them.
interface PgError {
  code?: string;
  constraint?: string;
  name?: string;
  message?: string;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as PgError;
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

export function isForeignKeyViolation(err: unknown, constraint?: string): boolean {
  const e = err as PgError;
  return e?.code === '23503' && (constraint === undefined || e.constraint === constraint);
}

/** Socket errors of a connection that could not be made or was lost (`pg` hands them on as they are). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** SQLSTATEs of a server that is going away or not taking connections, rather than of a bad query. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * What the drivers say when the connection, not the query, failed. Knex puts the SQL in front of a
 * driver's message, so these are searched for, not matched at the start.
 */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated', // pg: the socket closed under a query, or connectionTimeoutMillis passed
  'Client has encountered a connection error and is not queryable', // pg
  'Client was closed and is not queryable', // pg
  'Query read timeout', // pg: no answer within query_timeout (a hung server)
  'Timeout acquiring a connection', // knex: no pooled connection in acquireConnectionTimeout
  'Unable to acquire a connection', // knex: the pool is gone (the database is being closed)
  'PGlite is closed', // the embedded database
  'PGlite is closing',
];

/**
 * Why an error means "the database is not reachable" (so the request may succeed later), or
 * undefined when it is about the request itself. Only this error, not its `cause` chain.
 */
export function databaseUnavailableReason(err: unknown): string | undefined {
  const e = err as PgError | null | undefined;
  if (!e || typeof e !== 'object') return undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && NETWORK_CODES.has(code)) return code;
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    // A SQLSTATE: the server answered. Only connection classes mean it is not there for us.
    return code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) ? code : undefined;
  }
  if (e.name === 'KnexTimeoutError') return 'KnexTimeoutError';
  const message = typeof e.message === 'string' ? e.message : '';
  return UNAVAILABLE_MESSAGES.find((m) => message.includes(m));
}

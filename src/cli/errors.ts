import { AppError } from '../platform/errors/index.ts';

/** Exit codes: 0 done, 1 the command failed, 2 the command line (or its input) was wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Bad input the CLI itself detects (missing password, malformed argument). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * One line for stderr and an exit code. Expected errors (usage, AppError) never show a stack;
 * anything else shows its message, and its stack only when CANOPY_DEBUG is set.
 */
export function describeError(err: unknown, debug = false): { message: string; exitCode: number } {
  if (err instanceof UsageError) return { message: `error: ${err.message}`, exitCode: EXIT_USAGE };
  if (err instanceof AppError) {
    // A password the policy refuses (ACC-4) is bad input like any other.
    const invalid = err.code === 'request.invalid_input' || err.code === 'password.policy';
    const problems = fieldProblems(err.details);
    const head = invalid && problems.length > 0 ? 'invalid input' : err.message;
    const message = problems.length > 0 ? `${head} — ${problems.join('; ')}` : head;
    return { message: `error: ${message}`, exitCode: invalid ? EXIT_USAGE : EXIT_FAILURE };
  }
  const error = err instanceof Error ? err : new Error(String(err));
  return { message: `error: ${debug && error.stack ? error.stack : error.message}`, exitCode: EXIT_FAILURE };
}

interface FieldProblem {
  field: string;
  problem: string;
}

function fieldProblems(details: Record<string, unknown> | undefined): string[] {
  const fields = details?.fields;
  if (!Array.isArray(fields)) return [];
  return [...new Set((fields as FieldProblem[]).map((f) => `${f.field}: ${f.problem}`))];
}

/** The same error with its field names replaced by the flags the operator typed. */
export function relabelFields(err: unknown, labels: Readonly<Record<string, string>>): unknown {
  if (!(err instanceof AppError) || !Array.isArray(err.details?.fields)) return err;
  const fields = (err.details.fields as FieldProblem[]).map((f) => ({
    field: labels[f.field] ?? f.field,
    problem: f.problem,
  }));
  return new AppError(err.code, { ...err.details, fields }, { message: err.message, cause: err });
}

import { databaseUnavailableReason } from '../db/pg-errors.ts';
import { AppError } from './app-error.ts';

/** What a client is told to wait before retrying while a backing service is away (REL-2). */
export const RETRY_AFTER_SECONDS = 5;

export interface Unavailability {
  dependency: 'database' | 'redis' | 'service';
  /** A fixed label (an error code or a known driver phrase): safe to log, never a query or its values. */
  reason: string;
}

/**
 * What ioredis says when a command could not reach Redis: the connection is down and commands are
 * not queued (`enableOfflineQueue: false`), it dropped under the command, or the command outlived
 * `commandTimeout`.
 */
const REDIS_MESSAGES = [
  "Stream isn't writeable and enableOfflineQueue options is false",
  'Connection is closed.',
  'Command timed out',
];

function redisUnavailableReason(err: unknown): string | undefined {
  const e = err as { name?: unknown; message?: unknown } | null | undefined;
  if (!e || typeof e !== 'object') return undefined;
  if (e.name === 'MaxRetriesPerRequestError') return 'MaxRetriesPerRequestError';
  const message = typeof e.message === 'string' ? e.message : '';
  return REDIS_MESSAGES.find((m) => message === m || message.startsWith(m));
}

function unavailabilityOf(err: unknown): Unavailability | undefined {
  if (err instanceof AppError) {
    return err.code === 'service.unavailable' ? { dependency: 'service', reason: err.code } : undefined;
  }
  const database = databaseUnavailableReason(err);
  if (database) return { dependency: 'database', reason: database };
  const redis = redisUnavailableReason(err);
  return redis ? { dependency: 'redis', reason: redis } : undefined;
}

/**
 * The one classification of "a backing service is unavailable" (REL-2): PostgreSQL connection
 * errors (pg, knex's pool, a closed PGlite), Redis commands that could not be served, and
 * `service.unavailable` itself, found on the error or anywhere in its `cause` chain (and among an
 * AggregateError's errors, as Node reports a refused connection to a name with several addresses).
 * Such a request may succeed later: it answers 503 with Retry-After, not 500.
 */
export function describeUnavailable(err: unknown, depth = 0): Unavailability | undefined {
  if (depth > 8 || !err || typeof err !== 'object') return undefined;
  const found = unavailabilityOf(err);
  if (found) return found;
  const { cause, errors } = err as { cause?: unknown; errors?: unknown };
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const hit = describeUnavailable(inner, depth + 1);
      if (hit) return hit;
    }
  }
  return describeUnavailable(cause, depth + 1);
}

export function isDependencyUnavailable(err: unknown): boolean {
  return describeUnavailable(err) !== undefined;
}

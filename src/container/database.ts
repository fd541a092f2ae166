import type { Config } from '../config/schema.ts';
import { type Database, openDatabase } from '../platform/db/database.ts';
import type { Logger } from '../platform/logger.ts';

/**
 * REL-2: how long a serving node's query may wait for PostgreSQL's answer. Generous for any query a
 * request makes, short enough that a server that accepts but never answers cannot hold requests
 * for minutes: they fail with 503 instead.
 */
export const SERVING_QUERY_TIMEOUT_MS = 15_000;

/**
 * The configured database. A serving node's queries have a time limit; the command line's do not
 * (migrations and operator tasks may rightly take long). Migrations at a node's start run without
 * it too (`withoutQueryTimeout`).
 */
export function openConfiguredDatabase(
  config: Readonly<Config>,
  logger: Logger,
  serving: boolean | undefined,
): Promise<Database> {
  return openDatabase({
    databaseUrl: config.storage.databaseUrl,
    dataDir: config.storage.dataDir,
    poolMax: config.storage.databasePoolMax,
    warn: (message) => logger.warn({ component: 'knex' }, message),
    ...(serving ? { queryTimeoutMs: SERVING_QUERY_TIMEOUT_MS } : {}),
  });
}

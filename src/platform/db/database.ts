import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import knexFactory, { type Knex } from 'knex';
import ClientPGLite from 'knex-pglite';
import pg from 'pg';
import { EMBEDDED_DB_DIR, ensurePrivateDir, restrictTree } from '../fs/private-files.ts';
import { acquireDataDirLock } from './data-dir-lock.ts';

// PostgreSQL's int8 (counts, sequences) arrives as a string from `pg`; every value we keep fits a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type Db = Knex;
export type Tx = Knex.Transaction;

export interface Database {
  readonly knex: Knex;
  readonly kind: 'embedded' | 'postgres';
  close(): Promise<void>;
  /**
   * Set when its queries have a time limit (`queryTimeoutMs`): opens a separate database on the same
   * server without one, for work that may rightly take long (see `withoutQueryTimeout`).
   */
  openUntimed?(): Promise<Database>;
}

export interface DatabaseOptions {
  databaseUrl: string | null;
  dataDir: string;
  poolMax: number;
  /** PostgreSQL schema to work in (tests isolate themselves this way). */
  searchPath?: string;
  /** Where knex's own warnings go (during an outage it reports every failed connection attempt). */
  warn?: (message: string) => void;
  /**
   * PostgreSQL only: how long a query may wait for its answer before it fails with pg's 'Query read
   * timeout' (a 503, REL-2). For a serving node: a server that accepts but never answers must not
   * hold requests. Unset (the command line, migrations), a query waits as long as it takes.
   */
  queryTimeoutMs?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const knex = knexFactory({
      client: PostgresClient as unknown as typeof Knex.Client, // a knex dialect, untyped
      // REL-2: a PostgreSQL that accepts no connection fails the request in seconds (a 503), not
      // after the operating system's TCP timeout; keep-alive notices a peer that vanished; and with
      // `queryTimeoutMs`, one that accepts but never answers fails it too.
      connection: {
        connectionString: options.databaseUrl,
        connectionTimeoutMillis: 5_000,
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
        ...(options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {}),
      },
      pool: { min: 0, max: options.poolMax },
      acquireConnectionTimeout: 10_000,
      ...(options.warn
        ? { log: { warn: options.warn, error: options.warn, deprecate: options.warn, debug: () => {} } }
        : {}),
      ...(options.searchPath ? { searchPath: [options.searchPath] } : {}),
    });
    const { queryTimeoutMs, ...untimed } = options;
    return {
      knex,
      kind: 'postgres',
      close: () => knex.destroy(),
      ...(queryTimeoutMs ? { openUntimed: () => openDatabase({ ...untimed, poolMax: 1 }) } : {}),
    };
  }
  // SEC-10: DATA_DIR and the database are 0700 and their files 0600, whatever PGlite chose.
  ensurePrivateDir(options.dataDir);
  const releaseLock = acquireDataDirLock(options.dataDir);
  try {
    const dir = path.join(options.dataDir, EMBEDDED_DB_DIR);
    ensurePrivateDir(dir);
    const pglite = await PGlite.create(dir);
    try {
      restrictTree(dir);
    } catch (err) {
      await pglite.close();
      throw err;
    }
    return embeddedDatabase(pglite, () => {
      try {
        restrictTree(dir); // what PostgreSQL wrote since, and at shutdown
      } finally {
        releaseLock();
      }
    });
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/**
 * Runs `work` with no query timeout: on a short-lived pool of one connection of its own when the
 * database has one, else on the database itself. pg takes `query_timeout` per connection (knex
 * cannot vary it per query), so a serving node's migrations at start run this way: a long change
 * is not a hung server, and being cut short half-way would fail the start.
 */
export async function withoutQueryTimeout<T>(
  database: Database,
  work: (knex: Knex) => Promise<T>,
): Promise<T> {
  if (!database.openUntimed) return work(database.knex);
  const untimed = await database.openUntimed();
  try {
    return await work(untimed.knex);
  } finally {
    await untimed.close();
  }
}

type PooledConnection = pg.Client & { __knex__disposed?: unknown };

// knex has no public way to extend a dialect: its PostgreSQL client is loaded by path, as knex-pglite
// does (the one such import .dependency-cruiser.cjs allows; a plain `require` so the check sees it).
const require = createRequire(import.meta.url);
const KnexPostgresClient = require('knex/lib/dialects/postgres/index.js') as new (
  config: Knex.Config,
) => {
  _acquireOnlyConnection(): Promise<PooledConnection>;
  _query(connection: PooledConnection, obj: unknown): Promise<unknown>;
};

/** knex's PostgreSQL dialect, with what an unreachable or hung server needs (REL-2). */
class PostgresClient extends KnexPostgresClient {
  /**
   * pg says only 'timeout expired' when `connectionTimeoutMillis` passes (a server that accepts
   * connections but never answers): given the code of a socket timeout, it is known for what it
   * is, an unreachable database (REL-2: 503, not 500).
   */
  override async _acquireOnlyConnection(): Promise<PooledConnection> {
    try {
      return await super._acquireOnlyConnection();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e?.message === 'timeout expired' && e.code === undefined) e.code = 'ETIMEDOUT';
      throw err;
    }
  }

  /**
   * A query that timed out (`query_timeout`) is still running on its connection, perhaps inside a
   * transaction whose ROLLBACK could not be sent. That connection must never serve another request
   * (its queries would wait behind the old one, or run in its transaction): it is closed, which
   * makes the server abort that transaction, and knex's pool drops it.
   */
  override async _query(connection: PooledConnection, obj: unknown): Promise<unknown> {
    try {
      return await super._query(connection, obj);
    } catch (err) {
      if ((err as Error)?.message === 'Query read timeout') {
        connection.__knex__disposed = err; // checked by knex's pool before the connection is handed out
        connection.end().catch(() => {}); // with a query in flight, pg destroys the socket
      }
      throw err;
    }
  }
}

type QueryObject = { method?: string; [key: string]: unknown };

/**
 * knex-pglite labels a `.delete()` response 'DEL' rather than 'DELETE', so knex hands back the raw
 * result instead of the number of deleted rows; relabelled here, deletes count rows as on `pg`.
 */
class EmbeddedClient extends (ClientPGLite as unknown as new (
  config: Knex.Config,
) => {
  processResponse(obj: QueryObject, runner: unknown): unknown;
}) {
  override processResponse(obj: QueryObject, runner: unknown): unknown {
    return super.processResponse(obj.method === 'del' ? { ...obj, method: 'delete' } : obj, runner);
  }
}

/** Wraps an open PGlite instance (file-backed, or in memory for tests). */
export function embeddedDatabase(pglite: PGlite, onClose: () => void = () => {}): Database {
  const knex = knexFactory({ client: EmbeddedClient, connection: { pglite } } as unknown as Knex.Config);
  return {
    knex,
    kind: 'embedded',
    close: async () => {
      await knex.destroy();
      if (!pglite.closed) await pglite.close();
      onClose();
    },
  };
}

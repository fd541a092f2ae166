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
}

export interface DatabaseOptions {
  databaseUrl: string | null;
  dataDir: string;
  poolMax: number;
  /** PostgreSQL schema to work in (tests isolate themselves this way). */
  searchPath?: string;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const knex = knexFactory({
      client: 'pg',
      connection: options.databaseUrl,
      pool: { min: 0, max: options.poolMax },
      acquireConnectionTimeout: 10_000,
      ...(options.searchPath ? { searchPath: [options.searchPath] } : {}),
    });
    return { knex, kind: 'postgres', close: () => knex.destroy() };
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

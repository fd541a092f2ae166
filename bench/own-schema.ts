import { randomBytes } from 'node:crypto';
import { type Database, openDatabase } from '../src/platform/db/database.ts';

/**
 * A throw-away PostgreSQL schema for one benchmark server (`canopy_bench_<name>_<pid>_<random>`),
 * dropped when its database is closed.
 */
export async function ownSchema(
  name: string,
  url: string,
  poolMax: number,
): Promise<{ database: Database; schema: string }> {
  const schema = `canopy_bench_${name}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = await openDatabase({ databaseUrl: url, dataDir: '', poolMax: 1 });
  await admin.knex.raw(`create schema ${schema}`);
  await admin.close();
  const db = await openDatabase({ databaseUrl: url, dataDir: '', poolMax, searchPath: schema });
  const database: Database = {
    knex: db.knex,
    kind: db.kind,
    async close() {
      await db.knex.raw(`drop schema ${schema} cascade`);
      await db.close();
    },
  };
  return { database, schema };
}

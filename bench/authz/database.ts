// Where the benchmark runs: embedded PGlite in memory, or PostgreSQL (DATABASE_URL) in a throw-away
// schema that is dropped when the database is closed.
import { PGlite } from '@electric-sql/pglite';
import { type Database, embeddedDatabase, openDatabase } from '../../src/platform/db/database.ts';

export async function openBenchDatabase(): Promise<{ db: Database; label: string }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const db = embeddedDatabase(await PGlite.create());
    return { db, label: 'embedded PGlite, in memory' };
  }
  // A throw-away schema, as the tests do, so the benchmark never touches anyone's tables.
  const schema = `canopy_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = await openDatabase({ databaseUrl: url, dataDir: '', poolMax: 1 });
  await admin.knex.raw(`create schema ${schema}`);
  await admin.close();
  const db = await openDatabase({ databaseUrl: url, dataDir: '', poolMax: 2, searchPath: schema });
  const { hostname, port } = new URL(url);
  return {
    db: {
      knex: db.knex,
      kind: db.kind,
      async close() {
        await db.knex.raw(`drop schema ${schema} cascade`);
        await db.close();
      },
    },
    label: `PostgreSQL at ${hostname}:${port || 5432}, schema ${schema} (dropped at the end)`,
  };
}

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type Database, embeddedDatabase, openDatabase } from '../../src/platform/db/database.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CACHE_DIR = path.join(ROOT, '.cache', 'test');

/** Which store this run tests: PostgreSQL when DATABASE_URL is set, else the embedded one. */
export const backend: 'postgres' | 'embedded' = process.env.DATABASE_URL ? 'postgres' : 'embedded';

function migrationsFingerprint(): string {
  const dir = path.join(ROOT, 'migrations');
  const hash = createHash('sha256');
  for (const file of readdirSync(dir).sort()) hash.update(file).update(readFileSync(path.join(dir, file)));
  return hash.digest('hex').slice(0, 16);
}

/**
 * A migrated embedded database image. Starting PGlite from scratch costs seconds; loading an image
 * of an already migrated one costs a fraction of that, so every test file starts from the image.
 */
export async function migratedImagePath(): Promise<string> {
  const file = path.join(CACHE_DIR, `pglite-${migrationsFingerprint()}.tar`);
  if (existsSync(file)) return file;
  const pglite = await PGlite.create();
  const db = embeddedDatabase(pglite);
  await migrateToLatest(db.knex);
  const image = await pglite.dumpDataDir('none');
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, Buffer.from(await image.arrayBuffer()));
  renameSync(partial, file); // atomic: concurrent test files never read half an image
  await db.close();
  return file;
}

/** A fresh, migrated, isolated database: an in-memory PGlite, or a new schema on the PostgreSQL server. */
export async function openTestDatabase(): Promise<Database> {
  if (backend === 'embedded') {
    const image = readFileSync(await migratedImagePath());
    const pglite = await PGlite.create({ loadDataDir: new Blob([image]) });
    return embeddedDatabase(pglite);
  }
  const schema = `canopy_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = await openDatabase({ databaseUrl: process.env.DATABASE_URL!, dataDir: '', poolMax: 1 });
  await admin.knex.raw(`create schema ${schema}`);
  await admin.close();
  const db = await openDatabase({
    databaseUrl: process.env.DATABASE_URL!,
    dataDir: '',
    poolMax: 5,
    searchPath: schema,
  });
  await migrateToLatest(db.knex);
  return {
    knex: db.knex,
    kind: db.kind,
    async close() {
      await db.knex.raw(`drop schema ${schema} cascade`);
      await db.close();
    },
  };
}

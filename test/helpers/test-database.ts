import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type Database, embeddedDatabase, openDatabase } from '../../src/platform/db/database.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CACHE_DIR = path.join(ROOT, '.cache', 'test');

/** Which store this run tests: PostgreSQL when DATABASE_URL is set, else the embedded one. */
export const backend: 'postgres' | 'embedded' = process.env.DATABASE_URL ? 'postgres' : 'embedded';

/**
 * How the tests' in-memory PGlite runs: sizes only, nothing that changes what SQL means. A 16 MB
 * buffer pool holds a whole test database (PGlite zeroes the default 128 MB at every start, the
 * biggest part of a start), and 1 MB WAL segments keep the image small (copied at every start).
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];
const INITDB_PARAMS = ['--wal-segsize=1'];
/** Part of the image's name: changing how the image is made never loads a stale one. */
const IMAGE_RECIPE = `${INITDB_PARAMS.join(' ')} ${START_PARAMS.join(' ')} without template databases`;
/** An image written by another version of PGlite may not load in this one. */
const PGLITE_PACKAGE = path.join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json');
/** How old an image of earlier migrations must be before it is removed. */
const STALE_AFTER_MS = 3_600_000;

function imageFingerprint(): string {
  const dir = path.join(ROOT, 'migrations');
  const hash = createHash('sha256').update(IMAGE_RECIPE).update(readFileSync(PGLITE_PACKAGE));
  for (const file of readdirSync(dir).sort()) hash.update(file).update(readFileSync(path.join(dir, file)));
  return hash.digest('hex').slice(0, 16);
}

/** Removes the images of earlier migrations or recipes, once nobody can still be reading them. */
function removeStaleImages(current: string): void {
  for (const name of readdirSync(CACHE_DIR).filter((f) => /^pglite-[0-9a-f]{16}\.tar$/.test(f))) {
    const file = path.join(CACHE_DIR, name);
    const written = statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Date.now(); // gone meanwhile
    if (file !== current && Date.now() - written > STALE_AFTER_MS) rmSync(file, { force: true });
  }
}

/**
 * A migrated embedded database image. Starting PGlite from scratch costs seconds; loading an image
 * of an already migrated one costs a fraction of that, so every test database starts from the
 * image. Without the template databases (no test creates a database) and with 1 MB WAL segments,
 * it is 16 MB instead of 42.
 */
export async function migratedImagePath(): Promise<string> {
  const file = path.join(CACHE_DIR, `pglite-${imageFingerprint()}.tar`);
  if (existsSync(file)) return file;
  const pglite = await PGlite.create({ initDbStartParams: INITDB_PARAMS, startParams: START_PARAMS });
  const db = embeddedDatabase(pglite);
  await migrateToLatest(db.knex);
  await pglite.exec(`update pg_database set datistemplate = false where datname like 'template_'`);
  // One at a time: DROP DATABASE refuses to run inside the transaction of a multi-statement exec.
  for (const sql of ['drop database template0', 'drop database template1', 'checkpoint'])
    await pglite.exec(sql);
  const image = await pglite.dumpDataDir('none');
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, Buffer.from(await image.arrayBuffer()));
  renameSync(partial, file); // atomic: concurrent test files never read half an image
  await db.close();
  removeStaleImages(file);
  return file;
}

/** The image, read once per process: a test file that opens several databases reads it once. */
let image: Promise<Blob> | undefined;

/** A fresh in-memory PGlite holding the migrated image. */
export async function openTestPglite(): Promise<PGlite> {
  image ??= migratedImagePath().then((file) => new Blob([readFileSync(file)]));
  return PGlite.create({ loadDataDir: await image, startParams: START_PARAMS });
}

/** A fresh, migrated, isolated database: an in-memory PGlite, or a new schema on the PostgreSQL server. */
export async function openTestDatabase(): Promise<Database> {
  if (backend === 'embedded') return embeddedDatabase(await openTestPglite());
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

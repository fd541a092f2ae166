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
import type { Knex } from 'knex';
import { isAlive } from '../../src/platform/db/data-dir-lock.ts';
import { type Database, embeddedDatabase, openDatabase } from '../../src/platform/db/database.ts';
import { migrateToLatest } from '../../src/platform/db/migrate.ts';
import { emptyIfUnchanged, rememberFreshShape, type SqlRunner } from './test-db-pool.ts';

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

/** What closed test databases of this process left, emptied for the next ones (test-db-pool.ts). */
const idle = { pglites: [] as PGlite[], schemas: [] as string[] };

const pgliteSql = (pglite: PGlite): SqlRunner => ({
  rows: async <T>(sql: string) => (await pglite.query<T>(sql)).rows,
  exec: async (sql) => {
    await pglite.exec(sql);
  },
});

const knexSql = (knex: Knex): SqlRunner => ({
  rows: async <T>(sql: string) => ((await knex.raw(sql)) as { rows: T[] }).rows,
  exec: async (sql) => {
    await knex.raw(sql);
  },
});

/** Empties a PGlite instance a test database leaves and keeps it, or closes it. */
async function keepPglite(pglite: PGlite): Promise<void> {
  if (pglite.closed) return;
  try {
    // What the session holds: settings, prepared statements, advisory locks, temporary tables. One
    // statement per call: DISCARD ALL refuses to run in the transaction of a multi-statement string.
    await pglite.exec('rollback');
    await pglite.exec('discard all');
    if (await emptyIfUnchanged(pgliteSql(pglite))) {
      idle.pglites.push(pglite);
      return;
    }
  } catch {
    // not reusable: closed below
  }
  await pglite.close();
}

/**
 * An embedded test database: an instance a closed one left, else a new one from the image. knex
 * closes its connection when destroyed, so it is given a view of the instance whose `close` does
 * nothing; closing the test database hands the instance to keepPglite.
 */
async function openEmbeddedTestDatabase(): Promise<Database> {
  let pglite = idle.pglites.pop();
  if (!pglite) {
    pglite = await openTestPglite();
    await rememberFreshShape(pgliteSql(pglite));
  }
  const instance = pglite;
  const kept = new Proxy(instance, {
    get(target, key) {
      if (key === 'close') return async () => {};
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const database = embeddedDatabase(kept);
  let closing: Promise<void> | undefined;
  return {
    knex: database.knex,
    kind: database.kind,
    close: () => {
      closing ??= database.close().then(() => keepPglite(instance));
      return closing;
    },
  };
}

const adminDatabase = () => openDatabase({ databaseUrl: process.env.DATABASE_URL!, dataDir: '', poolMax: 1 });

/** Test schemas are named after the process that made them: a later run drops those of ended ones. */
const SCHEMA_PREFIX = 'canopy_t_';

/**
 * A PostgreSQL test database: a schema a closed one left, else a new schema, migrated. Closing it
 * empties the schema and keeps it, or drops it when a test changed its shape.
 */
async function openPostgresTestDatabase(): Promise<Database> {
  const reused = idle.schemas.pop();
  const schema = reused ?? `${SCHEMA_PREFIX}${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  if (!reused) {
    const admin = await adminDatabase();
    await admin.knex.raw(`create schema ${schema}`);
    await admin.close();
  }
  const db = await openDatabase({
    databaseUrl: process.env.DATABASE_URL!,
    dataDir: '',
    poolMax: 5,
    searchPath: schema,
  });
  if (!reused) {
    await migrateToLatest(db.knex);
    await rememberFreshShape(knexSql(db.knex));
  }
  let closing: Promise<void> | undefined;
  const close = async () => {
    const kept = await emptyIfUnchanged(knexSql(db.knex)).catch(() => false);
    if (!kept) await db.knex.raw(`drop schema ${schema} cascade`);
    await db.close();
    if (kept) idle.schemas.push(schema);
  };
  return {
    knex: db.knex,
    kind: db.kind,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

/** A fresh, migrated, isolated database: an in-memory PGlite, or a schema on the PostgreSQL server. */
export function openTestDatabase(): Promise<Database> {
  return backend === 'embedded' ? openEmbeddedTestDatabase() : openPostgresTestDatabase();
}

/** How many closed test databases' instances or schemas wait for reuse (the pool's own test). */
export const idleTestDatabases = (): number => idle.pglites.length + idle.schemas.length;

/** Closes what closed test databases left: the end of a process that opened several (test/runner). */
export async function closeIdleTestDatabases(): Promise<void> {
  for (const pglite of idle.pglites.splice(0)) await pglite.close();
  const schemas = idle.schemas.splice(0);
  if (schemas.length === 0) return;
  const admin = await adminDatabase();
  for (const schema of schemas) await admin.knex.raw(`drop schema ${schema} cascade`);
  await admin.close();
}

/**
 * Drops the test schemas of processes that have ended (a crash, a cancelled run, or a file run alone,
 * whose kept schemas outlive it): run before a run's tests start.
 */
export async function dropAbandonedTestSchemas(): Promise<void> {
  const admin = await adminDatabase();
  try {
    const { rows } = (await admin.knex.raw(
      `select nspname as name from pg_namespace where nspname like '${SCHEMA_PREFIX.replaceAll('_', '\\_')}%'`,
    )) as { rows: { name: string }[] };
    for (const { name } of rows) {
      const pid = Number(/^canopy_t_(\d+)_/.exec(name)?.[1]);
      if (Number.isInteger(pid) && !isAlive(pid)) await admin.knex.raw(`drop schema ${name} cascade`);
    }
  } finally {
    await admin.close();
  }
}

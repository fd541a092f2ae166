import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { ArtefactAdapterClass } from '../../src/oidc/adapters/adapter-contract.ts';
import {
  type CacheKeys,
  type CacheNamespace,
  createCacheNamespace,
} from '../../src/oidc/adapters/cache-namespace.ts';
import {
  type ArtefactCache,
  type CacheTiming,
  createArtefactCache,
} from '../../src/oidc/adapters/redis-adapter.ts';
import { createSqlRecord, type SqlRecord } from '../../src/oidc/adapters/sql-record.ts';
import { createWriteThroughAdapterClass } from '../../src/oidc/adapters/write-through-adapter.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRedisClients } from '../../src/platform/redis.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

// Helpers for the REL-3 cache tests: a Redis client as production configures it, under a prefix of
// the test's own (never FLUSHALL the shared server: a "flush" deletes this prefix's keys).

/** A short write window, so that a fresh namespace's blackout passes in under a second. */
export const SHORT_CACHE_TIMING: CacheTiming = { writeWindowMs: 500, tombstoneMs: 60_000 };
const BLACKOUT_MS = 700; // writeWindowMs + max(200, writeWindowMs / 5)

export interface CacheRedis {
  redis: Redis;
  prefix: string;
  close(): Promise<void>;
}

/** A command client as the container makes it, to `url` (REDIS_URL unless the test proxies it). */
export async function openCacheRedis(
  url = process.env.REDIS_URL!,
  prefix = testPrefix(),
): Promise<CacheRedis> {
  const clients = await createRedisClients(url, createLogger('silent'), { commandTimeoutMs: 500 });
  await clients.subscriber.quit(); // only the command connection is used here
  const redis = clients.command;
  return {
    redis,
    prefix,
    async close() {
      if (redis.status === 'ready') await wipePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

export const testPrefix = () => `canopy-test:${randomUUID()}:`;

/** Deletes every key under the prefix, as a Redis flush would for this test. */
export async function wipePrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
    if ((keys as string[]).length > 0) deleted += await redis.del(...(keys as string[]));
  }
  return deleted;
}

/** The keys under the prefix (for assertions on what the cache holds). */
export async function keysUnder(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for await (const keys of redis.scanStream({ match: pattern, count: 500 }))
    found.push(...(keys as string[]));
  return found;
}

/**
 * Waits until the namespace exists and its blackout (refills refused for a write window after a
 * namespace is created, REL-3) is over, so that writes from now on fill the cache.
 */
export async function waitOutBlackout(redis?: Redis, prefix?: string): Promise<void> {
  if (redis && prefix) {
    for (let i = 0; i < 100 && (await keysUnder(redis, `${prefix}oidc-cache:*:epoch`)).length === 0; i++)
      await sleep(20);
  }
  await sleep(BLACKOUT_MS + 100);
}

/** The run_id of the server behind `redis`. */
export async function runIdOf(redis: Redis): Promise<string> {
  return /^run_id:([0-9a-f]+)/m.exec(await redis.info('server'))![1]!;
}

export interface WriteThroughWorld {
  env: TestEnv;
  db: Knex;
  redis: Redis;
  prefix: string;
  namespace: CacheNamespace;
  cache: ArtefactCache;
  record: SqlRecord;
  Adapter: ArtefactAdapterClass;
  /** The namespace in use (the server identified). */
  keys(): Promise<CacheKeys>;
  close(): Promise<void>;
}

/**
 * The write-through adapter as the factory builds it, with its parts in reach: over `env`'s
 * database (a new one by default) and a Redis at `url` under `prefix`. `record` may wrap the SQL
 * record (a slow database, say); the adapter under test is the real one.
 */
export async function openWriteThrough(
  options: { env?: TestEnv; url?: string; prefix?: string; record?: (real: SqlRecord) => SqlRecord } = {},
): Promise<WriteThroughWorld> {
  const env = options.env ?? (await createTestEnv());
  const { redis, prefix, close } = await openCacheRedis(options.url, options.prefix);
  const db = env.container.database.knex;
  const namespace = createCacheNamespace(redis, prefix);
  const cache = createArtefactCache({ redis, namespace, timing: SHORT_CACHE_TIMING });
  const real = createSqlRecord({ db, clock: env.clock });
  const record = options.record ? options.record(real) : real;
  const Adapter = createWriteThroughAdapterClass({
    record,
    cache,
    clock: env.clock,
    logger: env.container.logger,
  });
  return {
    env,
    db,
    redis,
    prefix,
    namespace,
    cache,
    record,
    Adapter,
    keys: () => namespace.require(),
    async close() {
      await close();
      if (!options.env) await env.close();
    },
  };
}

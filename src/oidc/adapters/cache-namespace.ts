import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { AppError } from '../../platform/errors/app-error.ts';
import { EPOCH, runScript } from './redis-scripts.ts';

/** Where the cached copies of artefacts live in one Redis server's lifetime. */
export interface CacheKeys {
  /** The namespace itself (`<prefix>oidc-cache:<run_id>:`): every key below starts with it. */
  root: string;
  artefact(model: string, id: string): string;
  uid(model: string, uid: string): string;
  userCode(model: string, userCode: string): string;
  /** The set of the cached artefacts issued under a grant. */
  grant(grantId: string): string;
  /** Present for a while after the grant was revoked: no copy of its artefacts may be cached then. */
  grantRevoked(grantId: string): string;
  /** When this namespace was (re)created, in Redis's milliseconds; gone after a flush. */
  epoch: string;
}

export function cacheKeys(prefix: string, runId: string): CacheKeys {
  const root = `${prefix}oidc-cache:${runId}:`;
  return {
    root,
    artefact: (model, id) => `${root}${model}:${id}`,
    uid: (model, uid) => `${root}uid:${model}:${uid}`,
    userCode: (model, userCode) => `${root}userCode:${model}:${userCode}`,
    grant: (grantId) => `${root}grant:${grantId}`,
    grantRevoked: (grantId) => `${root}grantRevoked:${grantId}`,
    epoch: `${root}epoch`,
  };
}

export interface CacheNamespace {
  /** The namespace if known now (connected, and this connection's server identified); else undefined. */
  current(): CacheKeys | undefined;
  /** The namespace, identifying the server first if needed; rejects with Redis's error when it cannot. */
  require(): Promise<CacheKeys>;
  /** An estimate of Redis's clock (epoch ms), from its TIME at the last identification. */
  redisNow(): number;
}

/**
 * REL-3: the cache namespace includes the Redis server's `run_id`, read on every 'ready' of the
 * connection. A restarted Redis has a new run_id, so whatever it restored from a snapshot (RDB or
 * AOF) — copies of tokens revoked since — sits in an old namespace nobody reads, and expires by its
 * TTL. After any disconnect the namespace is unknown until the server is identified again: reads
 * bypass the cache meanwhile, and writes that need it identify the server first or fail.
 */
export function createCacheNamespace(redis: Redis, prefix: string): CacheNamespace {
  let keys: CacheKeys | undefined;
  let offsetMs = 0; // Redis's epoch ms minus performance.now()
  let generation = 0; // bumped by every lost connection: an identification begun before is void
  let pending: Promise<CacheKeys> | undefined;

  async function identify(): Promise<CacheKeys> {
    const started = generation;
    const info = await redis.info('server');
    const runId = /^run_id:([0-9a-f]+)\s*$/m.exec(info)?.[1];
    if (!runId) throw new Error('redis: INFO server named no run_id');
    const found = cacheKeys(prefix, runId);
    const before = performance.now();
    // Creates the namespace's epoch if it is new (a new server, or a flush) and reads Redis's clock.
    const redisMs = Number(await runScript(redis, EPOCH, [found.epoch], []));
    const after = performance.now();
    if (generation !== started) {
      throw new AppError('service.unavailable', undefined, {
        message: 'the Redis connection changed while its server was identified',
      });
    }
    offsetMs = redisMs - (before + after) / 2;
    keys = found;
    return found;
  }

  function start(): Promise<CacheKeys> {
    if (!pending) {
      pending = identify().finally(() => {
        pending = undefined;
      });
    }
    return pending;
  }

  redis.on('close', () => {
    generation++;
    keys = undefined;
  });
  redis.on('ready', () => {
    start().catch(() => {
      // Unknown for now: the next write that needs the namespace tries again, and reports why.
    });
  });
  if (redis.status === 'ready') start().catch(() => {});

  const current = () => (redis.status === 'ready' ? keys : undefined);
  return {
    current,
    require: async () => current() ?? start(),
    redisNow: () => performance.now() + offsetMs,
  };
}

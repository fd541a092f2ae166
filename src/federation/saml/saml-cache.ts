import type { Redis } from 'ioredis';
import type { Clock } from '../../platform/clock.ts';

// The two SAML caches (FED-6): outstanding AuthnRequest ids, so that any node of the cluster can
// take the answer, and accepted assertion ids, so that each is accepted once. Both need an atomic
// "first writer wins" and an atomic "only one remover wins"; a get-then-delete would let two
// nodes accept the same answer at once.

export interface SamlCache {
  /** Stores `value` under `key` for `ttlMs` unless the key is present; true if this call stored it. */
  saveIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** The live value, or null when absent or expired. */
  get(key: string): Promise<string | null>;
  /** Deletes the key; true only for the one caller that removed a live key (single use). */
  remove(key: string): Promise<boolean>;
}

/** Redis, shared by every node: `SET NX PX` and `DEL` are atomic; expiry is Redis's (real time). */
export function createRedisSamlCache(deps: { redis: Redis; prefix: string }): SamlCache {
  const { redis } = deps;
  const key = (k: string) => `${deps.prefix}saml:${k}`;
  return {
    async saveIfAbsent(k, value, ttlMs) {
      const ttl = Math.max(1, Math.ceil(ttlMs));
      return (await redis.set(key(k), value, 'PX', ttl, 'NX')) === 'OK';
    },
    get: (k) => redis.get(key(k)),
    async remove(k) {
      return (await redis.del(key(k))) === 1;
    },
  };
}

/**
 * One process only (the embedded single-node setup, and tests): a Map with expiry judged by the
 * injected clock. Behind several nodes it would let a response be accepted once per node; use
 * Redis there, or the SQL-backed cache.
 */
export function createMemorySamlCache(deps: { clock: Clock; maxEntries?: number }): SamlCache {
  const { clock } = deps;
  const maxEntries = deps.maxEntries ?? 100_000;
  const entries = new Map<string, { value: string; expiresAt: number }>();

  function live(k: string) {
    const entry = entries.get(k);
    if (entry && entry.expiresAt <= clock.now().getTime()) {
      entries.delete(k);
      return undefined;
    }
    return entry;
  }

  function sweep() {
    const now = clock.now().getTime();
    for (const [k, entry] of entries) if (entry.expiresAt <= now) entries.delete(k);
  }

  return {
    async saveIfAbsent(k, value, ttlMs) {
      if (live(k)) return false;
      if (entries.size >= maxEntries) sweep();
      // Full of live entries: refusing is safer than evicting a replay-cache entry early.
      if (entries.size >= maxEntries) return false;
      entries.set(k, { value, expiresAt: clock.now().getTime() + Math.max(1, ttlMs) });
      return true;
    },
    async get(k) {
      return live(k)?.value ?? null;
    },
    async remove(k) {
      if (!live(k)) return false;
      return entries.delete(k);
    },
  };
}

import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { SqlLimiterStore } from './sql-store.ts';

/** Where a limit's counts live: chosen by what losing them would cost. */
export type LimitStore =
  /** SQL only, whatever Redis does (REL-3): a loss would weaken a defence (sign-in lockouts, mail quotas). */
  | 'durable'
  /** Redis when configured, with SQL as insurance should it fail; else SQL. A loss restarts a window. */
  | 'window'
  /**
   * Redis when configured, with this node's memory as insurance (a node counts alone rather than
   * not at all); else memory, one node. Per-request caps on busy paths, where a loss restarts a window.
   */
  | 'node';

/** A limit, declared: at most `points` per key and window. */
export interface Limit {
  /** Names its counters in the stores (their key prefix). */
  name: string;
  points: number;
  windowSeconds: number;
  /** Once over the limit, the key stays refused this long (default: until its window ends). */
  blockSeconds?: number;
  store: LimitStore;
}

/** A key's count, as a take or a look left it. */
export interface Count {
  /** Inside the limit. */
  within: boolean;
  /** Points counted on the key in this window. */
  consumed: number;
  /** Until the window ends (or, for a blocked key, the block). */
  msBeforeNext: number;
}

export interface Taken extends Count {
  /** This take went over the limit: true once per key and window, so refusals are logged once. */
  wentOver: boolean;
}

/**
 * The primitives every throttle is made of, over rate-limiter-flexible: a refusal is an answer
 * (`within: false`), not an exception; a store's failure still throws.
 */
export interface Limiter {
  readonly limit: Limit;
  /** Counts `points` on the key. Refused, they stay counted until given back. */
  take(key: string, points?: number): Promise<Taken>;
  /** Gives points back: what was refused, or what an attempt that succeeded should not cost. */
  giveBack(key: string, points?: number): Promise<void>;
  /** Adds points without judging them (a lockout in a row, things created beyond the first). */
  penalty(key: string, points?: number): Promise<Count>;
  /** Refuses the key for `seconds`. */
  block(key: string, seconds: number): Promise<void>;
  /** The key's count, or undefined when nothing is counted on it. */
  peek(key: string): Promise<Count | undefined>;
  forget(key: string): Promise<void>;
}

export interface LimiterDeps {
  /** The SQL stores' database. */
  db: Db;
  /** The SQL stores read time from it (the memory and Redis stores from the system clock). */
  clock: Clock;
  /**
   * Canopy's Redis command client and `REDIS_KEY_PREFIX`, when Redis is configured. Without it,
   * `window` limits count in SQL and `node` limits in this node's memory; `durable` ones never use it.
   */
  redis?: { client: Redis; keyPrefix: string };
}

/** Whole seconds to wait, as `Retry-After` says them: at least one. */
export const retryAfterSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** Builds the limiter of a limit declared, in the store it names. */
export type Limiters = (limit: Limit) => Limiter;

/**
 * The stores every limit may name. Build each limiter once per node: a memory store counts per
 * instance, and the shared stores' counts live under the limit's name whoever builds it.
 */
export function createLimiters(deps: LimiterDeps): Limiters {
  return (limit) => wrap(limit, storeOf(deps, limit));
}

function storeOf(deps: LimiterDeps, limit: Limit): RateLimiterAbstract {
  const { db, clock, redis } = deps;
  const { points, windowSeconds: duration, blockSeconds: blockDuration = 0 } = limit;
  const sql = () =>
    new SqlLimiterStore({ db, clock, keyPrefix: limit.name, points, duration, blockDuration });
  const memory = () => new RateLimiterMemory({ points, duration, blockDuration });
  const fallback = limit.store === 'node' ? memory : sql;
  if (limit.store === 'durable' || !redis) return fallback();
  return new RateLimiterRedis({
    storeClient: redis.client,
    keyPrefix: `${redis.keyPrefix}${limit.name}`,
    points,
    duration,
    blockDuration,
    // A window limiter turns to SQL at once when Redis is down; a node limiter leaves it to the client.
    ...(limit.store === 'window' ? { rejectIfRedisNotReady: true } : {}),
    insuranceLimiter: fallback(),
  });
}

const countOf = (res: RateLimiterRes, within: boolean): Count => ({
  within,
  consumed: res.consumedPoints,
  msBeforeNext: res.msBeforeNext,
});

function wrap(limit: Limit, store: RateLimiterAbstract): Limiter {
  return {
    limit,
    async take(key, points = 1) {
      try {
        return { ...countOf(await store.consume(key, points), true), wentOver: false };
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        const wentOver = err.consumedPoints - points <= limit.points;
        return { ...countOf(err, false), wentOver };
      }
    },
    async giveBack(key, points = 1) {
      await store.reward(key, points);
    },
    async penalty(key, points = 1) {
      const res = await store.penalty(key, points);
      return countOf(res, res.consumedPoints <= limit.points);
    },
    async block(key, seconds) {
      await store.block(key, seconds);
    },
    async peek(key) {
      const res = await store.get(key);
      return res ? countOf(res, res.consumedPoints <= limit.points) : undefined;
    },
    async forget(key) {
      await store.delete(key);
    },
  };
}

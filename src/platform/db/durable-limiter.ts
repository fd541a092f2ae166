import { type RateLimiterAbstract, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Clock } from '../clock.ts';
import type { RedisClients } from '../redis.ts';
import type { Db } from './database.ts';
import { SqlLimiterStore } from './sql-limiter-store.ts';

export interface DurableLimiterDeps {
  db: Db;
  clock: Clock;
  redis: RedisClients | undefined;
  /** `REDIS_KEY_PREFIX` plus the owner's own part, e.g. `canopy:sign-in:`. */
  redisKeyPrefix: string;
}

type LimiterFactory = (
  name: string,
  points: number,
  duration: number,
  blockDuration?: number,
) => RateLimiterAbstract;

/**
 * Counters whose loss would weaken a defence (sign-in failures and lockouts, daily mail quotas):
 * kept in SQL, shared by every node and by restarts, whatever happens to Redis (REL-3: Redis is
 * never the only copy). Read against the injected clock.
 */
export function createDurableLimiters(deps: DurableLimiterDeps): LimiterFactory {
  const { db, clock } = deps;
  return (name, points, duration, blockDuration = 0) =>
    new SqlLimiterStore({ db, clock, keyPrefix: name, points, duration, blockDuration });
}

/**
 * Short-window counters whose loss only restarts a window (per-minute caps on anonymous requests):
 * Redis when configured (one atomic round trip, with the SQL store as insurance should Redis
 * fail), else SQL.
 */
export function createWindowLimiters(deps: DurableLimiterDeps): LimiterFactory {
  const durable = createDurableLimiters(deps);
  const { redis } = deps;
  return (name, points, duration, blockDuration = 0) => {
    const sql = durable(name, points, duration, blockDuration);
    if (!redis) return sql;
    return new RateLimiterRedis({
      storeClient: redis.command,
      keyPrefix: `${deps.redisKeyPrefix}${name}`,
      points,
      duration,
      blockDuration,
      rejectIfRedisNotReady: true,
      insuranceLimiter: sql,
    });
  };
}

import { type RateLimiterAbstract, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Clock } from '../clock.ts';
import type { RedisClients } from '../redis.ts';
import type { Db } from './database.ts';
import { createSweeper, SqlLimiterStore } from './sql-limiter-store.ts';

export interface DurableLimiterDeps {
  db: Db;
  clock: Clock;
  redis: RedisClients | undefined;
  /** `REDIS_KEY_PREFIX` plus the owner's own part, e.g. `canopy:sign-in:`. */
  redisKeyPrefix: string;
  onSweepError: (err: unknown) => void;
}

/**
 * Counters that must hold across nodes and restarts (sign-in throttling, daily quotas): Redis
 * when configured (rate-limiter-flexible's atomic counter, with the SQL store as insurance should
 * Redis fail), else SQL. Read against the injected clock in SQL; Redis keeps its own time.
 */
export function createDurableLimiters(deps: DurableLimiterDeps) {
  const { db, clock, redis } = deps;
  const sweep = createSweeper(db, deps.onSweepError);
  return function limiter(
    name: string,
    points: number,
    duration: number,
    blockDuration = 0,
  ): RateLimiterAbstract {
    const sql = new SqlLimiterStore({ db, clock, sweep, keyPrefix: name, points, duration, blockDuration });
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

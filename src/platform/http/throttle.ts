import type { Response } from 'express';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { AppError } from '../errors/index.ts';
import type { RedisClients } from '../redis.ts';

export interface ThrottleOptions {
  /** Distinguishes this throttle's counters from others' in Redis. */
  name: string;
  points: number;
  durationSeconds: number;
  redis: RedisClients | undefined;
  prefix: string;
}

/**
 * A fixed number of uses per key and window. With Redis the counts are shared by every node (an
 * in-memory limiter stands in while Redis is unreachable); without it there is one node.
 */
export function createThrottle(options: ThrottleOptions) {
  const { points, durationSeconds: duration } = options;
  const limiter: RateLimiterAbstract = options.redis
    ? new RateLimiterRedis({
        storeClient: options.redis.command,
        keyPrefix: `${options.prefix}${options.name}`,
        points,
        duration,
        insuranceLimiter: new RateLimiterMemory({ points, duration }),
      })
    : new RateLimiterMemory({ points, duration });

  /** Counts one use of each key; over the limit, sets Retry-After and throws `request.rate_limited`. */
  return async function consume(res: Response, ...keys: string[]): Promise<void> {
    try {
      for (const key of keys) await limiter.consume(key);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.msBeforeNext / 1000))));
      throw new AppError('request.rate_limited');
    }
  };
}

export type Throttle = ReturnType<typeof createThrottle>;

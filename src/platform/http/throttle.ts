import type { Response } from 'express';
import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { AppError } from '../errors/index.ts';

export interface LimiterOptions {
  /** Distinguishes this limiter's counters from others' in Redis. */
  name: string;
  points: number;
  durationSeconds: number;
  /** Canopy's Redis command client: the counts are then shared by every node. */
  redis: Redis | undefined;
  /** `REDIS_KEY_PREFIX`. */
  prefix: string;
}

/**
 * A fixed number of uses per key and window. With Redis the counts are shared by every node (an
 * in-memory limiter stands in while Redis is unreachable, so a node counts alone rather than not
 * at all); without it there is one node.
 */
export function createLimiter(options: LimiterOptions): RateLimiterAbstract {
  const { points, durationSeconds: duration } = options;
  return options.redis
    ? new RateLimiterRedis({
        storeClient: options.redis,
        keyPrefix: `${options.prefix}${options.name}`,
        points,
        duration,
        insuranceLimiter: new RateLimiterMemory({ points, duration }),
      })
    : new RateLimiterMemory({ points, duration });
}

/** Seconds to wait, as `Retry-After` says them: at least one. */
export const retryAfterSeconds = (refused: RateLimiterRes) =>
  Math.max(1, Math.ceil(refused.msBeforeNext / 1000));

/** A limiter for Express routes: over the limit, it sets Retry-After and throws `request.rate_limited`. */
export function createThrottle(options: LimiterOptions) {
  const limiter = createLimiter(options);
  /** Counts one use of each key. */
  return async function consume(res: Response, ...keys: string[]): Promise<void> {
    try {
      for (const key of keys) await limiter.consume(key);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      res.setHeader('Retry-After', String(retryAfterSeconds(err)));
      throw new AppError('request.rate_limited');
    }
  };
}

export type Throttle = ReturnType<typeof createThrottle>;

import type { Response } from 'express';
import { AppError } from '../errors/index.ts';
import { type Limiter, retryAfterSeconds } from './limiter.ts';

/** Counts one request on each key; over the limit of any, 429 `request.rate_limited` with Retry-After. */
export type RequestThrottle = (res: Response, ...keys: string[]) => Promise<void>;

/** A limiter as Express routes use it: the first key over the limit refuses the request. */
export function createRequestThrottle(limiter: Limiter): RequestThrottle {
  return async (res, ...keys) => {
    for (const key of keys) {
      const count = await limiter.take(key);
      if (count.within) continue;
      res.setHeader('Retry-After', String(retryAfterSeconds(count.msBeforeNext)));
      throw new AppError('request.rate_limited');
    }
  };
}

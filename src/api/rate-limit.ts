import type { NextFunction, Request, Response } from 'express';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { AppError } from '../platform/errors/index.ts';
import type { RedisClients } from '../platform/redis.ts';

/**
 * Admin API rate limits: per caller (user, or app) and per address, a fixed number of requests a
 * minute. With Redis the counts are shared by all nodes; without it there is one node.
 */
export function rateLimit(options: { perMinute: number; redis: RedisClients | undefined; prefix: string }) {
  const limiter: RateLimiterAbstract = options.redis
    ? new RateLimiterRedis({
        storeClient: options.redis.command,
        keyPrefix: `${options.prefix}api-rate`,
        points: options.perMinute,
        duration: 60,
        insuranceLimiter: new RateLimiterMemory({ points: options.perMinute, duration: 60 }),
      })
    : new RateLimiterMemory({ points: options.perMinute, duration: 60 });

  return async function limitRequests(req: Request, res: Response, next: NextFunction) {
    const actor = req.ctx?.actor;
    const caller =
      actor?.kind === 'user'
        ? `user:${actor.userId}`
        : actor?.kind === 'app'
          ? `app:${actor.clientId}`
          : undefined;
    try {
      await limiter.consume(`ip:${req.ip ?? ''}`);
      if (caller) await limiter.consume(caller);
      next();
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.msBeforeNext / 1000))));
      throw new AppError('request.rate_limited');
    }
  };
}

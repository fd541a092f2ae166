import type { NextFunction, Request, Response } from 'express';
import { createThrottle } from '../platform/http/throttle.ts';
import type { RedisClients } from '../platform/redis.ts';

/** Admin API rate limits: per caller (user, or app) and per address, a fixed number of requests a minute. */
export function rateLimit(options: { perMinute: number; redis: RedisClients | undefined; prefix: string }) {
  const consume = createThrottle({
    name: 'api-rate',
    points: options.perMinute,
    durationSeconds: 60,
    redis: options.redis?.command,
    prefix: options.prefix,
  });
  return async function limitRequests(req: Request, res: Response, next: NextFunction) {
    const actor = req.ctx?.actor;
    const caller =
      actor?.kind === 'user'
        ? `user:${actor.userId}`
        : actor?.kind === 'app'
          ? `app:${actor.clientId}`
          : undefined;
    await consume(res, `ip:${req.ip ?? ''}`, ...(caller ? [caller] : []));
    next();
  };
}

import type { NextFunction, Request, Response } from 'express';
import { createRequestThrottle, type Limit, type Limiters } from '../platform/throttle/index.ts';

/** Admin API requests per caller (user, or app) and per address, a minute. */
const apiRateLimit = (perMinute: number): Limit => ({
  name: 'api-rate',
  points: perMinute,
  windowSeconds: 60,
  store: 'node',
});

/** Admin API rate limits: over either, 429 `request.rate_limited` with Retry-After. */
export function rateLimit(options: { perMinute: number; limiters: Limiters }) {
  const throttle = createRequestThrottle(options.limiters(apiRateLimit(options.perMinute)));
  return async function limitRequests(req: Request, res: Response, next: NextFunction) {
    const actor = req.ctx?.actor;
    const caller =
      actor?.kind === 'user'
        ? `user:${actor.userId}`
        : actor?.kind === 'app'
          ? `app:${actor.clientId}`
          : undefined;
    await throttle(res, `ip:${req.ip ?? ''}`, ...(caller ? [caller] : []));
    next();
  };
}

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { createLimiter, retryAfterSeconds } from '../platform/http/throttle.ts';
import type { Logger } from '../platform/logger.ts';
// Per-address throttles count the same unit as the sign-in throttle (an IPv6 /64 as one address).
import { throttleUnit } from '../platform/net/networks.ts';
import { errorPage, tooManyAttemptsMessage } from '../web/index.ts';

/**
 * Code entries that found no usable device code, per source address and window. A user code has
 * 20^8 ≈ 2^34.6 values (configuration.ts); at 10 misses per 10 minutes (a code's lifetime), one
 * address finds one of 100 live codes with a chance of about 4·10⁻⁸ per code lifetime.
 */
export const DEVICE_CODE_MISSES = 10;
export const DEVICE_CODE_WINDOW_SECONDS = 10 * 60;

export interface DeviceThrottleDeps {
  /** The provider's code-entry path (`/oidc/device`). */
  path: string;
  /** Canopy's Redis command client: the counts are then shared by every node. */
  redis: Redis | undefined;
  /** `REDIS_KEY_PREFIX`. */
  prefix: string;
  logger: Logger;
}

/**
 * Throttles guessing of user codes: every POST of the code-entry form counts against its address
 * before the provider looks the code up (so parallel guesses cannot slip past the limit), and is
 * refunded when it found a code that can still be used. Once over the limit, the form is refused
 * with a 429 until the window passes. Create once per node: the counts outlive provider rebuilds.
 */
export function createDeviceThrottle(deps: DeviceThrottleDeps) {
  const limiter = createLimiter({
    name: 'device-code',
    points: DEVICE_CODE_MISSES,
    durationSeconds: DEVICE_CODE_WINDOW_SECONDS,
    redis: deps.redis,
    prefix: deps.prefix,
  });

  // The provider's router ignores ASCII case and one trailing slash: so must this check, or
  // `/oidc/Device/` would reach the form uncounted. (Matching more only counts more.)
  const target = deps.path.toLowerCase();
  const routesToCodeEntry = (path: string) =>
    (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).toLowerCase() === target;

  return async function throttleCodeEntry(ctx: KoaContextWithOIDC, next: () => Promise<void>) {
    if (ctx.method !== 'POST' || !routesToCodeEntry(ctx.path)) return next();
    // The address as Express judged it (the request is Express's): the sign-in throttle's too.
    const ip = (ctx.req as { ip?: string }).ip ?? ctx.ip;
    const key = createHash('sha256').update(throttleUnit(ip)).digest('base64url');
    try {
      await limiter.consume(key);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      // Logged once per address and window: an attack must not flood the log. No code, no address.
      if (err.consumedPoints === DEVICE_CODE_MISSES + 1) {
        const log = (ctx.req as { log?: Logger }).log ?? deps.logger;
        log.warn({ retryAfterSeconds: retryAfterSeconds(err) }, 'device flow: code entry throttled');
      }
      refuse(ctx, retryAfterSeconds(err));
      return;
    }
    await next();
    // The provider names the device code once it has found a usable one (confirmation, or cancel).
    if (ctx.oidc?.entities.DeviceCode) await limiter.reward(key, 1);
  };
}

function refuse(ctx: KoaContextWithOIDC, seconds: number): void {
  const page = errorPage({
    status: 429,
    title: 'Too many codes entered',
    message: tooManyAttemptsMessage(seconds / 60),
    requestId: (ctx.req as { id?: string }).id,
    link: { href: ctx.path, text: 'Enter a code' },
  });
  ctx.status = 429;
  ctx.set(page.headers);
  ctx.set('Retry-After', String(seconds));
  ctx.body = page.html;
}

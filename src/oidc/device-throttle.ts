import { createHash } from 'node:crypto';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../platform/logger.ts';
// Per-address throttles count the same unit as the sign-in throttle (an IPv6 /64 as one address).
import { throttleUnit } from '../platform/net/networks.ts';
import { type Limit, type Limiters, retryAfterSeconds } from '../platform/throttle/index.ts';
import { errorPage, tooManyAttemptsMessage } from '../web/index.ts';
import { clientAddress, refuseWithPage, requestIdOf, requestLog, routedPath } from './provider-throttle.ts';

/**
 * Code entries that found no usable device code, per source address and window. A user code has
 * 20^8 ≈ 2^34.6 values (configuration.ts); at 10 misses per 10 minutes (a code's lifetime), one
 * address finds one of 100 live codes with a chance of about 4·10⁻⁸ per code lifetime.
 */
const CODE_ENTRY_MISSES: Limit = {
  name: 'device-code',
  points: 10,
  windowSeconds: 10 * 60,
  store: 'node',
};

export interface DeviceThrottleDeps {
  /** The provider's code-entry path (`/oidc/device`). */
  path: string;
  limiters: Limiters;
  logger: Logger;
}

/**
 * Throttles guessing of user codes: every POST of the code-entry form counts against its address
 * before the provider looks the code up (so parallel guesses cannot slip past the limit), and is
 * refunded when it found a code that can still be used. Once over the limit, the form is refused
 * with a 429 until the window passes. Create once per node: the counts outlive provider rebuilds.
 */
export function createDeviceThrottle(deps: DeviceThrottleDeps) {
  const limiter = deps.limiters(CODE_ENTRY_MISSES);
  const target = routedPath(deps.path);

  return async function throttleCodeEntry(ctx: KoaContextWithOIDC, next: () => Promise<void>) {
    if (ctx.method !== 'POST' || routedPath(ctx.path) !== target) return next();
    const key = createHash('sha256')
      .update(throttleUnit(clientAddress(ctx)))
      .digest('base64url');
    const count = await limiter.take(key);
    if (!count.within) {
      const retryAfter = retryAfterSeconds(count.msBeforeNext);
      // Logged once per address and window: an attack must not flood the log. No code, no address.
      if (count.wentOver) {
        requestLog(ctx, deps.logger).warn(
          { retryAfterSeconds: retryAfter },
          'device flow: code entry throttled',
        );
      }
      refuseWithPage(ctx, tooManyCodesPage(ctx, retryAfter), retryAfter);
      return;
    }
    await next();
    // The provider names the device code once it has found a usable one (confirmation, or cancel).
    if (ctx.oidc?.entities.DeviceCode) await limiter.giveBack(key);
  };
}

function tooManyCodesPage(ctx: KoaContextWithOIDC, retryAfter: number) {
  return errorPage({
    status: 429,
    title: 'Too many codes entered',
    message: tooManyAttemptsMessage(retryAfter / 60),
    requestId: requestIdOf(ctx),
    link: { href: ctx.path, text: 'Enter a code' },
  });
}

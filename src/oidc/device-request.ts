import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Clock } from '../platform/clock.ts';
import { coarseOrigin } from '../platform/net/networks.ts';
import { clientAddress } from './provider-throttle.ts';

/**
 * What the person confirming a device code is shown about the request that made it, kept on the
 * device code itself (the provider's `deviceInfo`): when it was made, and from which network. The
 * full address and the user agent are not kept: the one is more than the page needs, the other is
 * text the requester chooses.
 */
// A type, not an interface: the provider stores it as a plain object (`UnknownObject`).
export type DeviceRequest = {
  /** Epoch milliseconds, by Canopy's clock. */
  requestedAt?: number;
  /** The requester's network (`coarseOrigin`, platform/net/networks.ts), e.g. `203.0.113.x`. */
  origin?: string;
};

/**
 * The provider's `features.deviceFlow.deviceInfo`: runs at the device authorization request. The
 * address is the one Express judged (TRUST_PROXY and PROXY_HOPS), as for every other throttle.
 */
export function deviceRequestInfo(clock: Clock) {
  return (ctx: KoaContextWithOIDC): DeviceRequest => {
    const origin = coarseOrigin(clientAddress(ctx));
    return { requestedAt: clock.now().getTime(), ...(origin ? { origin } : {}) };
  };
}

/**
 * Reads what a device code keeps of its request. Codes made before Canopy kept its own fields
 * carry the provider's default (`ip`, `ua`) and an issue time (`iat`, epoch seconds).
 */
export function deviceRequestOf(code: { deviceInfo?: unknown; iat?: number } | undefined): DeviceRequest {
  const info = (code?.deviceInfo ?? {}) as Record<string, unknown>;
  const requestedAt =
    typeof info.requestedAt === 'number'
      ? info.requestedAt
      : typeof code?.iat === 'number'
        ? code.iat * 1000
        : undefined;
  const origin =
    typeof info.origin === 'string'
      ? info.origin
      : coarseOrigin(typeof info.ip === 'string' ? info.ip : undefined);
  return { ...(requestedAt === undefined ? {} : { requestedAt }), ...(origin ? { origin } : {}) };
}

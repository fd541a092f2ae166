import { AsyncLocalStorage } from 'node:async_hooks';
import type { Adapter, AdapterPayload, KoaContextWithOIDC } from 'oidc-provider';
import { REFRESH_REUSE_SECONDS } from '../modules/apps/index.ts';
import type { Clock } from '../platform/clock.ts';

type Next = () => Promise<unknown>;

/**
 * Concurrent refresh (issue 12): an app whose workers refresh the same refresh token at once must
 * not be taken for a thief. oidc-provider revokes the whole grant when it loads a refresh token
 * that was already consumed (reuse detection). Within the app's reuse interval after the token was
 * consumed (`canopy_refresh_reuse_seconds`, 0–60 s), a second use is a concurrent duplicate instead:
 * the RefreshToken adapter presents the token as not consumed and lets the consume that follows
 * pass, so the provider issues another valid pair and the first pair stays valid. The consumed
 * time is never moved, so a use after the interval still revokes the grant. Every node judges the
 * same stored time, so it holds across nodes.
 *
 * Only the token endpoint's refresh_token grant is given this grace: introspection and revocation
 * still see a rotated token as used. Canopy's own clients (console, command line) have no
 * interval: they never present a rotated token twice.
 */
export function createRefreshReuse(deps: { clock: Clock }) {
  const requests = new AsyncLocalStorage<KoaContextWithOIDC>();

  /** The interval of the client refreshing in this request, if it owns the token; 0 otherwise. */
  function intervalFor(payload: AdapterPayload): number {
    const oidc = requests.getStore()?.oidc;
    if (oidc?.route !== 'token' || oidc.params?.grant_type !== 'refresh_token') return 0;
    const client = oidc.client as { clientId?: string; canopy_refresh_reuse_seconds?: unknown } | undefined;
    if (!client || client.clientId !== payload.clientId) return 0;
    const seconds = client.canopy_refresh_reuse_seconds;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds <= 0) return 0;
    return Math.min(seconds, REFRESH_REUSE_SECONDS.max);
  }

  /** Consumed (epoch seconds, as the adapter contract stores it) no longer ago than the interval. */
  function isConcurrentDuplicate(payload: AdapterPayload | undefined): payload is AdapterPayload {
    if (typeof payload?.consumed !== 'number') return false;
    const interval = intervalFor(payload);
    if (interval === 0) return false;
    const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
    return nowSeconds - payload.consumed <= interval;
  }

  return {
    /** A provider middleware: lets the adapter see which request (route, grant, client) it serves. */
    requestScope(ctx: KoaContextWithOIDC, next: Next): Promise<unknown> {
      return requests.run(ctx, next);
    },

    /** Wraps the RefreshToken adapter. */
    wrap(inner: Adapter): Adapter {
      const load = async (id: string): Promise<AdapterPayload | undefined> =>
        (await inner.find(id)) ?? undefined;
      return {
        async find(id) {
          const payload = await load(id);
          if (!isConcurrentDuplicate(payload)) return payload;
          const { consumed: _consumed, ...asIfUnused } = payload;
          return asIfUnused;
        },
        async consume(id) {
          try {
            await inner.consume(id);
          } catch (err) {
            // Lost to the request that consumed it first: a no-op inside the interval, else refused.
            const stored = await load(id).catch(() => undefined);
            if (isConcurrentDuplicate(stored)) return;
            throw err;
          }
        },
        findByUid: (uid) => inner.findByUid(uid),
        findByUserCode: (code) => inner.findByUserCode(code),
        upsert: (id, payload, expiresIn) => inner.upsert(id, payload, expiresIn),
        destroy: (id) => inner.destroy(id),
        revokeByGrantId: (grantId) => inner.revokeByGrantId(grantId),
      };
    },
  };
}

export type RefreshReuse = ReturnType<typeof createRefreshReuse>;

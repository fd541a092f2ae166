import { AsyncLocalStorage } from 'node:async_hooks';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { coarseNetwork } from '../platform/net/networks.ts';

type Next = () => Promise<unknown>;

/** ACC-5: where a session was signed in from, as its user will see it. */
export interface SessionOrigin {
  userAgent: string | null;
  /** The address's network, never the address: IPv4 /24, IPv6 /48. */
  sourceNetwork: string | null;
}

const USER_AGENT_LENGTH = 256;

/**
 * The browser and network of the request the provider is serving, for the Session adapter, which
 * is given no request: a session is saved signed-in for the first time while the provider serves
 * the browser that signed in (the resume of its authorization). The address is the provider's
 * `ctx.ip`, which reads trusted proxy headers as Express does (`TRUST_PROXY`, `PROXY_HOPS`).
 */
export function createSessionOrigins() {
  const requests = new AsyncLocalStorage<SessionOrigin>();
  return {
    /** A provider middleware: the origin of this request, for the adapter calls made while serving it. */
    requestScope(ctx: KoaContextWithOIDC, next: Next): Promise<unknown> {
      const userAgent = ctx.get('user-agent').slice(0, USER_AGENT_LENGTH) || null;
      return requests.run({ userAgent, sourceNetwork: coarseNetwork(ctx.ip) }, next);
    },
    /** The origin of the request being served, if any. */
    current: (): SessionOrigin | undefined => requests.getStore(),
  };
}

export type SessionOrigins = ReturnType<typeof createSessionOrigins>;

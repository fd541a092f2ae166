import { type LookupAddress, type LookupAllOptions, type LookupOptions, lookup } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { addressRefusal, type NetworkPolicy, type OutboundProtocol } from './address-policy.ts';

// SEC-5: the one way Canopy fetches a URL a tenant chose (OIDC discovery, JWKS, token, userinfo).
// The check sits in the connector, on the address the socket is actually opened to: a name is
// resolved once, every answer checked, and the socket connects to those checked answers (no
// second lookup that DNS rebinding could answer differently). Every redirect hop opens its
// connection through the same connector, so it is checked the same way.

/** A fetch the policy refused; its message names the address and why, for the server log only. */
export class OutboundRefused extends Error {
  readonly code = 'OUTBOUND_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefused';
  }
}

export interface GuardedFetchOptions extends NetworkPolicy {
  /** Connect, response headers and each pause in the body: a fetch an anonymous visitor triggers. */
  timeoutMs?: number;
  /** Response bodies past this size are cut off with an error. */
  maxResponseBytes?: number;
  /** Tests only: replaces the address policy (e.g. to allow one loopback address as "public"). */
  refusal?: (address: string, protocol: OutboundProtocol) => string | undefined;
}

/** undici's request options (a superset of what openid-client passes), without the dispatcher. */
export type GuardedRequestInit = Omit<NonNullable<Parameters<typeof undiciFetch>[1]>, 'dispatcher'>;

export type GuardedFetch = ((input: string | URL, init?: GuardedRequestInit) => Promise<Response>) & {
  close(): Promise<void>;
};

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

export function createGuardedFetch(options: GuardedFetchOptions): GuardedFetch {
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const refusal =
    options.refusal ??
    ((address: string, protocol: OutboundProtocol) => addressRefusal(address, protocol, options));

  /** A DNS lookup for net/tls.connect that answers only addresses the policy allows. */
  const checkedLookup =
    (protocol: OutboundProtocol) =>
    (hostname: string, lookupOptions: LookupOptions, callback: LookupCallback) => {
      lookup(hostname, { ...lookupOptions, all: true } as LookupAllOptions, (err, addresses) => {
        if (err) return callback(err, []);
        // One forbidden answer refuses the name: a mixed answer is a rebinding attempt, not a fallback.
        for (const { address } of addresses) {
          const why = refusal(address, protocol);
          if (why) return callback(new OutboundRefused(`${hostname}: ${why}`), []);
        }
        if (addresses.length === 0) return callback(new OutboundRefused(`${hostname}: no address`), []);
        if (lookupOptions.all) return callback(null, addresses);
        const [first] = addresses as [LookupAddress];
        callback(null, first.address, first.family);
      });
    };

  // HTTP/1.1 only: the response size limit below is enforced by the HTTP/1.1 parser.
  const connectors = {
    'https:': buildConnector({ timeout, allowH2: false, lookup: checkedLookup('https:') }),
    'http:': buildConnector({ timeout, allowH2: false, lookup: checkedLookup('http:') }),
  };

  const connect: buildConnector.connector = (opts, callback) => {
    const protocol = opts.protocol as OutboundProtocol;
    const connector = connectors[protocol];
    if (!connector) return callback(new OutboundRefused(`${opts.protocol} is not fetched`), null);
    // net.connect skips the lookup for an IP literal: check it here.
    if (isIP(opts.hostname)) {
      const why = refusal(opts.hostname, protocol);
      if (why) return callback(new OutboundRefused(why), null);
    }
    return connector(opts, callback);
  };

  const agent = new Agent({
    connect,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    maxResponseSize: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  });

  const guarded = async (input: string | URL, init: GuardedRequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new OutboundRefused(`${url.protocol} URLs are not fetched`);
    const response = await undiciFetch(url, {
      ...init,
      dispatcher: agent,
      signal: init.signal ?? AbortSignal.timeout(timeout),
    });
    // undici's own Response: the same class as the global one, from the npm release of it.
    return response as unknown as Response;
  };
  return Object.assign(guarded, { close: () => agent.close() });
}

/** The policy's refusal behind an error, however deep fetch and its callers wrapped it. */
export function outboundRefusalIn(err: unknown): OutboundRefused | undefined {
  for (let at = err, depth = 0; at instanceof Error && depth < 8; at = at.cause, depth++) {
    if (at instanceof OutboundRefused) return at;
  }
  return undefined;
}

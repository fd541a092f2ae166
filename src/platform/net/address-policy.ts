import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

// SEC-5: which addresses a fetch made on a tenant's behalf may connect to. Ranges come from
// ipaddr.js (IANA special-purpose registries); only what it calls `unicast` is public.

/** The operator's choice (FEDERATION_ALLOW_PRIVATE_NETWORKS): on-premise IdPs on internal networks. */
export interface NetworkPolicy {
  allowPrivateNetworks: boolean;
}

export type OutboundProtocol = 'http:' | 'https:';

/** What the private-network setting opens: where on-premise identity providers live. */
const PRIVATE_RANGES: ReadonlySet<string> = new Set([
  'loopback',
  'private',
  'carrierGradeNat',
  'uniqueLocal',
]);

/**
 * Cloud metadata services outside link-local (AWS over IPv6, Alibaba in CGNAT space): refused even
 * when private networks are allowed. 169.254.169.254 and 169.254.170.2 are link-local, refused anyway.
 */
const METADATA_ADDRESSES: ReadonlySet<string> = new Set(['fd00:ec2:0:0:0:0:0:254', '100.100.100.200']);

/**
 * The range an IP address belongs to: ipaddr.js's name (`unicast` for public addresses), an
 * IPv4-mapped IPv6 address classified as the IPv4 address it reaches, `ipv4Compatible` for the
 * deprecated ::a.b.c.d form, `cloudMetadata`, or `invalid` for anything that is not an address.
 */
export function addressRange(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '');
  if (isIP(bare.split('%')[0] ?? '') === 0) return 'invalid';
  let ip = ipaddr.parse(bare);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress())
    ip = (ip as ipaddr.IPv6).toIPv4Address();
  if (METADATA_ADDRESSES.has(ip.toNormalizedString())) return 'cloudMetadata';
  const range = ip.range();
  if (
    range === 'unicast' &&
    ip.kind() === 'ipv6' &&
    ip
      .toByteArray()
      .slice(0, 12)
      .every((b) => b === 0)
  )
    return 'ipv4Compatible';
  return range;
}

/**
 * Why a connection to `address` over `protocol` is refused under `policy`, or undefined when it
 * may go ahead. Public addresses need https; private ones need the setting, and then may use http.
 */
export function addressRefusal(
  address: string,
  protocol: OutboundProtocol,
  policy: NetworkPolicy,
): string | undefined {
  const range = addressRange(address);
  if (range === 'unicast')
    return protocol === 'https:' ? undefined : `${address} is public: plain http is refused, use https`;
  if (policy.allowPrivateNetworks && PRIVATE_RANGES.has(range)) return undefined;
  const hint = PRIVATE_RANGES.has(range) ? ' (FEDERATION_ALLOW_PRIVATE_NETWORKS is off)' : '';
  return `${address} is in a ${range} range${hint}`;
}

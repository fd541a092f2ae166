import ipaddr from 'ipaddr.js';

/**
 * Where a request came from, coarsely enough to name a network and not a household: an IPv4
 * address's /24 (`203.0.113.x`) or an IPv6 address's /48 (`2001:db8:85a3::/48`). An IPv4 address
 * written as IPv6 (`::ffff:203.0.113.7`) counts as IPv4. Undefined for anything but a plain address
 * (the lenient IPv4 forms `1.2.3` or `010.0.0.1` are not what a socket or a proxy reports).
 */
export function coarseOrigin(address: string | undefined): string | undefined {
  if (!address) return undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return ipv4Network(ipaddr.IPv4.parse(address));
  if (!ipaddr.IPv6.isValid(address)) return undefined;
  const parsed = ipaddr.IPv6.parse(address);
  if (parsed.isIPv4MappedAddress()) return ipv4Network(parsed.toIPv4Address());
  const network = new ipaddr.IPv6([...parsed.parts.slice(0, 3), 0, 0, 0, 0, 0]);
  return `${network.toString()}/48`;
}

function ipv4Network(address: ipaddr.IPv4): string {
  const [a, b, c] = address.octets;
  return `${a}.${b}.${c}.x`;
}

import ipaddr from 'ipaddr.js';

// What a client address stands for, read with ipaddr.js: an IPv4 address written as IPv6
// (`::ffff:203.0.113.7`, `::ffff:cb00:7107`) is that IPv4 address; an interface zone (`%eth0`)
// names no network. Only plain four-part decimal IPv4 counts as IPv4 (`1.2.3` or `010.0.0.1` are
// not what a socket or a proxy reports).

type Parsed = { kind: 'ipv4'; address: ipaddr.IPv4 } | { kind: 'ipv6'; address: ipaddr.IPv6 };

function parse(text: string): Parsed | undefined {
  const address = text.trim().toLowerCase().replace(/%.*$/, '');
  if (ipaddr.IPv4.isValidFourPartDecimal(address))
    return { kind: 'ipv4', address: ipaddr.IPv4.parse(address) };
  if (!ipaddr.IPv6.isValid(address)) return undefined;
  const v6 = ipaddr.IPv6.parse(address);
  return v6.isIPv4MappedAddress()
    ? { kind: 'ipv4', address: v6.toIPv4Address() }
    : { kind: 'ipv6', address: v6 };
}

const leadingGroups = (address: ipaddr.IPv6, count: number) =>
  address.parts
    .slice(0, count)
    .map((part) => part.toString(16))
    .join(':');

/**
 * The unit that per-address throttling counts. An IPv4 address counts alone; an IPv6 address counts
 * with its /64 — one subscriber usually holds a whole /64, so counting single IPv6 addresses would
 * let one caller rotate through 2^64 of them. Anything else (a proxy that sent no address) is
 * counted as written, case-folded.
 */
export function throttleUnit(ip: string): string {
  const parsed = parse(ip);
  if (!parsed) return ip.trim().toLowerCase().replace(/%.*$/, '');
  if (parsed.kind === 'ipv4') return parsed.address.toString();
  return `${leadingGroups(parsed.address, 4)}::/64`;
}

/**
 * ACC-5: the network a session came from, as its user sees it, never the address: an IPv4
 * address's /24 (`203.0.113.0/24`; an IPv4 address written as IPv6 counts as IPv4) or an IPv6
 * address's /48 (`2001:db8:abcd::/48`). Null for anything but a plain address.
 */
export function coarseNetwork(address: string | undefined): string | null {
  const parsed = address ? parse(address) : undefined;
  if (!parsed) return null;
  if (parsed.kind === 'ipv4') return `${parsed.address.octets.slice(0, 3).join('.')}.0/24`;
  return `${new ipaddr.IPv6([...parsed.address.parts.slice(0, 3), 0, 0, 0, 0, 0]).toString()}/48`;
}

/**
 * Where a request came from, coarsely enough to name a network and not a household: an IPv4
 * address's /24 (`203.0.113.x`) or an IPv6 address's /48 (`2001:db8:85a3::/48`). Undefined for
 * anything but a plain address.
 */
export function coarseOrigin(address: string | undefined): string | undefined {
  const parsed = address ? parse(address) : undefined;
  if (!parsed) return undefined;
  if (parsed.kind === 'ipv4') return `${parsed.address.octets.slice(0, 3).join('.')}.x`;
  const network = new ipaddr.IPv6([...parsed.address.parts.slice(0, 3), 0, 0, 0, 0, 0]);
  return `${network.toString()}/48`;
}

import { isIPv4, isIPv6 } from 'node:net';

/**
 * The unit that per-address throttling counts. An IPv4 address (also when written IPv4-mapped,
 * `::ffff:192.0.2.1`) counts alone; an IPv6 address counts with its /64 — one subscriber usually
 * holds a whole /64, so counting single IPv6 addresses would let one caller rotate through 2^64 of
 * them. Anything else (a proxy that sent no address) is counted as written, case-folded.
 */
export function throttleUnit(ip: string): string {
  const address = ip.trim().toLowerCase().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (mapped?.[1] && isIPv4(mapped[1])) return mapped[1];
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, without leading zeros. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const toHex = (parts: string[]) =>
    parts.flatMap((part) => {
      if (!part.includes('.')) return [part];
      const [a = 0, b = 0, c = 0, d = 0] = part.split('.').map(Number);
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  const left = toHex(groups(head));
  const right = tail === undefined ? [] : toHex(groups(tail));
  const zeros = Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16).toString(16));
}

import type { Request } from 'express';

/**
 * SEC-8: how every Canopy cookie is named and flagged, decided by PUBLIC_URL alone. The request
 * cannot be asked: TLS may end at a proxy Canopy does not trust, and Host or X-Forwarded-Proto are
 * written by whoever sends the request.
 * - `Secure` whenever PUBLIC_URL is https.
 * - On https, a cookie at `Path=/` is `__Host-` prefixed (the browser then insists on Secure, Path=/
 *   and no Domain, so no sibling subdomain can plant or shadow it); a cookie scoped to a narrower
 *   path can only be `__Secure-`. On http (the localhost quick start) browsers refuse both prefixes,
 *   so the name stays plain.
 * - `HttpOnly` and `SameSite=Lax` by default: no Canopy page script reads a cookie.
 */
export interface CookieAttributes {
  httpOnly: boolean;
  sameSite: 'lax' | 'strict';
  secure: boolean;
  path: string;
}

/** A cookie Canopy sets: its name and its attributes, both decided by PUBLIC_URL. */
export interface NamedCookie {
  readonly name: string;
  readonly attributes: CookieAttributes;
}

export interface CookiePolicy {
  /** Whether cookies carry `Secure`: PUBLIC_URL is https. */
  readonly secure: boolean;
  /** The name a cookie set at `path` goes by: `base`, prefixed as above. */
  name(base: string, path?: string): string;
  /** The attributes of a cookie set at `path` (HttpOnly, SameSite=Lax, Secure as above). */
  attributes(path?: string): CookieAttributes;
  /** Both of the above for the cookie `base` at `path`. */
  cookie(base: string, path?: string): NamedCookie;
}

export function cookiePolicy(publicUrl: string): CookiePolicy {
  const secure = new URL(publicUrl).protocol === 'https:';
  const name = (base: string, path = '/') => {
    if (!secure) return base;
    return path === '/' ? `__Host-${base}` : `__Secure-${base}`;
  };
  const attributes = (path = '/'): CookieAttributes => ({ httpOnly: true, sameSite: 'lax', secure, path });
  return {
    secure,
    name,
    attributes,
    cookie: (base, path = '/') => ({ name: name(base, path), attributes: attributes(path) }),
  };
}

/**
 * The values of the cookies called `name` that the request carries and that match `shape`, at most
 * `max`. Several arrive when a sibling subdomain planted one of the same name (a `__Secure-` or
 * unprefixed cookie may carry a Domain): a planted value cannot hide the genuine one.
 */
export function readCookies(req: Request, name: string, shape: RegExp, max: number): string[] {
  const found: string[] = [];
  for (const pair of (req.get('cookie') ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at <= 0 || pair.slice(0, at).trim() !== name) continue;
    const value = pair.slice(at + 1).trim();
    if (shape.test(value)) found.push(value);
    if (found.length === max) break;
  }
  return found;
}

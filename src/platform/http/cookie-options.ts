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

export interface CookiePolicy {
  /** Whether cookies carry `Secure`: PUBLIC_URL is https. */
  readonly secure: boolean;
  /** The name a cookie set at `path` goes by: `base`, prefixed as above. */
  name(base: string, path?: string): string;
  /** The attributes of a cookie set at `path` (HttpOnly, SameSite=Lax, Secure as above). */
  attributes(path?: string): CookieAttributes;
}

export function cookiePolicy(publicUrl: string): CookiePolicy {
  const secure = new URL(publicUrl).protocol === 'https:';
  return {
    secure,
    name(base, path = '/') {
      if (!secure) return base;
      return path === '/' ? `__Host-${base}` : `__Secure-${base}`;
    },
    attributes(path = '/') {
      return { httpOnly: true, sameSite: 'lax', secure, path };
    },
  };
}

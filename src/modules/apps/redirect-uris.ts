import type { AppKind } from './app.schema.ts';

/** Hosts where plain http is allowed: the user's own machine (RFC 8252 §7.3). */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);

const HTTPS_ONLY = 'must use https (http only on loopback: 127.0.0.1, [::1] or localhost)';

/**
 * Why a redirect (or post-logout redirect) URI is not acceptable for an app of this kind, or
 * undefined when it is. The provider compares redirect URIs as exact strings, so the URI is kept as
 * given; these rules only decide whether it may be registered:
 * - an absolute URL without a fragment, user name or password, whitespace or control characters;
 * - https anywhere, http only on a loopback host;
 * - native apps may also use a private-use scheme named after a reverse domain
 *   (`com.example.app:/callback`, RFC 8252 §7.1), and use http rather than https on loopback
 *   (claimed https URIs name a real host, §7.2).
 */
export function redirectUriProblem(uri: string, kind: AppKind): string | undefined {
  if (/[\s\p{Cc}]/u.test(uri)) return 'must not contain whitespace or control characters';
  const url = URL.parse(uri);
  if (!url) return 'must be an absolute URL';
  if (uri.includes('#')) return 'must not contain a fragment';
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  switch (url.protocol) {
    case 'https:':
    case 'http:':
      // `https:/x` parses, but is not what anyone means to register.
      if (!uri.toLowerCase().startsWith(`${url.protocol}//`)) return 'must be an absolute URL';
      if (url.protocol === 'http:') return loopback ? undefined : HTTPS_ONLY;
      return kind === 'native' && loopback
        ? 'a native app uses http, not https, on a loopback address'
        : undefined;
    default: {
      if (kind !== 'native') return HTTPS_ONLY;
      const scheme = url.protocol.slice(0, -1);
      return scheme.includes('.')
        ? undefined
        : 'must use https, http on loopback, or a private-use scheme named after a reverse domain (com.example.app:/callback)';
    }
  }
}

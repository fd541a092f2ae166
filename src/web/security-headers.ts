import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * The security headers of every page, as plain values so Express and Koa (oidc-provider's pages)
 * send the same ones. helmet supplies everything except the CSP, which is built per page because
 * `form-action` must also name where a form's POST may end up after redirects (Chrome applies
 * form-action to them): a client's redirect origin on sign-in, consent and logout pages.
 */
const HELMET_HEADERS: Readonly<Record<string, string>> = captureHelmetHeaders();

function captureHelmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const sink = {
    setHeader(name: string, value: unknown) {
      headers[name] = String(value);
    },
    removeHeader() {},
  };
  let done = false;
  helmet({
    contentSecurityPolicy: false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  })({} as IncomingMessage, sink as unknown as ServerResponse, () => {
    done = true;
  });
  if (!done) throw new Error('helmet did not finish synchronously');
  return Object.freeze(headers);
}

/** RFC 8252 private-use schemes contain a dot (`com.example.app`); only those may stand alone. */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(?:\.[a-z0-9+-]+)+:$/;

/**
 * A `form-action` source for a URL: its origin (http/https), or its scheme for a native app's
 * private-use scheme. Anything else (javascript:, data:, garbage) throws: callers pass registered
 * redirect URIs, which are validated when the app is created, so a bad one is a bug.
 */
export function formActionSource(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('form-action source is not a URL');
  }
  if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return parsed.origin;
  if (PRIVATE_USE_SCHEME.test(parsed.protocol)) return parsed.protocol;
  throw new Error(`form-action source has a refused scheme: ${parsed.protocol}`);
}

/**
 * The page CSP; `formActionUrls` add sources to `form-action` (each reduced to an origin). Pages
 * with `scripts` (the console) may load same-origin scripts and call same-origin endpoints; no
 * inline script is ever allowed.
 */
export function contentSecurityPolicy(formActionUrls: readonly string[] = [], scripts = false): string {
  const extra = [...new Set(formActionUrls.map(formActionSource))];
  return [
    "default-src 'none'",
    // The console never writes markup from strings: Trusted Types make the browser refuse it too.
    ...(scripts
      ? [
          "script-src 'self'",
          "connect-src 'self'",
          "require-trusted-types-for 'script'",
          "trusted-types 'none'",
        ]
      : []),
    "style-src 'self'",
    "img-src 'self' data:",
    ["form-action 'self'", ...extra].join(' '),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** Headers for responses that are not pages (redirects, the stylesheet): helmet's, no CSP needed. */
export function baseSecurityHeaders(): Record<string, string> {
  return { ...HELMET_HEADERS };
}

/** Every header of an HTML page: helmet's, the CSP, the content type, and no caching (CSRF tokens). */
export function pageHeaders(formActionUrls: readonly string[] = [], scripts = false): Record<string, string> {
  return {
    ...HELMET_HEADERS,
    'Content-Security-Policy': contentSecurityPolicy(formActionUrls, scripts),
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
  };
}

import type { KoaContextWithOIDC } from 'oidc-provider';

/** `GET http://host/path` (absolute-form request target): Koa would take that host as the URL's. */
const ABSOLUTE_FORM = /^https?:\/\/[^/]*/i;

/**
 * SEC-7: the provider builds absolute URLs (discovery's endpoints, device verification, the resume
 * URL, form actions) from the request's protocol and host, which Koa reads from `Host`,
 * `X-Forwarded-Host` and `X-Forwarded-Proto` — headers the caller writes. This middleware, the
 * first the provider runs, pins them to PUBLIC_URL's, so no request can change a URL the provider
 * emits. Fixing rather than refusing a mismatching Host keeps health checks and proxies that
 * rewrite Host working, and leaves nothing to get wrong per endpoint.
 *
 * It also makes `ctx.secure` follow PUBLIC_URL (SEC-8): behind a TLS-terminating proxy that is not
 * trusted, the provider still sets its Secure cookies (the cookies library refuses a Secure cookie
 * on a request it believes insecure). Client addresses (`ctx.ip`, X-Forwarded-For with the proxy
 * hop count) are untouched.
 */
export function pinPublicOrigin(publicUrl: string) {
  const { protocol, host, hostname } = new URL(publicUrl);
  const scheme = protocol.slice(0, -1);
  const bareHostname = hostname.replace(/^\[(.*)\]$/, '$1'); // as Koa gives it: an IPv6 without brackets
  return async function publicOrigin(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    const path = ctx.originalUrl.replace(ABSOLUTE_FORM, '');
    const href = `${scheme}://${host}${path.startsWith('/') ? path : `/${path}`}`;
    Object.defineProperties(ctx.request, {
      protocol: { value: scheme },
      host: { value: host },
      hostname: { value: bareHostname },
      href: { value: href },
      URL: { get: () => new URL(href) },
    });
    await next();
  };
}

import type { KoaContextWithOIDC } from 'oidc-provider';
import { baseSecurityHeaders, contentSecurityPolicy } from '../web/index.ts';

/**
 * Security headers on every provider response, including the few pages oidc-provider renders
 * itself (the self-submitting form of an account switch): a strict CSP whose `script-src` lets the
 * provider add the hash of its one inline script (it does so when the header exists), and whose
 * `form-action` also names the client's redirect origin once the request is known.
 */
export async function providerPageSecurity(
  ctx: KoaContextWithOIDC,
  next: () => Promise<void>,
): Promise<void> {
  ctx.set(baseSecurityHeaders());
  const ownCsp = contentSecurityPolicy([], true);
  ctx.set('Content-Security-Policy', ownCsp);
  await next();
  const redirectUri = ctx.oidc?.params?.redirect_uri;
  const csp = ctx.response.get('Content-Security-Policy');
  if (typeof redirectUri !== 'string' || !ctx.response.is('html') || !csp.startsWith("default-src 'none'"))
    return;
  try {
    const origin = new URL(redirectUri).origin;
    if (origin !== 'null')
      ctx.set('Content-Security-Policy', csp.replace("form-action 'self'", `form-action 'self' ${origin}`));
  } catch {
    // not a URL: the provider has refused the request already
  }
}

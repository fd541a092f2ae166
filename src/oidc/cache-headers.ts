import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * SEC-7: how long a shared cache or an app may keep the provider's public documents. Short, so a
 * signing-key rotation (and, later, a key withdrawn at once) reaches every app within minutes; the
 * JWKS no longer than discovery. Both answers depend on nothing in the request but its Origin
 * (CORS, which the provider already lists in `Vary`): the host is PUBLIC_URL's (public-origin.ts).
 */
export const DISCOVERY_MAX_AGE_SECONDS = 300;
export const JWKS_MAX_AGE_SECONDS = 60;

const PUBLIC_DOCUMENTS: ReadonlyMap<string | undefined, number> = new Map([
  ['discovery', DISCOVERY_MAX_AGE_SECONDS],
  ['jwks', JWKS_MAX_AGE_SECONDS],
]);

/**
 * Discovery and JWKS answers may be cached publicly for a few minutes; every other provider answer
 * (tokens, device codes, pages, redirects carrying codes, errors) is `no-store` unless the provider
 * chose already.
 */
export async function providerCacheHeaders(
  ctx: KoaContextWithOIDC,
  next: () => Promise<void>,
): Promise<void> {
  await next();
  const maxAge = PUBLIC_DOCUMENTS.get(ctx.oidc?.route);
  if (maxAge !== undefined && ctx.status === 200) {
    ctx.set('Cache-Control', `public, max-age=${maxAge}`);
    ctx.vary('Origin');
  } else if (!ctx.response.get('Cache-Control')) {
    ctx.set('Cache-Control', 'no-store');
  }
}

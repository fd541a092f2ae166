import type { KoaContextWithOIDC } from 'oidc-provider';

type Next = () => Promise<unknown>;

// oidc-provider 9 refuses a grant type the client is not registered for with `invalid_request`
// and these descriptions (actions/token.js, actions/authorization/client.js). The test of this
// middleware fails if a provider upgrade changes them.
const NOT_ALLOWED = /^(requested grant type|\S+) is not allowed for this client$/;

/**
 * RFC 6749 §5.2: a client asking for a grant type it is not registered for is `unauthorized_client`
 * (RFC 8628 §3.2 answers the device authorization endpoint with the same errors). A provider
 * middleware rewrites that one answer of the token and device authorization endpoints; the status
 * (400) and the description stay.
 */
export async function unauthorizedClientForGrantType(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
  await next();
  const route = ctx.oidc?.route;
  if (route !== 'token' && route !== 'device_authorization') return;
  const body = ctx.body as { error?: unknown; error_description?: unknown } | undefined;
  if (
    ctx.status === 400 &&
    body?.error === 'invalid_request' &&
    typeof body.error_description === 'string' &&
    NOT_ALLOWED.test(body.error_description)
  ) {
    ctx.body = { ...body, error: 'unauthorized_client' };
  }
}

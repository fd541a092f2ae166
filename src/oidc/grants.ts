import { errors, type Grant, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { UserService } from '../modules/users/index.ts';
import { ORG_RESOURCE, requestedNodeScopes } from './resources.ts';
import type { TenantResolver } from './tenancy.ts';

const { Check, base } = interactionPolicy;

/**
 * `loadExistingGrant`: first-party apps need no consent, so their grant is extended with whatever
 * they ask for, the node scope included (on its resource server and among the OIDC scopes, where
 * the claims look for it).
 */
export function createLoadExistingGrant(deps: { tenantFor: TenantResolver }) {
  return async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
    const { client, session, provider } = ctx.oidc;
    if (!client || !session) return undefined;
    if (!(await deps.tenantFor(client, ctx.oidc.params))) {
      throw new errors.InvalidRequest('name an organization with the org parameter (its domain)');
    }
    const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
    let grant = grantId ? await provider.Grant.find(grantId) : undefined;
    if (client.canopy_first_party === true && session.accountId) {
      grant ??= new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      const scope = ctx.oidc.params?.scope as string | undefined;
      if (scope) grant.addOIDCScope(scope);
      const nodeScopes = requestedNodeScopes(ctx);
      if (nodeScopes.length > 0) grant.addResourceScope(ORG_RESOURCE, nodeScopes.join(' '));
      await grant.save();
    }
    return grant;
  };
}

/**
 * SEC-3: a consent covers the redirect URIs it was given for, so that a redirect URI registered
 * since (added, or put in place of another) gets no silent code. They are kept in the grant itself,
 * as the scopes of a resource no client can ask for: stored, shared and expired with the grant, on
 * every node and across restarts. (Redirect URIs hold no spaces: registration refuses them.)
 */
export const CONSENTED_REDIRECTS = 'urn:canopy:consented-redirect-uris';

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * What a consent covers: the redirect URI, except that a native app's loopback redirect may come
 * on any port (RFC 8252 §7.3, which the provider allows), so its port is left out.
 */
function consentKey(client: { applicationType?: string } | undefined, redirectUri: string): string {
  if (client?.applicationType !== 'native') return redirectUri;
  const url = URL.parse(redirectUri);
  if (url?.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) return redirectUri;
  url.port = '';
  return url.href;
}

export function recordConsentedRedirect(
  grant: Grant,
  client: { applicationType?: string },
  redirectUri: unknown,
): void {
  if (typeof redirectUri === 'string' && redirectUri !== '' && !/\s/.test(redirectUri))
    grant.addResourceScope(CONSENTED_REDIRECTS, consentKey(client, redirectUri));
}

function consentedRedirect(
  grant: Grant | undefined,
  client: { applicationType?: string } | undefined,
  redirectUri: string,
): boolean {
  const consented = (grant?.getResourceScope(CONSENTED_REDIRECTS) ?? '').split(' ');
  return consented.includes(consentKey(client, redirectUri));
}

/**
 * The provider's prompts plus Canopy's: a session of another master org's user must sign in again
 * for this app (APP-2); and a redirect URI the user's consent did not cover needs consent (SEC-3:
 * no authorization is granted silently for the first time), first-party apps aside. (A scope or a
 * node scope not yet granted needs consent through the provider's own checks.)
 */
export function createInteractionPolicy(deps: {
  users: Pick<UserService, 'tenantOf'>;
  tenantFor: TenantResolver;
}) {
  const policy = base();
  policy.get('login')!.checks.add(
    new Check('canopy_other_organization', 'this app belongs to another organization', async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId) return Check.NO_NEED_TO_PROMPT;
      const userTenant = await deps.users.tenantOf(accountId);
      const appTenant = await deps.tenantFor(ctx.oidc.client, ctx.oidc.params);
      return userTenant === appTenant ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  policy.get('consent')!.checks.add(
    new Check(
      'canopy_redirect_uri_not_consented',
      'the user has not consented to this redirect URI',
      'consent_required',
      (ctx) => {
        const { client, params, grant } = ctx.oidc;
        const redirectUri = params?.redirect_uri;
        // The device flow has no redirect; first-party apps (and Canopy's own) ask no consent.
        if (typeof redirectUri !== 'string' || client?.canopy_first_party === true)
          return Check.NO_NEED_TO_PROMPT;
        return consentedRedirect(grant, client, redirectUri) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
      },
    ),
  );
  return policy;
}

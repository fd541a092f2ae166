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
 * The provider's prompts plus Canopy's: a session of another master org's user must sign in again
 * for this app (APP-2). (A node scope not yet granted needs consent through the provider's own
 * resource-scope check.)
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
  return policy;
}

import { errors, type Grant, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Authorizer } from '../modules/roles/index.ts';
import type { UserService } from '../modules/users/index.ts';
import { isNodeScope } from './claims.ts';
import type { TenantResolver } from './tenancy.ts';

const { Check, base } = interactionPolicy;

function requestedNodeScopes(ctx: KoaContextWithOIDC): string[] {
  return (ctx.oidc.params?.scope as string | undefined)?.split(' ').filter(isNodeScope) ?? [];
}

/**
 * `loadExistingGrant`: a node scope (`org:<id>`) must name a node of the client's master org, and
 * at most one. First-party apps need no consent: their grant is extended with whatever they ask.
 */
export function createLoadExistingGrant(deps: { authz: Authorizer; tenantFor: TenantResolver }) {
  return async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
    const { client, session, provider } = ctx.oidc;
    if (!client || !session) return undefined;
    const nodeScopes = requestedNodeScopes(ctx);
    if (nodeScopes.length > 1) throw new errors.InvalidScope('name at most one organization', nodeScopes[1]!);
    const tenantId = await deps.tenantFor(client, ctx.oidc.params);
    if (!tenantId)
      throw new errors.InvalidRequest('name an organization with the org parameter (its domain)');
    if (nodeScopes.length === 1) {
      const index = await deps.authz.forTenant(tenantId);
      const nodeId = nodeScopes[0]!.slice('org:'.length).toLowerCase();
      if (!index.node(nodeId))
        throw new errors.InvalidScope('no such organization for this client', nodeScopes[0]!);
    }
    const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
    let grant = grantId ? await provider.Grant.find(grantId) : undefined;
    if (client['canopy_first_party'] === true && session.accountId) {
      grant ??= new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      const scope = ctx.oidc.params?.scope as string | undefined;
      if (scope) grant.addOIDCScope(scope);
      await grant.save();
    }
    return grant;
  };
}

/**
 * The provider's prompts plus Canopy's: a session of another master org's user must sign in again
 * for this app (APP-2); a node scope not yet granted needs consent like any scope.
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
      'canopy_node_scope_missing',
      'requested organization scope not granted',
      (ctx) => {
        const granted = new Set(ctx.oidc.grant?.getOIDCScope().split(' '));
        const missing = requestedNodeScopes(ctx).filter((s) => !granted.has(s));
        return missing.length > 0 ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
      },
      (ctx) => ({ missingNodeScopes: requestedNodeScopes(ctx) }),
    ),
  );
  return policy;
}

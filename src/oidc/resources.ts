import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Authorizer } from '../modules/roles/index.ts';
import { isNodeScope } from './claims.ts';
import type { TenantResolver } from './tenancy.ts';

/**
 * oidc-provider keeps only its configured scopes in a request, unless they belong to a resource
 * server. Canopy's dynamic scopes therefore live on two resource servers of its own:
 * - `urn:canopy:org` carries a node scope `org:<node id>` (SESS-5) through the sign-in; the grant
 *   also records it among the OIDC scopes, so the ID token, userinfo and introspection see it;
 * - `urn:canopy:api` carries a service app's permissions as client-credentials scopes (APP-1).
 * Neither is named by clients: `defaultResource` picks them from the scopes asked for.
 */
export const ORG_RESOURCE = 'urn:canopy:org';
export const API_RESOURCE = 'urn:canopy:api';

const scopesOf = (ctx: KoaContextWithOIDC): string[] =>
  String(ctx.oidc.params?.scope ?? '')
    .split(' ')
    .filter(Boolean);

export function requestedNodeScopes(ctx: KoaContextWithOIDC): string[] {
  return scopesOf(ctx).filter(isNodeScope);
}

export function createResourceIndicators(deps: { authz: Authorizer; tenantFor: TenantResolver }) {
  return {
    enabled: true,
    async defaultResource(ctx: KoaContextWithOIDC) {
      if (ctx.oidc.params?.grant_type === 'client_credentials')
        return scopesOf(ctx).length > 0 ? API_RESOURCE : undefined;
      return requestedNodeScopes(ctx).length > 0 ? ORG_RESOURCE : undefined;
    },
    useGrantedResource: () => false,
    async getResourceServerInfo(
      ctx: KoaContextWithOIDC,
      indicator: string,
      client: { [key: string]: unknown },
    ) {
      if (indicator === ORG_RESOURCE)
        return {
          scope: (await validNodeScopes(ctx, client)).join(' '),
          accessTokenFormat: 'opaque' as const,
        };
      if (indicator === API_RESOURCE)
        return {
          scope: serviceScopes(ctx, client).join(' '),
          accessTokenFormat: 'opaque' as const,
          audience: API_RESOURCE,
        };
      throw new errors.InvalidTarget();
    },
  };

  /** At most one node scope, naming a node of the request's master org. */
  async function validNodeScopes(
    ctx: KoaContextWithOIDC,
    client: { [key: string]: unknown },
  ): Promise<string[]> {
    const nodeScopes = requestedNodeScopes(ctx);
    if (nodeScopes.length > 1) throw new errors.InvalidScope('name at most one organization', nodeScopes[1]!);
    if (nodeScopes.length === 0) return [];
    const tenantId = await deps.tenantFor(client as { clientId?: string }, ctx.oidc.params);
    const index = tenantId ? await deps.authz.forTenant(tenantId) : undefined;
    const nodeId = nodeScopes[0]!.slice('org:'.length).toLowerCase();
    if (!index?.node(nodeId))
      throw new errors.InvalidScope('no such organization for this client', nodeScopes[0]!);
    return nodeScopes;
  }
}

/** APP-1: a service app asks only for permissions it was granted; other clients ask for none. */
function serviceScopes(ctx: KoaContextWithOIDC, client: { [key: string]: unknown }): string[] {
  const requested = scopesOf(ctx);
  if (client.canopy_kind !== 'service') {
    throw new errors.InvalidScope('this client takes no scope for client credentials', requested[0] ?? '');
  }
  const allowed = new Set(
    String(client.canopy_scopes ?? '')
      .split(' ')
      .filter(Boolean),
  );
  const refused = requested.filter((s) => !allowed.has(s));
  if (refused.length > 0)
    throw new errors.InvalidScope('requested scope is not granted to this app', refused[0]!);
  return [...allowed];
}

import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { TenantDirectory } from '../modules/roles/index.ts';
import { isNodeScope } from './claims.ts';
import { isCanopyClient, type TenantResolver } from './tenancy.ts';

/**
 * oidc-provider keeps only its configured scopes in a request, unless they belong to a resource
 * server. Canopy's resource servers:
 * - `urn:canopy:org` carries a node scope `org:<node id>` (SESS-5) through the sign-in; the grant
 *   also records it among the OIDC scopes, so the ID token, userinfo and introspection see it;
 * - `urn:canopy:api` is the admin API (SEC-2): the audience of the console's and the command line's
 *   access tokens, and of service apps' client-credentials tokens, which carry the app's
 *   permissions as scopes (APP-1). No other client gets a token for it.
 * Clients need not name them: `defaultResource` picks them, and the token endpoint keeps the admin
 * API as the audience of Canopy's own clients' tokens, refreshed ones included (`useGrantedResource`).
 */
export const ORG_RESOURCE = 'urn:canopy:org';
export const API_RESOURCE = 'urn:canopy:api';

const ADMIN_API_ONLY = "only Canopy's own clients and service apps get tokens for the admin API";

type ClientInfo = { clientId?: string; [key: string]: unknown };

const scopesOf = (ctx: KoaContextWithOIDC): string[] =>
  String(ctx.oidc.params?.scope ?? '')
    .split(' ')
    .filter(Boolean);

export function requestedNodeScopes(ctx: KoaContextWithOIDC): string[] {
  return scopesOf(ctx).filter(isNodeScope);
}

export function createResourceIndicators(deps: { directory: TenantDirectory; tenantFor: TenantResolver }) {
  return {
    enabled: true,
    async defaultResource(ctx: KoaContextWithOIDC, client: ClientInfo, oneOf?: readonly string[]) {
      // At the token endpoint, of the resources granted: the admin API for Canopy's own clients.
      if (oneOf) return isCanopyClient(client) && oneOf.includes(API_RESOURCE) ? API_RESOURCE : oneOf;
      if (ctx.oidc.params?.grant_type === 'client_credentials')
        return client?.canopy_kind === 'service' || scopesOf(ctx).length > 0 ? API_RESOURCE : undefined;
      const org = requestedNodeScopes(ctx).length > 0 ? ORG_RESOURCE : undefined;
      if (!isCanopyClient(client)) return org;
      return org ? [API_RESOURCE, org] : API_RESOURCE;
    },
    useGrantedResource: (ctx: KoaContextWithOIDC) => isCanopyClient(ctx.oidc.client),
    async getResourceServerInfo(ctx: KoaContextWithOIDC, indicator: string, client: ClientInfo) {
      if (indicator === ORG_RESOURCE)
        return {
          scope: (await validNodeScopes(ctx, client)).join(' '),
          accessTokenFormat: 'opaque' as const,
        };
      if (indicator === API_RESOURCE)
        return {
          // A person's token for the admin API acts with that person's roles: it carries no scope.
          scope: isCanopyClient(client) ? '' : serviceScopes(ctx, client).join(' '),
          accessTokenFormat: 'opaque' as const,
          audience: API_RESOURCE,
        };
      throw new errors.InvalidTarget();
    },
  };

  /** At most one node scope, naming a node of the request's master org. */
  async function validNodeScopes(ctx: KoaContextWithOIDC, client: ClientInfo): Promise<string[]> {
    const nodeScopes = requestedNodeScopes(ctx);
    if (nodeScopes.length > 1) throw new errors.InvalidScope('name at most one organization', nodeScopes[1]!);
    if (nodeScopes.length === 0) return [];
    const tenantId = await deps.tenantFor(client as { clientId?: string }, ctx.oidc.params);
    const index = tenantId ? await deps.directory.forTenant(tenantId) : undefined;
    const nodeId = nodeScopes[0]!.slice('org:'.length).toLowerCase();
    if (!index?.node(nodeId))
      throw new errors.InvalidScope('no such organization for this client', nodeScopes[0]!);
    return nodeScopes;
  }
}

/** APP-1: a service app asks only for permissions it was granted; other clients ask for none. */
function serviceScopes(ctx: KoaContextWithOIDC, client: ClientInfo): string[] {
  const requested = scopesOf(ctx);
  if (client.canopy_kind !== 'service' || ctx.oidc.params?.grant_type !== 'client_credentials') {
    if (ctx.oidc.params?.grant_type === 'client_credentials' && requested.length > 0)
      throw new errors.InvalidScope('this client takes no scope for client credentials', requested[0]!);
    throw new errors.InvalidTarget(ADMIN_API_ONLY);
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

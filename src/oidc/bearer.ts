import type { Provider } from 'oidc-provider';
import type { TenantDirectory } from '../modules/roles/index.ts';
import type { UserService } from '../modules/users/index.ts';
import type { AppGrantOf, RequestContext } from '../platform/context.ts';
import { API_RESOURCE } from './resources.ts';
import { isCanopyClient } from './tenancy.ts';

/**
 * Who a bearer token on the admin API speaks for (SEC-2). It takes exactly two kinds of token, both
 * issued for the admin API as their audience (`urn:canopy:api`):
 * - a person's token issued to Canopy's own clients, the console and the command line. A token that
 *   a person's sign-in gave any other app, first-party or not, never becomes their admin powers.
 *   Loading it slides its session's idle clock (SESS-2) and fails once the session is over, or
 *   once the person's password was reset after it was issued (ACC-1);
 * - a service app's client-credentials token, carrying the app's grants narrowed to the scopes it
 *   was issued with (APP-1). Org and environment credentials (CRED-3) are for other APIs.
 */
export function createBearerResolver(deps: {
  provider(): Provider;
  users: Pick<UserService, 'tenantOf'>;
  directory: TenantDirectory;
}) {
  return async function resolveBearer(token: string, requestId: string): Promise<RequestContext | undefined> {
    const provider = deps.provider();
    const access = await provider.AccessToken.find(token);
    if (access) {
      // Sender-constrained tokens need a proof this API does not check: refuse rather than ignore it.
      if (access.jkt || access['x5t#S256'] || !access.accountId || access.aud !== API_RESOURCE)
        return undefined;
      const client = access.clientId ? await provider.Client.find(access.clientId) : undefined;
      if (!isCanopyClient(client)) return undefined;
      const tenantId = await deps.users.tenantOf(access.accountId);
      if (!tenantId) return undefined;
      const index = await deps.directory.forTenant(tenantId);
      if (!index.acceptsTokenIssuedAt(access.accountId, access.iat)) return undefined;
      const actor = { kind: 'user', tenantId, userId: access.accountId } as const;
      return { actor, requestId, ...(access.sessionUid ? { sessionUid: access.sessionUid } : {}) };
    }
    const credentials = await provider.ClientCredentials.find(token);
    if (!credentials || credentials.jkt || credentials['x5t#S256'] || credentials.aud !== API_RESOURCE)
      return undefined;
    const client = credentials.clientId ? await provider.Client.find(credentials.clientId) : undefined;
    const tenantId = client?.canopy_tenant_id as string | undefined;
    if (client?.canopy_kind !== 'service' || !tenantId) return undefined;
    const scopes = new Set((credentials.scope ?? '').split(' ').filter(Boolean));
    const grants = ((client.canopy_grants ?? []) as AppGrantOf[])
      .map((g) => ({
        organizationId: g.organizationId,
        permissions: g.permissions.filter((p) => scopes.has(p)),
      }))
      .filter((g) => g.permissions.length > 0);
    return { actor: { kind: 'app', tenantId, clientId: client.clientId, grants }, requestId };
  };
}

export type BearerResolver = ReturnType<typeof createBearerResolver>;

import type { Provider } from 'oidc-provider';
import type { UserService } from '../modules/users/index.ts';
import type { AppGrantOf, RequestContext } from '../platform/context.ts';

/**
 * Who a bearer token on the admin API speaks for. A user's access token counts only when it was
 * issued to a first-party app (the console, or an app the org marked first-party): a token handed
 * to a third-party app must not become that user's admin powers. Loading it slides its session's
 * idle clock (SESS-2) and fails once the session is over. A service app's client-credentials
 * token carries the app's grants, narrowed to the scopes the token was issued with (APP-1).
 */
export function createBearerResolver(deps: { provider(): Provider; users: Pick<UserService, 'tenantOf'> }) {
  return async function resolveBearer(token: string, requestId: string): Promise<RequestContext | undefined> {
    const provider = deps.provider();
    const access = await provider.AccessToken.find(token);
    if (access) {
      // Sender-constrained tokens need a proof this API does not check: refuse rather than ignore it.
      if (access.jkt || access['x5t#S256'] || !access.accountId) return undefined;
      const client = access.clientId ? await provider.Client.find(access.clientId) : undefined;
      if (client?.canopy_first_party !== true) return undefined;
      const tenantId = await deps.users.tenantOf(access.accountId);
      if (!tenantId || (client.canopy_tenant_id !== undefined && client.canopy_tenant_id !== tenantId))
        return undefined;
      return { actor: { kind: 'user', tenantId, userId: access.accountId }, requestId };
    }
    const credentials = await provider.ClientCredentials.find(token);
    if (!credentials || credentials.jkt || credentials['x5t#S256']) return undefined;
    const client = credentials.clientId ? await provider.Client.find(credentials.clientId) : undefined;
    const tenantId = client?.canopy_tenant_id as string | undefined;
    if (!client || !tenantId) return undefined;
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

import type { KoaContextWithOIDC } from 'oidc-provider';
import type { UsageEvent } from '../modules/analytics/index.ts';
import type { TenantDirectory } from '../modules/roles/index.ts';
import type { UserService } from '../modules/users/index.ts';
import { chainIssuedAt, currentEmailClaims, currentOrgClaims } from './account.ts';

type Deps = { users: Pick<UserService, 'tenantOf' | 'profileOf'>; directory: TenantDirectory };

interface TokenLike {
  clientId?: string;
  accountId?: string;
  scope?: string;
  /** Issued at, epoch seconds. */
  iat?: number;
  /** A refresh token's chain: when its first token was issued (kept across rotations). */
  iiat?: number;
}

/**
 * SESS-6: only clients of the token's own master org get an answer; anyone else learns
 * `active: false`. (The provider's default lets any confidential client introspect any token.)
 */
export async function introspectionAllowed(
  ctx: KoaContextWithOIDC,
  caller: { clientId: string; [key: string]: unknown },
  token: TokenLike,
): Promise<boolean> {
  const callerTenant = caller.canopy_tenant_id;
  if (typeof callerTenant !== 'string') return false;
  const issuedTo =
    token.clientId === caller.clientId
      ? caller
      : token.clientId && (await ctx.oidc.provider.Client.find(token.clientId));
  return Boolean(issuedTo) && (issuedTo as Record<string, unknown>).canopy_tenant_id === callerTenant;
}

/**
 * Runs after the introspection endpoint: what it reports about a user's token is the current truth
 * (ROLE-6, USR-3) — their current roles from the in-memory index, or `active: false` once they are
 * disabled or deleted. Client-credentials tokens name their org node and environment (CRED-3).
 */
export function introspectionCurrentTruth(deps: Deps) {
  return async function reportCurrentTruth(ctx: KoaContextWithOIDC, next: () => Promise<void>) {
    await next();
    if (ctx.oidc?.route !== 'introspection') return;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (!body?.active) return;
    const { AccessToken, RefreshToken, ClientCredentials } = ctx.oidc.entities as Record<
      string,
      TokenLike | undefined
    >;
    const userToken = AccessToken ?? RefreshToken;
    if (userToken?.accountId) {
      const issuedAt = chainIssuedAt(userToken);
      const claims = await currentOrgClaims(deps, userToken.accountId, userToken.scope, issuedAt);
      const email = claims && (await currentEmailClaims(deps, userToken.accountId, userToken.scope));
      ctx.body = claims ? { ...body, ...claims, ...email } : { active: false };
      return;
    }
    if (ClientCredentials?.clientId) {
      const client = await ctx.oidc.provider.Client.find(ClientCredentials.clientId);
      const tenantId = client?.canopy_tenant_id as string | undefined;
      if (!client || !tenantId) {
        ctx.body = { active: false };
        return;
      }
      const index = await deps.directory.forTenant(tenantId);
      const orgId = client.canopy_org_id as string | undefined;
      const environmentId = client.canopy_environment_id as string | undefined;
      if ((orgId && !index.node(orgId)) || (environmentId && index.environmentOrg(environmentId) !== orgId)) {
        ctx.body = { active: false }; // its business group was deleted, and its credentials with it
        return;
      }
      ctx.body = {
        ...body,
        org_id: tenantId,
        org_domain: index.settings.domain,
        ...(client.canopy_org_id ? { org: client.canopy_org_id } : {}),
        ...(client.canopy_environment_id ? { environment: client.canopy_environment_id } : {}),
      };
    }
  };
}

// --- Usage analytics (ANL-1) ---------------------------------------------------------------------

type UsageSink = { record(event: UsageEvent): void };
type ClientLike = { clientId: string; [key: string]: unknown };

/**
 * Whose usage a client's tokens are (ANL-1): org and environment credentials count for their node
 * and environment; apps for their master org and their client ID; the console (no tenant of its
 * own) for the signed-in user's master org.
 */
export function usageOwner(
  client: ClientLike,
  accountTenantId?: string,
): Omit<UsageEvent, 'metric'> | undefined {
  const own = client.canopy_tenant_id;
  const tenantId = typeof own === 'string' ? own : accountTenantId;
  if (!tenantId) return undefined;
  if (client.canopy_kind === 'credentials') {
    const orgId = typeof client.canopy_org_id === 'string' ? client.canopy_org_id : tenantId;
    const environmentId = client.canopy_environment_id;
    return { tenantId, orgId, environmentId: typeof environmentId === 'string' ? environmentId : null };
  }
  return { tenantId, orgId: tenantId, clientId: client.clientId };
}

/**
 * Counts every introspection answered (ANL-1): for an active token, as usage of the token's client;
 * otherwise of the caller's (a token of another tenant counts nowhere but the caller's own). Only
 * in memory; counting never changes or fails the answer.
 */
export function introspectionUsage(deps: { usage: UsageSink; users: Pick<UserService, 'tenantOf'> }) {
  return async function countIntrospection(ctx: KoaContextWithOIDC, next: () => Promise<void>) {
    await next();
    if (ctx.oidc?.route !== 'introspection' || ctx.status !== 200 || !ctx.oidc.client) return;
    try {
      const { AccessToken, RefreshToken, ClientCredentials } = ctx.oidc.entities as Record<
        string,
        TokenLike | undefined
      >;
      const token = AccessToken ?? RefreshToken ?? ClientCredentials;
      const active = (ctx.body as { active?: unknown } | undefined)?.active === true;
      let client: ClientLike | undefined = ctx.oidc.client as unknown as ClientLike;
      if (active && token?.clientId && token.clientId !== client.clientId) {
        client = (await ctx.oidc.provider.Client.find(token.clientId)) as unknown as ClientLike | undefined;
      }
      if (!client) return;
      const accountTenant =
        active && token?.accountId && typeof client.canopy_tenant_id !== 'string'
          ? await deps.users.tenantOf(token.accountId)
          : undefined;
      const owner = usageOwner(client, accountTenant);
      if (owner) deps.usage.record({ ...owner, metric: 'introspection' });
    } catch {
      // Analytics are best effort: the introspection answer stands.
    }
  };
}

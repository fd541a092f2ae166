import type { Account, AccountClaims, FindAccount, KoaContextWithOIDC } from 'oidc-provider';
import type { TenantDirectory } from '../modules/roles/index.ts';
import type { UserService } from '../modules/users/index.ts';
import { nodeScopeOf, orgClaims } from './claims.ts';

type AccountDeps = { users: Pick<UserService, 'tenantOf' | 'profileOf'>; directory: TenantDirectory };

/**
 * ACC-1: when a token's chain began. A refresh token is judged by its chain's first issue (`iiat`,
 * carried across rotations): a node that rotated a pre-reset token in the moment before it learned
 * of the reset gave the new one a later `iat`, but the same `iiat`, so it dies with its chain.
 */
export const chainIssuedAt = (token: { iat?: number; iiat?: number }): number | undefined =>
  token.iiat ?? token.iat;

/**
 * `findAccount`: an active user, found by id (the `sub`). A disabled or deleted user is not found,
 * so userinfo, refresh and code redemption fail for them at once (USR-3); nor is the user of a
 * token (the third argument) issued before their last password reset (ACC-1).
 */
export function createFindAccount(deps: AccountDeps): FindAccount {
  return async function findAccount(
    _ctx: KoaContextWithOIDC,
    sub: string,
    token?: { iat?: number; iiat?: number },
  ): Promise<Account | undefined> {
    const tenantId = await deps.users.tenantOf(sub);
    if (!tenantId) return undefined;
    const index = await deps.directory.forTenant(tenantId);
    if (!index.isActive(sub)) return undefined;
    if (token && !index.acceptsTokenIssuedAt(sub, chainIssuedAt(token))) return undefined;
    return {
      accountId: sub,
      async claims(_use, scope) {
        const scopes = new Set(scope.split(' '));
        const claims: AccountClaims = { sub, ...orgClaims(index, sub, nodeScopeOf(scope)) };
        if (scopes.has('profile') || scopes.has('email')) {
          const user = await deps.users.profileOf(tenantId, sub);
          if (user && scopes.has('profile'))
            Object.assign(claims, { name: user.name, preferred_username: user.username });
          // ACC-3: verified only once its link was followed (or an invitation or provider proved it).
          if (user && scopes.has('email'))
            Object.assign(claims, { email: user.email, email_verified: user.emailVerified });
        }
        return claims;
      },
    };
  };
}

/**
 * The current org claims of a user, or undefined when they are no longer active (introspection,
 * ROLE-6) or the token (its chain issued at `issuedAt`, epoch seconds: see chainIssuedAt) predates
 * their last password reset (ACC-1).
 */
export async function currentOrgClaims(
  deps: AccountDeps,
  userId: string,
  scope: string | undefined,
  issuedAt: number | undefined,
) {
  const tenantId = await deps.users.tenantOf(userId);
  if (!tenantId) return undefined;
  const index = await deps.directory.forTenant(tenantId);
  const live = index.isActive(userId) && index.acceptsTokenIssuedAt(userId, issuedAt);
  return live ? orgClaims(index, userId, nodeScopeOf(scope)) : undefined;
}

/** ACC-3: with the `email` scope, introspection reports the address and whether it is verified, as now. */
export async function currentEmailClaims(deps: AccountDeps, userId: string, scope: string | undefined) {
  if (!scope?.split(' ').includes('email')) return {};
  const tenantId = await deps.users.tenantOf(userId);
  const user = tenantId ? await deps.users.profileOf(tenantId, userId) : undefined;
  return user ? { email: user.email, email_verified: user.emailVerified } : {};
}

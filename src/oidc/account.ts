import type { Account, AccountClaims, FindAccount, KoaContextWithOIDC } from 'oidc-provider';
import type { TenantDirectory } from '../modules/roles/index.ts';
import type { UserService } from '../modules/users/index.ts';
import { nodeScopeOf, orgClaims } from './claims.ts';

type AccountDeps = { users: Pick<UserService, 'tenantOf' | 'profileOf'>; directory: TenantDirectory };

/**
 * `findAccount`: an active user, found by id (the `sub`). A disabled or deleted user is not found,
 * so userinfo, refresh and code redemption fail for them at once (USR-3).
 */
export function createFindAccount(deps: AccountDeps): FindAccount {
  return async function findAccount(_ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
    const tenantId = await deps.users.tenantOf(sub);
    if (!tenantId) return undefined;
    const index = await deps.directory.forTenant(tenantId);
    if (!index.isActive(sub)) return undefined;
    return {
      accountId: sub,
      async claims(_use, scope) {
        const scopes = new Set(scope.split(' '));
        const claims: AccountClaims = { sub, ...orgClaims(index, sub, nodeScopeOf(scope)) };
        if (scopes.has('profile') || scopes.has('email')) {
          const user = await deps.users.profileOf(tenantId, sub);
          if (user && scopes.has('profile'))
            Object.assign(claims, { name: user.name, preferred_username: user.username });
          if (user && scopes.has('email')) claims.email = user.email;
        }
        return claims;
      },
    };
  };
}

/** The current org claims of a user, or undefined when they are no longer active (introspection, ROLE-6). */
export async function currentOrgClaims(deps: AccountDeps, userId: string, scope: string | undefined) {
  const tenantId = await deps.users.tenantOf(userId);
  if (!tenantId) return undefined;
  const index = await deps.directory.forTenant(tenantId);
  return index.isActive(userId) ? orgClaims(index, userId, nodeScopeOf(scope)) : undefined;
}

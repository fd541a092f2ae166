import type { AppGrantOf, RequestContext } from '../../platform/context.ts';
import { AppError, assertId, assertThat } from '../../platform/errors/index.ts';
import type { Authorizer } from './authorizer/authorizer.ts';
import type { TenantIndex } from './authorizer/tenant-index.ts';
import { isPermission, maskOf as maskOfPermissions, type Permission } from './permissions.ts';

/**
 * The one permission check services call. Answers from the in-memory index. Callers outside the
 * tenant learn nothing (404); callers inside it learn which permission they lack (403).
 */
export function createAccess(authz: Authorizer) {
  /** Loads the index and makes sure the actor may act in this tenant at all. */
  async function tenantIndexFor(ctx: RequestContext, tenantId: string): Promise<TenantIndex> {
    const { actor } = ctx;
    if (actor.kind === 'anonymous') throw new AppError('auth.unauthenticated');
    if (actor.kind !== 'operator' && actor.tenantId !== tenantId)
      throw new AppError('organization.not_found');
    assertId(tenantId, 'organization.not_found');
    const index = await authz.forTenant(tenantId);
    if (actor.kind === 'user' && !index.isActive(actor.userId)) throw new AppError('auth.unauthenticated');
    return index;
  }

  async function require(
    ctx: RequestContext,
    tenantId: string,
    permission: Permission,
    orgId: string,
    environmentId?: string,
  ): Promise<TenantIndex> {
    const index = await tenantIndexFor(ctx, tenantId);
    assertThat(index.node(orgId), 'organization.not_found');
    if (environmentId !== undefined)
      assertThat(index.environmentOrg(environmentId) === orgId, 'environment.not_found');
    const { actor } = ctx;
    if (actor.kind === 'operator') return index;
    const allowed =
      actor.kind === 'user'
        ? index.can(actor.userId, permission, orgId, environmentId)
        : actor.kind === 'app' && appMayAct(index, actor.grants, permission, orgId);
    if (!allowed) {
      throw new AppError(
        'auth.permission_denied',
        { permission, organizationId: orgId, ...(environmentId ? { environmentId } : {}) },
        {
          message: `Missing permission ${permission} on this ${environmentId ? 'environment' : 'organization'}`,
        },
      );
    }
    return index;
  }

  /** Any role on the node will do (ORG-9, ORG-10: seeing a node's details needs a role there, not above or beside it). */
  async function requireMember(ctx: RequestContext, tenantId: string, orgId: string): Promise<TenantIndex> {
    const index = await tenantIndexFor(ctx, tenantId);
    assertThat(index.node(orgId), 'organization.not_found');
    const { actor } = ctx;
    const member =
      actor.kind === 'operator' ||
      (actor.kind === 'user' && index.holdsAnyRole(actor.userId, orgId)) ||
      (actor.kind === 'app' && actor.grants.some((g) => index.isSelfOrAncestor(g.organizationId, orgId)));
    if (!member) {
      throw new AppError(
        'auth.permission_denied',
        { organizationId: orgId },
        { message: 'You hold no role on this organization' },
      );
    }
    return index;
  }

  /** A service app's grants apply to their node and every node below it (APP-1). */
  function appMayAct(
    index: TenantIndex,
    grants: readonly AppGrantOf[],
    permission: Permission,
    orgId: string,
  ) {
    return grants.some(
      (g) => g.permissions.includes(permission) && index.isSelfOrAncestor(g.organizationId, orgId),
    );
  }

  /** The acting user's permission mask on a node (operators hold everything). */
  function maskOf(
    ctx: RequestContext,
    index: TenantIndex,
    orgId: string,
    environmentId?: string,
  ): number | 'all' {
    const { actor } = ctx;
    if (actor.kind === 'operator') return 'all';
    if (actor.kind === 'user') return index.mask(actor.userId, orgId, environmentId);
    if (actor.kind !== 'app') return 0;
    const covering = actor.grants.filter((g) => index.isSelfOrAncestor(g.organizationId, orgId));
    return maskOfPermissions(covering.flatMap((g) => g.permissions.filter(isPermission)));
  }

  return { tenantIndexFor, require, requireMember, maskOf };
}

export type Access = ReturnType<typeof createAccess>;

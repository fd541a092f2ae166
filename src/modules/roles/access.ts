import type { AppGrantOf, RequestContext } from '../../platform/context.ts';
import { AppError, assertId, assertThat } from '../../platform/errors/index.ts';
import type { TenantDirectory } from './directory/tenant-directory.ts';
import type { Conferral, TenantIndex } from './directory/tenant-index.ts';
import {
  ALL_MASK,
  isPermission,
  maskOf as maskOfPermissions,
  type Permission,
  permissionsOf,
} from './permissions.ts';

/** Permissions the actor would hand out without holding them, on one node (or environment). */
export interface MissingPermissions {
  organizationId: string;
  environmentId?: string;
  missingPermissions: Permission[];
}

/**
 * The one permission check services call. Answers from the in-memory index. Callers outside the
 * tenant learn nothing (404); callers inside it learn which permission they lack (403).
 */
export function createAccess(directory: TenantDirectory) {
  /** Loads the index and makes sure the actor may act in this tenant at all. */
  async function tenantIndexFor(ctx: RequestContext, tenantId: string): Promise<TenantIndex> {
    const { actor } = ctx;
    if (actor.kind === 'anonymous') throw new AppError('auth.unauthenticated');
    if (actor.kind !== 'operator' && actor.tenantId !== tenantId)
      throw new AppError('organization.not_found');
    assertId(tenantId, 'organization.not_found');
    const index = await directory.forTenant(tenantId);
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

  /**
   * What the actor holds where a conferral lands. An inheriting one reaches every node below, so
   * only the actor's inheriting grants count; a service app's grants always reach every descendant.
   */
  function heldFor(ctx: RequestContext, index: TenantIndex, at: Omit<Conferral, 'mask'>): number {
    const { actor } = ctx;
    if (actor.kind === 'user') {
      return at.inherit
        ? index.inheritableMask(actor.userId, at.organizationId)
        : index.mask(actor.userId, at.organizationId, at.environmentId ?? undefined);
    }
    const mask = maskOf(ctx, index, at.organizationId);
    return mask === 'all' ? ALL_MASK : mask;
  }

  /**
   * ROLE-5, the one "nobody hands out what they do not hold" rule: the permissions among
   * `conferrals` the actor lacks where they land, by node and environment; empty when none.
   * Conferrals on nodes or environments that no longer exist reach nothing and are skipped.
   */
  function missing(
    ctx: RequestContext,
    index: TenantIndex,
    conferrals: Iterable<Conferral>,
  ): MissingPermissions[] {
    // One look per distinct place, however many grants or users land there.
    const places = new Map<string, Conferral>();
    for (const c of conferrals) {
      if (!index.node(c.organizationId)) continue;
      if (c.environmentId !== null && index.environmentOrg(c.environmentId) !== c.organizationId) continue;
      const key = `${c.organizationId} ${c.environmentId} ${c.inherit}`;
      const seen = places.get(key);
      if (seen) seen.mask |= c.mask;
      else places.set(key, { ...c });
    }
    const lacking = new Map<string, { organizationId: string; environmentId: string | null; mask: number }>();
    for (const c of places.values()) {
      const mask = c.mask & ~heldFor(ctx, index, c);
      if (mask === 0) continue;
      const key = `${c.organizationId} ${c.environmentId}`;
      const seen = lacking.get(key);
      if (seen) seen.mask |= mask;
      else lacking.set(key, { organizationId: c.organizationId, environmentId: c.environmentId, mask });
    }
    return [...lacking.values()].map(({ organizationId, environmentId, mask }) => ({
      organizationId,
      ...(environmentId === null ? {} : { environmentId }),
      missingPermissions: permissionsOf(mask),
    }));
  }

  return { tenantIndexFor, require, requireMember, maskOf, missing };
}

export type Access = ReturnType<typeof createAccess>;

import type { RequestContext } from '../../platform/context.ts';
import { AppError, assertThat } from '../../platform/errors/index.ts';
import { ALL_MASK, maskOf, permissionsOf, type TenantIndex } from '../roles/index.ts';
import type { AppGrant } from './app.schema.ts';

/**
 * What the actor holds on a node and on every node below it: a grant applies to its node and all
 * its descendants, so that is what a grant there may carry (as for an inheriting role assignment).
 */
function heldThroughout(ctx: RequestContext, index: TenantIndex, orgId: string): number {
  const { actor } = ctx;
  if (actor.kind === 'operator') return ALL_MASK;
  return actor.kind === 'user' ? index.inheritableMask(actor.userId, orgId) : 0;
}

/**
 * The grants whose node still exists. Grants are stored with the app, so deleting a business group
 * (ORG-8) leaves its grants behind; they name nothing and are dropped wherever the app is read.
 */
export function liveGrants(index: TenantIndex, grants: readonly AppGrant[]): AppGrant[] {
  return grants.filter((g) => index.node(g.organizationId) !== undefined);
}

/**
 * Every grant names a node of this tenant (another tenant's node is simply not found), and every
 * permission added beyond `previous` is held by the actor there and below: no privilege
 * escalation through an app (ROLE-5). Taking permissions away needs nothing beyond `apps.manage`.
 */
export function checkGrants(
  ctx: RequestContext,
  index: TenantIndex,
  grants: readonly AppGrant[],
  previous: readonly AppGrant[] = [],
): void {
  const before = new Map(previous.map((g) => [g.organizationId, maskOf(g.permissions)]));
  grants.forEach((grant, i) => {
    const { organizationId } = grant;
    if (!index.node(organizationId)) {
      throw new AppError(
        'organization.not_found',
        { field: `grants.${i}.organizationId`, organizationId },
        { message: `grants.${i}.organizationId: no organization ${organizationId} in this tenant` },
      );
    }
    const added = maskOf(grant.permissions) & ~(before.get(organizationId) ?? 0);
    const missing = permissionsOf(added & ~heldThroughout(ctx, index, organizationId));
    assertThat(missing.length === 0, 'app.privilege_escalation', {
      field: `grants.${i}.permissions`,
      organizationId,
      missingPermissions: missing,
    });
  });
}

/** Whoever holds a service app's secret acts with all its grants: only someone holding them may take it. */
export function checkMayActAs(ctx: RequestContext, index: TenantIndex, grants: readonly AppGrant[]): void {
  checkGrants(ctx, index, liveGrants(index, grants));
}

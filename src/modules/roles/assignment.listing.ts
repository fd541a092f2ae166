import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/database.ts';
import { AppError, assertId, assertThat } from '../../platform/errors/index.ts';
import type { Access } from './access.ts';
import { createAssignmentRepository, userStatus } from './assignment.repository.ts';
import type { TenantIndex } from './directory/tenant-index.ts';
import { bitOf, type Permission } from './permissions.ts';
import type { RoleAssignment } from './role.schema.ts';

type Page = { limit: number; offset: number };
type AssignmentPage = { assignments: RoleAssignment[]; total: number };

/** Who sees which assignments (USR-4, ROLE-5): of a user, or on a node, whole or a page at a time. */
export function createAssignmentListing(deps: { db: Db; access: Access }) {
  const { db, access } = deps;
  const assignments = createAssignmentRepository(db);

  /** Does the actor hold `permission` on the node? */
  function holds(ctx: RequestContext, index: TenantIndex, permission: Permission, orgId: string): boolean {
    const mask = access.maskOf(ctx, index, orgId);
    return mask === 'all' || (mask & bitOf(permission)) !== 0;
  }

  /** Holds `roles.assign` somewhere in the tenant. */
  function assignsSomewhere(ctx: RequestContext, index: TenantIndex): boolean {
    const { actor } = ctx;
    if (actor.kind === 'user')
      return index.assignmentsOf(actor.userId).some((a) => holds(ctx, index, 'roles.assign', a.orgId));
    return actor.kind === 'app' && actor.grants.some((g) => g.permissions.includes('roles.assign'));
  }

  /**
   * A user's assignments: all of them for themselves and for holders of `users.manage` on the
   * master; those on nodes where the caller holds `roles.assign` for a caller holding it somewhere;
   * nobody else may look (USR-4), and is refused before learning whether the user exists.
   */
  async function listForUser(
    ctx: RequestContext,
    tenantId: string,
    userId: string,
  ): Promise<RoleAssignment[]> {
    const index = await access.tenantIndexFor(ctx, tenantId);
    const { actor } = ctx;
    const seesAll =
      (actor.kind === 'user' && actor.userId === userId) || holds(ctx, index, 'users.manage', tenantId);
    if (!seesAll && !assignsSomewhere(ctx, index)) {
      throw new AppError(
        'auth.permission_denied',
        { permission: 'users.manage', organizationId: tenantId },
        { message: "Missing permission users.manage (or roles.assign somewhere) to see a user's roles" },
      );
    }
    assertId(userId, 'user.not_found');
    const status = await userStatus(db, tenantId, userId);
    assertThat(status, 'user.not_found');
    const all = await assignments.listForUser(tenantId, userId);
    return seesAll ? all : all.filter((a) => holds(ctx, index, 'roles.assign', a.organizationId));
  }

  async function listForNode(
    ctx: RequestContext,
    tenantId: string,
    orgId: string,
  ): Promise<RoleAssignment[]> {
    await access.require(ctx, tenantId, 'roles.assign', orgId);
    return assignments.listForNode(tenantId, orgId);
  }

  /** `listForUser` a page at a time; `total` counts what the caller may see. */
  async function pageForUser(
    ctx: RequestContext,
    tenantId: string,
    userId: string,
    page: Page,
  ): Promise<AssignmentPage> {
    const visible = await listForUser(ctx, tenantId, userId);
    return { assignments: visible.slice(page.offset, page.offset + page.limit), total: visible.length };
  }

  /** `listForNode` a page at a time: a node may hold thousands of assignments. */
  async function pageForNode(
    ctx: RequestContext,
    tenantId: string,
    orgId: string,
    page: Page,
  ): Promise<AssignmentPage> {
    await access.require(ctx, tenantId, 'roles.assign', orgId);
    return assignments.pageForNode(tenantId, orgId, page);
  }

  return { listForUser, listForNode, pageForUser, pageForNode };
}

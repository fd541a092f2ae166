import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import { newId } from '../../platform/crypto/random.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { isUniqueViolation } from '../../platform/db/pg-errors.ts';
import { AppError, assertId, assertThat, parseInput } from '../../platform/errors/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access, MissingPermissions } from './access.ts';
import { createAssignmentRepository, userStatus } from './assignment.repository.ts';
import { createAssignmentRevocation } from './assignment.revocation.ts';
import { ORGANIZATION_ADMINISTRATORS } from './built-in-roles.ts';
import type { TenantDirectory } from './directory/tenant-directory.ts';
import type { TenantIndex } from './directory/tenant-index.ts';
import { bitOf, ENVIRONMENT_SCOPABLE_MASK, maskOf, type Permission } from './permissions.ts';
import { createRoleRepository } from './role.repository.ts';
import { assignmentInputSchema, type Role, type RoleAssignment } from './role.schema.ts';

interface Grant {
  userId: string;
  roleId: string;
  organizationId: string;
  environmentId: string | null;
  inherit: boolean;
  source?: string;
}

/** Role assignments (ROLE-3…ROLE-5) with the owner's protection (ORG-5). */
export function createAssignmentService(deps: {
  db: Db;
  clock: Clock;
  directory: TenantDirectory;
  access: Access;
  audit: AuditService;
}) {
  const { db, clock, directory, access, audit } = deps;
  const assignments = createAssignmentRepository(db);
  const roles = createRoleRepository(db);
  const revocation = createAssignmentRevocation({ audit });
  const { ownershipLostWithout, deleteInTx } = revocation;

  /** The permissions a grant hands out: environment grants carry only environment-scoped ones. */
  function grantedMask(role: Role, environmentId: string | null): number {
    const mask = maskOf(role.permissions);
    return environmentId ? mask & ENVIRONMENT_SCOPABLE_MASK : mask;
  }

  /** ROLE-5: `roles.assign` on the node, and every permission in play held there by the actor. */
  async function requireGrantor(
    ctx: RequestContext,
    tenantId: string,
    role: Role,
    grant: Grant,
  ): Promise<TenantIndex> {
    const index = await access.require(ctx, tenantId, 'roles.assign', grant.organizationId);
    const [lacking] = access.missing(ctx, index, [
      { ...grant, mask: grantedMask(role, grant.environmentId) },
    ]);
    assertThat(!lacking, 'role_assignment.privilege_escalation', {
      missingPermissions: lacking?.missingPermissions ?? [],
    });
    return index;
  }

  /**
   * SEC-4, ROLE-5 for whoever changes what signs people in: the permissions the actor lacks among
   * those these grants would hand out (a provider's group mappings) and those these users hold
   * (whoever can sign in as them holds them too). Reads roles in the caller's transaction; the
   * index is the caller's, loaded before it (the embedded database has one connection).
   */
  async function missingToConferInTx(
    tx: Tx,
    ctx: RequestContext,
    index: TenantIndex,
    conferred: {
      grants: readonly {
        roleId: string;
        organizationId: string;
        environmentId: string | null;
        inherit: boolean;
      }[];
      userIds: readonly string[];
    },
  ): Promise<MissingPermissions[]> {
    const roleById = new Map(
      conferred.grants.length === 0
        ? []
        : (await createRoleRepository(tx).list(index.tenantId)).map((r) => [r.id, r]),
    );
    const fromGrants = conferred.grants.flatMap((g) => {
      const role = roleById.get(g.roleId);
      return role ? [{ ...g, mask: grantedMask(role, g.environmentId) }] : [];
    });
    const fromUsers = conferred.userIds.flatMap((userId) => index.grantsOf(userId));
    return access.missing(ctx, index, [...fromGrants, ...fromUsers]);
  }

  /** Normalizes inherit/environment against the role: Organization Administrators always inherits. */
  function shapeGrant(role: Role, input: { environmentId?: string | null; inherit?: boolean }) {
    const environmentId = input.environmentId ?? null;
    const isAdministrators = role.id === ORGANIZATION_ADMINISTRATORS.id;
    if (environmentId) {
      assertThat(
        !isAdministrators && input.inherit !== true && grantedMask(role, environmentId) !== 0,
        'role_assignment.not_environment_scopable',
      );
    }
    return { environmentId, inherit: isAdministrators || (input.inherit ?? false) };
  }

  /**
   * ROLE-5 for a grant not made yet (an invitation's roles): the role exists in the tenant, the
   * grant is well-formed for it, and the actor may make it on that node. Returns the grant as it
   * would be made, without its user. Throws as `assign` would.
   */
  async function authorizeGrant(
    ctx: RequestContext,
    tenantId: string,
    input: { roleId: string; organizationId: string; environmentId?: string | null; inherit?: boolean },
  ): Promise<Omit<Grant, 'userId' | 'source'>> {
    const index = await access.tenantIndexFor(ctx, tenantId);
    assertId(input.roleId, 'role.not_found');
    const role = await roles.findById(tenantId, input.roleId);
    assertThat(role, 'role.not_found');
    const shaped = { roleId: role.id, organizationId: input.organizationId, ...shapeGrant(role, input) };
    if (shaped.environmentId) {
      assertThat(
        index.environmentOrg(shaped.environmentId) === shaped.organizationId,
        'environment.not_found',
      );
    }
    // The check reads the grant's node, environment and inheritance only: there is no user yet.
    await requireGrantor(ctx, tenantId, role, { ...shaped, userId: '' });
    return shaped;
  }

  /** Inserts a grant inside the caller's transaction, unchecked: sign-up and group creation use it. */
  async function grantInTx(tx: Tx, tenantId: string, grant: Grant): Promise<RoleAssignment> {
    try {
      return await createAssignmentRepository(tx).insert(tenantId, {
        id: newId(),
        ...grant,
        at: clock.now(),
      });
    } catch (err) {
      if (isUniqueViolation(err, 'role_assignments_unique')) throw new AppError('role_assignment.exists');
      throw err;
    }
  }

  async function assign(ctx: RequestContext, tenantId: string, input: unknown): Promise<RoleAssignment> {
    const valid = parseInput(assignmentInputSchema, input);
    const index = await access.tenantIndexFor(ctx, tenantId);
    const role = await roles.findById(tenantId, valid.roleId);
    assertThat(role, 'role.not_found');
    const grant: Grant = {
      userId: valid.userId,
      roleId: role.id,
      organizationId: valid.organizationId,
      ...shapeGrant(role, valid),
    };
    if (grant.environmentId) {
      assertThat(index.environmentOrg(grant.environmentId) === grant.organizationId, 'environment.not_found');
    }
    await requireGrantor(ctx, tenantId, role, grant);
    return directory.change(tenantId, { users: [grant.userId] }, async (tx) => {
      const status = await userStatus(tx, tenantId, grant.userId);
      assertThat(status, 'user.not_found');
      assertThat(status !== 'deleted', 'user.inactive');
      const created = await grantInTx(tx, tenantId, grant);
      await audit.record(tx, ctx, {
        tenantId,
        orgId: grant.organizationId,
        action: 'role_assignment.create',
        target: { type: 'role_assignment', id: created.id },
        after: created,
      });
      return created;
    });
  }

  async function remove(ctx: RequestContext, tenantId: string, assignmentId: string): Promise<void> {
    await access.tenantIndexFor(ctx, tenantId);
    assertId(assignmentId, 'role_assignment.not_found');
    const existing = await assignments.findById(tenantId, assignmentId);
    assertThat(existing, 'role_assignment.not_found');
    const role = await roles.findById(tenantId, existing.roleId);
    assertThat(role, 'role.not_found');
    await requireGrantor(ctx, tenantId, role, existing);
    await directory.change(tenantId, { users: [existing.userId] }, async (tx) => {
      const current = await createAssignmentRepository(tx).findById(tenantId, assignmentId);
      assertThat(current, 'role_assignment.not_found');
      const wouldLose = await ownershipLostWithout(tx, tenantId, current);
      assertThat(wouldLose.length === 0, 'organization.owner_protected', { ownedOrganizationIds: wouldLose });
      await deleteInTx(tx, ctx, tenantId, current);
    });
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
    const holds = (permission: Permission, orgId: string) => {
      const mask = access.maskOf(ctx, index, orgId);
      return mask === 'all' || (mask & bitOf(permission)) !== 0;
    };
    const seesAll = (actor.kind === 'user' && actor.userId === userId) || holds('users.manage', tenantId);
    if (!seesAll) {
      const assignsSomewhere =
        actor.kind === 'user'
          ? index.assignmentsOf(actor.userId).some((a) => holds('roles.assign', a.orgId))
          : actor.kind === 'app' && actor.grants.some((g) => g.permissions.includes('roles.assign'));
      if (!assignsSomewhere) {
        throw new AppError(
          'auth.permission_denied',
          { permission: 'users.manage', organizationId: tenantId },
          { message: "Missing permission users.manage (or roles.assign somewhere) to see a user's roles" },
        );
      }
    }
    assertId(userId, 'user.not_found');
    const status = await userStatus(db, tenantId, userId);
    assertThat(status, 'user.not_found');
    const all = await assignments.listForUser(tenantId, userId);
    return seesAll ? all : all.filter((a) => holds('roles.assign', a.organizationId));
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
    page: { limit: number; offset: number },
  ): Promise<{ assignments: RoleAssignment[]; total: number }> {
    const visible = await listForUser(ctx, tenantId, userId);
    return { assignments: visible.slice(page.offset, page.offset + page.limit), total: visible.length };
  }

  /** `listForNode` a page at a time: a node may hold thousands of assignments. */
  async function pageForNode(
    ctx: RequestContext,
    tenantId: string,
    orgId: string,
    page: { limit: number; offset: number },
  ): Promise<{ assignments: RoleAssignment[]; total: number }> {
    await access.require(ctx, tenantId, 'roles.assign', orgId);
    return assignments.pageForNode(tenantId, orgId, page);
  }

  /** Inside a transaction, unchecked (the sign-in flows): every assignment of a user. */
  function listForUserInTx(tx: Tx, tenantId: string, userId: string): Promise<RoleAssignment[]> {
    return createAssignmentRepository(tx).listForUser(tenantId, userId);
  }

  /** Inside a transaction: does the user hold Organization Administrators on the node? (ORG-4) */
  async function isAdministratorInTx(
    tx: Tx,
    tenantId: string,
    userId: string,
    orgId: string,
  ): Promise<boolean> {
    const held = await createAssignmentRepository(tx).administeredAmong(tenantId, userId, [orgId]);
    return held.has(orgId);
  }

  return {
    assign,
    remove,
    listForUser,
    listForNode,
    pageForUser,
    pageForNode,
    grantInTx,
    revokeSourceInTx: revocation.revokeSourceInTx,
    revokeUnlessProtectedInTx: revocation.revokeUnlessProtectedInTx,
    listForUserInTx,
    authorizeGrant,
    missingToConferInTx,
    isAdministratorInTx,
  };
}

export type AssignmentService = ReturnType<typeof createAssignmentService>;

import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { assertId, assertThat, parseInput } from '../../platform/errors/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access } from './access.ts';
import { createAssignmentGrant, type Grant } from './assignment.grant.ts';
import { createGrantor, shapeGrant } from './assignment.grantor.ts';
import { createAssignmentListing } from './assignment.listing.ts';
import { createAssignmentRepository, userStatus } from './assignment.repository.ts';
import { createAssignmentRevocation } from './assignment.revocation.ts';
import type { TenantDirectory } from './directory/tenant-directory.ts';
import { createRoleRepository } from './role.repository.ts';
import { assignmentInputSchema, type RoleAssignment } from './role.schema.ts';

/**
 * Role assignments (ROLE-3…ROLE-5) with the owner's protection (ORG-5): granting (one audited path,
 * assignment.grant.ts), who may grant what (assignment.grantor.ts), revoking
 * (assignment.revocation.ts) and who sees what (assignment.listing.ts).
 */
export function createAssignmentService(deps: {
  db: Db;
  clock: Clock;
  directory: TenantDirectory;
  access: Access;
  audit: AuditService;
}) {
  const { db, directory, access } = deps;
  const assignments = createAssignmentRepository(db);
  const roles = createRoleRepository(db);
  const { grantAndAuditInTx } = createAssignmentGrant(deps);
  const grantor = createGrantor(deps);
  const revocation = createAssignmentRevocation(deps);

  /** A grant is made to a user of the tenant who has not been deleted. */
  async function requireGrantee(tx: Tx, tenantId: string, userId: string): Promise<void> {
    const status = await userStatus(tx, tenantId, userId);
    assertThat(status, 'user.not_found');
    assertThat(status !== 'deleted', 'user.inactive');
  }

  /** ROLE-3: a role for a user on a node, made by whoever may grant it there (ROLE-5). */
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
    grantor.requireEnvironmentOnNode(index, grant);
    await grantor.requireGrantor(ctx, tenantId, role, grant);
    return directory.change(tenantId, { users: [grant.userId] }, async (tx) => {
      await requireGrantee(tx, tenantId, grant.userId);
      return grantAndAuditInTx(tx, ctx, tenantId, grant);
    });
  }

  /** Undoes an assignment, by whoever could have made it, unless an owner needs it (ORG-5). */
  async function remove(ctx: RequestContext, tenantId: string, assignmentId: string): Promise<void> {
    await access.tenantIndexFor(ctx, tenantId);
    assertId(assignmentId, 'role_assignment.not_found');
    const existing = await assignments.findById(tenantId, assignmentId);
    assertThat(existing, 'role_assignment.not_found');
    const role = await roles.findById(tenantId, existing.roleId);
    assertThat(role, 'role.not_found');
    await grantor.requireGrantor(ctx, tenantId, role, existing);
    await directory.change(tenantId, { users: [existing.userId] }, async (tx) => {
      const current = await createAssignmentRepository(tx).findById(tenantId, assignmentId);
      assertThat(current, 'role_assignment.not_found');
      const wouldLose = await revocation.ownershipLostWithout(tx, tenantId, current);
      assertThat(wouldLose.length === 0, 'organization.owner_protected', { ownedOrganizationIds: wouldLose });
      await revocation.deleteInTx(tx, ctx, tenantId, current);
    });
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
    ...createAssignmentListing(deps),
    grantAndAuditInTx,
    revokeSourceInTx: revocation.revokeSourceInTx,
    revokeUnlessProtectedInTx: revocation.revokeUnlessProtectedInTx,
    listForUserInTx,
    authorizeGrant: grantor.authorizeGrant,
    missingToConferInTx: grantor.missingToConferInTx,
    isAdministratorInTx,
  };
}

export type AssignmentService = ReturnType<typeof createAssignmentService>;

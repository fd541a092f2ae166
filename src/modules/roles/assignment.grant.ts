import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import { newId } from '../../platform/crypto/random.ts';
import type { Tx } from '../../platform/db/database.ts';
import { isUniqueViolation } from '../../platform/db/pg-errors.ts';
import { AppError } from '../../platform/errors/index.ts';
import type { AuditService, AuditTarget } from '../audit/index.ts';
import { createAssignmentRepository } from './assignment.repository.ts';
import type { RoleAssignment } from './role.schema.ts';

/** A role for a user on a node, or on one of its environments; `source` says what made it. */
export interface Grant {
  userId: string;
  roleId: string;
  organizationId: string;
  environmentId: string | null;
  inherit: boolean;
  source?: string;
}

/** An assignment as the audit log names it: on the node it was made on. */
export const assignmentTarget = (tenantId: string, a: RoleAssignment): AuditTarget => ({
  tenantId,
  orgId: a.organizationId,
  type: 'role_assignment',
  id: a.id,
});

/** Granting roles: the one path every grant takes, audited. */
export function createAssignmentGrant(deps: { clock: Clock; audit: Pick<AuditService, 'audited'> }) {
  const { audited } = deps.audit;

  /** The bare insert; only grantAndAuditInTx calls it, so no grant goes unaudited. */
  async function insertInTx(tx: Tx, tenantId: string, grant: Grant): Promise<RoleAssignment> {
    try {
      return await createAssignmentRepository(tx).insert(tenantId, {
        id: newId(),
        ...grant,
        at: deps.clock.now(),
      });
    } catch (err) {
      if (isUniqueViolation(err, 'role_assignments_unique')) throw new AppError('role_assignment.exists');
      throw err;
    }
  }

  /**
   * Grants a role and audits it (`role_assignment.create`, with `cause` saying what made it when a
   * sign-in did), in the caller's transaction: a directory change whose scope names the user, or the
   * one creating the tenant. It checks nothing: ROLE-5 is the caller's, made before (an assignment,
   * an invitation's grants at acceptance, a group mapping when it was made), or the grant is the
   * rule's (the founder at sign-up, the owner of a new business group, ORG-4).
   */
  async function grantAndAuditInTx(
    tx: Tx,
    ctx: RequestContext,
    tenantId: string,
    grant: Grant,
    cause?: object,
  ): Promise<RoleAssignment> {
    const created = await insertInTx(tx, tenantId, grant);
    const target = assignmentTarget(tenantId, created);
    await audited(tx, ctx, 'role_assignment.create', target, null, cause ? { ...created, cause } : created);
    return created;
  }

  return { grantAndAuditInTx };
}

import type { RequestContext } from '../../platform/context.ts';
import type { Tx } from '../../platform/db/database.ts';
import type { AuditService } from '../audit/index.ts';
import { assignmentTarget } from './assignment.grant.ts';
import { createAssignmentRepository, ownedNodeIds } from './assignment.repository.ts';
import { ORGANIZATION_ADMINISTRATORS } from './built-in-roles.ts';
import type { RoleAssignment } from './role.schema.ts';

/**
 * Removing assignments inside a caller's directory change, each audited, with the owner's
 * protection (ORG-5): an assignment without which an owner would no longer hold Organization
 * Administrators on a node they own is never removed.
 */
export function createAssignmentRevocation(deps: { audit: Pick<AuditService, 'audited'> }) {
  const { audited } = deps.audit;

  /** The nodes whose owner would no longer hold Organization Administrators without `a`. */
  async function ownershipLostWithout(tx: Tx, tenantId: string, a: RoleAssignment): Promise<string[]> {
    if (a.roleId !== ORGANIZATION_ADMINISTRATORS.id) return [];
    const owned = await ownedNodeIds(tx, tenantId, a.userId);
    const stillAdmin = await createAssignmentRepository(tx).administeredAmong(
      tenantId,
      a.userId,
      owned,
      a.id,
    );
    return owned.filter((id) => !stillAdmin.has(id));
  }

  async function deleteInTx(tx: Tx, ctx: RequestContext, tenantId: string, a: RoleAssignment) {
    await createAssignmentRepository(tx).delete(tenantId, a.id);
    await audited(tx, ctx, 'role_assignment.delete', assignmentTarget(tenantId, a), a);
  }

  /** Removes one assignment, unless an owner needs it: then it stays and the answer is false (FED-4). */
  async function revokeUnlessProtectedInTx(
    tx: Tx,
    ctx: RequestContext,
    tenantId: string,
    a: RoleAssignment,
  ): Promise<boolean> {
    if ((await ownershipLostWithout(tx, tenantId, a)).length > 0) return false;
    await deleteInTx(tx, ctx, tenantId, a);
    return true;
  }

  /**
   * The source is going away (an identity provider deleted, with its group mappings): removes every
   * assignment it granted but those an owner needs, which stay as `manual` (REL-6: nothing keeps
   * naming a deleted provider), each change audited; returns what stayed, as it was before.
   */
  async function revokeSourceInTx(
    tx: Tx,
    ctx: RequestContext,
    tenantId: string,
    source: string,
  ): Promise<RoleAssignment[]> {
    const repo = createAssignmentRepository(tx);
    const kept: RoleAssignment[] = [];
    for (const a of await repo.listBySource(tenantId, source)) {
      if (await revokeUnlessProtectedInTx(tx, ctx, tenantId, a)) continue;
      kept.push(a);
      await repo.setSource(tenantId, a.id, 'manual');
      const after = { ...a, source: 'manual', reason: 'owner_protected', cause: { sourceRemoved: source } };
      await audited(tx, ctx, 'role_assignment.update', assignmentTarget(tenantId, a), a, after);
    }
    return kept;
  }

  return { ownershipLostWithout, deleteInTx, revokeUnlessProtectedInTx, revokeSourceInTx };
}

import type { RequestContext } from '../../platform/context.ts';
import type { Tx } from '../../platform/db/database.ts';
import type { AuditService } from '../audit/index.ts';
import { createAppRepository } from './app.repository.ts';

/**
 * REL-6: inside the transaction that deletes business groups, takes them out of every service
 * app's grants (the only references to a node not held by a foreign key), each app's change
 * audited. Reads already leave out grants on deleted nodes (liveGrants); this keeps the stored
 * JSON from naming them forever. Answers the client IDs of the apps changed: the caller tells every
 * node to drop its cached clients after the commit.
 */
export async function dropGrantsOnNodesInTx(
  tx: Tx,
  audit: Pick<AuditService, 'audited'>,
  ctx: RequestContext,
  tenantId: string,
  orgIds: readonly string[],
  at: Date,
): Promise<string[]> {
  if (orgIds.length === 0) return [];
  const gone = [...new Set(orgIds.map((id) => id.toLowerCase()))];
  const apps = createAppRepository(tx);
  const rows = await apps.lockServiceAppsGrantingOn(tenantId, gone);
  for (const row of rows) {
    const grants = row.grants.filter((g) => !gone.includes(g.organizationId.toLowerCase()));
    await apps.setGrants(tenantId, row.id, grants, at);
    const before = { name: row.name, grants: row.grants };
    const after = { name: row.name, grants, cause: { deletedOrganizations: gone } };
    await audit.audited(tx, ctx, 'app.update', { tenantId, type: 'app', id: row.id }, before, after);
  }
  return rows.map((r) => r.clientId);
}

import type { RequestContext } from '../../platform/context.ts';
import type { Tx } from '../../platform/db/database.ts';
import type { AuditService } from '../audit/index.ts';
import type { AppGrant } from './app.schema.ts';

/**
 * REL-6: inside the transaction that deletes business groups, takes them out of every service
 * app's grants (the only references to a node not held by a foreign key), each app's change
 * audited. Reads already leave out grants on deleted nodes (liveGrants); this keeps the stored
 * JSON from naming them forever. Answers the client IDs of the apps changed: the caller tells every
 * node to drop its cached clients after the commit.
 */
export async function dropGrantsOnNodesInTx(
  tx: Tx,
  audit: Pick<AuditService, 'record'>,
  ctx: RequestContext,
  tenantId: string,
  orgIds: readonly string[],
  at: Date,
): Promise<string[]> {
  if (orgIds.length === 0) return [];
  const gone = [...new Set(orgIds.map((id) => id.toLowerCase()))];
  const rows = (await tx('apps')
    .where({ tenant_id: tenantId, kind: 'service' })
    .whereRaw(
      `exists (select 1 from jsonb_array_elements(grants) as g
                where lower(g->>'organizationId') = any(cast(? as text[])))`,
      [gone],
    )
    .orderBy('id')
    .forUpdate()
    .select('id', 'client_id', 'name', 'grants')) as Array<{
    id: string;
    client_id: string;
    name: string;
    grants: AppGrant[];
  }>;
  for (const row of rows) {
    const grants = row.grants.filter((g) => !gone.includes(g.organizationId.toLowerCase()));
    await tx('apps')
      .where({ tenant_id: tenantId, id: row.id })
      .update({ grants: JSON.stringify(grants), updated_at: at });
    await audit.record(tx, ctx, {
      tenantId,
      orgId: tenantId,
      action: 'app.update',
      target: { type: 'app', id: row.id },
      before: { name: row.name, grants: row.grants },
      after: { name: row.name, grants, cause: { deletedOrganizations: gone } },
    });
  }
  return rows.map((r) => r.client_id);
}

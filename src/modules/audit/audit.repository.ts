import type { Db, Tx } from '../../platform/db/database.ts';

export interface AuditRow {
  id: number;
  tenantId: string | null;
  orgId: string | null;
  occurredAt: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: 'success' | 'failure';
  before: unknown;
  after: unknown;
  requestId: string | null;
}

export type NewAuditRow = Omit<AuditRow, 'id'>;

export interface AuditQuery {
  orgIds?: readonly string[];
  action?: string;
  actorId?: string;
  from?: Date;
  to?: Date;
  /** Entries older than this id (keyset paging, newest first). */
  beforeId?: number;
  limit: number;
}

export function createAuditRepository(db: Db | Tx) {
  return {
    async insert(tenantId: string | null, row: Omit<NewAuditRow, 'tenantId'>): Promise<void> {
      await db('audit_log').insert({
        tenant_id: tenantId,
        org_id: row.orgId,
        occurred_at: row.occurredAt,
        actor_type: row.actorType,
        actor_id: row.actorId,
        action: row.action,
        target_type: row.targetType,
        target_id: row.targetId,
        outcome: row.outcome,
        before: row.before === undefined ? null : JSON.stringify(row.before),
        after: row.after === undefined ? null : JSON.stringify(row.after),
        request_id: row.requestId,
      });
    },

    async list(tenantId: string, query: AuditQuery): Promise<AuditRow[]> {
      const q = db('audit_log').where({ tenant_id: tenantId });
      // One array parameter however large the subtree (an IN list would bind one parameter per node).
      if (query.orgIds) q.whereRaw('org_id = any(?::uuid[])', [query.orgIds as string[]]);
      if (query.action) q.where({ action: query.action });
      if (query.actorId) q.where({ actor_id: query.actorId });
      if (query.from) q.where('occurred_at', '>=', query.from);
      if (query.to) q.where('occurred_at', '<', query.to);
      if (query.beforeId !== undefined) q.where('id', '<', query.beforeId);
      const rows = await q.orderBy('id', 'desc').limit(query.limit).select('*');
      return rows.map((r) => ({
        id: Number(r.id),
        tenantId: r.tenant_id,
        orgId: r.org_id,
        occurredAt: r.occurred_at,
        actorType: r.actor_type,
        actorId: r.actor_id,
        action: r.action,
        targetType: r.target_type,
        targetId: r.target_id,
        outcome: r.outcome,
        before: r.before,
        after: r.after,
        requestId: r.request_id,
      }));
    },
  };
}

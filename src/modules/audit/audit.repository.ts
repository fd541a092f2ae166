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

/**
 * The database itself, never a transaction: what the retention sweep runs on. A transaction
 * (`Tx`) has `isCompleted`, so it does not fit this type.
 */
export type RootDb = Db & { readonly isCompleted?: never };

/**
 * SEC-12, REL-6: the retention sweep, the one path the append-only triggers let a DELETE take:
 * the entries recorded (by the database's clock) before `before`. Installation-wide (retention is
 * not a tenant's choice). It runs in a transaction of its own, never inside a caller's: there its
 * setting would live until the caller's transaction ends and open every later DELETE of it to the
 * same path. The setting is cleared right after the delete all the same. The database refuses a
 * cut-off less than a day old.
 */
export async function sweepOlderThan(db: RootDb, before: Date, batchSize = 10_000): Promise<number> {
  if (db.isTransaction || 'isCompleted' in db) {
    throw new Error('the audit sweep runs in a transaction of its own, never inside another');
  }
  // REL-6: `batchSize` entries per transaction, so a first sweep of years of entries holds no long lock.
  let total = 0;
  for (;;) {
    const deleted = await db.transaction(async (tx): Promise<number> => {
      await tx.raw(`select set_config('canopy.audit_sweep_before', ?, true)`, [before.toISOString()]);
      const due = tx('audit_log').select('id').where('recorded_at', '<', before).limit(batchSize);
      const n = await tx('audit_log').whereIn('id', due).del();
      await tx.raw(`select set_config('canopy.audit_sweep_before', '', true)`);
      return n;
    });
    total += deleted;
    if (deleted < batchSize) return total;
  }
}

/**
 * REL-6: the retention sweep for entries kept `days` days (at least one): the cut-off is taken from
 * the database's clock, the one `recorded_at` and the triggers use, whatever this node's clock says.
 */
export async function sweepRetainedDays(db: RootDb, days: number): Promise<number> {
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError('audit retention is a whole number of days, 1 or more');
  const { rows } = await db.raw('select now() - make_interval(days => ?) as cutoff', [days]);
  return sweepOlderThan(db, new Date(rows[0].cutoff));
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

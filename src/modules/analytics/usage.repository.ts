import type { Db } from '../../platform/db/database.ts';
import type { UsageCount } from './usage.schema.ts';

/** Counter rows per statement: 7 parameters each, far below PostgreSQL's limit of 65,535. */
const ROWS_PER_STATEMENT = 1_000;

export interface DailyQuery {
  /** Inclusive UTC days, YYYY-MM-DD. */
  from: string;
  to: string;
  /** Only these nodes; every node of the tenant when absent. */
  orgIds?: readonly string[];
  environmentId?: string;
}

/** One day × node × environment × app, with its four counters. */
export interface DailyUsageRow {
  day: string;
  orgId: string;
  environmentId: string | null;
  clientId: string | null;
  signInSuccess: number;
  signInFailure: number;
  tokenIssued: number;
  introspection: number;
}

export function createUsageRepository(db: Db) {
  function dailyQuery(tenantId: string, query: DailyQuery) {
    const q = db('usage_daily')
      .where({ tenant_id: tenantId })
      .where('day', '>=', query.from)
      .where('day', '<=', query.to);
    if (query.orgIds) q.whereRaw('org_id = any(?::uuid[])', [query.orgIds as string[]]);
    if (query.environmentId) q.where({ environment_id: query.environmentId });
    return q
      .select(
        db.raw(`to_char(day, 'YYYY-MM-DD') as day`),
        'org_id',
        'environment_id',
        'client_id',
        db.raw(
          `coalesce(sum(count) filter (where metric = 'sign_in_success'), 0)::bigint as sign_in_success`,
        ),
        db.raw(
          `coalesce(sum(count) filter (where metric = 'sign_in_failure'), 0)::bigint as sign_in_failure`,
        ),
        db.raw(`coalesce(sum(count) filter (where metric = 'token_issued'), 0)::bigint as token_issued`),
        db.raw(`coalesce(sum(count) filter (where metric = 'introspection'), 0)::bigint as introspection`),
      )
      .groupBy('usage_daily.day', 'org_id', 'environment_id', 'client_id')
      .orderByRaw('usage_daily.day, org_id, environment_id nulls first, client_id nulls first');
  }

  return {
    /**
     * Adds a batch of counts: one upsert per 1,000 rows, rows in key order so that nodes flushing
     * the same counters at once lock them in the same order (no deadlock).
     */
    async add(counts: readonly UsageCount[]): Promise<void> {
      const rows = [...counts].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        await db('usage_daily')
          .insert(
            rows.slice(i, i + ROWS_PER_STATEMENT).map((r) => ({
              tenant_id: r.tenantId,
              org_id: r.orgId,
              environment_id: r.environmentId,
              client_id: r.clientId,
              day: r.day,
              metric: r.metric,
              count: r.count,
            })),
          )
          .onConflict(['tenant_id', 'day', 'org_id', 'environment_id', 'client_id', 'metric'])
          .merge({ count: db.raw('usage_daily.count + excluded.count') });
      }
    },

    /** ANL-1: one grouped read over the (tenant_id, day, …) key. */
    async daily(tenantId: string, query: DailyQuery): Promise<DailyUsageRow[]> {
      const rows = await dailyQuery(tenantId, query);
      return rows.map((r: Record<string, unknown>) => ({
        day: r.day as string,
        orgId: r.org_id as string,
        environmentId: (r.environment_id as string | null) ?? null,
        clientId: (r.client_id as string | null) ?? null,
        signInSuccess: Number(r.sign_in_success),
        signInFailure: Number(r.sign_in_failure),
        tokenIssued: Number(r.token_issued),
        introspection: Number(r.introspection),
      }));
    },

    /** The statement `daily` runs (tests read its plan). */
    dailySql: (tenantId: string, query: DailyQuery) => dailyQuery(tenantId, query).toSQL(),

    /**
     * Housekeeping, across every tenant: deletes up to `limit` rows of days before `cutoffDay`.
     * The table has no key of its own to batch by, so rows are picked by `ctid`.
     */
    async deleteDaysBefore(cutoffDay: string, limit: number): Promise<number> {
      return db('usage_daily')
        .whereRaw('ctid = any(array(select ctid from usage_daily where day < cast(? as date) limit ?))', [
          cutoffDay,
          limit,
        ])
        .del();
    },
  };
}

export type UsageRepository = ReturnType<typeof createUsageRepository>;

function keyOf(r: UsageCount): string[] {
  return [r.tenantId, r.day, r.orgId, r.environmentId ?? '', r.clientId ?? '', r.metric];
}

function compareKeys(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! !== b[i]!) return a[i]! < b[i]! ? -1 : 1;
  }
  return 0;
}

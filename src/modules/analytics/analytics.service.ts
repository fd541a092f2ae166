import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors/index.ts';
import type { Access, TenantIndex } from '../roles/index.ts';
import { createUsageRepository, type DailyUsageRow } from './usage.repository.ts';

const DAY_MS = 86_400_000;
/** The longest range one request may read: a year, leap day included. */
export const MAX_RANGE_DAYS = 366;
const DEFAULT_RANGE_DAYS = 30;

export interface UsageCounts {
  signInSuccess: number;
  signInFailure: number;
  tokenIssued: number;
  introspection: number;
}

export interface UsageReport {
  organizationId: string;
  environmentId: string | null;
  from: string;
  to: string;
  totals: UsageCounts;
  /** Every day of the range, oldest first, with the node's and its descendants' counts. */
  days: Array<{ day: string } & UsageCounts>;
  /** Per day, node, environment and app: only combinations that saw usage. */
  rows: DailyUsageRow[];
}

export interface UsageQuery {
  from?: string;
  to?: string;
  environmentId?: string;
}

/**
 * ANL-1: holders of `analytics.view` on a node see its usage per day, by app and by environment,
 * for the node and its descendants (from the in-memory tree): one grouped query over the
 * (tenant, day) key. On the master, the whole tenant, business groups since deleted included.
 * With an environment, only that environment's usage (enough for environment-scoped holders).
 */
export function createAnalyticsService(deps: { db: Db; clock: Clock; access: Access }) {
  const repository = createUsageRepository(deps.db);

  return {
    async usage(
      ctx: RequestContext,
      tenantId: string,
      orgId: string,
      query: UsageQuery,
    ): Promise<UsageReport> {
      const index = await deps.access.require(ctx, tenantId, 'analytics.view', orgId, query.environmentId);
      const { from, to } = rangeOf(query, deps.clock.now());
      const environmentId = query.environmentId ?? null;
      // The master's subtree is the whole tenant: no node list (and deleted groups still count).
      const orgIds = environmentId ? [orgId] : orgId === index.root.id ? undefined : subtreeOf(index, orgId);
      const rows = await repository.daily(tenantId, {
        from,
        to,
        ...(environmentId ? { environmentId } : {}),
        ...(orgIds ? { orgIds } : {}),
      });
      const byDay = new Map<string, UsageCounts>();
      for (let t = Date.parse(from); t <= Date.parse(to); t += DAY_MS) {
        byDay.set(new Date(t).toISOString().slice(0, 10), zero());
      }
      const totals = zero();
      for (const row of rows) {
        addTo(totals, row);
        addTo(byDay.get(row.day)!, row);
      }
      return {
        organizationId: orgId,
        environmentId,
        from,
        to,
        totals,
        days: [...byDay].map(([day, counts]) => ({ day, ...counts })),
        rows,
      };
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;

function subtreeOf(index: TenantIndex, orgId: string): string[] {
  const ids: string[] = [];
  const stack = [index.node(orgId)!];
  while (stack.length > 0) {
    const node = stack.pop()!;
    ids.push(node.id);
    stack.push(...node.children);
  }
  return ids;
}

/** Inclusive UTC days; `to` defaults to today, `from` to 30 days ending on `to`. */
function rangeOf(query: UsageQuery, now: Date): { from: string; to: string } {
  const to = query.to ?? now.toISOString().slice(0, 10);
  const from =
    query.from ?? new Date(Date.parse(to) - (DEFAULT_RANGE_DAYS - 1) * DAY_MS).toISOString().slice(0, 10);
  const span = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (span < 1) invalid('to', 'must not be before from');
  if (span > MAX_RANGE_DAYS) invalid('from', `the range may span at most ${MAX_RANGE_DAYS} days`);
  return { from, to };
}

function invalid(field: string, problem: string): never {
  throw new AppError(
    'request.invalid_input',
    { fields: [{ field, problem }] },
    { message: `Invalid input — ${field}: ${problem}` },
  );
}

function zero(): UsageCounts {
  return { signInSuccess: 0, signInFailure: 0, tokenIssued: 0, introspection: 0 };
}

function addTo(into: UsageCounts, row: UsageCounts): void {
  into.signInSuccess += row.signInSuccess;
  into.signInFailure += row.signInFailure;
  into.tokenIssued += row.tokenIssued;
  into.introspection += row.introspection;
}

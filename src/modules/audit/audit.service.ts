import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { createAuditRepository, type RootDb, sweepOlderThan, sweepRetainedDays } from './audit.repository.ts';
import { redact } from './redact.ts';

export interface AuditEntry {
  tenantId: string | null;
  orgId?: string | null;
  action: string;
  target?: { type: string; id: string };
  outcome?: 'success' | 'failure';
  before?: unknown;
  after?: unknown;
}

/**
 * What a change was made to, and where: the tenant (null: installation-level), the node it was made
 * on (the tenant's master unless named), and the object changed (none for a change of the whole).
 */
export interface AuditTarget {
  tenantId: string | null;
  orgId?: string;
  type?: string;
  id?: string;
}

/** A change to an organization node itself (a master or a business group): made on that node. */
export const nodeTarget = (tenantId: string, orgId: string): AuditTarget => ({
  tenantId,
  orgId,
  type: 'organization',
  id: orgId,
});

/**
 * Writes audit entries (AUD-1). Changes are recorded inside the transaction that makes them, so
 * an entry exists exactly when its change does.
 */
export function createAuditService(deps: { db: RootDb; clock: Clock }) {
  const { db, clock } = deps;

  function actorOf(ctx: RequestContext): { actorType: string; actorId: string | null } {
    const { actor } = ctx;
    switch (actor.kind) {
      case 'user':
        return { actorType: 'user', actorId: actor.userId };
      case 'app':
        return { actorType: 'app', actorId: actor.clientId };
      case 'operator':
        return { actorType: 'operator', actorId: actor.name };
      default:
        return { actorType: 'anonymous', actorId: null };
    }
  }

  async function record(tx: Tx | Db, ctx: RequestContext, entry: AuditEntry): Promise<void> {
    await createAuditRepository(tx).insert(entry.tenantId, {
      orgId: entry.orgId ?? null,
      occurredAt: clock.now(),
      ...actorOf(ctx),
      action: entry.action,
      targetType: entry.target?.type ?? null,
      targetId: entry.target?.id ?? null,
      outcome: entry.outcome ?? 'success',
      before: entry.before === undefined ? undefined : redact(entry.before),
      after: entry.after === undefined ? undefined : redact(entry.after),
      requestId: ctx.requestId,
    });
  }

  /**
   * The one way a change is audited: in the transaction `tx` that makes it, as `action` on `target`,
   * with its images before and after (null: none; a creation has no before, a deletion no after).
   */
  function audited(
    tx: Tx,
    ctx: RequestContext,
    action: string,
    target: AuditTarget,
    before: unknown = null,
    after: unknown = null,
  ): Promise<void> {
    const { tenantId, orgId = tenantId, type, id } = target;
    return record(tx, ctx, {
      tenantId,
      orgId,
      action,
      ...(type && id ? { target: { type, id } } : {}),
      ...(before === null ? {} : { before }),
      ...(after === null ? {} : { after }),
    });
  }

  return {
    audited,
    /** For events that are not changes (credential reads, sign-ins): written on their own. */
    recordNow: (ctx: RequestContext, entry: AuditEntry) => record(db, ctx, entry),
    list: createAuditRepository(db).list,
    /**
     * SEC-12: deletes the entries recorded before `before` (at least a day ago), the only deletion
     * allowed; in a transaction of its own.
     */
    sweep: (before: Date): Promise<number> => sweepOlderThan(db, before),
    /** REL-6: deletes the entries recorded more than `days` days ago (by the database's clock). */
    sweepRetained: (days: number): Promise<number> => sweepRetainedDays(db, days),
  };
}

export type AuditService = ReturnType<typeof createAuditService>;

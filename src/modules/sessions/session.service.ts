import type { Clock } from '../../platform/clock.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { isUuid } from '../../platform/errors/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access, TenantDirectory } from '../roles/index.ts';
import { createSessionManagement } from './session.management.ts';
import { createSessionRepository } from './session.repository.ts';
import { IDLE_TIMEOUT_MINUTES, SESSION_LIFETIME_MINUTES } from './session-limits.ts';

const MINUTE = 60_000;
/** The idle clock is written at most this often per session: a use inside it changes nothing that matters. */
const TOUCH_EVERY_MS = 30_000;

export type SessionState =
  | {
      live: true;
      tenantId: string;
      userId: string;
      /** When the session ends unless used again (SESS-2). */
      idleDeadline: Date;
      /** When the session ends however active (SESS-3). */
      absoluteDeadline: Date;
    }
  | { live: false };

/**
 * The session registry (SESS-2…SESS-4, SESS-7, USR-3): whether a provider session may still be
 * used, judged at every use against the tenant's current timeouts, and slid by that use.
 */
export function createSessionService(deps: {
  db: Db;
  clock: Clock;
  directory: TenantDirectory;
  access: Access;
  audit: Pick<AuditService, 'audited'>;
}) {
  const { db, clock, directory } = deps;
  const sessions = createSessionRepository(db);

  /**
   * Records a signed-in session when the provider first saves it, or its new id after the provider
   * rotated it. The sign-in time is this clock's: the one every later judgement uses. A session
   * that has ended stays ended, even if a request that loaded it earlier saves it afterwards.
   * ACC-5: the browser and network are those of the request that signed in; the apps, and the
   * grant each holds (client id → grant id, what ending the session revokes: ACC-2), follow the
   * provider's authorizations as they change.
   */
  async function open(session: {
    uid: string;
    id: string;
    userId: string;
    authorizations?: Readonly<Record<string, string>>;
    userAgent?: string | null;
    sourceNetwork?: string | null;
  }): Promise<boolean> {
    if (!isUuid(session.userId)) return false;
    const authorizations = Object.fromEntries(Object.entries(session.authorizations ?? {}).sort());
    const existing = await sessions.findByUid(session.uid);
    if (existing) {
      if (existing.endedAt) return false;
      // jsonb keeps its keys in an order of its own: compared sorted.
      const grantsChanged =
        JSON.stringify(Object.entries(existing.authorizations).sort()) !==
        JSON.stringify(Object.entries(authorizations));
      if (existing.sessionId !== session.id || grantsChanged)
        await sessions.upsert({ ...existing, sessionId: session.id, authorizations });
      return true;
    }
    const tenantId = await sessions.tenantOfUser(session.userId);
    if (!tenantId || !(await directory.forTenant(tenantId)).isActive(session.userId)) return false;
    const now = clock.now();
    await sessions.upsert({
      sessionUid: session.uid,
      sessionId: session.id,
      tenantId,
      userId: session.userId,
      loginAt: now,
      lastSeenAt: now,
      userAgent: session.userAgent ?? null,
      sourceNetwork: session.sourceNetwork ?? null,
      authorizations,
    });
    return true;
  }

  /**
   * A use of the session: over if its row is gone or ended, its user is inactive, it has been idle for the
   * tenant's timeout or open for its absolute lifetime; otherwise its idle clock moves.
   */
  async function use(sessionUid: string): Promise<SessionState> {
    const row = await sessions.findByUid(sessionUid);
    if (!row || row.endedAt) return { live: false };
    const index = await directory.forTenant(row.tenantId);
    const now = clock.now().getTime();
    const { sessionTimeoutMinutes, sessionMaxMinutes } = index.settings;
    const idleDeadline = row.lastSeenAt.getTime() + sessionTimeoutMinutes * MINUTE;
    const absoluteDeadline = row.loginAt.getTime() + sessionMaxMinutes * MINUTE;
    if (!index.isActive(row.userId) || now >= idleDeadline || now >= absoluteDeadline) {
      await sessions.endByUid(sessionUid, new Date(now));
      return { live: false };
    }
    if (now - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await sessions.touch(sessionUid, new Date(now));
    return {
      live: true,
      tenantId: row.tenantId,
      userId: row.userId,
      idleDeadline: new Date(Math.max(now, row.lastSeenAt.getTime()) + sessionTimeoutMinutes * MINUTE),
      absoluteDeadline: new Date(absoluteDeadline),
    };
  }

  return {
    open,
    use,
    // ACC-5 (listing and ending one's sessions) and ACC-2 (ending the others): session.management.ts.
    ...createSessionManagement(deps),
    /** SESS-7: logging out ends the session. */
    end: (sessionUid: string) => sessions.endByUid(sessionUid, clock.now()),
    /** USR-3: a disabled or deleted user's sessions end, inside the transaction that disables them. */
    endAllForUser: (tx: Tx, tenantId: string, userId: string) =>
      createSessionRepository(tx).endForUser(tenantId, userId, clock.now()),
    /** Removes rows that are over under any tenant's settings; run periodically. */
    sweep: (limit = 1_000) => {
      const now = clock.now().getTime();
      return sessions.deleteStale(
        new Date(now - IDLE_TIMEOUT_MINUTES.max * MINUTE),
        new Date(now - SESSION_LIFETIME_MINUTES.max * MINUTE),
        limit,
      );
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;

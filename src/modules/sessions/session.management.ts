import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { AppError, assertId, isUuid } from '../../platform/errors/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access, TenantDirectory } from '../roles/index.ts';
import { createSessionRepository, type EndedSession } from './session.repository.ts';
import { describeUserAgent, type UserAgentView } from './user-agent.ts';

const MINUTE = 60_000;

/** ACC-5: one live session as its user (or an administrator) sees it. Never the provider's uid or id. */
export interface SessionView extends UserAgentView {
  id: string;
  /** The session the caller's own token comes from. */
  current: boolean;
  userAgent: string | null;
  sourceNetwork: string | null;
  startedAt: Date;
  lastActiveAt: Date;
  clientIds: string[];
}

export type { EndedSession };

/**
 * What a person sees and ends of their sessions (ACC-5), what an administrator holding
 * `users.manage` on the master sees and ends of someone's, and what a password change ends (ACC-2).
 * Ending a session here ends its row in the registry, on which every node judges the session and
 * every token bound to it; the caller revokes the grants it authorized through the provider.
 */
export function createSessionManagement(deps: {
  db: Db;
  clock: Clock;
  directory: TenantDirectory;
  access: Access;
  audit: Pick<AuditService, 'audited'>;
}) {
  const { db, clock, directory, access } = deps;
  const { audited } = deps.audit;

  /** One's own sessions need an active account; anyone else's, `users.manage` on the master. */
  async function authorize(ctx: RequestContext, tenantId: string, userId: string): Promise<void> {
    const { actor } = ctx;
    const self = actor.kind === 'user' && actor.userId === userId && actor.tenantId === tenantId;
    if (self) await access.tenantIndexFor(ctx, tenantId);
    else await access.require(ctx, tenantId, 'users.manage', tenantId);
  }

  /** Live sessions only: not ended, and not over by the tenant's current idle and absolute limits (`use`). */
  async function list(ctx: RequestContext, tenantId: string, userId: string): Promise<SessionView[]> {
    await authorize(ctx, tenantId, userId);
    if (!isUuid(userId)) return [];
    const { sessionTimeoutMinutes, sessionMaxMinutes } = (await directory.forTenant(tenantId)).settings;
    const now = clock.now().getTime();
    const rows = await createSessionRepository(db).listLive(tenantId, userId, {
      idleAfter: new Date(now - sessionTimeoutMinutes * MINUTE),
      loginAfter: new Date(now - sessionMaxMinutes * MINUTE),
    });
    return rows.map((r) => ({
      id: r.publicId,
      current: ctx.sessionUid !== undefined && r.sessionUid === ctx.sessionUid,
      userAgent: r.userAgent,
      ...describeUserAgent(r.userAgent),
      sourceNetwork: r.sourceNetwork,
      startedAt: r.loginAt,
      lastActiveAt: r.lastSeenAt,
      clientIds: Object.keys(r.authorizations).sort(),
    }));
  }

  /**
   * Ends one live session of the user, audited as `session.end` with its public id. The same 404
   * for an unknown id, another user's session and one already over. Its grants are revoked first,
   * from the grant ids recorded on its row (`revoke`, the provider's side): a failure there leaves
   * the session live and listed, and the same request can simply be made again (revoking is
   * idempotent). Grants the session took while it was being ended are revoked once it has.
   */
  async function endOne(
    ctx: RequestContext,
    tenantId: string,
    userId: string,
    publicId: string,
    revoke: RevokeGrants,
  ): Promise<EndedSession> {
    await authorize(ctx, tenantId, userId);
    assertId(userId, 'session.not_found');
    assertId(publicId, 'session.not_found');
    const live = await createSessionRepository(db).findLiveByPublicId(tenantId, userId, publicId);
    if (!live) throw new AppError('session.not_found');
    await revoke(live);
    const done = await db.transaction(async (tx) => {
      const row = await createSessionRepository(tx).endByPublicId(tenantId, userId, publicId, clock.now());
      if (!row) throw new AppError('session.not_found');
      const target = { tenantId, type: 'user', id: userId };
      const session = { sessionId: row.publicId };
      const grantsRevoked = new Set([...live.grantIds, ...row.grantIds]).size;
      await audited(
        tx,
        ctx,
        'session.end',
        target,
        { ...session, ended: false },
        { ...session, ended: true, grantsRevoked },
      );
      return row;
    });
    await revokeLate(live, done, revoke);
    return done;
  }

  return {
    listForUser: list,
    endOne,
    /** ACC-2: every session row of the user still kept (ended or not), with its grants. */
    allOf: (tenantId: string, userId: string) => createSessionRepository(db).allOf(tenantId, userId),
    /**
     * ACC-2, inside the caller's transaction (audited by it): ends every session of the user but
     * `keepSessionUid`, the one the change was made from.
     */
    endOthers: (
      tx: Tx,
      tenantId: string,
      userId: string,
      keepSessionUid: string | undefined,
    ): Promise<EndedSession[]> =>
      createSessionRepository(tx).endOthers(tenantId, userId, keepSessionUid, clock.now()),
  };
}

/** The provider's side of ending a session: revokes its grants (idempotent) and drops its stored record. */
export type RevokeGrants = (session: EndedSession) => Promise<void>;

/**
 * After the row has ended: the grants it recorded that were not revoked before (an app the session
 * signed in to in between). Rare; nothing to do most of the time.
 */
export async function revokeLate(before: EndedSession, after: EndedSession, revoke: RevokeGrants) {
  const known = new Set(before.grantIds);
  const late = after.grantIds.filter((id) => !known.has(id));
  if (late.length > 0) await revoke({ ...after, grantIds: late });
}

import type { Db, Tx } from '../../platform/db/database.ts';

export interface SessionRow {
  sessionUid: string;
  sessionId: string;
  tenantId: string;
  userId: string;
  loginAt: Date;
  lastSeenAt: Date;
  endedAt: Date | null;
  /** ACC-5: the id a user sees; the session uid never leaves the server. */
  publicId: string;
  /** ACC-5: the browser that signed in (its user agent, cut to 256), and its coarse network. */
  userAgent: string | null;
  sourceNetwork: string | null;
  /**
   * ACC-2, ACC-5: the apps signed in through the session and the grant each holds (client id →
   * grant id), as the provider last saved the session: what ending it revokes.
   */
  authorizations: Record<string, string>;
}

/** What a session is opened with; the public id comes from the database. */
export type NewSession = Omit<SessionRow, 'endedAt' | 'publicId'>;

/**
 * A session to end, or just ended: its uid and grants for the provider, its public id for the audit
 * log and the answer.
 */
export interface EndedSession {
  sessionUid: string;
  publicId: string;
  /** The grant ids recorded on the row (ACC-2, ACC-5). */
  grantIds: string[];
}

function authorizationsOf(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [clientId, grantId] of Object.entries(value))
    if (typeof grantId === 'string') out[clientId] = grantId;
  return out;
}

const USER_AGENT_LENGTH = 256;

function toRow(r: Record<string, unknown>): SessionRow {
  return {
    sessionUid: r.session_uid as string,
    sessionId: r.session_id as string,
    tenantId: r.tenant_id as string,
    userId: r.user_id as string,
    loginAt: r.login_at as Date,
    lastSeenAt: r.last_seen_at as Date,
    endedAt: (r.ended_at as Date | null) ?? null,
    publicId: r.public_id as string,
    userAgent: (r.user_agent as string | null) ?? null,
    sourceNetwork: (r.source_network as string | null) ?? null,
    authorizations: authorizationsOf(r.authorizations),
  };
}

const ENDED_COLUMNS = ['session_uid', 'public_id', 'authorizations'];
const ended = (rows: Array<Record<string, unknown>>): EndedSession[] =>
  rows.map((r) => ({
    sessionUid: r.session_uid as string,
    publicId: r.public_id as string,
    grantIds: [...new Set(Object.values(authorizationsOf(r.authorizations)))],
  }));

// Sessions are found by the provider's session uid, which names its tenant: the registry's
// lookups by uid are the unscoped way in; everything else is scoped by tenant.
export function createSessionRepository(db: Db | Tx) {
  return {
    async upsert(row: NewSession): Promise<void> {
      await db('sessions')
        .insert({
          session_uid: row.sessionUid,
          session_id: row.sessionId,
          tenant_id: row.tenantId,
          user_id: row.userId,
          login_at: row.loginAt,
          last_seen_at: row.lastSeenAt,
          user_agent: row.userAgent?.slice(0, USER_AGENT_LENGTH) ?? null,
          source_network: row.sourceNetwork,
          authorizations: JSON.stringify(row.authorizations),
        })
        .onConflict('session_uid')
        .merge(['session_id', 'last_seen_at', 'authorizations']);
    },

    async findByUid(sessionUid: string): Promise<SessionRow | undefined> {
      const r = await db('sessions').where({ session_uid: sessionUid }).first();
      return r ? toRow(r) : undefined;
    },

    async touch(sessionUid: string, at: Date): Promise<void> {
      await db('sessions')
        .where({ session_uid: sessionUid })
        .whereNull('ended_at')
        .where('last_seen_at', '<', at)
        .update({ last_seen_at: at });
    },

    async endByUid(sessionUid: string, at: Date): Promise<void> {
      await db('sessions').where({ session_uid: sessionUid }).whereNull('ended_at').update({ ended_at: at });
    },

    async endForUser(tenantId: string, userId: string, at: Date): Promise<number> {
      return db('sessions')
        .where({ tenant_id: tenantId, user_id: userId })
        .whereNull('ended_at')
        .update({ ended_at: at });
    },

    /**
     * ACC-5: a user's sessions that are neither ended nor over by the tenant's limits (idle since
     * `idleAfter` or older than `loginAfter`), the most recently used first.
     */
    async listLive(
      tenantId: string,
      userId: string,
      limits: { idleAfter: Date; loginAfter: Date },
    ): Promise<SessionRow[]> {
      const rows = await db('sessions')
        .where({ tenant_id: tenantId, user_id: userId })
        .whereNull('ended_at')
        .where('last_seen_at', '>', limits.idleAfter)
        .where('login_at', '>', limits.loginAfter)
        .orderBy([
          { column: 'last_seen_at', order: 'desc' },
          { column: 'public_id', order: 'asc' },
        ])
        .limit(200);
      return rows.map(toRow);
    },

    /** ACC-5: one live (not ended) session of the user, named by its public id. */
    async findLiveByPublicId(
      tenantId: string,
      userId: string,
      publicId: string,
    ): Promise<EndedSession | undefined> {
      const rows = await db('sessions')
        .where({ tenant_id: tenantId, user_id: userId, public_id: publicId })
        .whereNull('ended_at')
        .select(ENDED_COLUMNS);
      return ended(rows)[0];
    },

    /**
     * ACC-2: every session row of the user still in the table, ended or not, with the grants
     * recorded on it: what a password change revokes (but the current session's).
     */
    async allOf(tenantId: string, userId: string): Promise<EndedSession[]> {
      return ended(
        await db('sessions').where({ tenant_id: tenantId, user_id: userId }).select(ENDED_COLUMNS),
      );
    },

    /** ACC-5: ends one session of the user, named by its public id; undefined when none was live. */
    async endByPublicId(
      tenantId: string,
      userId: string,
      publicId: string,
      at: Date,
    ): Promise<EndedSession | undefined> {
      const rows = await db('sessions')
        .where({ tenant_id: tenantId, user_id: userId, public_id: publicId })
        .whereNull('ended_at')
        .update({ ended_at: at })
        .returning(ENDED_COLUMNS);
      return ended(rows)[0];
    },

    /** ACC-2: ends every session of the user but `keepUid` (all of them without it). */
    async endOthers(
      tenantId: string,
      userId: string,
      keepUid: string | undefined,
      at: Date,
    ): Promise<EndedSession[]> {
      const q = db('sessions').where({ tenant_id: tenantId, user_id: userId }).whereNull('ended_at');
      if (keepUid !== undefined) q.whereNot({ session_uid: keepUid });
      return ended(await q.update({ ended_at: at }).returning(ENDED_COLUMNS));
    },

    /** Rows no session can use any more: ended, or past any tenant's limits (session-limits.ts). */
    async deleteStale(idleBefore: Date, loginBefore: Date, limit: number): Promise<number> {
      const stale = db('sessions')
        .where('last_seen_at', '<', idleBefore)
        .orWhere('login_at', '<', loginBefore)
        .orWhere('ended_at', '<', idleBefore)
        .limit(limit)
        .select('session_uid');
      return db('sessions').whereIn('session_uid', stale).delete();
    },

    /** The tenant of a user, found by id alone: a session is opened knowing only its account. */
    async tenantOfUser(userId: string): Promise<string | undefined> {
      const r = await db('users').where({ id: userId }).first('tenant_id');
      return r?.tenant_id;
    },
  };
}

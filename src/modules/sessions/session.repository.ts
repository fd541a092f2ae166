import type { Db, Tx } from '../../platform/db/database.ts';

export interface SessionRow {
  sessionUid: string;
  sessionId: string;
  tenantId: string;
  userId: string;
  loginAt: Date;
  lastSeenAt: Date;
  endedAt: Date | null;
}

// Sessions are found by the provider's session uid, which names its tenant: the registry's
// lookups by uid are the unscoped way in; everything else is scoped by tenant.
export function createSessionRepository(db: Db | Tx) {
  return {
    async upsert(row: Omit<SessionRow, 'endedAt'>): Promise<void> {
      await db('sessions')
        .insert({
          session_uid: row.sessionUid,
          session_id: row.sessionId,
          tenant_id: row.tenantId,
          user_id: row.userId,
          login_at: row.loginAt,
          last_seen_at: row.lastSeenAt,
        })
        .onConflict('session_uid')
        .merge(['session_id', 'last_seen_at']);
    },

    async findByUid(sessionUid: string): Promise<SessionRow | undefined> {
      const r = await db('sessions').where({ session_uid: sessionUid }).first();
      return r
        ? {
            sessionUid: r.session_uid,
            sessionId: r.session_id,
            tenantId: r.tenant_id,
            userId: r.user_id,
            loginAt: r.login_at,
            lastSeenAt: r.last_seen_at,
            endedAt: r.ended_at,
          }
        : undefined;
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

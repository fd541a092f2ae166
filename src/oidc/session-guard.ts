import type { Adapter, AdapterPayload } from 'oidc-provider';
import { SESSION_LIFETIME_MINUTES, type SessionService } from '../modules/sessions/index.ts';
import type { SessionOrigin } from './session-origin.ts';

/**
 * When each session ends at the latest (its absolute deadline), by session uid: read by the
 * synchronous `ttl.Session`. The stored record lives that long; idleness is the registry's to judge
 * at every use, so the record need not be written again when the idle clock moves.
 */
export type SessionDeadlines = Map<string, number>;

const DEADLINES_KEPT = 50_000;

/**
 * Wraps the Session adapter so that the session registry decides whether a signed-in session
 * still exists (SESS-2…SESS-4, SESS-7, USR-3). Every load of such a session is a use: an ended one
 * is destroyed and reported missing (the next authorization asks for a sign-in, and every token
 * bound to it is inactive); a live one slides its idle clock. Saves of a signed-in session record
 * it, with the browser and network of the request that signed in (`origin`) and the apps it has
 * authorized with their grant ids (ACC-5; what ending it revokes, ACC-2).
 */
export function guardSessions(
  inner: Adapter,
  sessions: SessionService,
  deadlines: SessionDeadlines,
  origin: () => SessionOrigin | undefined = () => undefined,
): Adapter {
  async function vet(payload: Awaited<ReturnType<Adapter['find']>>): Promise<AdapterPayload | undefined> {
    if (!payload) return undefined;
    const { accountId, uid, jti } = payload as AdapterPayload & { jti?: string };
    if (!accountId || !uid) return payload; // not signed in yet: nothing to judge
    const state = await sessions.use(uid);
    if (!state.live) {
      deadlines.delete(uid);
      if (jti) await inner.destroy(jti);
      return undefined;
    }
    if (deadlines.size >= DEADLINES_KEPT) deadlines.clear();
    deadlines.set(uid, state.absoluteDeadline.getTime());
    return payload;
  }

  return {
    find: async (id) => vet(await inner.find(id)),
    findByUid: async (uid) => vet(await inner.findByUid(uid)),
    findByUserCode: (code) => inner.findByUserCode(code),
    consume: (id) => inner.consume(id),
    revokeByGrantId: (grantId) => inner.revokeByGrantId(grantId),
    async upsert(id, payload, expiresIn) {
      const { accountId, uid } = payload;
      if (accountId && uid) {
        const authorizations: Record<string, string> = {};
        for (const [clientId, { grantId }] of Object.entries(payload.authorizations ?? {}))
          if (typeof grantId === 'string') authorizations[clientId] = grantId;
        const recorded = await sessions.open({ uid, id, userId: accountId, authorizations, ...origin() });
        // An ended session saved late by a request that loaded it earlier is not brought back.
        if (!recorded) return inner.destroy(id);
      }
      return inner.upsert(id, payload, expiresIn);
    },
    // The provider also destroys a session's previous id when it rotates it; only a logout ends the
    // session in the registry (see the `end_session.success` listener in provider.ts).
    destroy: (id) => inner.destroy(id),
  };
}

/**
 * A session nobody has signed in to: the provider stores one only to hold the CSRF secret of its
 * code-entry and logout forms (or for a session cookie it no longer knows). REL-4: anonymous
 * traffic stores nothing for long; a form left open longer is simply shown again.
 */
const ANONYMOUS_SESSION = 10 * 60;
/** The longest absolute lifetime a tenant may set (SESS-3): a signed-in session never outlives it. */
const LONGEST_SESSION = SESSION_LIFETIME_MINUTES.max * 60;

/**
 * `ttl.Session`: a signed-in session is stored until its absolute deadline (the longest allowed one
 * until the registry has judged it once); a session nobody has signed in to yet, for ten minutes.
 */
export function sessionTtl(deadlines: SessionDeadlines, now: () => number) {
  return (session: { uid?: string; accountId?: string }): number => {
    if (!session.accountId) return ANONYMOUS_SESSION;
    const deadline = session.uid === undefined ? undefined : deadlines.get(session.uid);
    if (deadline === undefined) return LONGEST_SESSION;
    return Math.max(1, Math.ceil((deadline - now()) / 1000));
  };
}

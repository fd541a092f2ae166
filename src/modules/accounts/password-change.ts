import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/database.ts';
import { AppError, assertThat, parseInput } from '../../platform/errors/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access } from '../roles/index.ts';
import { type EndedSession, type RevokeGrants, revokeLate, type SessionService } from '../sessions/index.ts';
import type { UserService } from '../users/index.ts';
import type { CurrentPasswordCheck } from './current-password.ts';
import { passwordChangeSchema } from './password-change.schema.ts';
import type { PasswordPolicy } from './password-policy.ts';

export interface PasswordChangeDeps {
  db: Db;
  access: Access;
  audit: Pick<AuditService, 'audited'>;
  /** The one check of current passwords, with its throttle (shared with the email change). */
  verifyCurrent: CurrentPasswordCheck;
  users: Pick<
    UserService,
    'profileOf' | 'findForSignIn' | 'lockForUpdate' | 'setPasswordHash' | 'hashCheckedPassword'
  >;
  sessions: Pick<SessionService, 'endOthers' | 'allOf'>;
  policy: Pick<PasswordPolicy, 'check'>;
}

/**
 * ACC-2: a signed-in local user changes their own password, giving the current one. The new one
 * passes the password policy (ACC-4); every other session of theirs ends with the same commit, and
 * so does every token bound to them. The grants recorded on the user's other session rows (ended
 * ones too) are revoked through the provider (`revoke`) before that commit, so that a failure
 * leaves the password unchanged and the change can be made again. The session the change is made
 * from stays, with its grants. Audited as `user.password_change`, without a password or hash.
 *
 * What remains: grants of sessions whose rows the sweep removed long ago (over by any tenant's
 * limits). Their session-bound tokens died with the session; a token not bound to one (none is
 * issued today: no `offline_access` is offered) would outlive the change.
 */
export function createPasswordChange(deps: PasswordChangeDeps) {
  const { db, access, users, sessions, policy, verifyCurrent } = deps;
  const { audited } = deps.audit;

  /** The policy's refusal, named at the field this form calls the new password. */
  async function checkNew(
    tenantId: string,
    password: string,
    person: Parameters<PasswordPolicy['check']>[2],
  ) {
    try {
      return await policy.check(tenantId, password, person);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'password.policy') throw err;
      const problem = String(err.details?.problem ?? err.message);
      throw new AppError(
        'password.policy',
        { ...err.details, field: 'newPassword', fields: [{ field: 'newPassword', problem }] },
        { message: err.message },
      );
    }
  }

  async function change(
    ctx: RequestContext,
    tenantId: string,
    userId: string,
    input: unknown,
    revoke: RevokeGrants,
  ): Promise<{ sessionsEnded: EndedSession[] }> {
    const { currentPassword, newPassword } = parseInput(passwordChangeSchema, input);
    await access.tenantIndexFor(ctx, tenantId);
    const { actor } = ctx;
    if (actor.kind !== 'user' || actor.userId !== userId) {
      throw new AppError('auth.permission_denied', undefined, {
        message: 'A password is changed by its owner only: send them a reset link instead',
      });
    }
    const profile = await users.profileOf(tenantId, userId);
    assertThat(profile && profile.status === 'active', 'user.not_found');
    const account = await users.findForSignIn(tenantId, profile.username);
    if (!profile.local || !account?.passwordHash || account.id !== userId)
      throw new AppError('user.not_local');
    // The policy first: a refused new password costs no argon2 and no throttle count, and says nothing
    // about the current one.
    const checked = await checkNew(tenantId, newPassword, {
      username: profile.username,
      email: profile.email,
      name: profile.name,
    });
    await verifyCurrent(tenantId, userId, account.passwordHash, currentPassword);
    const passwordHash = await users.hashCheckedPassword(checked);
    // Revoked first, then ended: every other row's grants, but never one the current session holds.
    const rows = await sessions.allOf(tenantId, userId);
    const kept = new Set(rows.find((r) => r.sessionUid === ctx.sessionUid)?.grantIds);
    const others = rows
      .filter((r) => r.sessionUid !== ctx.sessionUid)
      .map((r) => ({ ...r, grantIds: r.grantIds.filter((id) => !kept.has(id)) }));
    for (const other of others) await revoke(other);
    const grantsRevoked = new Set(others.flatMap((r) => r.grantIds)).size;
    const sessionsEnded = await db.transaction(async (tx) => {
      const current = await users.lockForUpdate(tx, tenantId, userId);
      assertThat(current?.status === 'active', 'user.not_found');
      if (!(await users.setPasswordHash(tx, tenantId, userId, { passwordHash })))
        throw new AppError('user.not_local');
      const ended = await sessions.endOthers(tx, tenantId, userId, ctx.sessionUid);
      const target = { tenantId, type: 'user', id: userId };
      await audited(tx, ctx, 'user.password_change', target, null, {
        sessionsEnded: ended.map((s) => s.publicId),
        grantsRevoked,
      });
      return ended;
    });
    // A session that took a grant in between (signed in to another app meanwhile).
    const before = new Map(others.map((r) => [r.sessionUid, r]));
    for (const row of sessionsEnded) {
      const known = before.get(row.sessionUid) ?? { ...row, grantIds: [] };
      await revokeLate(known, { ...row, grantIds: row.grantIds.filter((id) => !kept.has(id)) }, revoke);
    }
    return { sessionsEnded };
  }

  return { change };
}

export type PasswordChange = ReturnType<typeof createPasswordChange>;

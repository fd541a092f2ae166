import type { RequestContext } from '../../platform/context.ts';
import type { Db } from '../../platform/db/database.ts';
import { assertId, assertThat } from '../../platform/errors/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access } from '../roles/index.ts';
import type { UserService } from '../users/index.ts';
import type { Throttle } from './throttle.ts';

/** Whom to unlock: by id (the admin API) or by username (the operator's command line). */
export type UnlockTarget = { userId: string } | { username: string };

export interface Unlocked {
  userId: string;
  username: string;
  /** How many lockouts were in force (of sources on the username, and of the username itself). */
  lockoutsLifted: number;
}

/**
 * SEC-6: an administrator holding `users.manage` on the master (or the operator) lets a user sign in
 * again at once: every lockout and counted failure of their username — of each source and of the
 * account — is forgotten, on every node (the counters live in the shared stores). Audited
 * (`user.unlock`): the SQL counters go in the audited transaction, Redis's right after it commits.
 */
export function createUnlock(deps: {
  db: Db;
  users: Pick<UserService, 'findForSignIn' | 'profileOf'>;
  access: Pick<Access, 'require'>;
  audit: AuditService;
  throttle: Pick<Throttle, 'unlock'>;
}) {
  const { db, users, access, throttle } = deps;
  const { audited } = deps.audit;
  return async (ctx: RequestContext, tenantId: string, target: UnlockTarget): Promise<Unlocked> => {
    await access.require(ctx, tenantId, 'users.manage', tenantId);
    const userId =
      'userId' in target ? target.userId : (await users.findForSignIn(tenantId, target.username))?.id;
    assertId(userId, 'user.not_found');
    const user = await users.profileOf(tenantId, userId);
    assertThat(user && user.status !== 'deleted', 'user.not_found');
    const { lifted: lockoutsLifted, forgetShared } = await db.transaction(async (tx) => {
      const unlocked = await throttle.unlock(tenantId, user.username, tx);
      const after = { username: user.username, lockoutsLifted: unlocked.lifted };
      await audited(tx, ctx, 'user.unlock', { tenantId, type: 'user', id: user.id }, null, after);
      return unlocked;
    });
    // Redis's counters go once the audited unlock has committed: a failed commit lifts nothing.
    await forgetShared();
    return { userId: user.id, username: user.username, lockoutsLifted };
  };
}

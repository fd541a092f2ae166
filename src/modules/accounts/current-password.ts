import { verifyPassword } from '../../platform/crypto/password.ts';
import { AppError } from '../../platform/errors/index.ts';
import { type Limit, type Limiters, retryAfterSeconds } from '../../platform/throttle/index.ts';

/**
 * ACC-2, ACC-3: wrong current passwords per account, durable as sign-in failures are (REL-3). A
 * stolen session must not become a way to guess the password it lacks (to change it, or to move the
 * account's address): five wrong guesses and both are refused for fifteen minutes, whatever is typed.
 */
export const CURRENT_PASSWORD_FAILURES: Limit = {
  name: 'pwchange',
  points: 5,
  windowSeconds: 15 * 60,
  blockSeconds: 15 * 60,
  store: 'durable',
};

/**
 * The check of a signed-in person's current password, shared by the password change (ACC-2) and
 * the email change (ACC-3) so that both count on the same limit: 403 `password.current_invalid`
 * at the field `currentPassword`, 429 `request.rate_limited` while throttled.
 */
export function createCurrentPasswordCheck(limiters: Limiters) {
  const failures = limiters(CURRENT_PASSWORD_FAILURES);

  const throttled = (msBeforeNext: number) => {
    const retryAfter = retryAfterSeconds(msBeforeNext);
    return new AppError(
      'request.rate_limited',
      { retryAfterSeconds: retryAfter },
      { message: `Too many wrong current passwords: try again in ${Math.ceil(retryAfter / 60)} minutes` },
    );
  };

  /** The current password, checked at most as often as the limit allows. */
  return async function verifyCurrent(tenantId: string, userId: string, hash: string, password: string) {
    const key = `${tenantId}:${userId}`;
    // While locked, refused without a look at the password (and without counting more).
    const seen = await failures.peek(key);
    if (seen && !seen.within) throw throttled(seen.msBeforeNext);
    // Counted before the check, so that parallel guesses cannot all slip in; a right one gives it back.
    const taken = await failures.take(key);
    if (!taken.within) throw throttled(taken.msBeforeNext);
    if (!(await verifyPassword(hash, password))) {
      throw new AppError('password.current_invalid', {
        fields: [{ field: 'currentPassword', problem: 'is not correct' }],
      });
    }
    await failures.giveBack(key);
  };
}

export type CurrentPasswordCheck = ReturnType<typeof createCurrentPasswordCheck>;

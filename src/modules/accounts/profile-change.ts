import { z } from 'zod';
import type { RequestContext } from '../../platform/context.ts';
import { AppError, assertThat, parseInput } from '../../platform/errors/index.ts';
import { emailSchema, personNameSchema, type User, type UserService } from '../users/index.ts';
import type { CurrentPasswordCheck } from './current-password.ts';
import { PASSWORD_MAX_LENGTH } from './password-policy.ts';

/** ACC-3: what `PATCH /me` takes. The current password is needed for a new address only. */
export const ownProfileSchema = z
  .strictObject({
    name: personNameSchema.optional().describe('Your name'),
    email: emailSchema.optional().describe('Your new address: a link to verify it is mailed there'),
    currentPassword: z
      .string()
      .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`)
      .optional()
      .describe('Your password now: required to change your email'),
  })
  .refine((v) => v.email !== undefined || v.name !== undefined, 'name at least one of email, name');

export interface ProfileChangeDeps {
  users: Pick<UserService, 'profileOf' | 'findForSignIn' | 'updateOwnProfile'>;
  verifyCurrent: CurrentPasswordCheck;
}

/**
 * ACC-3: a signed-in person changes their own name, or (a local user, giving their current
 * password, under ACC-2's throttle) their email. A stolen session alone cannot move the account's
 * address, and with it the reset links (ACC-1). The change itself is the administrator's path
 * (`updateOwnProfile`): a link to the new address, a notice to the old, SEC-9's quota, `user.update`.
 */
export function createProfileChange(deps: ProfileChangeDeps) {
  const { users, verifyCurrent } = deps;

  async function change(
    ctx: RequestContext,
    tenantId: string,
    userId: string,
    input: unknown,
  ): Promise<User> {
    const { name, email, currentPassword } = parseInput(ownProfileSchema, input);
    const profile = await users.profileOf(tenantId, userId);
    assertThat(profile && profile.status === 'active', 'user.not_found');
    // The address as it is (the console sends it back unchanged with a new name) needs nothing.
    const newEmail = email !== undefined && email !== profile.email ? email : undefined;
    if (newEmail !== undefined) {
      // Their provider owns a federated user's address (it comes back at each sign-in).
      if (!profile.local) throw new AppError('user.not_local');
      const account = await users.findForSignIn(tenantId, profile.username);
      if (!account?.passwordHash || account.id !== userId) throw new AppError('user.not_local');
      if (!currentPassword) {
        throw new AppError('password.current_invalid', {
          fields: [{ field: 'currentPassword', problem: 'is required to change your email' }],
        });
      }
      await verifyCurrent(tenantId, userId, account.passwordHash, currentPassword);
    }
    if (name === undefined && newEmail === undefined) return profile;
    return users.updateOwnProfile(ctx, tenantId, userId, { name, email: newEmail });
  }

  return { change };
}

export type ProfileChange = ReturnType<typeof createProfileChange>;

import { z } from 'zod';
import { PASSWORD_MAX_LENGTH } from './password-policy.ts';

/** ACC-2: what a password change sends. The new password's rules are the policy's (ACC-4). */
export const passwordChangeSchema = z.strictObject({
  currentPassword: z
    .string()
    .min(1, 'is required')
    .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`)
    .describe('Your password now'),
  newPassword: z
    .string()
    .min(1, 'is required')
    .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`)
    .describe('The new password, under the organization’s password policy'),
});

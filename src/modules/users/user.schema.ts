import { z } from 'zod';

export const usernameSchema = z
  .string()
  .trim()
  .min(3, 'must be at least 3 characters')
  .max(128, 'must be at most 128 characters')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@+-]*$/,
    'may hold letters, digits and . _ @ + -, starting with a letter or digit',
  );

export const emailSchema = z.string().trim().max(254).pipe(z.email('must be an email address'));

export const personNameSchema = z.string().trim().min(1, 'must not be empty').max(255);

// A string, and a cap that keeps hashing cheap to refuse. What makes a password acceptable (its
// minimum length, common, guessable, personal) is the password policy's (accounts, ACC-4) alone.
export const passwordSchema = z.string().max(256, 'must be at most 256 characters');

declare const policyChecked: unique symbol;
/**
 * ACC-4: a password the password policy accepted. Only the policy (accounts) makes one, and only
 * one of these becomes a hash that can be stored: no password is set without the policy.
 */
export type CheckedPassword = string & { readonly [policyChecked]: true };

declare const ofCheckedPassword: unique symbol;
/** The argon2 hash of a CheckedPassword: what `insertLocalUser` and `setPasswordHash` store. */
export type PasswordHash = string & { readonly [ofCheckedPassword]: true };

export const newLocalUserSchema = z.strictObject({
  username: usernameSchema,
  email: emailSchema,
  name: personNameSchema,
  password: passwordSchema,
});
export type NewLocalUser = z.infer<typeof newLocalUserSchema>;

export const profileUpdateSchema = z
  .strictObject({ email: emailSchema.optional(), name: personNameSchema.optional() })
  .refine((v) => v.email !== undefined || v.name !== undefined, 'name at least one of email, name');
export type ProfileUpdate = z.infer<typeof profileUpdateSchema>;

export type UserStatus = 'active' | 'disabled' | 'deleted';

export interface User {
  id: string;
  tenantId: string;
  username: string;
  email: string;
  name: string;
  /** ACC-3: the address was proven by a link, an invitation or a provider that verified it. */
  emailVerified: boolean;
  status: UserStatus;
  local: boolean;
  createdAt: Date;
  updatedAt: Date;
}

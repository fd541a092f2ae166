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

// Length bounds only (NIST 800-63B): at least 12, and a cap that keeps hashing cheap to refuse.
export const passwordSchema = z
  .string()
  .min(12, 'must be at least 12 characters')
  .max(256, 'must be at most 256 characters');

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
  status: UserStatus;
  local: boolean;
  createdAt: Date;
  updatedAt: Date;
}

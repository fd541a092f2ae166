import { z } from 'zod';
import { PASSWORD_MIN_LENGTH } from '../accounts/index.ts';
import { IDLE_TIMEOUT_MINUTES, SESSION_LIFETIME_MINUTES } from '../sessions/index.ts';
import { emailSchema, passwordSchema, personNameSchema, usernameSchema } from '../users/index.ts';

export const organizationNameSchema = z
  .string()
  .trim()
  .min(1, 'must be 1 to 255 characters')
  .max(255, 'must be 1 to 255 characters');

/** ORG-3: 3–63 of a-z, 0-9 and inner hyphens; compared and stored in lower case. */
export const domainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(3, 'must be 3 to 63 characters')
  .max(63, 'must be 3 to 63 characters')
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'may hold only a-z, 0-9 and hyphens, not at either end');

/** Whole minutes within the range; anything else is refused, never clamped. */
function minutesSchema({ min, max }: { min: number; max: number }) {
  const problem = `must be a whole number of minutes from ${min} to ${max}`;
  return z.number(problem).int(problem).min(min, problem).max(max, problem);
}

/** ORG-11: the idle timeout. */
export const sessionTimeoutSchema = minutesSchema(IDLE_TIMEOUT_MINUTES);

/** SESS-3: the absolute session lifetime. */
export const sessionMaxSchema = minutesSchema(SESSION_LIFETIME_MINUTES);

/** ACC-4: the minimum password length of the master's users; null returns to the default. */
export const passwordMinLengthSchema = (() => {
  const { min, max } = PASSWORD_MIN_LENGTH;
  const problem = `must be a whole number of characters from ${min} to ${max}`;
  return z.number(problem).int(problem).min(min, problem).max(max, problem).nullable();
})();

export const DEFAULT_SESSION_TIMEOUT_MINUTES = IDLE_TIMEOUT_MINUTES.default;
export const DEFAULT_SESSION_MAX_MINUTES = SESSION_LIFETIME_MINUTES.default;

export const signupSchema = z.strictObject({
  companyName: organizationNameSchema,
  domain: domainSchema,
  username: usernameSchema,
  email: emailSchema,
  name: personNameSchema,
  password: passwordSchema,
});

export const settingsPatchSchema = z
  .strictObject({
    name: organizationNameSchema.optional(),
    domain: domainSchema.optional(),
    sessionTimeoutMinutes: sessionTimeoutSchema.optional(),
    sessionMaxMinutes: sessionMaxSchema.optional(),
    passwordMinLength: passwordMinLengthSchema
      .optional()
      .describe('Master only (ACC-4): the minimum length of new passwords; null returns to the default, 12'),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'name at least one setting to change');

const MAX_PROPERTY_BYTES = 1024;

/** Size as JSON; nesting too deep for the serializer's stack is certainly over any limit of ours. */
function jsonBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value), 'utf8');
  } catch (err) {
    if (err instanceof RangeError) return Number.POSITIVE_INFINITY;
    throw err;
  }
}

/** ORG-7: at most 50 keys; each value, as JSON, at most 1 KiB. */
export const propertiesSchema = z
  // Values are any JSON (a body is JSON already); their size is what is bounded.
  .record(z.string().min(1, 'property names must not be empty').max(128), z.unknown())
  .refine((p) => Object.keys(p).length <= 50, 'may hold at most 50 properties')
  .superRefine((props, ctx) => {
    for (const [key, value] of Object.entries(props)) {
      if (jsonBytes(value) > MAX_PROPERTY_BYTES) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'value must be at most 1 KiB' });
      }
    }
  });

export const entitlementsSchema = z.strictObject({
  createSubOrgs: z.boolean().optional(),
  createEnvironments: z.boolean().optional(),
});

export const newBusinessGroupSchema = z.strictObject({
  name: organizationNameSchema,
  ownerUserId: z.uuid('must be a user id').optional(),
  entitlements: entitlementsSchema.optional(),
  properties: propertiesSchema.optional(),
});

export const ownerSchema = z.strictObject({ ownerUserId: z.uuid('must be a user id') });

export interface Entitlements {
  createSubOrgs: boolean;
  createEnvironments: boolean;
}

export interface Organization {
  id: string;
  tenantId: string;
  parentId: string | null;
  isMaster: boolean;
  name: string;
  /** Master only (ORG-3). */
  domain: string | null;
  ownerUserId: string;
  entitlements: Entitlements;
  properties: Record<string, unknown>;
  /** Master only (ORG-11, SESS-3). */
  sessionTimeoutMinutes: number | null;
  sessionMaxMinutes: number | null;
  /** Master only (ACC-4): the minimum password length in force, the default when none was chosen. */
  passwordMinLength: number | null;
  /** The node's own client ID (legacy org-level credentials, CRED-4). */
  clientId: string;
  createdAt: Date;
  updatedAt: Date;
}

import { z } from 'zod';

export const ENVIRONMENT_TYPES = ['production', 'sandbox', 'design'] as const;
export type EnvironmentType = (typeof ENVIRONMENT_TYPES)[number];

export const environmentNameSchema = z.string().trim().min(1, 'must not be empty').max(255);

export const newEnvironmentSchema = z.strictObject({
  name: environmentNameSchema,
  type: z.enum(ENVIRONMENT_TYPES, 'must be production, sandbox or design'),
});

export const environmentPatchSchema = z.strictObject({ name: environmentNameSchema });

export interface Environment {
  id: string;
  organizationId: string;
  name: string;
  type: EnvironmentType;
  isProduction: boolean;
  clientId: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A node's or an environment's client credentials, as shown to holders of `credentials.view`. */
export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  organizationId: string;
  environmentId: string | null;
  /** Org-level credentials are kept for compatibility; environment credentials are recommended (CRED-4). */
  legacy: boolean;
  previousSecretExpiresAt: Date | null;
}

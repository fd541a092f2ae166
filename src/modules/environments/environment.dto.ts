import { z } from 'zod';

// What the admin API answers about environments and client credentials.
export const environmentDto = z.object({
  id: z.uuid(),
  organizationId: z.uuid(),
  name: z.string(),
  type: z.enum(['production', 'sandbox', 'design']),
  isProduction: z.boolean(),
  clientId: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const credentialsDto = z.object({
  clientId: z.string(),
  clientSecret: z.string(),
  organizationId: z.uuid(),
  environmentId: z.uuid().nullable(),
  legacy: z
    .boolean()
    .describe('Org-level credentials are kept for compatibility; prefer environment ones (CRED-4)'),
  previousSecretExpiresAt: z.iso
    .datetime()
    .nullable()
    .describe('Until then the previous secret still works (CRED-5)'),
});

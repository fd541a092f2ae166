import { z } from 'zod';

// What the admin API answers about org nodes. Dates travel as ISO strings.
export const organizationDto = z.object({
  id: z.uuid(),
  parentId: z.uuid().nullable(),
  isMaster: z.boolean(),
  name: z.string(),
  domain: z.string().nullable().describe('Master only: the tenant key of sign-in URLs (ORG-3)'),
  ownerUserId: z.uuid(),
  entitlements: z.object({ createSubOrgs: z.boolean(), createEnvironments: z.boolean() }),
  properties: z.record(z.string(), z.unknown()),
  sessionTimeoutMinutes: z.number().int().nullable().describe('Master only (ORG-11)'),
  sessionMaxMinutes: z.number().int().nullable().describe('Master only: absolute session lifetime (SESS-3)'),
  passwordMinLength: z
    .number()
    .int()
    .nullable()
    .describe('Master only: the minimum length of new passwords, 8 to 64; 12 unless chosen (ACC-4)'),
  clientId: z.string().describe("The node's own (legacy) client ID"),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const hierarchyNodeDto = z.object({
  id: z.uuid(),
  parentId: z.uuid().nullable(),
  name: z.string(),
  access: z
    .enum(['member', 'ancestor'])
    .describe('`ancestor`: shown by name only, to keep the tree connected'),
  permissions: z.array(z.string()),
  environments: z
    .array(z.object({ id: z.uuid(), permissions: z.array(z.string()) }))
    .describe(
      'Environments of the node where an environment-scoped role adds permissions (ROLE-3), with every permission the caller holds there',
    ),
});

export const orgParams = z.object({
  orgId: z.string().describe('Id of a master organization or business group'),
});

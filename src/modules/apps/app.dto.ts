import { z } from 'zod';
import { idParam } from '../../platform/http/route.ts';
import { APP_KINDS } from './app.schema.ts';

// What the admin API answers about connected apps. No secret, sealed or not, is part of an app:
// a client secret travels only in the answers that create one (`appWithSecretDto`), once.
export const appGrantDto = z.object({
  organizationId: z.uuid(),
  permissions: z.array(z.string()).describe('Permissions the app holds on this node and every node below'),
});

export const appDto = z.object({
  id: z.uuid(),
  tenantId: z.uuid().describe('The master org; only its users may sign in to the app (APP-2)'),
  clientId: z.string(),
  name: z.string(),
  kind: z.enum(APP_KINDS).describe('Fixed at creation; `service` apps use client credentials'),
  confidential: z.boolean().describe('Whether the app has a client secret (web and service apps)'),
  redirectUris: z.array(z.string()),
  postLogoutRedirectUris: z.array(z.string()),
  firstParty: z
    .boolean()
    .describe(
      'First-party apps skip the consent page; only the operator sets this, with the command line (SEC-1)',
    ),
  grants: z.array(appGrantDto).describe('Service apps only (APP-1)'),
  refreshTokenReuseSeconds: z
    .number()
    .int()
    .describe(
      'Seconds after a refresh token is used during which a second use gets a valid new pair instead of revoking the grant (0: strict)',
    ),
  previousSecretExpiresAt: z.iso
    .datetime()
    .nullable()
    .describe('Set while a rotated-out secret is still accepted'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const appWithSecretDto = z.object({
  app: appDto,
  clientSecret: z
    .string()
    .optional()
    .describe('Shown this once (web and service apps); store it now, it cannot be read again'),
});

export const appParams = z.object({ appId: idParam.describe('Id of a connected app') });

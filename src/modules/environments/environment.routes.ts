import { z } from 'zod';
import { type RequestContext, tenantOf } from '../../platform/context.ts';
import { assertId, assertThat } from '../../platform/errors/index.ts';
import { defineRoute, idParam } from '../../platform/http/route.ts';
import type { TenantDirectory } from '../roles/index.ts';
import type { CredentialService } from './credential.service.ts';
import { credentialsDto, environmentDto } from './environment.dto.ts';
import { environmentPatchSchema, newEnvironmentSchema } from './environment.schema.ts';
import type { EnvironmentService } from './environment.service.ts';

const tag = 'Environments';

const orgParams = z.object({
  orgId: idParam.describe('Id of a master organization or business group'),
});
const environmentParams = z.object({ environmentId: idParam.describe('Id of an environment') });

/** The type is fixed at creation (ENV-1): sending one is a 400 naming the field, not a silent no-op. */
const renameSchema = environmentPatchSchema.extend({
  type: z.never('is fixed at creation').optional().describe('Fixed at creation: not accepted here'),
});

const rotateSchema = z.strictObject({
  graceHours: z
    .number('must be a number')
    .int('must be a whole number of hours')
    .min(0, 'must be from 0 to 720')
    .max(720, 'must be from 0 to 720')
    .optional()
    .describe(
      'Hours the previous secret keeps working (0 ends it at once). Default: the configured ' +
        '`CREDENTIAL_ROTATION_GRACE_HOURS`, 24 unless changed (CRED-5)',
    ),
});

/** Environments of org nodes (ENV-1) and their client credentials (CRED-2, CRED-4, CRED-5). */
export function environmentRoutes(deps: {
  environments: EnvironmentService;
  credentials: CredentialService;
  directory: TenantDirectory;
}) {
  const { environments, credentials, directory } = deps;

  /**
   * The node an environment of the caller's tenant belongs to. Reading it needs no role there:
   * the credential services judge the caller against that node and environment, so a caller who
   * lacks the permission learns which one (403), and service apps are judged by their grants.
   */
  async function locate(ctx: RequestContext, environmentId: string) {
    const tenantId = tenantOf(ctx);
    assertId(environmentId, 'environment.not_found');
    const orgId = (await directory.forTenant(tenantId)).environmentOrg(environmentId);
    assertThat(orgId, 'environment.not_found');
    return { tenantId, target: { orgId, environmentId } };
  }

  return [
    defineRoute({
      method: 'get',
      path: '/organizations/:orgId/environments',
      tag,
      summary: "List a node's environments",
      description: 'For anyone holding a role on the node.',
      params: orgParams,
      status: 200,
      response: z.object({ environments: z.array(environmentDto) }),
      errors: ['organization.not_found'],
      handler: async ({ ctx, params }) => ({
        environments: await environments.list(ctx, tenantOf(ctx), params.orgId),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/organizations/:orgId/environments',
      tag,
      summary: 'Create an environment on the node, with its own client credentials (ENV-1, CRED-1)',
      permission: 'environments.manage (and, on a business group, its `createEnvironments` entitlement)',
      params: orgParams,
      body: newEnvironmentSchema,
      status: 201,
      response: environmentDto,
      errors: ['organization.not_found', 'environment.name_taken', 'environment.not_entitled'],
      handler: ({ ctx, params, body }) => environments.create(ctx, tenantOf(ctx), params.orgId, body),
    }),
    defineRoute({
      method: 'get',
      path: '/environments/:environmentId',
      tag,
      summary: 'Read an environment',
      description: 'For anyone holding a role on its node.',
      params: environmentParams,
      status: 200,
      response: environmentDto,
      errors: ['environment.not_found'],
      handler: ({ ctx, params }) => environments.get(ctx, tenantOf(ctx), params.environmentId),
    }),
    defineRoute({
      method: 'patch',
      path: '/environments/:environmentId',
      tag,
      summary: 'Rename an environment (its type is fixed, ENV-1)',
      permission: 'environments.manage',
      params: environmentParams,
      body: renameSchema,
      status: 200,
      response: environmentDto,
      errors: ['environment.not_found', 'environment.name_taken', 'environment.not_entitled'],
      handler: ({ ctx, params, body }) =>
        environments.rename(ctx, tenantOf(ctx), params.environmentId, { name: body.name }),
    }),
    defineRoute({
      method: 'delete',
      path: '/environments/:environmentId',
      tag,
      summary: 'Delete an environment; its credentials and environment-scoped role assignments go with it',
      permission: 'environments.manage',
      params: environmentParams,
      status: 204,
      errors: ['environment.not_found', 'environment.not_entitled'],
      handler: ({ ctx, params }) => environments.remove(ctx, tenantOf(ctx), params.environmentId),
    }),
    defineRoute({
      method: 'get',
      path: '/environments/:environmentId/credentials',
      tag,
      summary: "Read the environment's client ID and secret (every read is audited, CRED-2)",
      permission: 'credentials.view on the environment',
      params: environmentParams,
      status: 200,
      response: credentialsDto,
      errors: ['environment.not_found', 'credentials.not_found'],
      handler: async ({ ctx, params }) => {
        const { tenantId, target } = await locate(ctx, params.environmentId);
        return credentials.read(ctx, tenantId, target);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/environments/:environmentId/credentials/rotate',
      tag,
      summary: "Rotate the environment's client secret; the previous one works for a grace period (CRED-5)",
      description:
        'Answers the new credentials; `previousSecretExpiresAt` says until when the old secret works.',
      permission: 'credentials.rotate on the environment',
      params: environmentParams,
      body: rotateSchema,
      status: 200,
      response: credentialsDto,
      errors: ['environment.not_found', 'credentials.not_found'],
      handler: async ({ ctx, params, body }) => {
        const { tenantId, target } = await locate(ctx, params.environmentId);
        return credentials.rotateEnvironmentSecret(ctx, tenantId, target, body.graceHours);
      },
    }),
  ];
}

import { z } from 'zod';
import { tenantOf } from '../../platform/context.ts';
import { defineRoute } from '../../platform/http/route.ts';
import { appDto, appParams, appWithSecretDto } from './app.dto.ts';
import type { AppService } from './app.service.ts';
import { appPatchSchema, newAppSchema } from './app.validation.ts';

const tag = 'Apps';
const permission = 'apps.manage on the master';

const rotateSchema = z.strictObject({
  graceHours: z
    .number('must be a number')
    .int('must be a whole number of hours')
    .min(0, 'must be from 0 to 720')
    .max(720, 'must be from 0 to 720')
    .optional()
    .describe('Hours the previous secret keeps working; by default it stops at once'),
});

/** Connected apps (APP-1, APP-2): registration, changes, removal and secret rotation. */
export function appRoutes(deps: { apps: AppService }) {
  const { apps } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/apps',
      tag,
      summary: "List the tenant's connected apps",
      permission,
      status: 200,
      response: z.object({ apps: z.array(appDto) }),
      handler: async ({ ctx }) => ({ apps: await apps.list(ctx, tenantOf(ctx)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/apps',
      tag,
      summary: 'Register an app (APP-1)',
      description:
        'User-facing apps (web, spa, native) need exact redirect URIs, https only except loopback. ' +
        'Service apps carry grants: permissions on nodes, none the caller does not hold there. ' +
        'Apps registered here are third-party (people are asked for consent): `firstParty: true` is ' +
        "refused, making an app first-party is the operator's decision (SEC-1). " +
        'The client secret of a web or service app is in this answer only.',
      permission,
      body: newAppSchema,
      status: 201,
      response: appWithSecretDto,
      errors: ['app.name_taken', 'app.privilege_escalation'],
      handler: ({ ctx, body }) => apps.create(ctx, tenantOf(ctx), body),
    }),
    defineRoute({
      method: 'get',
      path: '/apps/:appId',
      tag,
      summary: 'Read an app (never its secret)',
      permission,
      params: appParams,
      status: 200,
      response: appDto,
      errors: ['app.not_found'],
      handler: ({ ctx, params }) => apps.get(ctx, tenantOf(ctx), params.appId),
    }),
    defineRoute({
      method: 'patch',
      path: '/apps/:appId',
      tag,
      summary: 'Change an app: any field but its kind',
      description: 'Changing `firstParty` is refused: only the operator decides it (SEC-1).',
      permission,
      params: appParams,
      body: appPatchSchema,
      status: 200,
      response: appDto,
      errors: ['app.not_found', 'app.name_taken', 'app.privilege_escalation'],
      handler: ({ ctx, params, body }) => apps.update(ctx, tenantOf(ctx), params.appId, body),
    }),
    defineRoute({
      method: 'delete',
      path: '/apps/:appId',
      tag,
      summary: 'Remove an app; its clients stop working at once',
      permission,
      params: appParams,
      status: 204,
      errors: ['app.not_found'],
      handler: ({ ctx, params }) => apps.remove(ctx, tenantOf(ctx), params.appId),
    }),
    defineRoute({
      method: 'post',
      path: '/apps/:appId/secret',
      tag,
      summary: "Rotate a web or service app's client secret, shown in this answer only",
      description: "Taking a service app's secret also needs the permissions of its grants.",
      permission,
      params: appParams,
      body: rotateSchema,
      status: 200,
      response: appWithSecretDto.required({ clientSecret: true }),
      errors: ['app.not_found', 'app.public_client', 'app.privilege_escalation'],
      handler: ({ ctx, params, body }) => apps.rotateSecret(ctx, tenantOf(ctx), params.appId, body),
    }),
  ];
}

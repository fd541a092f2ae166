import { z } from 'zod';
import type { Container } from '../container.ts';
import { hierarchyNodeDto } from '../modules/organizations/index.ts';
import { tenantOf } from '../platform/context.ts';
import { defineRoute } from '../platform/http/route.ts';

const meDto = z.object({
  kind: z.enum(['user', 'app']),
  user: z
    .object({
      id: z.uuid(),
      username: z.string(),
      name: z.string(),
      email: z.string(),
      emailVerified: z
        .boolean()
        .describe('ACC-3: the address was proven (its link, an invitation or a provider)'),
      status: z.string(),
    })
    .optional(),
  app: z.object({ clientId: z.string() }).optional(),
  passwordRules: z
    .object({ minLength: z.number().int(), maxLength: z.number().int(), minStrength: z.number().int() })
    .optional()
    .describe(
      'ACC-4, for people: the organization’s password rules (length; the least strength on the 0–4 ' +
        'scale of the estimator), to show before a password is chosen',
    ),
  organization: z.object({ id: z.uuid(), name: z.string(), domain: z.string() }),
  hierarchy: z
    .array(hierarchyNodeDto)
    .describe('ORG-10: the nodes the caller holds a role on, with their ancestors'),
});

/** `GET /me`: the caller, their master org and the tree they may see. */
export function meRoutes(c: Pick<Container, 'users' | 'organizations' | 'directory' | 'accounts'>) {
  return [
    defineRoute({
      method: 'get',
      path: '/me',
      tag: 'Me',
      summary: 'Who is calling, in which organization, and what they may see',
      status: 200,
      response: meDto,
      handler: async ({ ctx }) => {
        const tenantId = tenantOf(ctx);
        const index = await c.directory.forTenant(tenantId);
        const organization = { id: tenantId, name: index.root.name, domain: index.settings.domain };
        if (ctx.actor.kind === 'app') {
          return { kind: 'app', app: { clientId: ctx.actor.clientId }, organization, hierarchy: [] };
        }
        const userId = ctx.actor.kind === 'user' ? ctx.actor.userId : '';
        return {
          kind: 'user',
          user: await c.users.get(ctx, tenantId, userId),
          passwordRules: await c.accounts.policy.rules(tenantId),
          organization,
          hierarchy: await c.organizations.hierarchy(ctx, tenantId),
        };
      },
    }),
  ];
}

import { type RequestContext, tenantOf } from '../../platform/context.ts';
import { AppError } from '../../platform/errors/index.ts';
import { defineRoute } from '../../platform/http/route.ts';
import { ownSessionParams, sessionListDto, userSessionItemParams, userSessionParams } from './session.dto.ts';
import type { RevokeGrants, SessionView } from './session.management.ts';
import type { SessionService } from './session.service.ts';

const tag = 'Sessions';
const ENDING =
  'Ending a session signs it out everywhere at once, on every node: its access and refresh tokens ' +
  'become inactive and the apps signed in through it must sign in again. Its grants are revoked ' +
  'first, then it ends: should that fail (5xx), the session is still listed and the same request ' +
  'can be made again. A session already ended is 404.';

/** The provider's side of a session (src/oidc), handed in: modules never import protocol code. */
export interface ProviderSessions {
  /**
   * Revokes the grants recorded on a session's row (and drops its stored record), before the
   * registry ends it: idempotent, so a failed attempt is simply made again.
   */
  revokeSessionGrants: RevokeGrants;
  appNames(clientIds: readonly string[]): Promise<Map<string, string>>;
}

/** The users module's read (permission checked, 404 outside the tenant), passed in: users depends on sessions. */
interface UserLookup {
  get(ctx: RequestContext, tenantId: string, userId: string): Promise<unknown>;
}

/** The person calling: an app's token (client credentials) has no sessions. */
export function callingPerson(ctx: RequestContext, what: string): string {
  if (ctx.actor.kind === 'user') return ctx.actor.userId;
  throw new AppError(
    'auth.permission_denied',
    { permission: 'person' },
    { message: `Only a person signed in has ${what}: an app's token has none` },
  );
}

/** ACC-5: one's own sessions, and (with `users.manage` on the master) a user's. */
export function sessionRoutes(deps: { sessions: SessionService; users: UserLookup; oidc: ProviderSessions }) {
  const { sessions, users, oidc } = deps;

  async function withApps(views: SessionView[]) {
    const names = await oidc.appNames(views.flatMap((v) => v.clientIds));
    return {
      items: views.map(({ clientIds, ...view }) => ({
        ...view,
        apps: clientIds.map((clientId) => ({ clientId, name: names.get(clientId) ?? null })),
      })),
    };
  }

  async function end(ctx: RequestContext, tenantId: string, userId: string, publicId: string) {
    await sessions.endOne(ctx, tenantId, userId, publicId, oidc.revokeSessionGrants);
  }

  return [
    defineRoute({
      method: 'get',
      path: '/me/sessions',
      tag,
      summary: 'List your active sessions (ACC-5)',
      description:
        'Where and when you are signed in: browser and device, the network it came from, when it ' +
        'started and was last active, and the apps signed in through it. `current` marks the session ' +
        'of the calling token. For people only: an app token gets 403.',
      status: 200,
      response: sessionListDto,
      handler: async ({ ctx }) =>
        withApps(await sessions.listForUser(ctx, tenantOf(ctx), callingPerson(ctx, 'sessions'))),
    }),
    defineRoute({
      method: 'delete',
      path: '/me/sessions/:sessionId',
      tag,
      summary: 'End one of your sessions (ACC-5)',
      description: `${ENDING} Audited as \`session.end\`.`,
      params: ownSessionParams,
      status: 204,
      errors: ['session.not_found'],
      handler: async ({ ctx, params }) => {
        await end(ctx, tenantOf(ctx), callingPerson(ctx, 'sessions'), params.sessionId);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/users/:userId/sessions',
      tag,
      summary: "List a user's active sessions (ACC-5)",
      permission: 'users.manage on the master, unless it is yourself',
      params: userSessionParams,
      status: 200,
      response: sessionListDto,
      errors: ['user.not_found'],
      handler: async ({ ctx, params }) => {
        const tenantId = tenantOf(ctx);
        await users.get(ctx, tenantId, params.userId);
        return withApps(await sessions.listForUser(ctx, tenantId, params.userId));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/users/:userId/sessions/:sessionId',
      tag,
      summary: "End one of a user's sessions (ACC-5)",
      description: `${ENDING} Audited as \`session.end\`.`,
      permission: 'users.manage on the master, unless it is yourself',
      params: userSessionItemParams,
      status: 204,
      errors: ['user.not_found', 'session.not_found'],
      handler: async ({ ctx, params }) => {
        const tenantId = tenantOf(ctx);
        await users.get(ctx, tenantId, params.userId);
        await end(ctx, tenantId, params.userId, params.sessionId);
      },
    }),
  ];
}

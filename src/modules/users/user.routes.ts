import { type RequestContext, tenantOf } from '../../platform/context.ts';
import { defineRoute } from '../../platform/http/route.ts';
import { userDto, userListQuery, userPageDto, userParams } from './user.dto.ts';
import { profileUpdateSchema } from './user.schema.ts';
import type { UserService } from './user.service.ts';

const tag = 'Users';
const lifecycle =
  'Ends all of their sessions and makes every token issued to them inactive at once (USR-3). ' +
  'The owner of a node cannot be disabled or deleted: transfer ownership first (ORG-5).';

/** SEC-6: the sign-in module's unlock, passed in rather than imported (sign-in depends on users). */
interface SignInUnlock {
  unlock(ctx: RequestContext, tenantId: string, target: { userId: string }): Promise<unknown>;
}

/** Users of the caller's master org: list, read, profile, lifecycle and sign-in lockouts (USR-1…USR-4, SEC-6). */
export function userRoutes(deps: { users: UserService; signIn: SignInUnlock }) {
  const { users, signIn } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/users',
      tag,
      summary: 'List the users of your organization, page by page, optionally searching',
      description: 'Deleted users are not listed.',
      permission: 'users.manage on the master',
      query: userListQuery,
      status: 200,
      response: userPageDto,
      handler: async ({ ctx, query }) => {
        const { users: items, total } = await users.list(ctx, tenantOf(ctx), query);
        return { items, total, limit: query.limit, offset: query.offset };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/users/:userId',
      tag,
      summary: 'Read a user',
      description: 'Everyone may read their own user (USR-4).',
      permission: 'users.manage on the master, unless it is yourself',
      params: userParams,
      status: 200,
      response: userDto,
      errors: ['user.not_found'],
      handler: ({ ctx, params }) => users.get(ctx, tenantOf(ctx), params.userId),
    }),
    defineRoute({
      method: 'patch',
      path: '/users/:userId',
      tag,
      summary: "Change a user's name or email",
      description:
        'A new email address is unverified (ACC-3): a person with a password here is mailed a link to ' +
        'verify it (if the mail cannot be sent, the change stands and a link can be sent again); a user ' +
        "of an identity provider gets the provider's address back, with its status, at the next sign-in. " +
        "SEC-9: that mail counts on the organization's daily invitation quota, and a user's address changes " +
        'at most five times an hour; beyond either, 429 with Retry-After and nothing is changed.',
      permission: 'users.manage on the master',
      params: userParams,
      body: profileUpdateSchema,
      status: 200,
      response: userDto,
      errors: ['user.not_found', 'invitation.quota_exceeded', 'request.rate_limited'],
      handler: ({ ctx, params, body }) => users.updateProfile(ctx, tenantOf(ctx), params.userId, body),
    }),
    defineRoute({
      method: 'post',
      path: '/users/:userId/disable',
      tag,
      summary: 'Disable a user',
      description: `${lifecycle} Disabling a disabled user changes nothing.`,
      permission: 'users.manage on the master',
      params: userParams,
      status: 200,
      response: userDto,
      errors: ['user.not_found', 'organization.owner_protected'],
      handler: ({ ctx, params }) => users.disable(ctx, tenantOf(ctx), params.userId),
    }),
    defineRoute({
      method: 'post',
      path: '/users/:userId/enable',
      tag,
      summary: 'Enable a disabled user',
      description: 'Tokens that ended when the user was disabled stay ended: the user signs in again.',
      permission: 'users.manage on the master',
      params: userParams,
      status: 200,
      response: userDto,
      errors: ['user.not_found'],
      handler: ({ ctx, params }) => users.enable(ctx, tenantOf(ctx), params.userId),
    }),
    defineRoute({
      method: 'post',
      path: '/users/:userId/unlock',
      tag,
      summary: "Lift a user's sign-in lockouts",
      description:
        'Forgets every failed password sign-in counted against the username and every lockout they ' +
        'caused, from each address and browser and across the account (SEC-6), on every node at once. ' +
        'Answers 204 whether or not anything was locked; recorded in the audit log as `user.unlock`.',
      permission: 'users.manage on the master',
      params: userParams,
      status: 204,
      errors: ['user.not_found'],
      handler: async ({ ctx, params }) => {
        await signIn.unlock(ctx, tenantOf(ctx), { userId: params.userId });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/users/:userId',
      tag,
      summary: 'Delete a user',
      description: `${lifecycle} Deletion is soft: the user is kept for audit and the username stays taken.`,
      permission: 'users.manage on the master',
      params: userParams,
      status: 204,
      errors: ['user.not_found', 'organization.owner_protected'],
      handler: async ({ ctx, params }) => {
        await users.delete(ctx, tenantOf(ctx), params.userId);
      },
    }),
  ];
}

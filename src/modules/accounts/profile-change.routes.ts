import { tenantOf } from '../../platform/context.ts';
import { defineRoute } from '../../platform/http/route.ts';
import { callingPerson } from '../sessions/index.ts';
import { userDto } from '../users/index.ts';
import { ownProfileSchema, type ProfileChange } from './profile-change.ts';

/** ACC-3: `PATCH /me`. */
export function profileChangeRoutes(deps: { accounts: { profileChange: ProfileChange } }) {
  return [
    defineRoute({
      method: 'patch',
      path: '/me',
      tag: 'Me',
      summary: 'Change your name or email (ACC-3)',
      description:
        'Anyone signed in may change their name. The email of a person with a password here changes ' +
        'only with `currentPassword` (a wrong or missing one is 403 `password.current_invalid`; after ' +
        'five wrong ones in fifteen minutes, counted with those of the password change, every attempt ' +
        'is 429 with Retry-After until they pass); users of an identity provider get 409 ' +
        '`user.not_local` (their provider owns the address). A new address is unverified: a link to ' +
        'verify it is mailed there and the old address is told of the change. SEC-9: that mail counts ' +
        "on the organization's daily invitation quota, and an address changes at most five times an " +
        'hour; beyond either, 429 with Retry-After and nothing is changed. Audited as `user.update`.',
      body: ownProfileSchema,
      status: 200,
      response: userDto,
      errors: [
        'password.current_invalid',
        'user.not_local',
        'invitation.quota_exceeded',
        'request.rate_limited',
      ],
      handler: ({ ctx, body }) =>
        deps.accounts.profileChange.change(ctx, tenantOf(ctx), callingPerson(ctx, 'a profile'), body),
    }),
  ];
}

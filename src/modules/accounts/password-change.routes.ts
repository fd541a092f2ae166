import { tenantOf } from '../../platform/context.ts';
import { AppError } from '../../platform/errors/index.ts';
import { defineRoute } from '../../platform/http/route.ts';
import { callingPerson, type ProviderSessions } from '../sessions/index.ts';
import { passwordChangeSchema } from './password-change.schema.ts';
import type { PasswordChange } from './password-change.ts';

/** ACC-2: `POST /me/password`. */
export function passwordChangeRoutes(deps: {
  accounts: { passwordChange: PasswordChange };
  oidc: Pick<ProviderSessions, 'revokeSessionGrants'>;
}) {
  return [
    defineRoute({
      method: 'post',
      path: '/me/password',
      tag: 'Me',
      summary: 'Change your password (ACC-2)',
      description:
        'For a person with a password here (409 `user.not_local` for users of an identity provider). ' +
        'The current password is required: a wrong one is 403 `password.current_invalid`, and after ' +
        'five wrong ones in fifteen minutes every attempt is 429 with Retry-After until they pass. The ' +
        'new password must meet the organization’s password policy (422 `password.policy`, naming the ' +
        'rule). Every other session of yours ends, with its tokens, on every node; the session of the ' +
        'calling token stays. The other sessions’ grants are revoked before the password changes: ' +
        'after a 5xx nothing has changed but those, and the same request can be made again. ' +
        'Audited as `user.password_change`.',
      body: passwordChangeSchema,
      status: 204,
      errors: ['password.current_invalid', 'password.policy', 'user.not_local', 'request.rate_limited'],
      handler: async ({ ctx, body, res }) => {
        const userId = callingPerson(ctx, 'a password');
        try {
          await deps.accounts.passwordChange.change(
            ctx,
            tenantOf(ctx),
            userId,
            body,
            deps.oidc.revokeSessionGrants,
          );
        } catch (err) {
          if (err instanceof AppError && err.code === 'request.rate_limited')
            res.setHeader('Retry-After', String(err.details?.retryAfterSeconds ?? 900));
          throw err;
        }
      },
    }),
  ];
}

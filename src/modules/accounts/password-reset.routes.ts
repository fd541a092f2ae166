import { z } from 'zod';
import { tenantOf } from '../../platform/context.ts';
import { AppError } from '../../platform/errors/index.ts';
import { defineRoute } from '../../platform/http/route.ts';
import { userParams } from '../users/index.ts';
import type { PasswordReset } from './password-reset.ts';

const sentDto = z.object({
  email: z.string().describe('The verified address the link was sent to'),
  expiresAt: z.iso.datetime().describe('When the link stops working (30 minutes after it was sent)'),
  delivery: z
    .enum(['sent', 'failed'])
    .describe('`failed`: the mail server refused the message; the link was issued, send another'),
});

/** ACC-5: an administrator sends a user a password reset link (never a password they would know). */
export function passwordResetRoutes(deps: { accounts: { reset: Pick<PasswordReset, 'adminSend'> } }) {
  const { reset } = deps.accounts;
  return [
    defineRoute({
      method: 'post',
      path: '/users/:userId/password-reset',
      tag: 'Users',
      summary: 'Send a user a link to set a new password',
      description:
        'Mails a single-use link, valid 30 minutes, to the user’s verified email address (ACC-1, ' +
        'ACC-5); any earlier link stops working. Nobody but the user learns the new password: setting ' +
        'it ends all of their sessions and makes every token issued to them inactive. Only local users ' +
        'with a verified address can be sent one; at most a few links per user and hour. Recorded in ' +
        'the audit log as `user.password_reset_sent`.',
      permission: 'users.manage on the master',
      params: userParams,
      status: 200,
      response: sentDto,
      errors: [
        'auth.permission_denied',
        'user.not_found',
        'user.inactive',
        'user.not_local',
        'user.email_unverified',
        'request.rate_limited',
      ],
      handler: async ({ ctx, params, res }) => {
        try {
          return await reset.adminSend(ctx, tenantOf(ctx), params.userId);
        } catch (err) {
          const wait = err instanceof AppError ? err.details?.retryAfterSeconds : undefined;
          if (typeof wait === 'number') res.setHeader('Retry-After', String(wait));
          throw err;
        }
      },
    }),
  ];
}

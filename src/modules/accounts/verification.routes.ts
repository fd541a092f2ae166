import { z } from 'zod';
import { type RequestContext, tenantOf } from '../../platform/context.ts';
import { defineRoute } from '../../platform/http/route.ts';
import { callingPerson } from '../sessions/index.ts';
import { userParams } from '../users/index.ts';
import type { EmailVerification } from './email-verification.ts';

const tag = 'Users';

const sentDto = z.object({
  email: z.string().describe('The address the link was sent to: the user’s address now'),
  expiresAt: z.iso.datetime().describe('The link works once, until then (a day)'),
  delivery: z
    .enum(['sent', 'failed'])
    .describe(
      '`failed`: the mail server refused or could not be reached; the link stands, send another later',
    ),
});

const RULES =
  'A new single-use link to the address the user has now, valid for a day; earlier links stop ' +
  'working. 409 `user.email_already_verified` when it is verified, `user.not_local` for users of an ' +
  'identity provider (their provider says whether their address is verified), `user.inactive` for a ' +
  'disabled user. At most five an hour per user (429 with Retry-After); each counts on the ' +
  "organization's daily invitation quota (SEC-9: 429 `invitation.quota_exceeded`). Audited as " +
  '`user.email_verification_sent`.';

const ERRORS = [
  'user.not_found',
  'user.email_already_verified',
  'user.not_local',
  'user.inactive',
  'request.rate_limited',
  'invitation.quota_exceeded',
] as const;

/** ACC-3: sending a user a new email verification link. */
export function verificationRoutes(deps: { accounts: { emailVerification: EmailVerification } }) {
  // A 429's Retry-After is the error handler's (from `retryAfterSeconds`).
  const resend = (ctx: RequestContext, userId: string) =>
    deps.accounts.emailVerification.resend(ctx, tenantOf(ctx), userId);
  return [
    defineRoute({
      method: 'post',
      path: '/users/:userId/verification-email',
      tag,
      summary: 'Send a user a new link to verify their email address (ACC-3)',
      description: `${RULES} Everyone may ask for their own.`,
      permission: 'users.manage on the master, unless it is yourself',
      params: userParams,
      status: 200,
      response: sentDto,
      errors: [...ERRORS],
      handler: ({ ctx, params }) => resend(ctx, params.userId),
    }),
    defineRoute({
      method: 'post',
      path: '/me/verification-email',
      tag: 'Me',
      summary: 'Send yourself a new link to verify your email address (ACC-3)',
      description: RULES,
      status: 200,
      response: sentDto,
      errors: [...ERRORS],
      handler: ({ ctx }) => resend(ctx, callingPerson(ctx, 'an email address')),
    }),
  ];
}

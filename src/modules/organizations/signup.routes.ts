import { z } from 'zod';
import type { RequestContext } from '../../platform/context.ts';
import { AppError } from '../../platform/errors/index.ts';
import { defineRoute } from '../../platform/http/route.ts';
import type { RequestThrottle } from '../../platform/throttle/index.ts';
import { environmentDto } from '../environments/index.ts';
import { userDto } from '../users/index.ts';
import { signupSchema } from './organization.schema.ts';
import type { SignupMode, SignupResult } from './signup.service.ts';

const signupResultDto = z.object({
  organization: z.object({ id: z.uuid(), name: z.string(), domain: z.string() }),
  user: userDto,
  environments: z.array(environmentDto),
  signInUrl: z.url().describe("The company's sign-in address, `/login/{domain}` (ORG-3)"),
});

/**
 * ORG-1 without a browser: the same service and throttle as the `/signup` form. Anonymous, so it
 * is mounted before bearer authentication; it answers no token (the new user signs in for one).
 */
export function signupRoutes(deps: {
  signUp(ctx: RequestContext, input: unknown): Promise<SignupResult>;
  signupThrottle: RequestThrottle;
  publicUrl: string;
  /** SIGNUP_MODE: when closed, refused before the throttle counts anything. */
  signupMode: SignupMode;
}) {
  return [
    defineRoute({
      method: 'post',
      path: '/signup',
      tag: 'Sign-up',
      summary: 'Sign a company up: its master organization and first administrator',
      description:
        'ORG-1. No token needed; limited per source address (`SIGNUPS_PER_ADDRESS_PER_HOUR`). ' +
        'With `SIGNUP_MODE=closed`, 403 `signup.closed`: only the operator creates organizations (SEC-9). ' +
        'The password meets the password policy at its defaults (ACC-4): else 422 `password.policy`, ' +
        'whose `details.rule` names the rule that failed.',
      public: true,
      body: signupSchema,
      status: 201,
      response: signupResultDto,
      errors: ['organization.domain_taken', 'signup.closed', 'request.rate_limited', 'password.policy'],
      handler: async ({ req, res, body }) => {
        if (deps.signupMode === 'closed') throw new AppError('signup.closed');
        await deps.signupThrottle(res, `ip:${req.ip ?? ''}`);
        const result = await deps.signUp({ actor: { kind: 'anonymous' }, requestId: req.id }, body);
        const domain = result.organization.domain ?? '';
        return {
          organization: { id: result.organization.id, name: result.organization.name, domain },
          user: result.user,
          environments: result.environments,
          signInUrl: `${deps.publicUrl}/login/${encodeURIComponent(domain)}`,
        };
      },
    }),
  ];
}

import { type Request, type Response, Router } from 'express';
import type { PasswordReset } from '../../modules/accounts/index.ts';
import { formBody } from '../../platform/http/body-parsers.ts';
import { forgotPage, forgotSentPage, interactionPurpose, sendPage } from '../../web/index.ts';
import {
  createInteractionContext,
  type InteractionContext,
  type InteractionContextDeps,
} from './interaction-context.ts';

export interface ForgotDeps extends InteractionContextDeps {
  reset: Pick<PasswordReset, 'request'>;
  /** The login page's sign-in methods (FED-2, FED-5): no password form, no "Forgot your password?". */
  federation?: { methods(c: InteractionContext): Promise<{ password: boolean }> };
}

const form = formBody({ limit: '8kb' });

/**
 * ACC-1 from the sign-in page: `/interaction/:uid/forgot` asks for a username or an email of the
 * interaction's own organization (APP-2), with the login form's CSRF token. Every request that is
 * not throttled gets the same page, whatever it named; the reset service does the rest after it.
 */
export function forgotRoutes(deps: ForgotDeps): Router {
  const router = Router();
  const { context, checkCsrf } = createInteractionContext(deps);

  const paths = (c: InteractionContext) => {
    const uid = encodeURIComponent(c.details.uid);
    return { action: `/interaction/${uid}/forgot`, signInUrl: `/interaction/${uid}` };
  };

  function showForm(
    res: Response,
    c: InteractionContext,
    status: number,
    more: Partial<Parameters<typeof forgotPage>[0]> = {},
  ) {
    const csrfToken = deps.csrf.issue(interactionPurpose(c.details.uid));
    sendPage(res, status, forgotPage({ orgName: c.org.orgName, csrfToken, ...paths(c), ...more }));
  }

  /** Only while the interaction asks for a sign-in; otherwise back to where it is. */
  const signingIn = (res: Response, c: InteractionContext) => {
    if (c.details.prompt.name === 'login') return true;
    res.redirect(303, paths(c).signInUrl);
    return false;
  };

  router.get('/interaction/:uid/forgot', async (req: Request, res: Response) => {
    const c = await context(req, res);
    if (!signingIn(res, c)) return;
    // Decided as the login page decides its password form; the service checks again (a POST still
    // gets the same answer as any other, and nothing is sent).
    const password = (await deps.federation?.methods(c))?.password ?? true;
    if (!password) return void res.redirect(303, paths(c).signInUrl);
    showForm(res, c, 200);
  });

  router.post('/interaction/:uid/forgot', form, async (req: Request, res: Response) => {
    const c = await context(req, res);
    if (!checkCsrf(req, res, c.details.uid) || !signingIn(res, c)) return;
    const identifier =
      typeof req.body.identifier === 'string' ? req.body.identifier.trim().slice(0, 254) : '';
    if (!identifier) return showForm(res, c, 400, { problem: { kind: 'missing' } });
    const answer = await deps.reset.request(
      { actor: { kind: 'anonymous' }, requestId: req.id },
      { tenantId: c.tenantId, identifier, ip: req.ip ?? '' },
    );
    if (answer.throttled) {
      res.setHeader('Retry-After', String(answer.retryAfterSeconds));
      return showForm(res, c, 429, {
        identifier,
        problem: { kind: 'too_many_requests', retryAfterMinutes: answer.retryAfterSeconds / 60 },
      });
    }
    sendPage(res, 200, forgotSentPage({ orgName: c.org.orgName, signInUrl: paths(c).signInUrl }));
  });

  return router;
}

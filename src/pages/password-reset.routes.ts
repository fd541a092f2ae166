import { type Request, type Response, Router } from 'express';
import type { PasswordReset, ResetLinkSummary } from '../modules/accounts/index.ts';
import { formBody } from '../platform/http/body-parsers.ts';
import { htmlErrorHandler } from '../web/error-pages.ts';
import { sendPage } from '../web/page.ts';
import { type ResetField, resetDonePage, resetPage, resetRefusals } from '../web/templates/password-reset.ts';
import { passwordPolicyProblem } from '../web/templates/password-rules.ts';
import { type LinkPageDeps, linkPages } from './link-pages.ts';

export interface PasswordResetPageDeps extends LinkPageDeps {
  reset: Pick<PasswordReset, 'describe' | 'complete'>;
}

/**
 * ACC-1: `/password-reset/:secret`, the page of a mailed reset link. GET shows the new-password form
 * with the organization's rules and spends nothing; POST checks the CSRF token (bound to the
 * browser-id cookie and the link), the confirmation and the policy, then spends the link and sets the
 * password, which signs the user out everywhere. A used, expired, replaced or unknown link answers
 * 410 and changes nothing. The request log names the route pattern only, never the secret; the
 * pages send no Referer (`no-referrer`), so the secret never leaves in one.
 */
export function passwordResetPageRoutes(deps: PasswordResetPageDeps): Router {
  const router = Router();
  const pages = linkPages(deps, { purpose: 'password-reset', action: 'password reset', ...resetRefusals });
  const form = (
    req: Request,
    res: Response,
    status: number,
    secret: string,
    link: ResetLinkSummary,
    errors: Partial<Record<ResetField, string>> = {},
  ) => {
    const page = resetPage({
      action: `/password-reset/${encodeURIComponent(secret)}`,
      csrfToken: pages.csrfToken(req, res, secret),
      username: link.username,
      orgName: link.organizationName,
      rules: link.rules,
      errors,
    });
    sendPage(res, status, page);
  };

  router.get('/password-reset/:secret', async (req, res) => {
    const secret = String(req.params.secret);
    await pages.orDeadLink(req, res, async () =>
      form(req, res, 200, secret, await deps.reset.describe(secret)),
    );
  });

  router.post('/password-reset/:secret', formBody({ limit: '8kb' }), async (req, res) => {
    const secret = String(req.params.secret);
    const body: Record<string, unknown> = req.body ?? {};
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
    if (!pages.csrfChecked(req, res, secret, body)) return;
    await pages.orDeadLink(req, res, async () => {
      const password = text('password');
      if (password !== text('passwordConfirm')) {
        form(req, res, 400, secret, await deps.reset.describe(secret), {
          passwordConfirm: 'does not match the new password',
        });
        return;
      }
      try {
        const done = await deps.reset.complete(
          { actor: { kind: 'anonymous' }, requestId: req.id },
          secret,
          password,
        );
        sendPage(res, 200, resetDonePage({ signInUrl: `/login/${encodeURIComponent(done.domain)}` }));
      } catch (err) {
        const problem = passwordPolicyProblem(err);
        if (problem === undefined) throw err;
        form(req, res, 422, secret, await deps.reset.describe(secret), { password: problem });
      }
    });
  });
  router.use(htmlErrorHandler());
  return router;
}

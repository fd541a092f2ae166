import { Router } from 'express';
import type { EmailVerification } from '../modules/accounts/index.ts';
import { formBody } from '../platform/http/body-parsers.ts';
import { sendPage } from '../web/page.ts';
import { emailVerifiedPage, verifyEmailPage, verifyEmailRefusals } from '../web/templates/verify-email.ts';
import { type LinkPageDeps, linkPages } from './link-pages.ts';

export interface VerifyEmailPageDeps extends LinkPageDeps {
  verification: Pick<EmailVerification, 'describe' | 'complete'>;
}

/**
 * ACC-3: `/verify-email/:secret`, the page of a mailed verification link. GET shows the address and
 * a "Verify" button and spends nothing, so that mail scanners that fetch links do not use them up;
 * POST checks the CSRF token (bound to the browser-id cookie and the link), then spends the link and
 * marks the address verified. A used, expired, replaced or outdated link answers 410 and changes
 * nothing. The request log names the route pattern only; the pages send no Referer.
 */
export function verifyEmailRoutes(deps: VerifyEmailPageDeps): Router {
  const router = Router();
  const pages = linkPages(deps, {
    purpose: 'verify-email',
    action: 'email verification',
    ...verifyEmailRefusals,
  });

  router.get('/verify-email/:secret', async (req, res) => {
    const secret = String(req.params.secret);
    await pages.orDeadLink(req, res, async () => {
      const link = await deps.verification.describe(secret);
      const page = verifyEmailPage({
        action: `/verify-email/${encodeURIComponent(secret)}`,
        csrfToken: pages.csrfToken(req, res, secret),
        email: link.email,
        organizationName: link.organizationName,
      });
      sendPage(res, 200, page);
    });
  });

  router.post('/verify-email/:secret', formBody({ limit: '8kb' }), async (req, res) => {
    const secret = String(req.params.secret);
    if (!pages.csrfChecked(req, res, secret, req.body ?? {})) return;
    await pages.orDeadLink(req, res, async () => {
      const done = await deps.verification.complete(req.id, secret);
      const signInUrl = `/login/${encodeURIComponent(done.domain)}`;
      sendPage(res, 200, emailVerifiedPage({ email: done.email, signInUrl }));
    });
  });
  return router;
}

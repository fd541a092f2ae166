import { type Request, type Response, Router } from 'express';
import type { OrganizationService } from '../modules/organizations/index.ts';
import { html } from '../web/html.ts';
import { renderPage, sendPage } from '../web/page.ts';
import { baseSecurityHeaders } from '../web/security-headers.ts';
import { errorPage } from '../web/templates/error.ts';
import { messagePage } from '../web/templates/message.ts';
import { CONSOLE_ASSETS_PREFIX, CONSOLE_ENTRY_HREF, serveConsoleModule } from './console-assets.ts';

const DOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Tenant entry points: `/login/:domain` (ORG-3, SESS-1) hands over to the console, which signs the
 * user in through the provider with the org named; `/console/` is the console's page.
 */
export function consoleRoutes(deps: {
  organizations: Pick<OrganizationService, 'masterByDomain'>;
  /** SIGNUP_MODE (SEC-9): when closed, the console offers no sign-up link. */
  signupOpen?: boolean;
}): Router {
  const router = Router();
  router.get(`${CONSOLE_ASSETS_PREFIX}/:version/*file`, serveConsoleModule);

  router.get('/login/:domain', async (req: Request, res: Response) => {
    const domain = String(req.params.domain).toLowerCase();
    // From memory, so this page keeps answering under load; an ORG-3 change reaches every node at once.
    const org = DOMAIN.test(domain) ? await deps.organizations.masterByDomain(domain) : undefined;
    if (!org) {
      // The old domain of a renamed org lands here too (ORG-3): it no longer names anyone.
      return sendPage(
        res,
        404,
        errorPage({
          status: 404,
          title: 'No such organization',
          message: 'No organization signs in at this address. Check the address with your administrator.',
          requestId: req.id,
        }),
      );
    }
    res.set(baseSecurityHeaders()).redirect(303, `/console/?org=${encodeURIComponent(org.domain)}`);
  });

  router.get('/console/', (_req, res) => {
    const body = html`<div id="console" data-signup="${deps.signupOpen === false ? 'closed' : 'open'}"><p>Loading…</p></div>
<noscript><p>The console needs JavaScript.</p></noscript>`;
    sendPage(res, 200, renderPage({ title: 'Console', body, scripts: [CONSOLE_ENTRY_HREF], wide: true }));
  });

  router.get('/console/signed-out', (_req, res) => {
    sendPage(
      res,
      200,
      messagePage({
        title: 'You are signed out',
        paragraphs: ['Your Canopy session has ended in this browser, for every app.'],
        link: { href: '/console/', text: 'Sign in again' },
      }),
    );
  });
  return router;
}

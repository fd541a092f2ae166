import { Router } from 'express';
import type { Config } from '../config/schema.ts';
import { consoleRoutes } from '../console/console.routes.ts';
import type { EmailVerification } from '../modules/accounts/index.ts';
import type { OrganizationService, SignupResult } from '../modules/organizations/index.ts';
import type { Clock } from '../platform/clock.ts';
import type { RequestContext } from '../platform/context.ts';
import type { Logger } from '../platform/logger.ts';
import type { RequestThrottle } from '../platform/throttle/index.ts';
import { STYLESHEET_PATH, serveStylesheet } from '../web/assets.ts';
import { browserIdCookie } from '../web/browser-id.ts';
import { createCsrf } from '../web/csrf.ts';
import { htmlErrorHandler } from '../web/error-pages.ts';
import { baseSecurityHeaders } from '../web/security-headers.ts';
import { signupRoutes } from './signup.routes.ts';
import { verifyEmailRoutes } from './verify-email.routes.ts';

export interface PageDeps {
  config: Readonly<Config>;
  logger: Logger;
  signUp(ctx: RequestContext, input: unknown): Promise<SignupResult>;
  signupThrottle: RequestThrottle;
  organizations: Pick<OrganizationService, 'masterByDomain'>;
  /** ACC-3: the pages of mailed verification links. */
  emailVerification: Pick<EmailVerification, 'describe' | 'complete'>;
  /** Key material for CSRF tokens (≥ 32 bytes, the same on every node); HKDF-derived again inside. */
  csrfKey: Buffer | readonly Buffer[];
  /** Token expiry reads this clock; the system clock by default. */
  clock?: Clock;
}

/**
 * Server-rendered pages: the stylesheet, `/`, `/signup` and `/verify-email/:secret`. `/` leads newcomers to the sign-up
 * form, or to the console's sign-in when sign-up is closed (SEC-9). Errors in these routes answer
 * an HTML error page; every other path falls through to the API's handlers.
 */
export function createPageRoutes(deps: PageDeps): Router {
  const csrf = createCsrf({ key: deps.csrfKey, clock: deps.clock });
  const router = Router();
  router.get(STYLESHEET_PATH, serveStylesheet);
  const signupMode = deps.config.organizations.signupMode;
  router.get('/', (_req, res) => {
    res.set(baseSecurityHeaders()).redirect(303, signupMode === 'open' ? '/signup' : '/console/');
  });
  router.use(
    signupRoutes({
      publicUrl: deps.config.server.publicUrl,
      signUp: deps.signUp,
      throttle: deps.signupThrottle,
      csrf,
      browserCookie: browserIdCookie(deps.config.server.publicUrl),
      signupMode,
    }),
  );
  // ACC-3: `/verify-email/:secret`, the page of a mailed verification link.
  const browserCookie = browserIdCookie(deps.config.server.publicUrl);
  router.use(verifyEmailRoutes({ verification: deps.emailVerification, csrf, browserCookie }));
  router.use(consoleRoutes({ organizations: deps.organizations, signupOpen: signupMode === 'open' }));
  router.use(htmlErrorHandler());
  return router;
}

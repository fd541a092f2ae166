import { type Request, type Response, Router } from 'express';
import { errors, type InteractionResults, type Provider } from 'oidc-provider';
import type { PasswordReset } from '../../modules/accounts/index.ts';
import type { TenantDirectory } from '../../modules/roles/index.ts';
import type { SignInService } from '../../modules/sign-in/index.ts';
import type { RequestContext } from '../../platform/context.ts';
import { describeUnavailable } from '../../platform/errors/unavailable.ts';
import { formBody } from '../../platform/http/body-parsers.ts';
import {
  type Csrf,
  consentPage,
  errorPage,
  htmlErrorHandler,
  interactionPurpose,
  type LoginProblem,
  loginPage,
  sendPage,
} from '../../web/index.ts';
import { isNodeScope } from '../claims.ts';
import { recordConsentedRedirect } from '../grants.ts';
import { ORG_RESOURCE } from '../resources.ts';
import type { TenantResolver } from '../tenancy.ts';
import { type DeviceCookie, readDevices, setDevice } from './device-cookie.ts';
import type { FederatedLogin } from './federation.routes.ts';
import { forgotRoutes } from './forgot.routes.ts';
import { createInteractionContext, type InteractionContext } from './interaction-context.ts';

export interface InteractionDeps {
  provider(): Provider;
  tenantFor: TenantResolver;
  directory: TenantDirectory;
  signIn: SignInService;
  csrf: Csrf;
  /** FED-2: identity providers on the login page, and their routes; absent, password only. */
  federation?: FederatedLogin;
  /** SEC-6: the cookie by which a browser that signed in to an account before is known to it. */
  deviceCookie: DeviceCookie;
  /** ACC-1: "Forgot your password?" and its request page (forgot.routes.ts); absent, neither. */
  passwordReset?: Pick<PasswordReset, 'request'>;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const form = formBody({ limit: '8kb' });

/**
 * Canopy's sign-in and consent pages for the provider's interactions (SESS-1). The form posts are
 * CSRF-checked with a token bound to the interaction; sign-in goes through the throttled,
 * audited sign-in service, scoped to the app's own master org (APP-2).
 */
export function interactionRoutes(deps: InteractionDeps): Router {
  const router = Router();

  const { context, checkCsrf } = createInteractionContext(deps);
  if (deps.federation) router.use(deps.federation.router);
  if (deps.passwordReset) router.use(forgotRoutes({ ...deps, reset: deps.passwordReset }));

  async function renderLogin(
    req: Request,
    res: Response,
    c: InteractionContext,
    status = 200,
    extra: { username?: string; problem?: LoginProblem } = {},
  ) {
    const uid = c.details.uid;
    const methods = await deps.federation?.methods(c);
    const providers = methods?.providers ?? [];
    // FED-2: one provider and no password form: straight to it (no page to choose from).
    if (providers.length === 1 && methods?.password === false && status === 200)
      return deps.federation!.start(req, res, c, providers[0]!.id);
    sendPage(
      res,
      status,
      loginPage({
        org: c.org,
        appName: c.client.clientName,
        action: `/interaction/${uid}/login`,
        csrfToken: deps.csrf.issue(interactionPurpose(uid)),
        // The provider buttons' POSTs end at the provider (Chrome applies form-action to redirects).
        formActionUrls: [...c.redirectUri, ...providers.map((p) => p.signInUrl)],
        providers,
        passwordForm: methods?.password ?? true,
        forgotUrl: deps.passwordReset && `/interaction/${encodeURIComponent(uid)}/forgot`,
        ...extra,
      }),
    );
  }

  /** What consent is asked for: OIDC scopes, and the node scope carried by Canopy's org resource. */
  function requestedScopes(details: Details): string[] {
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    return [
      ...new Set([
        ...(missing.missingOIDCScope ?? []),
        ...(missing.missingResourceScopes?.[ORG_RESOURCE] ?? []),
      ]),
    ];
  }

  /**
   * A consent asked only because the redirect URI is new to the user's consent (SEC-3) shows what
   * the app would get there: what the request asks for, all of it granted before.
   */
  async function scopesToShow(c: InteractionContext): Promise<string[]> {
    const missing = requestedScopes(c.details);
    if (missing.length > 0 || !c.details.grantId) return missing;
    const grant = await c.provider.Grant.find(c.details.grantId);
    const asked = new Set(String(c.details.params.scope ?? '').split(' '));
    const granted = `${grant?.getOIDCScopeFiltered(asked) ?? ''} ${grant?.getResourceScopeFiltered(ORG_RESOURCE, asked) ?? ''}`;
    return [...new Set(granted.split(' ').filter(Boolean))];
  }

  router.get('/interaction/:uid', async (req, res) => {
    const c = await context(req, res);
    if (c.details.prompt.name === 'login') {
      if (await deps.federation?.finishHandoff(req, res, c)) return;
      return renderLogin(req, res, c);
    }
    const scopes = await scopesToShow(c);
    const nodeNames = Object.fromEntries(
      scopes.filter(isNodeScope).map((s) => {
        const id = s.slice('org:'.length).toLowerCase();
        return [s.slice('org:'.length), c.index.node(id)?.name ?? 'an organization'];
      }),
    );
    sendPage(
      res,
      200,
      consentPage({
        appName: c.client.clientName ?? c.client.clientId,
        orgName: c.org.orgName,
        scopes,
        nodeNames,
        allowAction: `/interaction/${c.details.uid}/consent`,
        denyAction: `/interaction/${c.details.uid}/consent`,
        csrfToken: deps.csrf.issue(interactionPurpose(c.details.uid)),
        formActionUrls: c.redirectUri,
      }),
    );
  });

  router.post('/interaction/:uid/login', form, async (req, res) => {
    const c = await context(req, res);
    if (!checkCsrf(req, res, c.details.uid) || c.details.prompt.name !== 'login') return;
    const username = typeof req.body.username === 'string' ? req.body.username.slice(0, 255) : '';
    const password = typeof req.body.password === 'string' ? req.body.password : '';
    const result = await deps.signIn.authenticate(anonymous(req), {
      tenantId: c.tenantId,
      username,
      password,
      ip: req.ip ?? '',
      devices: readDevices(req, deps.deviceCookie),
      clientId: c.client.clientId,
    });
    if (result.ok) {
      setDevice(res, deps.deviceCookie, result.device);
      const outcome: InteractionResults = { login: { accountId: result.userId, amr: ['pwd'] } };
      return c.provider.interactionFinished(req, res, outcome, { mergeWithLastSubmission: false });
    }
    if (result.reason === 'throttled') {
      res.setHeader('Retry-After', String(result.retryAfterSeconds));
      return renderLogin(req, res, c, 429, {
        username,
        problem: { kind: 'too_many_attempts', retryAfterMinutes: result.retryAfterSeconds / 60 },
      });
    }
    await renderLogin(req, res, c, 401, { username, problem: { kind: 'invalid_credentials' } });
  });

  router.post('/interaction/:uid/consent', form, async (req, res) => {
    const c = await context(req, res);
    if (!checkCsrf(req, res, c.details.uid) || c.details.prompt.name !== 'consent') return;
    if (req.body.decision !== 'allow') {
      const denied: InteractionResults = { error: 'access_denied', error_description: 'The user declined' };
      return c.provider.interactionFinished(req, res, denied, { mergeWithLastSubmission: false });
    }
    const { details, provider } = c;
    const accountId = details.session?.accountId;
    if (!accountId) throw new errors.SessionNotFound('no signed-in user');
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) ??
        new provider.Grant({ accountId, clientId: c.client.clientId }))
      : new provider.Grant({ accountId, clientId: c.client.clientId });
    const missing = details.prompt.details as {
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    // The node scope is granted on its resource server and among the OIDC scopes, where the claims look.
    // None are missing when only the redirect URI was new (SEC-3): the rest was granted before.
    const asked = requestedScopes(details);
    if (asked.length > 0) grant.addOIDCScope(asked.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    recordConsentedRedirect(grant, c.client, details.params.redirect_uri);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  });

  // An interaction whose cookie is gone or expired cannot continue: say so, without internals.
  router.use('/interaction', (err: unknown, req: Request, res: Response, next: (err?: unknown) => void) => {
    if (!(err instanceof errors.OIDCProviderError)) return next(err);
    const expired = err instanceof errors.SessionNotFound;
    sendPage(
      res,
      400,
      errorPage({
        status: 400,
        title: expired ? 'This sign-in has expired' : 'This sign-in cannot continue',
        message: expired ? 'Go back to the app and sign in again.' : err.error_description,
        requestId: req.id,
      }),
    );
  });
  // REL-2: a person signing in while PostgreSQL or Redis is away gets the 503 page, not API JSON.
  const outagePage = htmlErrorHandler();
  router.use('/interaction', (err: unknown, req: Request, res: Response, next: (err?: unknown) => void) =>
    describeUnavailable(err) ? outagePage(err, req, res, next) : next(err),
  );
  return router;
}

function anonymous(req: Request): RequestContext {
  return { actor: { kind: 'anonymous' }, requestId: req.id };
}

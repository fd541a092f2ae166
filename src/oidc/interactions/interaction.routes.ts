import express, { type Request, type Response, Router } from 'express';
import { errors, type InteractionResults, type Provider } from 'oidc-provider';
import type { Authorizer } from '../../modules/roles/index.ts';
import type { SignInService } from '../../modules/sign-in/index.ts';
import type { RequestContext } from '../../platform/context.ts';
import {
  CSRF_FIELD,
  type Csrf,
  consentPage,
  errorPage,
  interactionPurpose,
  type LoginProblem,
  loginPage,
  sendPage,
} from '../../web/index.ts';
import { isNodeScope } from '../claims.ts';
import { ORG_RESOURCE } from '../resources.ts';
import type { TenantResolver } from '../tenancy.ts';

export interface InteractionDeps {
  provider(): Provider;
  tenantFor: TenantResolver;
  authz: Authorizer;
  signIn: SignInService;
  csrf: Csrf;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const form = express.urlencoded({ extended: false, limit: '8kb' });

/**
 * Canopy's sign-in and consent pages for the provider's interactions (SESS-1). The form posts are
 * CSRF-checked with a token bound to the interaction; sign-in goes through the throttled,
 * audited sign-in service, scoped to the app's own master org (APP-2).
 */
export function interactionRoutes(deps: InteractionDeps): Router {
  const router = Router();

  async function context(req: Request, res: Response) {
    const provider = deps.provider();
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== req.params.uid) throw new errors.SessionNotFound('interaction mismatch');
    const client = await provider.Client.find(String(details.params.client_id));
    if (!client) throw new errors.InvalidClient('unknown client');
    const tenantId = await deps.tenantFor(client, details.params);
    if (!tenantId) throw new errors.InvalidRequest('unknown organization');
    const index = await deps.authz.forTenant(tenantId);
    const org = { orgName: index.root.name, domain: index.settings.domain };
    const redirectUri = typeof details.params.redirect_uri === 'string' ? [details.params.redirect_uri] : [];
    return { provider, details, client, tenantId, index, org, redirectUri };
  }

  function renderLogin(
    res: Response,
    c: Awaited<ReturnType<typeof context>>,
    status = 200,
    extra: { username?: string; problem?: LoginProblem } = {},
  ) {
    const uid = c.details.uid;
    sendPage(
      res,
      status,
      loginPage({
        org: c.org,
        appName: c.client.clientName,
        action: `/interaction/${uid}/login`,
        csrfToken: deps.csrf.issue(interactionPurpose(uid)),
        formActionUrls: c.redirectUri,
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

  router.get('/interaction/:uid', async (req, res) => {
    const c = await context(req, res);
    if (c.details.prompt.name === 'login') return renderLogin(res, c);
    const scopes = requestedScopes(c.details);
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
      clientId: c.client.clientId,
    });
    if (result.ok) {
      const outcome: InteractionResults = { login: { accountId: result.userId, amr: ['pwd'] } };
      return c.provider.interactionFinished(req, res, outcome, { mergeWithLastSubmission: false });
    }
    if (result.reason === 'throttled') {
      res.setHeader('Retry-After', String(result.retryAfterSeconds));
      return renderLogin(res, c, 429, {
        username,
        problem: { kind: 'too_many_attempts', retryAfterMinutes: result.retryAfterSeconds / 60 },
      });
    }
    renderLogin(res, c, 401, { username, problem: { kind: 'invalid_credentials' } });
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
    grant.addOIDCScope(requestedScopes(details).join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  });

  function checkCsrf(req: Request, res: Response, uid: string): boolean {
    const check = deps.csrf.verify(req.body?.[CSRF_FIELD], interactionPurpose(uid));
    if (check.ok) return true;
    sendPage(
      res,
      403,
      errorPage({
        status: 403,
        title: 'This form has expired',
        message: 'Go back to the app and start again.',
        requestId: req.id,
      }),
    );
    return false;
  }

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
  return router;
}

function anonymous(req: Request): RequestContext {
  return { actor: { kind: 'anonymous' }, requestId: req.id };
}

import { type Request, type Response, Router } from 'express';
import { federationUrls, type IdpService } from '../../modules/identity-providers/index.ts';
import { type BrowserIdCookie, ensureBrowserId, readBrowserId } from '../../web/browser-id.ts';
import { SignInRefused } from '../federated-sign-in.ts';
import { type FederationFinish, type FederationStarter, sendRefusal } from '../finish.ts';
import type { FlowStore } from '../flow-store.ts';
import { hashBinding, type OidcFlowData, type OidcUpstreamClient } from './oidc-upstream.ts';

export interface OidcCallbackDeps {
  flows: FlowStore;
  finish: FederationFinish;
  upstream: OidcUpstreamClient;
  identityProviders: Pick<IdpService, 'providerForSignIn'>;
  publicUrl: string;
  browserCookie: BrowserIdCookie;
}

/**
 * FED-7: the redirect URI of every OIDC provider, `/federation/oidc/:providerId/callback`. The
 * flow record is taken by `state` (once: a replay finds nothing), must name this provider (a
 * response meant for another connection is refused: mix-up) and this browser, and the answer is
 * checked against that provider's own configuration only.
 */
export function oidcCallbackRoutes(deps: OidcCallbackDeps): Router {
  const { flows, finish, upstream, identityProviders, publicUrl } = deps;
  const router = Router();

  router.get('/federation/oidc/:providerId/callback', async (req: Request, res: Response) => {
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const record = await flows.take<OidcFlowData>('oidc', state);
    if (!record) return sendRefusal(req, res, 'expired');
    try {
      if (record.providerId !== req.params.providerId)
        throw new SignInRefused('invalid_response', 'answer arrived at another provider’s callback');
      // The browser that started the flow (SameSite=Lax: sent on this top-level redirect back).
      const browser = readBrowserId(req, deps.browserCookie);
      if (!browser || hashBinding(browser) !== record.data.binding)
        throw new SignInRefused('invalid_response', 'answer arrived in another browser');
      const provider = await identityProviders.providerForSignIn(record.tenantId, record.providerId);
      if (provider?.kind !== 'oidc') throw new SignInRefused('provider_unavailable', 'disabled or gone');
      // The redirect URI exactly as registered, whatever proxies did to the host: only the query is theirs.
      const callbackUrl = new URL(federationUrls(publicUrl, provider.id).oidcRedirectUri);
      callbackUrl.search = new URL(req.originalUrl, 'http://callback.invalid').search;
      const profile = await upstream.complete(provider, callbackUrl, { state, data: record.data });
      await finish.finishFederated(req, res, record, profile);
    } catch (err) {
      await finish.refuse(req, res, err, record);
    }
  });
  return router;
}

/**
 * FED-7 start, from the interaction's federate step: PKCE, state (the flow record's id) and nonce,
 * the record bound to this browser, and a 303 to the provider's authorization endpoint.
 */
export function oidcStarter(
  deps: Pick<OidcCallbackDeps, 'flows' | 'upstream' | 'publicUrl' | 'browserCookie'>,
): FederationStarter {
  return async (req, res, flow) => {
    const { provider } = flow;
    if (provider.kind !== 'oidc') throw new SignInRefused('provider_unavailable', 'not an OIDC provider');
    const browser = ensureBrowserId(req, res, deps.browserCookie);
    const redirectUri = federationUrls(deps.publicUrl, provider.id).oidcRedirectUri;
    const url = await deps.upstream.start(provider, redirectUri, browser, (data) =>
      deps.flows.put('oidc', {
        interactionUid: flow.interactionUid,
        tenantId: flow.tenantId,
        providerId: provider.id,
        ...(flow.clientId ? { clientId: flow.clientId } : {}),
        data,
      }),
    );
    res.redirect(303, url.href);
  };
}

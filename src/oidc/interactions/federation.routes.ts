import { type Request, type Response, Router } from 'express';
import type { InteractionResults } from 'oidc-provider';
import {
  type FederationFinish,
  type FederationStarter,
  type FlowStore,
  SignInRefused,
  sendRefusal,
} from '../../federation/index.ts';
import type { IdpKind, IdpService } from '../../modules/identity-providers/index.ts';
import { isUuid } from '../../platform/errors/index.ts';
import { formBody } from '../../platform/http/body-parsers.ts';
import { clearHandoff, type HandoffCookie, readHandoff } from '../../web/index.ts';
import type { AnonymousCap } from '../anonymous-cap.ts';
import { CONSOLE_CLIENT_ID } from '../tenancy.ts';
import {
  createInteractionContext,
  type InteractionContext,
  type InteractionContextDeps,
} from './interaction-context.ts';

export interface FederatedLoginDeps extends InteractionContextDeps {
  identityProviders: Pick<IdpService, 'providerForSignIn' | 'signInMethods'>;
  flows: FlowStore;
  finish: FederationFinish;
  /** One start per protocol; a kind without one is refused (its provider cannot be used yet). */
  starters: Partial<Record<IdpKind, FederationStarter>>;
  /** FED-6 IdP-initiated: the cookie naming an outcome parked by the SAML ACS. */
  handoff: HandoffCookie;
  /** REL-4: a start stores a flow record for someone not signed in; counted per address. */
  anonymousCap: Pick<AnonymousCap, 'admit'>;
}

const form = formBody({ limit: '8kb' });

/**
 * FED-2 from the interaction: the sign-in methods the login page offers, the federate step (a
 * POST with the interaction's CSRF token, so no link can bounce a browser to a provider), and the
 * finish (`/interaction/:uid/federated`, where the interaction cookie is sent again) that turns a
 * stored outcome into the same Canopy login a password gives, with `amr: ['fed']`.
 */
export function createFederatedLogin(deps: FederatedLoginDeps) {
  const { context, checkCsrf } = createInteractionContext(deps);
  const router = Router();

  /** The login page's choices: one button per enabled provider, and whether to show the password form. */
  async function methods(c: InteractionContext) {
    const { providers, password } = await deps.identityProviders.signInMethods(c.tenantId);
    const uid = encodeURIComponent(c.details.uid);
    return {
      providers: providers.map((p) => ({
        id: p.id,
        name: p.name,
        action: `/interaction/${uid}/federate/${encodeURIComponent(p.id)}`,
        signInUrl: p.signInUrl,
      })),
      password,
    };
  }

  /** Sends the browser to a provider of this interaction's master org (never of another one). */
  async function start(req: Request, res: Response, c: InteractionContext, providerId: string) {
    const attempt = { tenantId: c.tenantId, providerId: isUuid(providerId) ? providerId : 'unknown' };
    if (!(await deps.anonymousCap.admit(req, res))) return; // 429 sent
    try {
      const provider = await deps.identityProviders.providerForSignIn(c.tenantId, providerId);
      const starter = provider && deps.starters[provider.kind];
      if (!provider || !starter) throw new SignInRefused('provider_unavailable', 'unknown or disabled');
      await starter(req, res, {
        provider,
        interactionUid: c.details.uid,
        tenantId: c.tenantId,
        clientId: c.client.clientId,
      });
    } catch (err) {
      await deps.finish.refuse(req, res, err, { ...attempt, clientId: c.client.clientId });
    }
  }

  router.post('/interaction/:uid/federate/:providerId', form, async (req, res) => {
    const c = await context(req, res);
    if (!checkCsrf(req, res, c.details.uid)) return;
    if (c.details.prompt.name !== 'login') return sendRefusal(req, res, 'expired');
    await start(req, res, c, String(req.params.providerId));
  });

  router.get('/interaction/:uid/federated', async (req, res) => {
    const c = await context(req, res);
    const outcome = await deps.flows.takeOutcome(c.details.uid);
    // The outcome was stored for this interaction by the flow its record named; the tenant check
    // is a second guard that an account of one master org never signs in to another's app (APP-2).
    if (!outcome || outcome.tenantId !== c.tenantId || c.details.prompt.name !== 'login')
      return sendRefusal(req, res, 'expired');
    const result: InteractionResults = { login: { accountId: outcome.userId, amr: ['fed'] } };
    await c.provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  });

  /**
   * FED-6 IdP-initiated, at the console's login step: an outcome parked by the SAML ACS (its id in
   * the handoff cookie) finishes the login, once, and only for the master org this interaction
   * signs in to (APP-2); one for another org is dropped and the login page shown. Other apps never
   * take it: the IdP-initiated landing is the console. True when the login was finished here.
   */
  async function finishHandoff(req: Request, res: Response, c: InteractionContext): Promise<boolean> {
    if (c.client.clientId !== CONSOLE_CLIENT_ID || c.details.prompt.name !== 'login') return false;
    const parkedId = readHandoff(req, deps.handoff);
    if (!parkedId) return false;
    clearHandoff(res, deps.handoff);
    const outcome = await deps.flows.takeParked(parkedId);
    if (!outcome) return false;
    if (outcome.tenantId !== c.tenantId) {
      req.log.warn({ providerId: outcome.providerId }, 'IdP-initiated outcome of another org ignored');
      return false;
    }
    const result: InteractionResults = { login: { accountId: outcome.userId, amr: ['fed'] } };
    await c.provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return true;
  }

  return { router, methods, start, finishHandoff };
}

export type FederatedLogin = ReturnType<typeof createFederatedLogin>;

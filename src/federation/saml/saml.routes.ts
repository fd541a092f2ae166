import { type Request, type Response, Router } from 'express';
import type { IdpService } from '../../modules/identity-providers/index.ts';
import { formBody } from '../../platform/http/body-parsers.ts';
import type { HandoffCookie } from '../../web/index.ts';
import { SignInRefused } from '../federated-sign-in.ts';
import type { FederationFinish, FederationStarter } from '../finish.ts';
import type { FlowStore } from '../flow-store.ts';
import { refusalOf } from './saml-errors.ts';
import type { createSamlProtocol } from './saml-protocol.ts';
import { acceptUnsolicited } from './saml-unsolicited.ts';

type SamlProtocol = ReturnType<typeof createSamlProtocol>;

export interface SamlRouteDeps {
  saml: SamlProtocol;
  flows: FlowStore;
  finish: FederationFinish;
  /** `samlProviderMaster`: IdP-initiated sign-in finds the provider's master by its id alone. */
  identityProviders: Pick<IdpService, 'providerForSignIn' | 'samlProviderMaster'>;
  /** IdP-initiated sign-in: the cookie the outcome rides in. */
  handoff: HandoffCookie;
}

/** What the flow record keeps: the AuthnRequest this sign-in sent (its answer must name it). */
interface SamlFlowData {
  requestId: string;
}

// The base64 of a 256 KiB response (the protocol's own cap) and the RelayState, with room to spare.
const acsForm = formBody({ limit: '400kb' });

/**
 * FED-6 start, from the interaction's federate step: an AuthnRequest whose RelayState is the flow
 * record's id, the record keeping the request id; then a 303 to the IdP (HTTP-Redirect binding).
 */
export function samlStarter(deps: Pick<SamlRouteDeps, 'saml' | 'flows'>): FederationStarter {
  return async (_req, res, flow) => {
    const { provider } = flow;
    if (provider.kind !== 'saml') throw new SignInRefused('provider_unavailable', 'not a SAML provider');
    const record = (data: SamlFlowData) => ({
      interactionUid: flow.interactionUid,
      tenantId: flow.tenantId,
      providerId: provider.id,
      ...(flow.clientId ? { clientId: flow.clientId } : {}),
      data,
    });
    // The record's id is the RelayState: written first, completed with the request's id after.
    const flowId = await deps.flows.put('saml', record({ requestId: '' }));
    const started = await deps.saml.start(provider, flowId);
    await deps.flows.put('saml', record({ requestId: started.requestId }), flowId);
    res.redirect(303, started.redirectUrl);
  };
}

/**
 * FED-6: the assertion consumer of each SAML provider, `POST /saml/:providerId/acs`. The response
 * is validated against that provider's configuration only; its RelayState names the flow record
 * (taken once), which must be for this provider and for the very request the response answers.
 * Without a usable record (no RelayState, or one naming none: IdPs put their own values there), the
 * answer is IdP-initiated, or late: saml-unsolicited.ts decides.
 */
export function samlAcsRoutes(deps: SamlRouteDeps): Router {
  const router = Router();
  router.post('/saml/:providerId/acs', acsForm, async (req: Request, res: Response) => {
    const providerId = req.params.providerId ?? '';
    const relayState = typeof req.body?.RelayState === 'string' ? req.body.RelayState : '';
    const record = relayState ? await deps.flows.take<SamlFlowData>('saml', relayState) : undefined;
    if (!record) return acceptUnsolicited(deps, req, res, String(providerId));
    try {
      if (record.providerId !== providerId)
        throw new SignInRefused('invalid_response', 'answer arrived at another provider’s ACS');
      const provider = await deps.identityProviders.providerForSignIn(record.tenantId, record.providerId);
      if (provider?.kind !== 'saml') throw new SignInRefused('provider_unavailable', 'disabled or gone');
      const consumed = await deps.saml.consume(provider, req.body ?? {});
      if (consumed.inResponseTo === null || consumed.inResponseTo !== record.data.requestId)
        throw new SignInRefused('invalid_response', 'the response answers another request');
      await deps.finish.finishFederated(req, res, record, consumed.profile);
    } catch (err) {
      await deps.finish.refuse(req, res, refusalOf(err), record);
    }
  });
  return router;
}

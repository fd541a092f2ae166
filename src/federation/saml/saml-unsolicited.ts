import type { Request, Response } from 'express';
import type { IdpService } from '../../modules/identity-providers/index.ts';
import { type HandoffCookie, setHandoff } from '../../web/index.ts';
import { SignInRefused } from '../federated-sign-in.ts';
import { type FederationFinish, sendRefusal } from '../finish.ts';
import { refusalOf, SamlRejected } from './saml-errors.ts';
import type { createSamlProtocol } from './saml-protocol.ts';

// FED-6 IdP-initiated sign-in (docs/design/federation.md): an answer that arrives at a provider's
// ACS with no flow record. No interaction is waiting, so the tenant comes from the provider named
// by the URL, the outcome is parked under a random id carried by a cookie, and the browser goes to
// the org's console sign-in, whose login interaction takes it (federation.routes.ts).

export interface UnsolicitedDeps {
  saml: Pick<ReturnType<typeof createSamlProtocol>, 'consume'>;
  finish: FederationFinish;
  /** The provider's master and its sign-in domain, by id alone (the ACS URL is all the answer names). */
  identityProviders: Pick<IdpService, 'providerForSignIn' | 'samlProviderMaster'>;
  handoff: HandoffCookie;
}

/**
 * The ACS without a flow record. The response is consumed either way (every check, the assertion
 * id burned): with IdP-initiated sign-in off it is refused as unsolicited, and an answer to one of
 * our own requests whose record is gone is refused as expired — only a signed answer to no request,
 * at a provider that allows them, signs anyone in.
 */
export async function acceptUnsolicited(
  deps: UnsolicitedDeps,
  req: Request,
  res: Response,
  providerId: string,
) {
  const master = await deps.identityProviders.samlProviderMaster(providerId);
  if (!master) return sendRefusal(req, res, 'expired');
  const attempt = { tenantId: master.tenantId, providerId };
  try {
    const provider = await deps.identityProviders.providerForSignIn(master.tenantId, providerId);
    if (provider?.kind !== 'saml') throw new SignInRefused('provider_unavailable', 'disabled or gone');
    let consumed: Awaited<ReturnType<UnsolicitedDeps['saml']['consume']>>;
    try {
      consumed = await deps.saml.consume(provider, req.body ?? {});
    } catch (err) {
      if (err instanceof SamlRejected && err.reason === 'unsolicited')
        throw new SignInRefused('unsolicited', err.detail);
      throw err;
    }
    if (consumed.inResponseTo !== null)
      throw new SignInRefused('expired', 'an answer to our request, without its flow record');
    if (!master.domain) throw new SignInRefused('provider_unavailable', 'the org has no sign-in domain');
    const domain = master.domain;
    await deps.finish.finishUnsolicited(req, res, attempt, consumed.profile, (parkedId) => {
      setHandoff(res, deps.handoff, parkedId);
      res.redirect(303, `/login/${encodeURIComponent(domain)}`);
    });
  } catch (err) {
    await deps.finish.refuse(req, res, refusalOf(err), attempt);
  }
}

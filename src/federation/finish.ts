import type { Request, Response } from 'express';
import type { ProviderForSignIn } from '../modules/identity-providers/index.ts';
import type { RequestContext } from '../platform/context.ts';
import { errorPage, sendPage } from '../web/index.ts';
import type { ExternalProfile } from './external-profile.ts';
import { type FederatedSignIn, type RefusalReason, SignInRefused } from './federated-sign-in.ts';
import type { FlowRecord, FlowStore } from './flow-store.ts';

// The common end of both protocols (docs/design/federation.md, steps 2 and 3): once a protocol
// flow has validated the provider's answer, the account step runs, its outcome waits under the
// interaction uid, and the browser goes back to the interaction's path, where the interaction
// cookie (path-scoped, and not sent on a cross-site POST) is available again to finish the login.

const PAGES: Record<RefusalReason, { status: number; title: string; message: string }> = {
  provider_unavailable: {
    status: 400,
    title: 'This sign-in method is not available',
    message: 'Go back to the app and sign in again, or ask your administrator.',
  },
  expired: {
    status: 400,
    title: 'This sign-in has expired',
    message: 'Go back to the app and sign in again.',
  },
  invalid_response: {
    status: 400,
    title: 'Your sign-in could not be verified',
    message:
      "The answer from your organization's identity provider did not pass Canopy's checks, so nothing was done. Try again, or ask your administrator.",
  },
  provider_error: {
    status: 400,
    title: 'Your sign-in did not complete',
    message: "Your organization's identity provider did not sign you in. Go back to the app and try again.",
  },
  unsolicited: {
    status: 400,
    title: 'Start your sign-in from Canopy',
    message:
      "Your organization's identity provider sent you here without a sign-in in progress, which your organization does not allow. Open the app and sign in from there.",
  },
  user_inactive: {
    status: 403,
    title: 'Your account is disabled',
    message: 'Ask your administrator to enable it.',
  },
};

/**
 * Starts a sign-in at a provider of one kind, from the interaction's federate step: stores a flow
 * record (FlowStore.put) and redirects the browser to the provider. Throws SignInRefused.
 */
export type FederationStarter = (
  req: Request,
  res: Response,
  flow: { provider: ProviderForSignIn; interactionUid: string; tenantId: string; clientId?: string },
) => Promise<void>;

export function anonymousContext(req: Request): RequestContext {
  return { actor: { kind: 'anonymous' }, requestId: req.id };
}

/** Canopy's error page for a refused sign-in: the reason in words and the request id, no internals. */
export function sendRefusal(req: Request, res: Response, reason: RefusalReason): void {
  const page = PAGES[reason];
  sendPage(res, page.status, errorPage({ ...page, requestId: req.id }));
}

export function createFederationFinish(deps: { flows: FlowStore; signIn: FederatedSignIn }) {
  const { flows, signIn } = deps;

  /**
   * A refused sign-in, from any step after the flow record was taken: audited and counted as a
   * failed sign-in against the record's tenant and provider (AUD-1, ANL-1), then the error page.
   * Errors that are not refusals are answered the same way (as an invalid response) and logged.
   */
  async function refuse(
    req: Request,
    res: Response,
    err: unknown,
    record?: Pick<FlowRecord<unknown>, 'tenantId' | 'providerId' | 'clientId'>,
  ) {
    const reason = err instanceof SignInRefused ? err.reason : 'invalid_response';
    const detail = err instanceof Error ? err.message : String(err);
    if (err instanceof SignInRefused) req.log.warn({ reason, detail }, 'federated sign-in refused');
    else req.log.error({ err }, 'federated sign-in failed');
    if (record) {
      await signIn
        .recordFailure(anonymousContext(req), record.tenantId, record.providerId, reason, {
          ip: req.ip ?? '',
          ...(record.clientId ? { clientId: record.clientId } : {}),
        })
        .catch((e: unknown) => req.log.error({ err: e }, 'recording a failed federated sign-in failed'));
    }
    sendRefusal(req, res, reason);
  }

  /**
   * For the protocol flows (OIDC callback, SAML ACS): `profile` has passed every protocol check of
   * the provider `record` names. Runs the account step (FED-3, FED-4), stores the outcome for the
   * interaction, and sends the browser there (303). Any failure is answered by `refuse`.
   */
  async function finishFederated(
    req: Request,
    res: Response,
    record: FlowRecord<unknown>,
    profile: ExternalProfile,
  ): Promise<void> {
    try {
      const userId = await signIn.signInFederated(
        anonymousContext(req),
        record.tenantId,
        record.providerId,
        profile,
        { ip: req.ip ?? '', ...(record.clientId ? { clientId: record.clientId } : {}) },
      );
      await flows.putOutcome(record.interactionUid, {
        tenantId: record.tenantId,
        providerId: record.providerId,
        userId,
      });
      res.redirect(303, `/interaction/${encodeURIComponent(record.interactionUid)}/federated`);
    } catch (err) {
      await refuse(req, res, err, record);
    }
  }

  /**
   * FED-6 IdP-initiated sign-in: `profile` has passed every protocol check of `provider`, and there
   * is no interaction to return to. Runs the same account step, parks the outcome under a new id,
   * and hands that id to `land`, which takes the browser to where an interaction will begin.
   */
  async function finishUnsolicited(
    req: Request,
    res: Response,
    provider: { tenantId: string; providerId: string },
    profile: ExternalProfile,
    land: (parkedId: string) => void,
  ): Promise<void> {
    try {
      const { tenantId, providerId } = provider;
      const meta = { ip: req.ip ?? '' };
      const userId = await signIn.signInFederated(anonymousContext(req), tenantId, providerId, profile, meta);
      land(await flows.park({ tenantId, providerId, userId }));
    } catch (err) {
      await refuse(req, res, err, provider);
    }
  }

  return { finishFederated, finishUnsolicited, refuse };
}

export type FederationFinish = ReturnType<typeof createFederationFinish>;

import type { Adapter, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';

/** oidc-provider's adapter contract, plus a consume that reports whether this caller won. */
export interface ArtefactAdapter extends Adapter {
  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<AdapterPayload | undefined>;
  findByUid(uid: string): Promise<AdapterPayload | undefined>;
  findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
  /** Marks the artefact consumed; throws an OAuth error unless this call is the one that did. */
  consume(id: string): Promise<void>;
  /** true for exactly one of any number of concurrent calls on a stored, unconsumed artefact. */
  tryConsume(id: string): Promise<boolean>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export type ArtefactAdapterClass = new (name: string) => ArtefactAdapter;

/**
 * Artefacts issued under a grant, which revoking the grant removes. Others may name a grant id
 * (an Interaction resuming an existing grant does) without being issued under it.
 */
export const GRANT_BOUND_MODELS: ReadonlySet<string> = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/** Clients are served from apps and credentials, never from the artefact stores. */
export function assertStoredModel(name: string): void {
  if (name === 'Client') {
    throw new Error(
      'oidc adapters: the Client model is not stored with provider artefacts; serve it from apps and credentials',
    );
  }
}

/** The columns or fields an artefact is looked up by, taken from its payload. */
export function lookupFields(model: string, payload: AdapterPayload) {
  return {
    uid: typeof payload.uid === 'string' ? payload.uid : null,
    userCode: typeof payload.userCode === 'string' ? payload.userCode : null,
    grantId: GRANT_BOUND_MODELS.has(model) && typeof payload.grantId === 'string' ? payload.grantId : null,
  };
}

export function epochSeconds(at: Date): number {
  return Math.floor(at.getTime() / 1000);
}

/**
 * oidc-provider checks `consumed` on the artefact it loaded and then calls consume without looking
 * at the result, so two concurrent redemptions would both pass its check. Losing the conditional
 * write therefore fails the request with the error the provider gives for a reused artefact.
 */
export function consumeRefused(model: string): Error {
  if (model === 'PushedAuthorizationRequest') {
    return new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
  }
  return new errors.InvalidGrant(`${model} already consumed or no longer valid`);
}

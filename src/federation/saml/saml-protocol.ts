import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { type CacheProvider, type Profile, SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import {
  federationUrls,
  type SamlConfig,
  SP_NAME_ID_FORMAT,
} from '../../modules/identity-providers/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { ExternalProfile } from '../external-profile.ts';
import type { SamlCache } from './saml-cache.ts';
import { checkAssertion, checkResponse, resolveInResponseTo } from './saml-checks.ts';
import { rejectionFromLibrary, SamlRejected } from './saml-errors.ts';
import { toProfile, verifiedResponse } from './saml-profile.ts';
import {
  assertionFacts,
  attr,
  countElements,
  decodeSamlResponse,
  parseXml,
  responseFacts,
} from './saml-xml.ts';

// FED-6: the SAML service provider, one per provider configuration. node-saml (≥ 5.1.0) verifies
// signatures and reads only signed bytes; around it Canopy refuses what must never reach a parser,
// checks what node-saml does not (destination, recipient, bearer, issuer, time by the injected
// clock, one assertion) and makes request ids and assertion ids single-use in a shared store.

/** An AuthnRequest stays answerable this long (no longer than the interaction it serves). */
export const REQUEST_TTL_MS = 10 * 60_000;
/** SAML bindings §3.4.3: RelayState is at most 80 bytes. */
const MAX_RELAY_STATE = 80;
const MAX_INSTANCES = 500;

export interface SamlProvider {
  id: string;
  tenantId: string;
  config: SamlConfig;
}

export interface SamlProtocolDeps {
  publicUrl: string;
  clock: Clock;
  /** Outstanding AuthnRequest ids; shared by all nodes (Redis, or SQL). */
  requestCache: SamlCache;
  /** Accepted assertion ids; shared by all nodes. May be the same store: keys do not collide. */
  replayCache: SamlCache;
}

export interface SamlStart {
  redirectUrl: string;
  /** The AuthnRequest ID; keep it in the flow record and compare it with `inResponseTo`. */
  requestId: string;
}

export interface SamlConsumed {
  profile: ExternalProfile;
  /** The request this answers (from signed data); null only for IdP-initiated sign-in. */
  inResponseTo: string | null;
  relayState: string | null;
  assertionId: string;
}

const requestKey = (providerId: string, id: string) => `request:${providerId}:${id}`;
const assertionKey = (providerId: string, id: string) => `assertion:${providerId}:${id}`;

export function createSamlProtocol(deps: SamlProtocolDeps) {
  const { clock, requestCache, replayCache } = deps;
  const instances = new Map<string, SAML>();

  /**
   * node-saml's view of the request cache, scoped to one provider so a request id issued for one
   * provider never validates an answer at another. It saves and reads; removal is Canopy's, done
   * atomically once every check has passed (node-saml's get-then-remove is not single-use under
   * concurrency), or to burn the request after a refused answer.
   */
  function requestCacheFor(providerId: string): CacheProvider {
    return {
      saveAsync: async (key, value) =>
        (await requestCache.saveIfAbsent(requestKey(providerId, key), value, REQUEST_TTL_MS))
          ? { value, createdAt: Date.now() }
          : null,
      getAsync: (key) => requestCache.get(requestKey(providerId, key)),
      removeAsync: async (key) => key,
    };
  }

  function instanceFor(provider: SamlProvider): SAML {
    const { config } = provider;
    // Fail closed on a configuration the validator should have refused (CVE-2026-28323 shape).
    if (
      config.signingCertificates.length === 0 ||
      (!config.wantAssertionsSigned && !config.wantResponseSigned)
    ) {
      throw new SamlRejected('signature', 'provider has no certificate or requires no signature');
    }
    const urls = federationUrls(deps.publicUrl, provider.id);
    const hash = createHash('sha256')
      .update(JSON.stringify([config, urls]))
      .digest('base64url');
    const key = `${provider.id}:${hash}`;
    let saml = instances.get(key);
    if (saml) return saml;
    saml = new SAML({
      idpCert: config.signingCertificates, // only these, never a KeyInfo certificate
      issuer: urls.spEntityId,
      audience: urls.spEntityId,
      callbackUrl: urls.acsUrl,
      entryPoint: config.ssoUrl,
      idpIssuer: config.entityId,
      wantAssertionsSigned: config.wantAssertionsSigned,
      wantAuthnResponseSigned: config.wantResponseSigned,
      validateInResponseTo: config.allowIdpInitiated
        ? ValidateInResponseTo.ifPresent
        : ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: REQUEST_TTL_MS,
      acceptedClockSkewMs: -1, // time is checked by saml-checks.ts against the injected clock
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'sha256',
      identifierFormat: SP_NAME_ID_FORMAT,
      // Asking for an exact "password over TLS" context makes MFA-enforcing IdPs refuse.
      disableRequestedAuthnContext: true,
      cacheProvider: requestCacheFor(provider.id),
    });
    if (instances.size >= MAX_INSTANCES) instances.delete(instances.keys().next().value!);
    instances.set(key, saml);
    return saml;
  }

  /** Builds the AuthnRequest (HTTP-Redirect binding) and records its id as outstanding. */
  async function start(provider: SamlProvider, relayState: string): Promise<SamlStart> {
    if (Buffer.byteLength(relayState) > MAX_RELAY_STATE) throw new RangeError('RelayState over 80 bytes');
    const redirectUrl = await instanceFor(provider).getAuthorizeUrlAsync(relayState, undefined, {});
    // The id is read back from the request we just built (node-saml generates it).
    const encoded = new URL(redirectUrl).searchParams.get('SAMLRequest') ?? '';
    const request = await parseXml(inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8'));
    const requestId = attr(request, 'ID');
    if (!requestId) throw new Error('AuthnRequest without ID');
    return { redirectUrl, requestId };
  }

  /** Validates a POSTed response; throws SamlRejected for anything Canopy does not accept. */
  async function consume(
    provider: SamlProvider,
    form: { SAMLResponse?: unknown; RelayState?: unknown },
  ): Promise<SamlConsumed> {
    const { config } = provider;
    const { base64, xml } = decodeSamlResponse(form.SAMLResponse);
    const root = await parseXml(xml);
    const raw = responseFacts(root);
    let requestUsed = false;
    try {
      // Wrapping attacks need a second copy somewhere (Extensions, ds:Object, Advice, a sibling).
      const assertions = countElements(root, ['Assertion', 'EncryptedAssertion']);
      if (assertions !== 1) throw new SamlRejected('signature', `${assertions} assertions in the document`);
      if (raw.inResponseTo === null && !config.allowIdpInitiated) {
        throw new SamlRejected('unsolicited', 'IdP-initiated sign-in is off for this provider');
      }
      let profile: Profile | null;
      try {
        ({ profile } = await instanceFor(provider).validatePostResponseAsync({ SAMLResponse: base64 }));
      } catch (err) {
        throw rejectionFromLibrary(err);
      }
      if (!profile?.getAssertionXml) throw new SamlRejected('status', 'no assertion (NoPassive or logout)');

      const urls = federationUrls(deps.publicUrl, provider.id);
      const ctx = {
        entityId: config.entityId,
        acsUrl: urls.acsUrl,
        nowMs: clock.now().getTime(),
        skewMs: config.clockSkewSeconds * 1000,
      };
      const signedResponse = config.wantResponseSigned ? await verifiedResponse(xml, root, config) : null;
      checkResponse(signedResponse ?? raw, { ...ctx, signed: signedResponse !== null });
      const assertion = checkAssertion(assertionFacts(await parseXml(profile.getAssertionXml())), ctx);
      // Two parsers read the same signed bytes; if they disagree on the subject, trust neither.
      if (profile.nameID !== assertion.nameId.value)
        throw new SamlRejected('subject', 'NameID read differently');
      const inResponseTo = resolveInResponseTo({
        raw: raw.inResponseTo,
        signedResponse: signedResponse?.inResponseTo ?? null,
        fromAssertion: assertion.inResponseTo,
      });
      if (inResponseTo === null && !config.allowIdpInitiated) {
        throw new SamlRejected('unsolicited', 'no signed InResponseTo');
      }

      // Single use, each step atomic: the assertion id (IdP-initiated ones too), then the request.
      const ttl = assertion.acceptableUntilMs - ctx.nowMs;
      if (!(await replayCache.saveIfAbsent(assertionKey(provider.id, assertion.id), '1', ttl))) {
        throw new SamlRejected('replay', `assertion ${assertion.id} seen before`);
      }
      if (inResponseTo !== null) {
        requestUsed = true;
        if (!(await requestCache.remove(requestKey(provider.id, inResponseTo)))) {
          throw new SamlRejected('in_response_to', 'no outstanding request with that id');
        }
      }
      const relayState =
        typeof form.RelayState === 'string' && form.RelayState !== '' ? form.RelayState : null;
      return {
        profile: toProfile(profile, assertion.nameId, config.attributes),
        inResponseTo,
        relayState,
        assertionId: assertion.id,
      };
    } catch (err) {
      // As node-saml does: a refused answer burns the request it names, so it cannot be retried.
      if (!requestUsed && raw.inResponseTo !== null) {
        await requestCache.remove(requestKey(provider.id, raw.inResponseTo)).catch(() => false);
      }
      throw err;
    }
  }

  return { start, consume };
}

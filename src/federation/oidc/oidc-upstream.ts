import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import type { OidcConfig } from '../../modules/identity-providers/index.ts';
import { type GuardedRequestInit, outboundRefusalIn } from '../../platform/net/guarded-fetch.ts';
import { type ExternalProfile, groupsFrom } from '../external-profile.ts';
import { SignInRefused } from '../federated-sign-in.ts';

// FED-7: Canopy as a relying party of a company's OpenID provider, with openid-client (the only
// importer of it). Every check is openid-client's, switched on here: PKCE S256, state, nonce, the
// RFC 9207 `iss` parameter when advertised, ID-token `iss`/`aud`/`exp`/`iat`, its signature by the
// discovered JWKS (non-repudiation checks: by default openid-client trusts TLS to the token
// endpoint instead), the configured algorithms only, and userinfo's `sub`.

/** What the start keeps for the callback, in the flow record. */
export interface OidcFlowData {
  codeVerifier: string;
  nonce: string;
  /** sha256 of the browser-binding cookie set at the start (base64url). */
  binding: string;
}

/** An OIDC provider as the sign-in flow sees it: settings and the opened client secret. */
export interface OidcUpstream {
  id: string;
  config: OidcConfig;
  clientSecret: string;
}

const CACHE_MS = 5 * 60_000;
const TIMEOUT_SECONDS = 10;

export interface OidcUpstreamDeps {
  /**
   * SEC-5: every request to the provider (discovery, JWKS, token, userinfo) goes through this
   * fetch, which refuses loopback, private and metadata addresses unless the operator allowed them.
   */
  fetch: (url: string, init: GuardedRequestInit) => Promise<Response>;
  /** FEDERATION_ALLOW_PRIVATE_NETWORKS: plain http is then possible (the fetch still refuses it to public addresses). */
  allowPrivateNetworks: boolean;
}

export function hashBinding(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

export function createOidcUpstream(deps: OidcUpstreamDeps) {
  // openid-client types its options with the DOM's stream and body types, undici with Node's: the
  // same objects at run time.
  const customFetch: client.CustomFetch = (url, options) => deps.fetch(url, options as GuardedRequestInit);

  // Per provider: the discovered configuration, remembered a few minutes, keyed by what built it.
  const cache = new Map<string, { key: string; at: number; config: Promise<client.Configuration> }>();

  function cacheKey(p: OidcUpstream): string {
    const c = p.config;
    return hashBinding(JSON.stringify([c.issuer, c.clientId, p.clientSecret, c.idTokenSigningAlgs]));
  }

  async function discover(p: OidcUpstream): Promise<client.Configuration> {
    const insecure = deps.allowPrivateNetworks && URL.parse(p.config.issuer)?.protocol === 'http:';
    const found = await client.discovery(
      new URL(p.config.issuer),
      p.config.clientId,
      // openid-client accepts a list here (checked against the ID token's header), typed as one.
      { id_token_signed_response_alg: p.config.idTokenSigningAlgs as unknown as string },
      client.ClientSecretBasic(p.clientSecret),
      {
        timeout: TIMEOUT_SECONDS,
        // Kept by the discovered configuration: JWKS, token and userinfo requests use it too.
        [client.customFetch]: customFetch,
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      },
    );
    // ASVS 10.5.3: the discovered issuer is the configured one, character for character.
    if (found.serverMetadata().issuer !== p.config.issuer)
      throw new SignInRefused('provider_unavailable', 'discovered issuer differs from the configured one');
    client.enableNonRepudiationChecks(found);
    return found;
  }

  function configuration(p: OidcUpstream): Promise<client.Configuration> {
    const key = cacheKey(p);
    const held = cache.get(p.id);
    if (held && held.key === key && Date.now() - held.at < CACHE_MS) return held.config;
    const config = discover(p);
    cache.set(p.id, { key, at: Date.now(), config });
    // A failed discovery is not remembered: the next sign-in tries again.
    config.catch(() => {
      if (cache.get(p.id)?.config === config) cache.delete(p.id);
    });
    return config;
  }

  /**
   * Where to send the browser. `save` stores what the callback will need (PKCE verifier, nonce,
   * browser binding) and answers the flow record's id, which travels as `state`.
   */
  async function start(
    p: OidcUpstream,
    redirectUri: string,
    binding: string,
    save: (data: OidcFlowData) => Promise<string>,
  ): Promise<URL> {
    let config: client.Configuration;
    try {
      config = await configuration(p);
    } catch (err) {
      throw err instanceof SignInRefused ? err : new SignInRefused('provider_unavailable', describe(err));
    }
    const codeVerifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const state = await save({ codeVerifier, nonce, binding: hashBinding(binding) });
    return client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: p.config.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      nonce,
      state,
    });
  }

  /**
   * The provider's answer at `callbackUrl` (the redirect URI with the query as received), checked
   * against the flow's state, verifier and nonce; the person it names. Throws SignInRefused.
   */
  async function complete(
    p: OidcUpstream,
    callbackUrl: URL,
    flow: { state: string; data: OidcFlowData },
  ): Promise<ExternalProfile> {
    const config = await configuration(p).catch((err: unknown) => {
      throw new SignInRefused('provider_unavailable', describe(err));
    });
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: flow.data.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.data.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      if (err instanceof client.AuthorizationResponseError)
        throw new SignInRefused('provider_error', err.error);
      // Keys may have rotated: the next attempt discovers (and fetches the JWKS) afresh.
      cache.delete(p.id);
      throw new SignInRefused('invalid_response', describe(err));
    }
    const idClaims = tokens.claims();
    if (!idClaims) throw new SignInRefused('invalid_response', 'no ID token');
    let claims: Record<string, unknown> = { ...idClaims };
    if (needsUserinfo(p.config, claims) && config.serverMetadata().userinfo_endpoint) {
      try {
        // OIDC Core 5.3.2: the userinfo `sub` must be the ID token's.
        const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        claims = { ...info, ...idClaims };
      } catch (err) {
        throw new SignInRefused('invalid_response', `userinfo: ${describe(err)}`);
      }
    }
    return profileFrom(p.config, claims);
  }

  return { start, complete, forget: (providerId: string) => cache.delete(providerId) };
}

export type OidcUpstreamClient = ReturnType<typeof createOidcUpstream>;

/** For the log: openid-client's error, its code and the nested cause that names the failed check. */
function describe(err: unknown): string {
  // SEC-5: a fetch the network policy refused, named as such (the server log only: never the page).
  const refused = outboundRefusalIn(err);
  if (refused) return `outbound fetch refused (SEC-5): ${refused.message}`;
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const cause = err.cause instanceof Error ? `; ${describe(err.cause)}` : '';
  return `${err.name}: ${err.message}${typeof code === 'string' ? ` [${code}]` : ''}${cause}`;
}

/** A claim by name or by dotted path (`realm_access.roles`). */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path];
  let at: unknown = claims;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function needsUserinfo(c: OidcConfig, claims: Record<string, unknown>): boolean {
  return [c.groupsClaim, c.usernameClaim, 'email', 'name'].some((k) => claimAt(claims, k) === undefined);
}

const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

function profileFrom(c: OidcConfig, claims: Record<string, unknown>): ExternalProfile {
  const subject = text(claims.sub);
  if (!subject || subject.length > 255) throw new SignInRefused('invalid_response', 'unusable sub');
  let groups: string[];
  try {
    groups = groupsFrom(claimAt(claims, c.groupsClaim));
  } catch (err) {
    throw new SignInRefused('invalid_response', describe(err));
  }
  const joined = [text(claims.given_name), text(claims.family_name)].filter(Boolean).join(' ');
  const profile: ExternalProfile = { subject, groups };
  const username = text(claimAt(claims, c.usernameClaim));
  const email = text(claims.email);
  const name = text(claims.name) ?? (joined || undefined);
  if (username) profile.username = username;
  if (email) profile.email = email;
  // ACC-3: only the boolean `true` the specification defines counts (OIDC Core 5.1), never "true".
  if (email) profile.emailVerified = claims.email_verified === true;
  if (name) profile.name = name;
  return profile;
}

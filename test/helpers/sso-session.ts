import assert from 'node:assert/strict';
import * as client from 'openid-client';
import type { Container } from '../../src/container.ts';
import type { App } from '../../src/modules/apps/index.ts';
import type { RequestContext } from '../../src/platform/context.ts';
import { formAction, inputValue, TestBrowser } from './browser.ts';
import { operator, PASSWORD } from './factories.ts';

/** Where the test apps send the browser back to; nothing listens there, the test reads the URL. */
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const CALLBACK_ORIGIN = new URL(REDIRECT_URI).origin;

export type Tokens = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;

const metadataByIssuer = new Map<string, Promise<client.ServerMetadata>>();

/** The provider's discovery document, fetched once per issuer. */
export function providerMetadata(issuer: string): Promise<client.ServerMetadata> {
  let found = metadataByIssuer.get(issuer);
  if (!found) {
    found = fetch(new URL('/.well-known/openid-configuration', issuer)).then(async (res) => {
      assert.equal(res.status, 200, 'discovery document');
      return (await res.json()) as client.ServerMetadata;
    });
    metadataByIssuer.set(issuer, found);
  }
  return found;
}

/**
 * An openid-client configuration for one client. With `via`, every endpoint is reached at that
 * origin instead of the issuer's, as a load balancer would send the request to one node: the
 * issuer (and so the validation of ID tokens) stays the installation's public URL.
 */
export async function relyingParty(
  issuer: string,
  clientId: string,
  secret: string | undefined,
  via?: string,
): Promise<client.Configuration> {
  const metadata: Record<string, unknown> = { ...(await providerMetadata(issuer)) };
  if (via) {
    for (const [key, value] of Object.entries(metadata)) {
      if (key !== 'issuer' && typeof value === 'string' && value.startsWith(issuer))
        metadata[key] = via + value.slice(issuer.length);
    }
  }
  const config = new client.Configuration(
    metadata as client.ServerMetadata,
    clientId,
    secret === undefined ? { token_endpoint_auth_method: 'none' } : undefined,
    secret === undefined ? client.None() : client.ClientSecretBasic(secret),
  );
  client.allowInsecureRequests(config);
  return config;
}

/**
 * A first-party web app of the tenant (no consent page), and its relying party at the issuer. The
 * operator registers it: only they make an app first-party (SEC-1); `owner` is kept for the callers.
 */
export async function registerWebApp(
  c: Container,
  _owner: RequestContext,
  tenantId: string,
  issuer: string,
  name = `Web ${Math.random().toString(36).slice(2, 8)}`,
): Promise<{ app: App; secret: string; rp: client.Configuration }> {
  const { app, clientSecret } = await c.apps.create(operator(), tenantId, {
    name,
    kind: 'web',
    redirectUris: [REDIRECT_URI],
    firstParty: true,
  });
  assert.ok(clientSecret, 'a web app has a secret');
  return { app, secret: clientSecret, rp: await relyingParty(issuer, app.clientId, clientSecret) };
}

/** A service app granted `permissions` on `organizationId` (client credentials only). */
export async function registerServiceApp(
  c: Container,
  owner: RequestContext,
  tenantId: string,
  issuer: string,
  grants: { organizationId: string; permissions: string[] }[],
): Promise<{ app: App; secret: string; rp: client.Configuration }> {
  const { app, clientSecret } = await c.apps.create(owner, tenantId, {
    name: `Service ${Math.random().toString(36).slice(2, 8)}`,
    kind: 'service',
    grants,
  });
  assert.ok(clientSecret, 'a service app has a secret');
  return { app, secret: clientSecret, rp: await relyingParty(issuer, app.clientId, clientSecret) };
}

export type AuthorizationOutcome =
  | { kind: 'signed-in'; tokens: Tokens }
  | {
      kind: 'sign-in-page';
      page: string;
      at: URL;
      /** Submits the form and redeems the code: the tokens of the new session. */
      signIn(username?: string, password?: string): Promise<Tokens>;
    };

/**
 * One authorization request in `browser`: either the provider sends it straight back with a code
 * (the session is alive), which is redeemed, or it shows the sign-in page.
 */
export async function authorize(
  rp: client.Configuration,
  browser: TestBrowser,
  options: { scope?: string } = {},
): Promise<AuthorizationOutcome> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT_URI,
    scope: options.scope ?? 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const redeem = (callback: URL) =>
    client.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
  const end = await followToEnd(browser, url);
  if (end.location.origin === CALLBACK_ORIGIN)
    return { kind: 'signed-in', tokens: await redeem(end.location) };
  const page = await end.res.text();
  assert.equal(end.res.status, 200, `expected the sign-in page at ${end.location}: ${page.slice(0, 400)}`);
  assert.match(end.location.pathname, /^\/interaction\/[^/]+$/, 'an interaction page');
  assert.ok(inputValue(page, 'csrf') !== undefined && /name="password"/.test(page), 'a sign-in form');
  const at = end.location;
  return {
    kind: 'sign-in-page',
    page,
    at,
    async signIn(username = 'founder', password = PASSWORD) {
      const done = await followToEnd(browser, new URL(`${at.pathname}/login`, at), {
        form: { username, password, csrf: inputValue(page, 'csrf')! },
      });
      assert.equal(done.location.origin, CALLBACK_ORIGIN, `sign-in did not finish: ${await done.res.text()}`);
      return redeem(done.location);
    },
  };
}

/**
 * Signs in through the pages (SESS-1) and returns the tokens. Fails if a live session made the
 * sign-in page unnecessary: callers that expect a fresh sign-in want to know.
 */
export async function signIn(
  rp: client.Configuration,
  options: { browser?: TestBrowser; username?: string; password?: string; scope?: string } = {},
): Promise<{ tokens: Tokens; browser: TestBrowser }> {
  const browser = options.browser ?? new TestBrowser();
  const first = await authorize(rp, browser, options);
  if (first.kind !== 'sign-in-page') assert.fail('expected to be asked to sign in, but a session was alive');
  return { tokens: await first.signIn(options.username, options.password), browser };
}

/** Follows redirects while they stay on the provider, whichever node they name. */
async function followToEnd(
  browser: TestBrowser,
  url: URL,
  init: { form?: Record<string, string> } = {},
): Promise<{ res: Response; location: URL }> {
  let hop = await browser.follow(url, url.origin, init);
  for (let i = 0; i < 5 && hop.location.origin !== CALLBACK_ORIGIN && hop.res.status >= 300; i++) {
    hop = await browser.follow(hop.location, hop.location.origin);
  }
  return hop;
}

/** The OAuth error code in an openid-client error: an error response's, or a `WWW-Authenticate` challenge's. */
export function oauthErrorCode(err: unknown): string | undefined {
  if (err instanceof client.ResponseBodyError) return err.error;
  if (err instanceof client.WWWAuthenticateChallengeError) return err.cause[0]?.parameters.error;
  return undefined;
}

/**
 * The OAuth error code of a call that must fail (an error response, or the `WWW-Authenticate`
 * challenge of userinfo and of client authentication). Fails the test when the call succeeds.
 */
export async function oauthError(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    const code = oauthErrorCode(err);
    if (code) return code;
    throw err;
  }
  assert.fail('expected the call to fail with an OAuth error');
}

/** Introspects `token` as the client behind `rp`. */
export async function introspect(rp: client.Configuration, token: string): Promise<Record<string, unknown>> {
  return (await client.tokenIntrospection(rp, token)) as Record<string, unknown>;
}

/** A use of the session that must succeed: a refresh, whose rotated tokens replace the old ones. */
export async function refresh(rp: client.Configuration, tokens: Tokens): Promise<Tokens> {
  assert.ok(tokens.refresh_token, 'a refresh token was issued');
  return client.refreshTokenGrant(rp, tokens.refresh_token);
}

/** Userinfo with the access token; returns the claims. */
export function userinfo(rp: client.Configuration, tokens: Tokens) {
  return client.fetchUserInfo(rp, tokens.access_token, client.skipSubjectCheck);
}

/**
 * The session is over (SESS-2, SESS-3, SESS-7, USR-3): both tokens introspect inactive, userinfo
 * and refresh fail, and (given the browser holding the session) the next authorization asks for a
 * sign-in. `why` names the situation in failure messages.
 */
export async function assertSessionOver(
  rp: client.Configuration,
  tokens: Tokens,
  why: string,
  browser?: TestBrowser,
): Promise<void> {
  assert.equal(
    (await introspect(rp, tokens.access_token)).active,
    false,
    `${why}: access token still active`,
  );
  assert.equal(
    (await introspect(rp, tokens.refresh_token!)).active,
    false,
    `${why}: refresh token still active`,
  );
  assert.equal(await oauthError(userinfo(rp, tokens)), 'invalid_token', `${why}: userinfo still answers`);
  assert.equal(await oauthError(refresh(rp, tokens)), 'invalid_grant', `${why}: refresh still works`);
  if (browser) {
    const next = await authorize(rp, browser);
    assert.equal(next.kind, 'sign-in-page', `${why}: an authorization request was not asked to sign in`);
  }
}

/** RP-initiated logout (SESS-7) through the pages `rp` reaches, confirmed as the person would. */
export async function logout(rp: client.Configuration, browser: TestBrowser, tokens: Tokens): Promise<void> {
  const url = client.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token! });
  const confirm = await browser.request(url);
  const page = await confirm.text();
  assert.equal(confirm.status, 200, page);
  const action = formAction(page, /\/oidc\/session\/end\/confirm$/);
  const xsrf = inputValue(page, 'xsrf');
  assert.ok(action && xsrf, 'the logout confirmation form');
  const done = await browser.request(new URL(action, url), { form: { xsrf, logout: 'yes' } });
  assert.ok(done.status < 400, `logout confirmed: ${done.status}`);
}

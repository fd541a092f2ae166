import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { TestBrowser } from '../helpers/browser.ts';
import { signUpTenant, type Tenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  type AuthorizationRequest,
  authorizationRequest,
  codeFlow,
  discover,
  errorOf,
  isLoginPage,
  type Landing,
  oauthError,
  type RelyingParty,
  redeem,
  registerApp,
  signIn,
  submitLogin,
  visit,
} from '../helpers/sso-flow.ts';

/** Signs of internals that an error page must never show. */
function assertNoInternals(html: string) {
  assert.doesNotMatch(html, /\bat [\w.<>$]+ \(|node_modules|\.ts:\d+|\.js:\d+/, 'no stack trace');
  assert.doesNotMatch(
    html,
    /OIDCProviderError|InvalidRedirectUri|TypeError|SessionNotFound/,
    'no error class',
  );
}

describe('APP-1 SESS-1 negative protocol cases', () => {
  let s: OidcTestServer;
  let t: Tenant;
  let web: RelyingParty;
  let spa: RelyingParty;
  before(async () => {
    s = await startOidcServer();
    t = await signUpTenant(s.container);
    web = await registerApp(s, t, { kind: 'web' });
    spa = await registerApp(s, t, { kind: 'spa' });
  });
  after(() => s.close());

  /** The request with some parameters changed (`null` removes one). */
  function altered(request: AuthorizationRequest, changes: Record<string, string | null>): URL {
    const url = new URL(request.url);
    for (const [name, value] of Object.entries(changes)) {
      if (value === null) url.searchParams.delete(name);
      else url.searchParams.set(name, value);
    }
    return url;
  }

  /** Where an altered request ends in a fresh browser: the provider's page, or back at the app (signing in if asked). */
  async function outcome(url: URL): Promise<Landing> {
    const browser = new TestBrowser();
    const page = await visit(browser, s, url);
    return isLoginPage(page) ? submitLogin(browser, s, page) : page;
  }

  /** The request has a valid client and redirect URI: the app gets the error (RFC 6749 §4.1.2.1), never a code. */
  function assertRefused(page: Landing, rp: RelyingParty, error: string) {
    assert.ok(page.left, `expected an error redirect to the app, got ${page.status}:\n${page.html}`);
    assert.equal(page.location.origin + page.location.pathname, rp.redirectUri);
    assert.equal(errorOf(page.location), error, `error redirect ${page.location}`);
  }

  for (const [label, wrong] of [
    ['a different path', (uri: string) => uri.replace('/callback', '/elsewhere')],
    ['a trailing slash', (uri: string) => `${uri}/`],
    ['another port', (uri: string) => uri.replace('127.0.0.1:9', '127.0.0.1:10')],
    ['an added query', (uri: string) => `${uri}?next=/`],
  ] as const) {
    test(`APP-1 redirect_uri must match exactly (${label}): an error page, no redirect anywhere`, async () => {
      const request = await authorizationRequest(web);
      const page = await visit(
        new TestBrowser(),
        s,
        altered(request, { redirect_uri: wrong(web.redirectUri) }),
      );
      assert.equal(page.status, 400, page.html);
      assert.ok(!page.left, `no redirect, got ${page.location}`);
      assert.equal(page.headers.get('location'), null);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(page.html, /redirect_uri/, 'the page says what was wrong');
      assertNoInternals(page.html);
    });
  }

  test('APP-1 PKCE is required: an authorization request without code_challenge is refused', async () => {
    const request = await authorizationRequest(web);
    assertRefused(
      await outcome(altered(request, { code_challenge: null, code_challenge_method: null })),
      web,
      'invalid_request',
    );
  });

  test('APP-1 PKCE is S256 only: code_challenge_method=plain is refused', async () => {
    const request = await authorizationRequest(spa);
    const url = altered(request, { code_challenge: request.verifier, code_challenge_method: 'plain' });
    assertRefused(await outcome(url), spa, 'invalid_request');
  });

  test('APP-1 response_type=token (implicit) is refused with unsupported_response_type', async () => {
    const request = await authorizationRequest(spa);
    assertRefused(
      await outcome(altered(request, { response_type: 'token' })),
      spa,
      'unsupported_response_type',
    );
  });

  test('APP-1 response_type=code id_token (hybrid) is refused too', async () => {
    const request = await authorizationRequest(spa, { nonce: client.randomNonce() });
    assertRefused(
      await outcome(altered(request, { response_type: 'code id_token' })),
      spa,
      'unsupported_response_type',
    );
  });

  test('SESS-1 code reuse: invalid_grant, and the tokens of the first redemption are revoked', async () => {
    const { request, callback, tokens } = await codeFlow(s, web);
    assert.equal((await client.tokenIntrospection(web.config, tokens.access_token)).active, true);
    const reuse = await oauthError(redeem(web, request, callback));
    assert.equal(reuse.error, 'invalid_grant');
    assert.equal((await client.tokenIntrospection(web.config, tokens.access_token)).active, false);
    const refresh = await oauthError(client.refreshTokenGrant(web.config, tokens.refresh_token!));
    assert.equal(refresh.error, 'invalid_grant', 'the refresh token of the first redemption is revoked');
  });

  test('SESS-1 a code redeemed by another client of the same org is refused', async () => {
    const browser = new TestBrowser();
    const request = await authorizationRequest(web);
    const callback = await signIn(browser, s, request);
    const thief = await registerApp(s, t, { kind: 'web' });
    const stolen = await oauthError(
      client.authorizationCodeGrant(thief.config, new URL(`${thief.redirectUri}${callback.search}`), {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
      }),
    );
    assert.equal(stolen.error, 'invalid_grant');
  });

  test('APP-1 a wrong client secret is refused with invalid_client (401); the code stays usable by the real app', async () => {
    const browser = new TestBrowser();
    const request = await authorizationRequest(web);
    const callback = await signIn(browser, s, request);
    const impostor = await discover(s, web.app.clientId, client.ClientSecretBasic(`${web.clientSecret}x`));
    const refused = await oauthError(
      client.authorizationCodeGrant(impostor, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
      }),
    );
    assert.equal(refused.error, 'invalid_client');
    assert.equal(refused.status, 401);
    const tokens = await redeem(web, request, callback);
    assert.equal(tokens.claims()!.sub, t.user.id);
  });

  test('APP-1 a confidential web app cannot redeem as a public client (no secret)', async () => {
    const browser = new TestBrowser();
    const request = await authorizationRequest(web);
    const callback = await signIn(browser, s, request);
    const unauthenticated = await discover(s, web.app.clientId, client.None());
    const refused = await oauthError(
      client.authorizationCodeGrant(unauthenticated, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
      }),
    );
    assert.equal(refused.error, 'invalid_client');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inputValue, TestBrowser } from '../helpers/browser.ts';
import { addBusinessGroup, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  APP_ORIGIN,
  authorizationRequest,
  errorOf,
  isConsentPage,
  isLoginPage,
  type Landing,
  type RelyingParty,
  redeem,
  registerApp,
  signIn,
  submitConsent,
  submitLogin,
  visit,
} from '../helpers/sso-flow.ts';

/** The text of a page without its markup, whitespace folded. */
const text = (html: string) => html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ');

describe('SESS-1 consent for third-party apps', () => {
  let s: OidcTestServer;
  let t: Tenant;
  let thirdParty: RelyingParty;
  let firstParty: RelyingParty;
  let group: { id: string; name: string };
  before(async () => {
    s = await startOidcServer();
    t = await signUpTenant(s.container, { companyName: 'Umbrella Works' });
    thirdParty = await registerApp(s, t, { firstParty: false, name: 'Partner Portal' });
    firstParty = await registerApp(s, t, { firstParty: true, name: 'Own Dashboard' });
    group = await addBusinessGroup(s.container, t, t.tenantId, 'Payments Team');
  });
  after(() => s.close());

  /** Opens an authorization request in a fresh browser and signs in: the page that follows. */
  async function signedInTo(rp: RelyingParty, scope: string) {
    const browser = new TestBrowser();
    const request = await authorizationRequest(rp, { scope });
    const login = await visit(browser, s, request.url);
    const next = await submitLogin(browser, s, login);
    return { browser, request, login, next };
  }

  test('SESS-1 a third-party app shows the consent page with the scopes in words; Allow gives a code', async () => {
    const { browser, request, next } = await signedInTo(thirdParty, 'openid profile email');
    assert.ok(isConsentPage(next), `expected the consent page, got ${next.status}:\n${next.html}`);
    assert.equal(next.status, 200);
    const words = text(next.html);
    assert.match(words, /Partner Portal wants to access your Umbrella Works account/);
    for (const phrase of ['Sign you in', 'See your name and username', 'See your email address'])
      assert.ok(words.includes(phrase), `consent page lists "${phrase}": ${words}`);
    assert.ok(inputValue(next.html, 'csrf'), 'the consent forms carry a CSRF token');
    assert.match(
      next.headers.get('content-security-policy') ?? '',
      /form-action 'self' http:\/\/127\.0\.0\.1:9(;|$)/,
    );

    const answered = await submitConsent(browser, s, next, 'allow');
    assert.ok(answered.left, `Allow leads back to the app, got ${answered.status}:\n${answered.html}`);
    const tokens = await redeem(thirdParty, request, answered.location);
    assert.equal(tokens.claims()!.sub, t.user.id);
    assert.equal(tokens.claims()!.email, 'founder@acme.test');
    assert.deepEqual(new Set(tokens.scope?.split(' ')), new Set(['openid', 'profile', 'email']));

    // The answer is remembered: the same request again in this browser needs neither sign-in nor consent.
    const again = await authorizationRequest(thirdParty, { scope: 'openid profile email' });
    const back = await visit(browser, s, again.url);
    assert.ok(
      back.left && back.location.searchParams.get('code'),
      `expected a code at once, got ${back.status}`,
    );
  });

  test("SESS-5 the consent page names a node scope by the node's name; Allow grants it", async () => {
    const { browser, request, next } = await signedInTo(thirdParty, `openid org:${group.id}`);
    assert.ok(isConsentPage(next), `expected the consent page, got ${next.status}:\n${next.html}`);
    const words = text(next.html);
    assert.ok(words.includes('Your roles in Payments Team'), `consent page names the node: ${words}`);
    assert.ok(!words.includes(group.id), 'the node is named, not shown as an id');
    const answered = await submitConsent(browser, s, next, 'allow');
    assert.ok(answered.left, `Allow leads back to the app, got ${answered.status}`);
    const tokens = await redeem(thirdParty, request, answered.location);
    assert.ok(tokens.scope?.split(' ').includes(`org:${group.id}`), `granted scope ${tokens.scope}`);
  });

  test('SESS-1 Deny sends the user back with access_denied and no code', async () => {
    const { browser, request, next } = await signedInTo(thirdParty, 'openid profile');
    const answered = await submitConsent(browser, s, next, 'deny');
    assert.ok(answered.left, `Deny leads back to the app, got ${answered.status}:\n${answered.html}`);
    assert.equal(answered.location.origin + answered.location.pathname, thirdParty.redirectUri);
    assert.equal(errorOf(answered.location), 'access_denied');
    assert.equal(answered.location.searchParams.get('state'), request.state);
  });

  function assertRefusedForm(page: Landing) {
    assert.equal(page.status, 403, page.html);
    assert.ok(!page.left, 'no redirect to the app');
    assert.equal(page.headers.get('location'), null);
    assert.match(page.html, /This form has expired/);
  }

  test('SESS-1 a sign-in POST without its CSRF token, or with the token of another sign-in, is refused with 403', async () => {
    const browser = new TestBrowser();
    const request = await authorizationRequest(firstParty);
    const login = await visit(browser, s, request.url);
    assertRefusedForm(await submitLogin(browser, s, login, { csrf: null }));

    const elsewhere = await visit(new TestBrowser(), s, (await authorizationRequest(firstParty)).url);
    const foreignToken = inputValue(elsewhere.html, 'csrf')!;
    assertRefusedForm(await submitLogin(browser, s, login, { csrf: foreignToken }));

    // Nothing was signed in: the interaction still asks for a sign-in, and the right token still works.
    const still = await visit(browser, s, login.location);
    assert.ok(isLoginPage(still), `still the sign-in page, got ${still.status}`);
    const done = await submitLogin(browser, s, still);
    assert.ok(done.left && done.location.searchParams.get('code'), `a code at last, got ${done.status}`);
  });

  test('SESS-1 a consent POST without its CSRF token is refused with 403 and issues no code', async () => {
    const { browser, next } = await signedInTo(thirdParty, 'openid email');
    assertRefusedForm(await submitConsent(browser, s, next, 'allow', { csrf: null }));
    const still = await visit(browser, s, next.location);
    assert.ok(isConsentPage(still), `consent is still pending, got ${still.status}`);
  });

  test('SESS-1 first-party apps skip consent', async () => {
    const browser = new TestBrowser();
    const request = await authorizationRequest(firstParty, { scope: 'openid profile email' });
    // signIn fails if anything but a redirect to the app follows the sign-in (no consent option given).
    const callback = await signIn(browser, s, request);
    assert.equal(callback.origin, APP_ORIGIN);
    const tokens = await redeem(firstParty, request, callback);
    assert.deepEqual(new Set(tokens.scope?.split(' ')), new Set(['openid', 'profile', 'email']));
  });
});

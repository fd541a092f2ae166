import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { User } from '../../src/modules/users/index.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { addUser, PASSWORD, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  authorizationRequest,
  codeFlow,
  isLoginPage,
  type RelyingParty,
  redeem,
  registerApp,
  submitLogin,
  submitSelfPostingForm,
  visit,
} from '../helpers/sso-flow.ts';

describe('APP-2 only users of the app’s own master org sign in to it', () => {
  let s: OidcTestServer;
  let a: Tenant;
  let b: Tenant;
  let appA: RelyingParty;
  let appB: RelyingParty;
  let onlyInB: User;
  before(async () => {
    s = await startOidcServer();
    a = await signUpTenant(s.container, { companyName: 'Alpha Inc' });
    b = await signUpTenant(s.container, { companyName: 'Beta Ltd' });
    appA = await registerApp(s, a, { name: 'Alpha App' });
    appB = await registerApp(s, b, { name: 'Beta App' });
    onlyInB = await addUser(s.container, b.tenantId);
  });
  after(() => s.close());

  test("APP-2 SESS-8 another org's user is refused at this org's sign-in page like a wrong password (401)", async () => {
    // The same user signs in fine at their own org's app...
    const own = await codeFlow(s, appB, { username: onlyInB.username });
    assert.equal(own.tokens.claims()!.sub, onlyInB.id);

    // ...but not at the other org's app, whose page names that org.
    const browser = new TestBrowser();
    const request = await authorizationRequest(appA);
    const login = await visit(browser, s, request.url);
    assert.match(login.html, /Sign in to Alpha Inc/);
    const refused = await submitLogin(browser, s, login, { username: onlyInB.username, password: PASSWORD });
    assert.equal(refused.status, 401);
    assert.ok(!refused.left, 'no redirect to the app');
    assert.ok(isLoginPage(refused), 'the sign-in page again');
    assert.match(refused.html, /Incorrect username or password\./);

    // Same answer as for a name nobody has: nothing tells the user exists elsewhere.
    const unknown = await submitLogin(browser, s, refused, { username: 'nobody-at-all', password: PASSWORD });
    assert.equal(unknown.status, 401);
    const strip = (html: string, name: string) =>
      html.replaceAll(name, 'NAME').replace(/value="[^"]*"/g, 'value=""');
    assert.equal(strip(refused.html, onlyInB.username), strip(unknown.html, 'nobody-at-all'));
  });

  test('APP-2 a browser signed in at tenant B’s app must sign in again for tenant A’s app; no code for B’s user', async () => {
    const { browser } = await codeFlow(s, appB, { username: onlyInB.username });
    // Signed in at B: B's app gets a code without asking again (the session is real).
    const silent = await visit(browser, s, (await authorizationRequest(appB)).url);
    assert.ok(silent.left && silent.location.searchParams.get('code'), 'B’s session is live');

    const request = await authorizationRequest(appA);
    const page = await visit(browser, s, request.url);
    assert.ok(!page.left, `no redirect to A’s app for B’s user, got ${page.location}`);
    assert.ok(isLoginPage(page), `A’s sign-in page, got ${page.status}:\n${page.html}`);
    assert.match(page.html, /Sign in to Alpha Inc/);

    // prompt=none cannot slip through either: the app learns login_required, not a code.
    const quiet = await visit(browser, s, (await authorizationRequest(appA, { prompt: 'none' })).url);
    assert.ok(quiet.left, `prompt=none answers the app, got ${quiet.status}`);
    assert.equal(quiet.location.searchParams.get('code'), null, 'no code for B’s user');
    assert.match(quiet.location.searchParams.get('error') ?? '', /^(login|interaction)_required$/);

    // Signing in as A's user on that page gives A's user to A's app.
    // The provider first signs B's user out with a self-posting form (a browser runs its script).
    const switched = await submitLogin(browser, s, page, { username: 'founder', password: PASSWORD });
    if (!switched.left) {
      // Even the provider's own self-posting page carries a strict CSP: its one script allowed by hash.
      const csp = switched.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline/);
      assert.equal(switched.headers.get('x-frame-options'), 'DENY');
    }
    const done = switched.left ? switched : await submitSelfPostingForm(browser, s, switched);
    assert.ok(done.left, `back to A’s app, got ${done.status} at ${done.location}:\n${done.html}`);
    const tokens = await redeem(appA, request, done.location);
    assert.equal(tokens.claims()!.sub, a.user.id);
    assert.equal(tokens.claims()!.org_id, a.tenantId);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { User } from '../../src/modules/users/index.ts';
import { inputValue, TestBrowser } from '../helpers/browser.ts';
import { addUser, PASSWORD, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  authorizationRequest,
  codeFlow,
  isLoginPage,
  type Landing,
  type RelyingParty,
  registerApp,
  submitLogin,
  visit,
} from '../helpers/sso-flow.ts';

const GENERIC = 'Incorrect username or password.';

/** Signs of internals that an error page must never show. */
function assertNoInternals(html: string) {
  assert.doesNotMatch(html, /\bat [\w.<>$]+ \(|node_modules|\.ts:\d+|\.js:\d+/, 'no stack trace');
  assert.doesNotMatch(
    html,
    /SessionNotFound|OIDCProviderError|interaction session not found|Error:/i,
    'no internal message',
  );
}

describe('SESS-1 SESS-8 the sign-in pages', () => {
  let s: OidcTestServer;
  let t: Tenant;
  let web: RelyingParty;
  let victim: User;
  before(async () => {
    s = await startOidcServer();
    t = await signUpTenant(s.container, { companyName: 'Initech' });
    web = await registerApp(s, t, { name: 'Timesheets' });
    victim = await addUser(s.container, t.tenantId);
  });
  after(() => s.close());

  async function loginPage(): Promise<{ browser: TestBrowser; page: Landing }> {
    const browser = new TestBrowser();
    const page = await visit(browser, s, (await authorizationRequest(web)).url);
    assert.ok(isLoginPage(page), `expected the sign-in page, got ${page.status}:\n${page.html}`);
    return { browser, page };
  }

  test("SESS-1 the sign-in page: strict CSP with form-action 'self' plus the app's redirect origin, no script, a CSRF field", async () => {
    const { page } = await loginPage();
    assert.equal(page.status, 200);
    assert.match(page.html, /Sign in to Initech/);
    assert.match(page.html, /to continue to <strong>Timesheets<\/strong>/);
    const csp = page.headers.get('content-security-policy');
    assert.ok(csp, 'a Content-Security-Policy header');
    const directives = new Map(
      csp.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name!, values] as const;
      }),
    );
    assert.deepEqual(directives.get('form-action'), ["'self'", 'http://127.0.0.1:9']);
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
    const scripts = directives.get('script-src') ?? directives.get('default-src')!;
    assert.ok(!scripts.includes("'unsafe-inline'"), 'no inline script allowed');
    assert.doesNotMatch(page.html, /<script/i, 'no script on the page');
    assert.doesNotMatch(page.html, /\son[a-z]+=/i, 'no inline event handlers');
    assert.ok(inputValue(page.html, 'csrf'), 'a CSRF field');
    assert.match(page.html, /<form method="post" action="\/interaction\/[^"/]+\/login">/);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  });

  test('SESS-1 SESS-8 a failed sign-in shows the sign-in page again: 401, the generic message, the username kept, no password', async () => {
    const { browser, page } = await loginPage();
    const wrong = await submitLogin(browser, s, page, {
      username: 'founder',
      password: 'not the password at all',
    });
    assert.equal(wrong.status, 401);
    assert.ok(isLoginPage(wrong), 'the sign-in page again');
    assert.ok(wrong.html.includes(GENERIC), wrong.html);
    assert.equal(inputValue(wrong.html, 'username'), 'founder');
    assert.doesNotMatch(wrong.html, /not the password at all/);
    assert.ok(inputValue(wrong.html, 'csrf'), 'a fresh form');

    const unknown = await submitLogin(browser, s, wrong, { username: 'no-such-person', password: PASSWORD });
    assert.equal(unknown.status, 401);
    assert.ok(unknown.html.includes(GENERIC), 'an unknown username gets the same message');

    // The page keeps working: the right password now signs in.
    const done = await submitLogin(browser, s, unknown);
    assert.ok(done.left && done.location.searchParams.get('code'), `signed in at last, got ${done.status}`);
  });

  test('SESS-8 five failures lock the username: the next attempt, even with the right password, gets 429 with Retry-After', async () => {
    const { browser, page } = await loginPage();
    let current = page;
    for (let i = 1; i <= 5; i++) {
      current = await submitLogin(browser, s, current, { username: victim.username, password: `wrong ${i}` });
      assert.equal(current.status, 401, `failure ${i} is an ordinary failure`);
    }
    const locked = await submitLogin(browser, s, current, { username: victim.username, password: PASSWORD });
    assert.equal(locked.status, 429, locked.html);
    assert.ok(!locked.left, 'no code while locked');
    const retryAfter = Number(locked.headers.get('retry-after'));
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 3600,
      `Retry-After ${retryAfter}`,
    );
    assert.match(locked.html, /Too many attempts\. Try again in \d+ minutes?\./);
    assert.ok(!locked.html.includes(GENERIC), 'the lockout says so, not "incorrect"');

    // The lock is the username's: another user of the org signs in from the same place.
    const other = await codeFlow(s, web);
    assert.equal(other.tokens.claims()!.sub, t.user.id);
  });

  test('SESS-1 an unknown interaction (/interaction/nope) is a 400 page without internals', async () => {
    const browser = new TestBrowser();
    const page = await visit(browser, s, new URL('/interaction/nope', s.issuer));
    assert.equal(page.status, 400, page.html);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.ok(page.headers.get('content-security-policy'), 'a CSP on the error page too');
    assert.match(page.html, /<h1>[^<]+<\/h1>/);
    assertNoInternals(page.html);

    const posted = await visit(browser, s, new URL('/interaction/nope/login', s.issuer), {
      username: 'founder',
      password: PASSWORD,
      csrf: 'x',
    });
    assert.equal(posted.status, 400, posted.html);
    assertNoInternals(posted.html);
  });

  test('SESS-1 a real interaction opened in another browser (no interaction cookie) is a 400 page without internals', async () => {
    const { page } = await loginPage();
    const stranger = await visit(new TestBrowser(), s, page.location);
    assert.equal(stranger.status, 400, stranger.html);
    assert.ok(!stranger.left);
    assert.match(stranger.html, /This sign-in has expired/);
    assertNoInternals(stranger.html);
  });
});

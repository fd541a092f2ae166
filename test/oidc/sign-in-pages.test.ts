import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_SIGN_IN_POLICY } from '../../src/modules/sign-in/index.ts';
import type { User } from '../../src/modules/users/index.ts';
import { deviceCookie } from '../../src/oidc/interactions/device-cookie.ts';
import { ApiClient, userToken } from '../helpers/api.ts';
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
  signIn,
  submitLogin,
  visit,
} from '../helpers/sso-flow.ts';

const GENERIC = 'Incorrect username or password.';
const { maxFailures: MAX, accountMaxFailures: ACCOUNT_MAX } = DEFAULT_SIGN_IN_POLICY.username;
/** The device cookie's name with PUBLIC_URL on http (the test server's). */
const DEVICE = 'canopy_device';

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
    // Behind one proxy, so that each browser below can come from an address of its own (X-Forwarded-For).
    s = await startOidcServer({ config: { server: { trustProxy: true, proxyHops: 1 } } });
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

  test('SESS-8 five failures from one address lock the username there: the next attempt, even with the right password, gets 429 with Retry-After', async () => {
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

  // ── SEC-6: nobody locks a person out from afar ──

  let lastAddress = 0;
  /** A browser behind the proxy at an address of its own. */
  const browserAt = (ip = `192.0.2.${++lastAddress}`) =>
    new TestBrowser({ headers: { 'x-forwarded-for': ip } });
  /** The sign-in page of a new authorization request (`prompt=login`: even over a session). */
  async function loginPageIn(browser: TestBrowser): Promise<Landing> {
    const page = await visit(browser, s, (await authorizationRequest(web, { prompt: 'login' })).url);
    assert.ok(isLoginPage(page), `expected the sign-in page, got ${page.status}:\n${page.html}`);
    return page;
  }
  async function attempt(browser: TestBrowser, username: string, password: string): Promise<Landing> {
    return submitLogin(browser, s, await loginPageIn(browser), { username, password });
  }
  /** Signs in with the right password; answers the code the app got. */
  async function signInAs(browser: TestBrowser, user: User): Promise<string> {
    const request = await authorizationRequest(web, { prompt: 'login' });
    const callback = await signIn(browser, s, request, { username: user.username, password: PASSWORD });
    const code = callback.searchParams.get('code');
    assert.ok(code, `a code, got ${callback}`);
    return code;
  }
  /** Distributed guessing: `n` wrong passwords, fewer than five from each of many addresses; the last address. */
  async function guessFromMany(username: string, n: number): Promise<string> {
    let ip = `192.0.2.${++lastAddress}`;
    for (let i = 0; i < n; i++) {
      if (i > 0 && i % (MAX - 1) === 0) ip = `192.0.2.${++lastAddress}`;
      const page = await attempt(browserAt(ip), username, `guess ${i}`);
      assert.equal(page.status, 401, `guess ${i + 1} is an ordinary failure`);
    }
    return ip;
  }

  test('SEC-6 the original attack: five wrong passwords and more from one address leave the person free to sign in from theirs', async () => {
    const admin = await addUser(s.container, t.tenantId);
    const attacker = browserAt();
    let page = await loginPageIn(attacker);
    for (let i = 1; i <= MAX + 3; i++) {
      page = await submitLogin(attacker, s, page, { username: admin.username, password: `guess ${i}` });
      assert.equal(page.status, i <= MAX ? 401 : 429, `attempt ${i}`);
    }
    // The administrator, from their own address and a browser that never signed in before.
    const victim = browserAt();
    const form = await loginPageIn(victim);
    const action = new URL(/action="([^"]*\/login)"/.exec(form.html)![1]!, s.issuer);
    const posted = await victim.request(action, {
      form: { username: admin.username, password: PASSWORD, csrf: inputValue(form.html, 'csrf')! },
    });
    assert.equal(posted.status, 303, 'signed in');
    // …and from now on this browser is known to the account: a long-lived, signed device cookie.
    const set = posted.headers.getSetCookie().find((c) => c.startsWith(`${DEVICE}=`));
    assert.ok(set, `a device cookie among ${posted.headers.getSetCookie()}`);
    assert.match(set, /; Path=\/interaction(;|$)/);
    assert.match(set, /; HttpOnly(;|$)/);
    assert.match(set, /; SameSite=Lax(;|$)/i);
    assert.doesNotMatch(set, /; Secure/i, 'PUBLIC_URL is http here');
    const maxAge = Number(/; Max-Age=(\d+)/.exec(set)?.[1]);
    assert.equal(maxAge, 180 * 86_400);
    // The attacker stays locked out.
    assert.equal((await attempt(attacker, admin.username, PASSWORD)).status, 429);
  });

  test('SEC-6 distributed guessing locks fresh browsers out, never the browser that signed in before; forged cookies exempt nothing', async () => {
    const [admin, colleague] = [
      await addUser(s.container, t.tenantId),
      await addUser(s.container, t.tenantId),
    ];
    const usual = browserAt();
    await signInAs(usual, admin);
    const genuine = usual.cookie(DEVICE);
    assert.ok(genuine, 'the device cookie');
    const other = browserAt();
    await signInAs(other, colleague);

    const attacker = await guessFromMany(admin.username, ACCOUNT_MAX);
    const fresh = await attempt(browserAt(), admin.username, PASSWORD);
    assert.equal(fresh.status, 429, 'a browser that never signed in to the account waits');
    assert.ok(Number(fresh.headers.get('retry-after')) > 0);
    assert.match(fresh.html, /Too many attempts\. Try again in \d+ minutes?\./);

    // Cookies that do not vouch for this account: forged, altered, or another account's genuine one.
    const [, payload, mac] = genuine.split('.') as [string, string, string];
    const flipped = `${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const [what, value] of [
      ['a forged MAC', `v1.${payload}.${flipped}`],
      ['garbage', 'v1.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
      ["another account's", other.cookie(DEVICE)!],
    ] as const) {
      const planted = browserAt();
      planted.setCookie(DEVICE, value);
      assert.equal((await attempt(planted, admin.username, PASSWORD)).status, 429, what);
    }
    // The usual browser signs in, from its own address or from one the attacker used.
    await signInAs(usual, admin);
    usual.headers['x-forwarded-for'] = attacker;
    await signInAs(usual, admin);
  });

  test('SEC-6 an administrator with users.manage lifts the lockout through the API; lockout and unlock are audited', async () => {
    const admin = await addUser(s.container, t.tenantId);
    await guessFromMany(admin.username, ACCOUNT_MAX);
    const stranger = browserAt();
    assert.equal((await attempt(stranger, admin.username, PASSWORD)).status, 429);

    const api = ApiClient.for(s.container);
    const narrow = await userToken(s.container, (await addUser(s.container, t.tenantId)).id);
    assert.equal((await api.call('post', `/users/${admin.id}/unlock`, { token: narrow })).status, 403);
    assert.equal((await attempt(stranger, admin.username, PASSWORD)).status, 429, 'still locked');
    const owner = await userToken(s.container, t.user.id);
    assert.equal((await api.call('post', `/users/${admin.id}/unlock`, { token: owner })).status, 204);
    await signInAs(stranger, admin);

    const audit = s.container.audit;
    const lockouts = (await audit.list(t.tenantId, { action: 'session.lockout', limit: 100 })).filter(
      (r) => r.targetId === admin.id,
    );
    assert.deepEqual(
      lockouts.map((r) => (r.after as { scope: string }).scope),
      ['account'],
    );
    const unlocks = (await audit.list(t.tenantId, { action: 'user.unlock', limit: 100 })).filter(
      (r) => r.targetId === admin.id,
    );
    assert.deepEqual(
      unlocks.map((r) => [r.actorType, r.actorId, r.after]),
      [['user', t.user.id, { username: admin.username, lockoutsLifted: 1 }]],
    );
  });

  test('SEC-6 SEC-8 the device cookie is Secure and __Secure- prefixed when PUBLIC_URL is https, scoped to the sign-in paths', () => {
    assert.deepEqual(deviceCookie('https://id.example.com'), {
      name: '__Secure-canopy_device',
      attributes: { httpOnly: true, sameSite: 'lax', secure: true, path: '/interaction' },
    });
    assert.deepEqual(deviceCookie('http://127.0.0.1:3000'), {
      name: 'canopy_device',
      attributes: { httpOnly: true, sameSite: 'lax', secure: false, path: '/interaction' },
    });
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

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { TestBrowser } from '../helpers/browser.ts';
import {
  answerConfirmation,
  apiMe,
  approveInBrowser,
  type DeviceAuthorization,
  deviceFlowServer,
  enterCode,
  openCodeEntry,
  openConfirmation,
  pollAfterInterval,
  pollToken,
  refreshToken,
  requestDeviceCode,
  signOut,
  startDeviceFlow,
} from '../helpers/device-flow.ts';
import { addUser, PASSWORD, signUpTenant, type Tenant } from '../helpers/factories.ts';
import type { OidcTestServer } from '../helpers/oidc-server.ts';
import { isLoginPage, submitLogin } from '../helpers/sso-flow.ts';

// The command line's sign-in (RFC 8628 device flow, client `canopy-cli`): the terminal asks for a
// code naming the org, the person approves it in a browser, the terminal polls for tokens that the
// admin API accepts like the console's. The pace of polling is in device-polling.test.ts; what the
// confirmation shows and the audit of approvals, in device-approvals.test.ts.

const MINUTE = 60_000;

describe('device flow for canopy-cli', () => {
  const server = deviceFlowServer({ companyName: 'Acme Device Co' });
  let s: OidcTestServer;
  let t: Tenant;
  let domain: string;
  before(() => ({ s, t, domain } = server));

  // A poll of a code that must still be pending, made as a well-behaved device makes it.
  const pending = async (device: DeviceAuthorization) => {
    const poll = await pollAfterInterval(s, device);
    assert.equal(poll.status, 400);
    assert.equal(poll.body.error, 'authorization_pending', 'nothing granted yet');
  };

  test('SESS-1 APP-2 full flow: code for the org, browser confirms and signs in, the token works on the admin API', async () => {
    const device = await startDeviceFlow(s, domain);
    assert.match(device.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(device.verification_uri, `${s.issuer}/oidc/device`);
    await pending(device);

    const browser = new TestBrowser();
    const confirmation = await openConfirmation(browser, s, device);
    assert.match(confirmation.html, /Canopy command line/);
    assert.match(confirmation.html, /Acme Device Co/);
    assert.match(confirmation.html, new RegExp(device.user_code));
    assert.match(
      confirmation.html,
      /Continue only if you started this sign-in yourself, on a device you control/,
    );
    assert.match(confirmation.html, /name="abort" value="yes"/);
    assert.doesNotMatch(confirmation.html, /<script|onfocus=/i, 'no script on the confirmation');
    assert.match(confirmation.headers.get('content-security-policy')!, /^default-src 'none'/);
    await pending(device);

    const login = await answerConfirmation(browser, s, confirmation, 'confirm');
    assert.ok(isLoginPage(login), `the sign-in page, got ${login.status}:\n${login.html}`);
    assert.match(login.html, /Sign in to Acme Device Co/);
    await pending(device);
    const done = await submitLogin(browser, s, login);
    assert.equal(done.status, 200, done.html);
    assert.match(done.html, /You are signed in/);

    const poll = await pollToken(s, device.device_code);
    assert.equal(poll.status, 200, JSON.stringify(poll.body));
    assert.equal(poll.body.token_type, 'Bearer');
    const me = await apiMe(s, String(poll.body.access_token));
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal((me.body.user as { id: string }).id, t.user.id);
    assert.equal((me.body.organization as { domain: string }).domain, domain);

    const again = await pollToken(s, device.device_code);
    assert.equal(again.body.error, 'invalid_grant', 'a device code is redeemed once');
  });

  test('SESS-1 the code can be typed at verification_uri; the refresh token rotates as the console’s', async () => {
    const device = await startDeviceFlow(s, domain);
    const browser = new TestBrowser();
    const entry = await openCodeEntry(browser, s);
    assert.match(entry.html, /<label for="user_code">Code<\/label>/);
    const typed = device.user_code.toLowerCase().replace('-', ' ');
    const confirmation = await enterCode(browser, s, entry, typed);
    const login = await answerConfirmation(browser, s, confirmation, 'confirm');
    await submitLogin(browser, s, login);
    const tokens = (await pollToken(s, device.device_code)).body;
    assert.ok(tokens.refresh_token, 'a refresh token');

    const refreshed = await refreshToken(s, String(tokens.refresh_token));
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.notEqual(refreshed.body.refresh_token, tokens.refresh_token, 'rotated');
    assert.equal((await apiMe(s, String(refreshed.body.access_token))).status, 200);
    const reuse = await refreshToken(s, String(tokens.refresh_token));
    assert.equal(reuse.body.error, 'invalid_grant', 'the old refresh token is dead');
  });

  test('APP-2 a device authorization without org, or with an unknown org, is refused at once with invalid_request', async () => {
    for (const org of [undefined, 'no-such-org', 'x'.repeat(64)]) {
      const { status, body } = await requestDeviceCode(s, org);
      assert.equal(status, 400, String(org));
      assert.equal(body.error, 'invalid_request');
      assert.match(String(body.error_description), /\borg\b/);
      assert.equal(body.device_code, undefined);
    }
  });

  test('APP-2 a user of another master org cannot complete it, even signed in there already', async () => {
    const other = await signUpTenant(s.container);
    await addUser(s.container, other.tenantId, 'outsider');
    const device = await startDeviceFlow(s, domain);
    const browser = new TestBrowser();
    const login = await approveInBrowser(s, device, { browser, username: 'outsider' });
    assert.equal(login.status, 401, 'the outsider is not a user of this org');
    await pending(device);

    // Signed in to the other org in this browser: confirming a code of this org asks for a sign-in.
    const theirs = await startDeviceFlow(s, other.organization.domain!);
    const signedIn = await approveInBrowser(s, theirs, { browser, username: 'outsider' });
    assert.match(signedIn.html, /You are signed in/);
    const ours = await startDeviceFlow(s, domain);
    const page = await answerConfirmation(browser, s, await openConfirmation(browser, s, ours), 'confirm');
    assert.ok(isLoginPage(page), `asked to sign in again, got ${page.status}:\n${page.html}`);
    await pending(ours);
  });

  test('SESS-1 cancelling at the confirmation denies the device: access_denied, and the code is spent', async () => {
    const device = await startDeviceFlow(s, domain);
    const browser = new TestBrowser();
    const confirmation = await openConfirmation(browser, s, device);
    const cancelled = await answerConfirmation(browser, s, confirmation, 'abort');
    assert.equal(cancelled.status, 200);
    assert.match(cancelled.html, /Sign-in cancelled/);
    assert.match(cancelled.html, /Nothing was granted to Canopy command line/);
    const poll = await pollToken(s, device.device_code);
    assert.equal(poll.status, 400);
    assert.equal(poll.body.error, 'access_denied');

    const reused = await enterCode(browser, s, await openCodeEntry(browser, s), device.user_code);
    assert.equal(reused.status, 400);
    assert.match(reused.html, /already been used/);
  });

  test('SESS-1 a wrong code shows an error on the code-entry page and grants nothing', async () => {
    const device = await startDeviceFlow(s, domain);
    const browser = new TestBrowser();
    const wrong = await enterCode(browser, s, await openCodeEntry(browser, s), 'BBBB-BBBB');
    assert.equal(wrong.status, 400);
    assert.match(wrong.html, /That code is not right/);
    assert.match(wrong.html, /aria-invalid="true"/);
    assert.match(wrong.html, /value="BBBB-BBBB"/, 'the code is shown again to correct');
    const empty = await enterCode(browser, s, wrong, '');
    assert.equal(empty.status, 400);
    assert.match(empty.html, /Enter the code shown in your terminal/);
    await pending(device);
  });

  test('SESS-1 a code posted after the browser’s session is gone leads to a fresh form, not an error', async () => {
    const device = await startDeviceFlow(s, domain);
    const stale = await new TestBrowser().request(new URL('/oidc/device', s.issuer), {
      form: { xsrf: 'from-a-page-left-open', user_code: device.user_code },
    });
    assert.equal(stale.status, 303);
    assert.equal(new URL(stale.headers.get('location')!, s.issuer).pathname, '/oidc/device');
    await pending(device);
  });

  test('SESS-8 the sign-in in between is the throttled password sign-in: repeated failures lock the username', async () => {
    const user = await addUser(s.container, t.tenantId);
    const device = await startDeviceFlow(s, domain);
    const browser = new TestBrowser();
    const confirmation = await openConfirmation(browser, s, device);
    let page = await answerConfirmation(browser, s, confirmation, 'confirm');
    for (let failure = 1; failure <= 5; failure++) {
      page = await submitLogin(browser, s, page, { username: user.username, password: `wrong ${failure}` });
      assert.equal(page.status, 401, `failure ${failure}`);
    }
    const locked = await submitLogin(browser, s, page, { username: user.username, password: PASSWORD });
    assert.equal(locked.status, 429, 'locked out, even with the right password');
    await pollToken(s, device.device_code).then((p) => assert.equal(p.body.error, 'authorization_pending'));
  });

  test('SESS-7 signing out of the browser session makes the command line’s token inactive for the admin API', async () => {
    const device = await startDeviceFlow(s, domain);
    const browser = new TestBrowser();
    await approveInBrowser(s, device, { browser });
    const tokens = (await pollToken(s, device.device_code)).body;
    assert.equal((await apiMe(s, String(tokens.access_token))).status, 200);
    const out = await signOut(browser, s);
    assert.equal(out.status, 200, out.html);
    assert.equal((await apiMe(s, String(tokens.access_token))).status, 401);
    assert.equal((await refreshToken(s, String(tokens.refresh_token))).body.error, 'invalid_grant');
  });

  test('USR-3 disabling the user makes the command line’s token inactive for the admin API', async () => {
    const user = await addUser(s.container, t.tenantId);
    const device = await startDeviceFlow(s, domain);
    await approveInBrowser(s, device, { username: user.username });
    const tokens = (await pollToken(s, device.device_code)).body;
    assert.equal((await apiMe(s, String(tokens.access_token))).status, 200);
    await s.container.users.disable(t.owner, t.tenantId, user.id);
    assert.equal((await apiMe(s, String(tokens.access_token))).status, 401);
    assert.equal((await refreshToken(s, String(tokens.refresh_token))).body.error, 'invalid_grant');
  });

  // Last in this group: it moves the server's clock on by more than an hour.
  test('SESS-2 the command line’s tokens end with their idle session, and a refresh is a use', async () => {
    const device = await startDeviceFlow(s, domain);
    await approveInBrowser(s, device);
    const tokens = (await pollToken(s, device.device_code)).body;
    // The refresh token outlives the session by far: only the session can end it here.
    s.clock.advance(59 * MINUTE);
    const refreshed = await refreshToken(s, String(tokens.refresh_token));
    assert.equal(refreshed.status, 200, 'alive after 59 idle minutes');
    assert.equal((await apiMe(s, String(refreshed.body.access_token))).status, 200);
    s.clock.advance(61 * MINUTE);
    assert.equal((await refreshToken(s, String(refreshed.body.refresh_token))).body.error, 'invalid_grant');
    assert.equal((await apiMe(s, String(refreshed.body.access_token))).status, 401);
  });
});

describe('device flow: guessing user codes', () => {
  // A server of its own: the throttle counts per address, and every test here is 127.0.0.1.
  const server = deviceFlowServer();
  let s: OidcTestServer;
  let domain: string;
  before(() => ({ s, domain } = server));

  test('device flow: code entry is throttled per address, like SESS-8: codes found are not counted, the 11th miss is refused', async () => {
    const browser = new TestBrowser();
    let page = await openCodeEntry(browser, s);
    for (let i = 0; i < 3; i++) {
      const device = await startDeviceFlow(s, domain);
      const confirmation = await enterCode(browser, s, page, device.user_code);
      assert.equal(confirmation.status, 200, 'a code that exists is not a guess');
      page = await openCodeEntry(browser, s);
    }
    for (let miss = 1; miss <= 10; miss++) {
      page = await enterCode(browser, s, page, 'BBBB-BBBB');
      assert.equal(page.status, 400, `miss ${miss} is answered`);
    }
    const device = await startDeviceFlow(s, domain);
    const refused = await enterCode(browser, s, page, device.user_code);
    assert.equal(refused.status, 429, 'over the limit, even a right code is refused');
    assert.match(refused.html, /Too many codes entered/);
    assert.ok(Number(refused.headers.get('retry-after')) > 0, 'Retry-After');
    await pollToken(s, device.device_code).then((p) => assert.equal(p.body.error, 'authorization_pending'));
    const typed = await new TestBrowser().request(new URL('/oidc/device', s.issuer), {
      form: { user_code: device.user_code },
    });
    assert.equal(typed.status, 429, 'another browser at the same address too');
    // The provider's router ignores case and a trailing slash; the throttle must too.
    const variant = await new TestBrowser().request(new URL('/oidc/Device/', s.issuer), {
      form: { user_code: device.user_code },
    });
    assert.equal(variant.status, 429, 'the same form under another spelling of its path');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestBrowser } from '../helpers/browser.ts';
import {
  answerConfirmation,
  apiMe,
  approveInBrowser,
  type DeviceAuthorization,
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
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import { isLoginPage, submitLogin } from '../helpers/sso-flow.ts';

// The command line's sign-in (RFC 8628 device flow, client `canopy-cli`): the terminal asks for a
// code naming the org, the person approves it in a browser, the terminal polls for tokens that the
// admin API accepts like the console's.

const MINUTE = 60_000;

describe('device flow for canopy-cli', () => {
  let s: OidcTestServer;
  let t: Tenant;
  let domain: string;
  before(async () => {
    s = await startOidcServer();
    t = await signUpTenant(s.container, { companyName: 'Acme Device Co' });
    domain = t.organization.domain!;
  });
  after(() => s.close());

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

  test('RFC 8628 §3.2 the device authorization response tells the device to poll every 5 seconds', async () => {
    const device = await startDeviceFlow(s, domain);
    assert.equal(device.interval, 5);
  });

  test('RFC 8628 §3.5 a pending code polled within its interval answers slow_down, and its interval grows by 5 seconds for good', async () => {
    const a = await startDeviceFlow(s, domain);
    const b = await startDeviceFlow(s, domain);
    const poll = async (device: DeviceAuthorization, expected: string, why: string) => {
      const answer = await pollToken(s, device.device_code);
      assert.equal(answer.status, 400, why);
      assert.equal(answer.body.error, expected, why);
      return answer;
    };
    await poll(a, 'authorization_pending', 'the first poll of a');
    await poll(b, 'authorization_pending', 'the first poll of b');
    const early = await poll(a, 'slow_down', 'a polled again at once');
    assert.match(String(early.body.error_description), /every 10 seconds/);
    await poll(b, 'slow_down', 'b polled again at once');
    assert.equal(early.body.access_token, undefined);

    s.clock.advance(6_000);
    await poll(b, 'slow_down', 'b after 6 s: its interval is 10 s now');
    s.clock.advance(4_000);
    await poll(a, 'authorization_pending', 'a after the grown interval of 10 s');
    s.clock.advance(5_000);
    await poll(a, 'slow_down', 'a after 5 s: the interval stays grown');

    const c = await startDeviceFlow(s, domain);
    await poll(c, 'authorization_pending', 'another code keeps its own interval');
    s.clock.advance(5_000);
    await poll(c, 'authorization_pending', 'c after 5 s');

    // Only pending answers are paced: once approved, the next poll gets the tokens at once.
    await approveInBrowser(s, a);
    const tokens = await pollToken(s, a.device_code);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    // A code the person cancelled says so at once too (b's interval has not passed).
    const browser = new TestBrowser();
    await answerConfirmation(browser, s, await openConfirmation(browser, s, b), 'abort');
    assert.equal((await pollToken(s, b.device_code)).body.error, 'access_denied');
  });

  /** Signs `browser` in through a device code of `org` and returns the command line's access token. */
  const tokenVia = async (org: string, browser = new TestBrowser(), username?: string) => {
    const device = await startDeviceFlow(s, org);
    await approveInBrowser(s, device, { browser, username });
    const poll = await pollToken(s, device.device_code);
    assert.equal(poll.status, 200, JSON.stringify(poll.body));
    return String(poll.body.access_token);
  };

  /** The entries of one action in a master org's audit log, read through the admin API (newest first). */
  const auditEntries = async (token: string, tenantId: string, action: string) => {
    const url = new URL(`/api/v1/organizations/${tenantId}/audit-log`, s.issuer);
    url.search = new URLSearchParams({ action, limit: '200' }).toString();
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { entries: Array<Record<string, unknown>> };
    assert.equal(res.status, 200, JSON.stringify(body));
    return body.entries;
  };

  const assertNoCode = (entry: unknown, device: DeviceAuthorization) => {
    const text = JSON.stringify(entry);
    for (const secret of [device.device_code, device.user_code, device.user_code.replace('-', '')]) {
      assert.ok(!text.includes(secret), `no device or user code in ${text}`);
    }
  };

  test('AUD-1 RFC 8628 an approval leaves one device.approved entry: the person, the client, when and from which network it was requested; no code', async () => {
    const founder = await tokenVia(domain);
    const before = await auditEntries(founder, t.tenantId, 'device.approved');
    const requestedAt = s.clock.now().toISOString();
    const device = await startDeviceFlow(s, domain);
    s.clock.advance(90_000);
    await approveInBrowser(s, device);
    assert.equal((await pollToken(s, device.device_code)).status, 200);

    const entries = await auditEntries(founder, t.tenantId, 'device.approved');
    assert.equal(entries.length, before.length + 1, 'one entry for one approval');
    const entry = entries[0]!;
    assert.deepEqual(entry.actor, { type: 'user', id: t.user.id });
    assert.deepEqual(entry.target, { type: 'client', id: 'canopy-cli' });
    assert.equal(entry.organizationId, t.tenantId);
    assert.equal(entry.outcome, 'success');
    assert.deepEqual(entry.after, {
      clientName: 'Canopy command line',
      requestOrigin: '127.0.0.x',
      requestedAt,
    });
    assertNoCode(entry, device);
  });

  test('AUD-1 RFC 8628 a refusal leaves one device.denied entry: by the person signed in to the org, else anonymous (another org’s user too); no code', async () => {
    const browser = new TestBrowser();
    const founder = await tokenVia(domain, browser);
    const denied = () => auditEntries(founder, t.tenantId, 'device.denied');
    const count = (await denied()).length;

    const byFounder = await startDeviceFlow(s, domain);
    await answerConfirmation(browser, s, await openConfirmation(browser, s, byFounder), 'abort');
    let entries = await denied();
    assert.equal(entries.length, count + 1, 'one entry for one refusal');
    assert.deepEqual(entries[0]!.actor, { type: 'user', id: t.user.id });
    assert.deepEqual(entries[0]!.target, { type: 'client', id: 'canopy-cli' });
    assert.equal((entries[0]!.after as { requestOrigin?: string }).requestOrigin, '127.0.0.x');
    assertNoCode(entries[0], byFounder);

    // Another org's user, signed in to their own org in this browser, cancels a code of this org:
    // recorded here, as anonymous (their id is not this org's business), and not in their org.
    const other = await signUpTenant(s.container);
    const theirBrowser = new TestBrowser();
    const theirs = await tokenVia(other.organization.domain!, theirBrowser);
    const byOutsider = await startDeviceFlow(s, domain);
    await answerConfirmation(theirBrowser, s, await openConfirmation(theirBrowser, s, byOutsider), 'abort');
    entries = await denied();
    assert.equal(entries.length, count + 2);
    assert.deepEqual(entries[0]!.actor, { type: 'anonymous', id: null });
    assertNoCode(entries[0], byOutsider);
    assert.equal((await auditEntries(theirs, other.tenantId, 'device.denied')).length, 0);
  });

  test('AUD-1 RFC 8628 no approval without its entry: when the audit log refuses it, the device gets no token', async () => {
    const knex = s.container.database.knex;
    // The database itself refuses the entry (as when it fails mid-request): no stand-in for the service.
    await knex.raw(`create function refuse_device_approval() returns trigger language plpgsql as $$
      begin raise exception 'audit log unavailable'; end $$`);
    await knex.raw(`create trigger refuse_device_approval before insert on audit_log for each row
      when (new.action = 'device.approved') execute function refuse_device_approval()`);
    try {
      const device = await startDeviceFlow(s, domain);
      const done = await approveInBrowser(s, device);
      assert.doesNotMatch(done.html, /You are signed in/);
      const poll = await pollToken(s, device.device_code);
      assert.equal(poll.status, 400, JSON.stringify(poll.body));
      assert.equal(poll.body.error, 'server_error', 'the code is spent, not left approved');
      assert.equal(poll.body.access_token, undefined);
    } finally {
      await knex.raw('drop trigger refuse_device_approval on audit_log');
      await knex.raw('drop function refuse_device_approval()');
    }
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
  let s: OidcTestServer;
  let domain: string;
  before(async () => {
    // A server of its own: the throttle counts per address, and every test here is 127.0.0.1.
    s = await startOidcServer();
    domain = (await signUpTenant(s.container)).organization.domain!;
  });
  after(() => s.close());

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

describe('device flow: what the confirmation shows', () => {
  let s: OidcTestServer;
  let domain: string;
  before(async () => {
    // Behind one proxy that Canopy trusts: the requester's address arrives in X-Forwarded-For.
    s = await startOidcServer({ config: { server: { trustProxy: true, proxyHops: 1 } } });
    domain = (await signUpTenant(s.container, { companyName: 'Acme Phish Co' })).organization.domain!;
  });
  after(() => s.close());

  test('RFC 8628 §5.4 a code sent by someone else is not confirmed blind: the page names the app, the org, when and from which network it was requested (never the full address), and warns', async () => {
    const requestedAt = s.clock.now();
    const device = await startDeviceFlow(s, domain, { 'x-forwarded-for': '203.0.113.77' });
    s.clock.advance(2 * MINUTE + 5_000);
    const page = await openConfirmation(new TestBrowser(), s, device);
    assert.match(page.html, /<dt>App<\/dt>\n<dd>Canopy command line<\/dd>/);
    assert.match(page.html, /<dt>Organization<\/dt>\n<dd>Acme Phish Co<\/dd>/);
    assert.match(
      page.html,
      /<dt>Requested<\/dt>\n<dd>2 minutes ago \(<time datetime="([^"]+)">1 January 2026 at 00:00 UTC<\/time>\)/,
    );
    assert.equal(/<time datetime="([^"]+)">/.exec(page.html)![1], requestedAt.toISOString());
    assert.match(page.html, /<dt>From network<\/dt>\n<dd class="reference">203\.0\.113\.x<\/dd>/);
    assert.doesNotMatch(page.html, /203\.0\.113\.77/, 'never the full address');
    assert.match(page.html, /Continue only if you started this sign-in yourself, on a device you control/);
    assert.match(page.html, /Otherwise cancel/);

    // IPv6: the /48, nothing of the rest.
    const v6 = await startDeviceFlow(s, domain, { 'x-forwarded-for': '2001:db8:85a3:1:2:8a2e:370:7334' });
    const v6page = await openConfirmation(new TestBrowser(), s, v6);
    assert.match(v6page.html, /<dd class="reference">2001:db8:85a3::\/48<\/dd>/);
    assert.doesNotMatch(v6page.html, /8a2e|7334|85a3:1/);
    assert.match(v6page.html, /just now/);
  });
});

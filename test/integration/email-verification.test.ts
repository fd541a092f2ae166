import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { VERIFICATION_SUBJECT } from '../../src/modules/accounts/index.ts';
import { accountLinkIn, outboxMessages, partOf } from '../helpers/account-mail.ts';
import { ApiClient, userToken } from '../helpers/api.ts';
import { inputValue, TestBrowser } from '../helpers/browser.ts';
import { addUser, addUserWith, PASSWORD, signUpTenant, type Tenant, userCtx } from '../helpers/factories.ts';
import { headerOf, unreachableSmtpUrl } from '../helpers/invitation-mail.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import { introspect, registerWebApp, signIn, userinfo } from '../helpers/sso-session.ts';
import { createTestEnv } from '../helpers/test-container.ts';

// ACC-3: sign-up and every email change mail a single-use verification link; `email_verified` in
// the ID token, userinfo and introspection is false until it is followed; the link's page spends
// nothing on GET (mail scanners fetch links), works once on POST, and expires after a day.
// Administrators (and the user) can send a new one. Mail goes to DATA_DIR/outbox/, read from there.

const DAY_MS = 24 * 60 * 60_000;
let s: OidcTestServer;
let api: ApiClient;
let dataDir: string;
let n = 0;
const unique = (prefix: string) => `${prefix}${process.pid}x${++n}`;

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'canopy-verify-'));
  s = await startOidcServer({ config: { storage: { dataDir } } });
  api = ApiClient.for(s.container);
});
after(async () => {
  await s?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A company signed up over the API, as a stranger would: its founder's ids and address. */
async function signUpOverApi() {
  const username = unique('fiona');
  const email = `${username}@example.test`;
  const res = await api.call('post', '/signup', {
    body: {
      companyName: 'Verifying Co',
      domain: unique('verify'),
      username,
      email,
      name: 'Fiona Founder',
      password: PASSWORD,
    },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return {
    tenantId: res.body.organization.id as string,
    userId: res.body.user.id as string,
    username,
    email,
  };
}

/** The verification links mailed to `email` so far, oldest first. */
async function linksTo(email: string): Promise<string[]> {
  const mails = await outboxMessages(dataDir, email);
  // An email change also tells the old address, in a mail without a verification link (ACC-5).
  return mails
    .filter((raw) => raw.includes('/verify-email/'))
    .map((raw) => accountLinkIn(raw, '/verify-email/'));
}

/** The one link mailed to `email` since it had `before` of them. */
async function newLinkTo(email: string, before: number): Promise<string> {
  const links = await linksTo(email);
  assert.equal(links.length, before + 1, `one new verification mail to ${email}`);
  return links.at(-1)!;
}

/** Opens the link's page (GET) and presses "Verify" (POST, with the page's CSRF token). */
async function follow(link: string, browser = new TestBrowser()) {
  const page = await browser.request(link);
  const html = await page.text();
  if (page.status !== 200) return { get: page.status, post: undefined, html };
  const csrf = inputValue(html, 'csrf');
  assert.ok(csrf, 'the page has a CSRF token');
  const done = await browser.request(link, { form: { csrf } });
  return { get: 200, post: done.status, html: await done.text(), csrf, browser };
}

const verifiedInDb = async (userId: string) =>
  (await s.container.database.knex('users').where({ id: userId }).first()).email_verified as boolean;

const auditActions = async (userId: string) =>
  (await s.container.database
    .knex('audit_log')
    .where({ target_id: userId })
    .orderBy('id')
    .pluck('action')) as string[];

describe('ACC-3 the founder’s link', () => {
  test('ACC-3 sign-up mails the founder a link; email_verified is false in the ID token, userinfo and introspection until it is followed, then true', async () => {
    const c = s.container;
    const founder = await signUpOverApi();
    const [raw, ...more] = await outboxMessages(dataDir, founder.email);
    assert.ok(raw, 'a mail to the founder');
    assert.equal(more.length, 0, 'one mail');
    assert.equal(headerOf(raw, 'Subject'), VERIFICATION_SUBJECT);
    const link = accountLinkIn(raw, '/verify-email/');
    assert.ok(link.startsWith(`${s.issuer}/verify-email/`), `a link under PUBLIC_URL: ${link}`);
    assert.ok(partOf(raw, 'text/html').includes(`href="${link}"`), 'the HTML part links the same');
    assert.doesNotMatch(headerOf(raw, 'Subject')!, /verify-email\//, 'no secret in the subject');

    const token = await userToken(c, founder.userId);
    const me = await api.call('get', '/me', { token });
    assert.equal(me.body.user.emailVerified, false);
    const owner = userCtx(founder.tenantId, founder.userId);
    const { rp } = await registerWebApp(c, owner, founder.tenantId, s.issuer);
    const before = await signIn(rp, { username: founder.username, scope: 'openid email' });
    const claims = before.tokens.claims()!;
    assert.equal(claims.email, founder.email);
    assert.equal(claims.email_verified, false, 'ID token');
    assert.equal((await userinfo(rp, before.tokens)).email_verified, false, 'userinfo');
    const introspected = await introspect(rp, before.tokens.access_token);
    assert.equal(introspected.email, founder.email);
    assert.equal(introspected.email_verified, false, 'introspection');

    // Opening the page twice spends nothing (a mail scanner's GET); the button does.
    const browser = new TestBrowser();
    assert.equal((await browser.request(link)).status, 200);
    const done = await follow(link, browser);
    assert.equal(done.get, 200);
    assert.ok(done.html.includes('is now verified'), done.html);
    assert.equal(done.post, 200);
    assert.equal(await verifiedInDb(founder.userId), true);
    assert.ok((await auditActions(founder.userId)).includes('user.email_verify'));

    assert.equal((await userinfo(rp, before.tokens)).email_verified, true, 'userinfo follows at once');
    assert.equal(
      (await introspect(rp, before.tokens.access_token)).email_verified,
      true,
      'so does introspection',
    );
    const again = await signIn(rp, { username: founder.username, scope: 'openid email' });
    assert.equal(again.tokens.claims()!.email_verified, true, 'a new ID token says so');
    assert.equal((await api.call('get', `/users/${founder.userId}`, { token })).body.emailVerified, true);

    // Once: the same form again, and the page itself, answer 410.
    const replay = await done.browser!.request(link, { form: { csrf: done.csrf! } });
    assert.equal(replay.status, 410);
    assert.match(await replay.text(), /no longer works/);
    assert.equal((await browser.request(link)).status, 410);
    assert.equal((await linksTo(founder.email)).length, 1, 'verifying sends nothing more');
  });

  test('ACC-3 a link works for 24 hours and not after', async () => {
    const late = await signUpOverApi();
    const timely = await signUpOverApi();
    const [lateLink] = await linksTo(late.email);
    const [timelyLink] = await linksTo(timely.email);
    s.clock.advance(DAY_MS - 10 * 60_000);
    assert.equal((await follow(timelyLink!)).post, 200, 'at 23 h 50 min it still works');
    assert.equal(await verifiedInDb(timely.userId), true);
    const page = await new TestBrowser().request(lateLink!);
    assert.equal(page.status, 200);
    s.clock.advance(11 * 60_000);
    assert.equal((await follow(lateLink!)).get, 410, 'past 24 h the page says it no longer works');
    await assert.rejects(
      s.container.accounts.emailVerification.complete('req-late', new URL(lateLink!).pathname.split('/')[2]),
      { code: 'account.link_invalid' },
    );
    assert.equal(await verifiedInDb(late.userId), false);
  });

  test('ACC-3 a malformed, unknown or forged request changes nothing', async () => {
    const founder = await signUpOverApi();
    const [link] = await linksTo(founder.email);
    assert.equal((await new TestBrowser().request(`${s.issuer}/verify-email/nope`)).status, 410);
    const unknown = `${s.issuer}/verify-email/${'A'.repeat(43)}`;
    assert.equal((await new TestBrowser().request(unknown)).status, 410);
    // A POST without the page's CSRF token (another site's form) is refused and spends nothing.
    const forged = await new TestBrowser().request(link!, { form: { csrf: 'forged' } });
    assert.equal(forged.status, 403);
    assert.equal(await verifiedInDb(founder.userId), false);
    assert.equal((await follow(link!)).post, 200, 'the link still works after the refusals');
  });
});

describe('ACC-3 email changes', () => {
  test("ACC-3 an administrator's email change clears the flag and mails the new address; an older link no longer verifies anything", async () => {
    const founder = await signUpOverApi();
    const token = await userToken(s.container, founder.userId);
    assert.equal((await follow((await linksTo(founder.email))[0]!)).post, 200);
    assert.equal(await verifiedInDb(founder.userId), true);

    const second = `${unique('new')}@example.test`;
    const changed = await api.call('patch', `/users/${founder.userId}`, { token, body: { email: second } });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.emailVerified, false, 'a new address is unverified');
    assert.equal(await verifiedInDb(founder.userId), false);
    const secondLink = await newLinkTo(second, 0);
    assert.equal((await linksTo(founder.email)).length, 1, 'nothing more to the old address');

    // Changed again before the link was followed: that link verifies neither address.
    const third = `${unique('third')}@example.test`;
    await api.call('patch', `/users/${founder.userId}`, { token, body: { email: third } });
    const thirdLink = await newLinkTo(third, 0);
    assert.equal((await follow(secondLink)).get, 410);
    assert.equal(await verifiedInDb(founder.userId), false);
    assert.equal((await follow(thirdLink)).post, 200);
    assert.equal(await verifiedInDb(founder.userId), true);

    // A name change, or the same address in other case, keeps the flag and sends nothing.
    await api.call('patch', `/users/${founder.userId}`, {
      token,
      body: { name: 'Fiona F.', email: third.toUpperCase() },
    });
    assert.equal(await verifiedInDb(founder.userId), true);
    assert.equal((await linksTo(third)).length + (await linksTo(third.toUpperCase())).length, 1);
  });
});

describe('ACC-3 sending a new link', () => {
  let t: Tenant;
  let other: Tenant;
  before(async () => {
    t = await signUpTenant(s.container, { domain: unique('resend') });
    other = await signUpTenant(s.container, { domain: unique('elsewhere') });
  });

  const resend = async (actorId: string, userId: string) =>
    api.call('post', `/users/${userId}/verification-email`, { token: await userToken(s.container, actorId) });

  test('ACC-3 users.manage on the master or the user themself may; a narrow administrator gets 403, another tenant 404; audited; only the newest link works', async () => {
    const c = s.container;
    const member = await addUser(c, t.tenantId);
    const narrow = await addUserWith(c, t, ['users.invite', 'roles.assign']);
    assert.equal((await linksTo(member.email)).length, 0, 'a user made without a link has none');

    const byAdmin = await resend(t.user.id, member.id);
    assert.equal(byAdmin.status, 200, JSON.stringify(byAdmin.body));
    assert.deepEqual([byAdmin.body.email, byAdmin.body.delivery], [member.email, 'sent']);
    assert.equal(new Date(byAdmin.body.expiresAt).getTime(), s.clock.now().getTime() + DAY_MS);
    const first = await newLinkTo(member.email, 0);

    const bySelf = await api.call('post', '/me/verification-email', { token: await userToken(c, member.id) });
    assert.equal(bySelf.status, 200, JSON.stringify(bySelf.body));
    const newest = await newLinkTo(member.email, 1);

    const refused = await resend(narrow.id, member.id);
    assert.equal(refused.status, 403);
    const foreign = await resend(other.user.id, member.id);
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.code, 'user.not_found');
    assert.equal((await linksTo(member.email)).length, 2, 'the refusals sent nothing');

    assert.equal((await follow(first)).get, 410, 'a newer link replaced it');
    assert.equal((await follow(newest)).post, 200);
    const sent = await c.database
      .knex('audit_log')
      .where({ target_id: member.id, action: 'user.email_verification_sent' })
      .orderBy('id');
    assert.deepEqual(
      sent.map((r) => r.actor_id),
      [t.user.id, member.id],
    );
    assert.ok(
      sent.every((r) => !JSON.stringify(r).includes(new URL(newest).pathname.split('/')[2]!)),
      'no link secret in the audit log',
    );

    const done = await resend(t.user.id, member.id);
    assert.equal(done.status, 409);
    assert.equal(done.body.code, 'user.email_already_verified');
  });

  test('ACC-3 at most five an hour to one user (429 with Retry-After)', async () => {
    const member = await addUser(s.container, t.tenantId);
    for (let i = 0; i < 5; i++)
      assert.equal((await resend(t.user.id, member.id)).status, 200, `resend ${i + 1}`);
    const over = await resend(t.user.id, member.id);
    assert.equal(over.status, 429);
    assert.ok(Number(over.headers['retry-after']) > 0);
    assert.equal((await linksTo(member.email)).length, 5);
  });
});

describe('ACC-3 when mail cannot be sent', () => {
  test('ACC-3 sign-up still succeeds, the link stands, and a new one can be asked for once mail works', async () => {
    const broken = await createTestEnv({ config: { mail: { smtpUrl: await unreachableSmtpUrl() } } });
    try {
      const c = broken.container;
      const t = await signUpTenant(c, { domain: unique('nomail') });
      assert.equal(t.user.emailVerified, false);
      const links = await c.database
        .knex('account_tokens')
        .where({ user_id: t.user.id, purpose: 'email_verification' });
      assert.equal(links.length, 1, 'the link was stored with the account');
      const again = await ApiClient.for(c).call('post', '/me/verification-email', {
        token: await userToken(c, t.user.id),
      });
      assert.equal(again.status, 200);
      assert.equal(again.body.delivery, 'failed', 'the answer says the mail did not go');
    } finally {
      await broken.close();
    }
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { BUILT_IN_ROLES } from '../../src/modules/roles/index.ts';
import { apiSuite } from '../helpers/api-suite.ts';
import { inputValue, TestBrowser } from '../helpers/browser.ts';
import { addBusinessGroup, PASSWORD } from '../helpers/factories.ts';
import { invitationLinkIn, tokenOf } from '../helpers/invitation-mail.ts';
import { startOidcServer } from '../helpers/oidc-server.ts';
import { startInbox } from '../helpers/smtp-inbox.ts';
import { introspect, registerWebApp, signIn } from '../helpers/sso-session.ts';
import { assertCleanPage, EXPECTED_CSP } from './web-app.ts';

// Issue 4's invitation round trip, end to end: the admin API invites, a real SMTP server (started
// here) receives the mail, the link's page creates the account, and the invitee signs in to an app
// of the org holding exactly the invited roles. Then the links that must not work: used, cancelled,
// unknown, expired, and one link posted twice at once.

const roleId = (name: string) => BUILT_IN_ROLES.find((r) => r.name === name)!.id;

const inbox = await startInbox();
const s = await apiSuite({
  start: () => startOidcServer({ config: { mail: { smtpUrl: `smtp://127.0.0.1:${inbox.port}` } } }),
  tenant: { companyName: 'Roundtrip Ltd' },
});
after(() => inbox.close()); // hooks run in order: after the suite's server has closed
const { api, t, token: ownerToken } = s;
const group = await addBusinessGroup(s.container, t, t.tenantId, `Rangers ${process.pid}`);
let n = 0;

/** Invites one new address over the admin API and reads the link from the mail that arrives. */
async function inviteOverApi(orgId: string, roles: unknown[] = []) {
  const email = `person${process.pid}x${++n}@example.test`;
  const res = await api.call('post', `/organizations/${orgId}/invitations`, {
    token: ownerToken,
    body: { emails: [email], roles },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.items[0].delivery, 'sent');
  const link = invitationLinkIn(await inbox.take(email));
  assert.ok(link.startsWith(`${s.issuer}/invitations/`), link);
  assert.ok(!JSON.stringify(res.body).includes(tokenOf(link)), 'the API never returns the token');
  return { email, link, id: res.body.items[0].id as string };
}

async function open(browser: TestBrowser, link: string) {
  const res = await browser.request(link);
  const html = await res.text();
  return { status: res.status, html, headers: res.headers, csrf: inputValue(html, 'csrf') };
}

const accountForm = (csrf: string | undefined, username: string) => ({
  csrf: csrf ?? '',
  username,
  name: 'Rita Roundtrip',
  password: PASSWORD,
  passwordConfirm: PASSWORD,
});

const accountsWith = async (email: string) =>
  Number((await s.container.database.knex('users').where({ email }).count({ n: '*' }))[0]!.n);

/** `org_roles` lines as comparable strings. */
const lines = (claim: unknown) =>
  (claim as { org: string; roles: string[]; inherit?: boolean }[])
    .map((l) => `${l.org}:${l.roles.join('+')}:${l.inherit}`)
    .sort();

describe('invitation round trip through SMTP (INV-1 … INV-3)', () => {
  let used: { link: string; csrf: string | undefined; email: string; browser: TestBrowser };

  test('INV-1 INV-2 INV-3 SESS-5 invite → mail → page → account → SSO sign-in with exactly the invited roles', async () => {
    const invited = await inviteOverApi(group.id, [
      { roleId: roleId('Audit Viewer'), organizationId: group.id },
      { roleId: roleId('Analytics Viewer'), organizationId: t.tenantId, inherit: true },
    ]);
    const browser = new TestBrowser();
    const page = await open(browser, invited.link);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-security-policy'), EXPECTED_CSP);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.match(page.html, /Roundtrip Ltd/);
    assert.ok(page.html.includes(group.name) && page.html.includes(invited.email));
    assert.ok(page.csrf, 'a CSRF field');
    assertCleanPage(page.html);

    const done = await browser.request(invited.link, { form: accountForm(page.csrf, 'rita') });
    const html = await done.text();
    assert.equal(done.status, 201, html);
    assert.ok(html.includes(`href="/login/${t.organization.domain}"`), 'points to the sign-in address');
    assert.equal(await accountsWith(invited.email), 1);
    used = { link: invited.link, csrf: page.csrf, email: invited.email, browser };

    const { rp } = await registerWebApp(s.container, t.owner, t.tenantId, s.issuer);
    const { tokens } = await signIn(rp, { username: 'rita', password: PASSWORD });
    const claims = tokens.claims()!;
    assert.equal(claims.org_id, t.tenantId);
    const expected = [`${group.id}:Audit Viewer:false`, `${t.tenantId}:Analytics Viewer:true`].sort();
    assert.deepEqual(lines(claims.org_roles), expected, 'ID token');
    assert.deepEqual(lines((await introspect(rp, tokens.access_token)).org_roles), expected, 'introspection');
  });

  test('INV-3 a used link shows a clear error and creates nothing more', async () => {
    const page = await open(new TestBrowser(), used.link);
    assert.equal(page.status, 410);
    assert.match(page.html, /already been used/);
    assert.equal(page.csrf, undefined, 'no form');
    const again = await used.browser.request(used.link, { form: accountForm(used.csrf, 'rita2') });
    assert.equal(again.status, 410, 'the same browser posting the form again');
    assert.match(await again.text(), /already been used/);
    assert.equal(await accountsWith(used.email), 1);
  });

  test('INV-2 INV-3 a cancelled link stops working; the listing shows it cancelled', async () => {
    const invited = await inviteOverApi(t.tenantId);
    const browser = new TestBrowser();
    const before = await open(browser, invited.link);
    assert.equal(before.status, 200);
    const cancelled = await api.call('delete', `/invitations/${invited.id}`, { token: ownerToken });
    assert.equal(cancelled.status, 204);
    const page = await open(new TestBrowser(), invited.link);
    assert.equal(page.status, 410);
    assert.match(page.html, /was cancelled/);
    const post = await browser.request(invited.link, { form: accountForm(before.csrf, `c${n}`) });
    assert.equal(post.status, 410);
    assert.equal(await accountsWith(invited.email), 0);
    const listed = await api.call('get', `/invitations?status=cancelled&orgId=${t.tenantId}`, {
      token: ownerToken,
    });
    assert.equal(listed.status, 200);
    assert.ok(listed.body.items.some((i: { id: string }) => i.id === invited.id));
  });

  test('INV-3 unknown links answer 404; a form without its CSRF token is refused', async () => {
    for (const token of [randomBytes(32).toString('base64url'), 'not-a-token']) {
      const page = await open(new TestBrowser(), `${s.issuer}/invitations/${token}`);
      assert.equal(page.status, 404);
      assert.match(page.html, /Invitation not found/);
    }
    const invited = await inviteOverApi(t.tenantId);
    const refused = await new TestBrowser().request(invited.link, { form: accountForm(undefined, `x${n}`) });
    assert.equal(refused.status, 403);
    assert.equal(await accountsWith(invited.email), 0);
  });

  test('INV-3 two concurrent POSTs of one link create exactly one account', async () => {
    const invited = await inviteOverApi(t.tenantId);
    const browser = new TestBrowser();
    const page = await open(browser, invited.link);
    const answers = await Promise.all(
      ['twin-a', 'twin-b'].map((u) => browser.request(invited.link, { form: accountForm(page.csrf, u) })),
    );
    assert.deepEqual(answers.map((r) => r.status).sort(), [201, 410]);
    assert.equal(await accountsWith(invited.email), 1);
  });

  test('INV-3 mistakes in the form show it again, the problem named; the link stays usable', async () => {
    const invited = await inviteOverApi(t.tenantId);
    const browser = new TestBrowser();
    const page = await open(browser, invited.link);
    const post = (form: Record<string, string>) => browser.request(invited.link, { form });
    const mismatch = await post({
      ...accountForm(page.csrf, 'mia'),
      passwordConfirm: 'something else entirely',
    });
    assert.equal(mismatch.status, 400);
    const shown = await mismatch.text();
    assert.match(shown, /Confirm password does not match the password/);
    assert.match(shown, /name="username" type="text"[^>]* value="mia"/);
    const short = await post({
      ...accountForm(page.csrf, 'mia'),
      password: 'short',
      passwordConfirm: 'short',
    });
    assert.equal(short.status, 422, 'ACC-4: the password policy refuses it, naming the rule');
    assert.match(await short.text(), /Password must be at least 12 characters/);
    const taken = await post(accountForm(page.csrf, 'RITA'));
    assert.equal(taken.status, 409, 'USR-1: usernames are unique in the master org, whatever the case');
    assert.match(await taken.text(), /Username is already taken here/);
    assert.equal(await accountsWith(invited.email), 0);
    assert.equal((await post(accountForm(page.csrf, 'mia'))).status, 201);
  });

  test('INV-2 INV-3 an expired link shows a clear error, and its form creates nothing', async () => {
    const invited = await inviteOverApi(t.tenantId);
    const ttl = s.container.config.invitations.ttlDays * 86_400_000;
    s.clock.advance(ttl - 3_600_000);
    const browser = new TestBrowser();
    const page = await open(browser, invited.link);
    assert.equal(page.status, 200, 'still live an hour before expiry');
    s.clock.advance(61 * 60_000);
    const expired = await open(new TestBrowser(), invited.link);
    assert.equal(expired.status, 410);
    assert.match(expired.html, /has expired/);
    const post = await browser.request(invited.link, { form: accountForm(page.csrf, `late${n}`) });
    assert.equal(post.status, 410, 'the form (CSRF still valid) hits the expired invitation');
    assert.equal(await accountsWith(invited.email), 0);
  });
});

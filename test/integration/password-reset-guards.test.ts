import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyPassword } from '../../src/platform/crypto/password.ts';
import { accountLinkIn, partOf } from '../helpers/account-mail.ts';
import { type ApiClient, userToken } from '../helpers/api.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { addUser, PASSWORD, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { samlProvider } from '../helpers/idp-fixtures.ts';
import { headerOf } from '../helpers/invitation-mail.ts';
import type { OidcTestServer } from '../helpers/oidc-server.ts';
import {
  addVerifiedUser,
  askForReset,
  clockToNow,
  closeResetWorld,
  isChangeNotice,
  isResetMail,
  openResetLink,
  requestsSettled,
  startResetWorld,
  verifyEmail,
} from '../helpers/password-reset.ts';
import type { Inbox } from '../helpers/smtp-inbox.ts';
import { authorizationRequest, type RelyingParty, registerApp, visit } from '../helpers/sso-flow.ts';

// ACC-1, ACC-5: a reset link never outlives what it was sent for (the address, the password, an
// active account), never goes to an address nobody proved, is no quiet way into someone's account
// (the old address hears of an email change; the account's address hears of a reset), and is
// spent once however many submit it at the same moment.

const NEW_PASSWORD = 'saffron harbour kneeling gently';
const OTHER_PASSWORD = 'pewter orchard sailing lightly';

let inbox: Inbox;
let s: OidcTestServer;
let t: Tenant;
let rp: RelyingParty;
let api: ApiClient;
before(async () => {
  ({ inbox, s, t, rp, api } = await startResetWorld({ company: 'Guards Ltd', app: 'Ledger' }));
});
after(() => closeResetWorld({ inbox, s }));

const knex = () => s.container.database.knex;
const anonymous = { actor: { kind: 'anonymous' as const }, requestId: 'test' };

const verifiedUser = () => addVerifiedUser(s.container, t.tenantId);

/** The link mailed in answer to a request from the sign-in page naming `identifier`. */
async function linkFor(email: string, identifier: string): Promise<string> {
  assert.equal((await askForReset(s, rp, identifier)).status, 200);
  await requestsSettled(s.container);
  return accountLinkIn(await inbox.take(email, isResetMail), '/password-reset/');
}

const unusedLinks = async (userId: string) =>
  Number(
    (
      await knex()('account_tokens')
        .where({ user_id: userId, purpose: 'password_reset' })
        .whereNull('used_at')
        .count({ n: '*' })
    )[0]!.n,
  );

/** The outcomes recorded for requests that named the user (or none, with `null`). */
async function outcomesOf(tenantId: string, userId: string | null): Promise<string[]> {
  const rows = await knex()('audit_log')
    .where({ tenant_id: tenantId, action: 'user.password_reset_requested', target_id: userId })
    .orderBy('id');
  return rows.map((r) => (r.after as { outcome: string }).outcome);
}

describe('ACC-1 ACC-5 a reset link does not outlive what it was sent for', () => {
  test('ACC-5 an email change retires the links and tells the old address, without a link or the new address', async () => {
    const user = await verifiedUser();
    const link = await linkFor(user.email, user.username);
    const newEmail = `moved-${user.username}@elsewhere.test`;
    const owner = await userToken(s.container, t.user.id);
    const changed = await api.call('patch', `/users/${user.id}`, { token: owner, body: { email: newEmail } });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal((await openResetLink(link)).status, 410, 'the link sent to the old address is dead');
    assert.equal(await unusedLinks(user.id), 0);

    const notice = await inbox.take(user.email, isChangeNotice);
    assert.equal(headerOf(notice, 'Subject'), 'Your Canopy email address was changed');
    const text = partOf(notice, 'text/plain');
    assert.match(text, /“Guards Ltd”/, 'the organization, quoted as its own words');
    assert.ok(text.includes(user.username));
    assert.doesNotMatch(text, /https?:\/\//, 'no link');
    assert.ok(!notice.includes(newEmail), 'the new address is not named');
    assert.equal(inbox.count(isChangeNotice), 0, 'one notice only');
  });

  test('ACC-1 a password change retires the links', async () => {
    const user = await verifiedUser();
    const link = await linkFor(user.email, user.username);
    const changed = await api.call('post', '/me/password', {
      token: await userToken(s.container, user.id),
      body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    assert.equal(changed.status < 300, true, JSON.stringify(changed.body));
    assert.equal((await openResetLink(link)).status, 410);
  });

  test('ACC-1 disabling retires the links: enabled again, the account is not reset by an old mail; deleting too', async () => {
    const user = await verifiedUser();
    const link = await linkFor(user.email, user.username);
    await s.container.users.disable(t.owner, t.tenantId, user.id);
    await s.container.users.enable(t.owner, t.tenantId, user.id);
    assert.equal((await openResetLink(link)).status, 410);

    const other = await verifiedUser();
    await linkFor(other.email, other.username);
    await s.container.users.delete(t.owner, t.tenantId, other.id);
    assert.equal(await unusedLinks(other.id), 0);
  });

  test('ACC-1 a link works only while the address it was sent to is still the account’s', async () => {
    const user = await verifiedUser();
    const link = await linkFor(user.email, user.username);
    // Behind the services' back, so that nothing retires the link: only the address check refuses.
    await knex()('users')
      .where({ id: user.id })
      .update({ email: `other-${user.email}` });
    const page = await openResetLink(link);
    assert.equal(page.status, 410);
    assert.equal(
      (await knex()('account_tokens').where({ user_id: user.id }).first('email')).email,
      user.email,
    );
    await knex()('users').where({ id: user.id }).update({ email: user.email });
    const again = await openResetLink(link);
    assert.equal(again.status, 200, 'the same link, the address back');
    assert.equal((await again.submit(NEW_PASSWORD)).status, 200);
  });
});

describe('ACC-1 ACC-5 a reset is seen and spent once', () => {
  test('ACC-5 a completed reset tells the account’s address (no link); the audit entry keeps the moment', async () => {
    const user = await verifiedUser();
    const page = await openResetLink(await linkFor(user.email, user.username));
    clockToNow(s);
    assert.equal((await page.submit(NEW_PASSWORD)).status, 200);
    await requestsSettled(s.container); // the notice goes behind the answer
    const notice = await inbox.take(user.email, isChangeNotice);
    assert.equal(headerOf(notice, 'Subject'), 'Your Canopy password was changed');
    assert.match(partOf(notice, 'text/plain'), /“Guards Ltd”/);
    assert.doesNotMatch(partOf(notice, 'text/plain'), /https?:\/\//);
    const entry = await knex()('audit_log')
      .where({ target_id: user.id, action: 'user.password_reset' })
      .first();
    const row = await knex()('users').where({ id: user.id }).first('tokens_valid_after');
    assert.equal(
      (entry.after as { revokedBefore: string }).revokedBefore,
      new Date(row.tokens_valid_after).toISOString(),
      'recorded, not redacted',
    );
  });

  test('ACC-1 two submissions of one link at the same moment: one sets its password, the other gets 410', async () => {
    const user = await verifiedUser();
    const page = await openResetLink(await linkFor(user.email, user.username));
    const answers = await Promise.all([page.submit(NEW_PASSWORD), page.submit(OTHER_PASSWORD)]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 410]);
    const winner = answers[0]!.status === 200 ? NEW_PASSWORD : OTHER_PASSWORD;
    const loser = winner === NEW_PASSWORD ? OTHER_PASSWORD : NEW_PASSWORD;
    const { password_hash: hash } = await knex()('users').where({ id: user.id }).first('password_hash');
    assert.equal(await verifyPassword(hash, winner), true, 'the winner’s password is set');
    assert.equal(await verifyPassword(hash, loser), false);
    const resets = await knex()('audit_log').where({ target_id: user.id, action: 'user.password_reset' });
    assert.equal(resets.length, 1, 'one reset');
  });
});

describe('ACC-1 who is sent anything', () => {
  test('ACC-1 a federated account whose address is unverified is sent nothing (its provider may bring any address)', async () => {
    const user = await addUser(s.container, t.tenantId);
    await knex()('users').where({ id: user.id }).update({ password_hash: null });
    assert.equal((await askForReset(s, rp, user.username)).status, 200);
    await requestsSettled(s.container);
    assert.equal(
      inbox.count((raw) => raw.includes(user.email)),
      0,
      'no mail',
    );
    assert.deepEqual(await outcomesOf(t.tenantId, user.id), ['email_unverified']);
  });

  test('ACC-1 a deleted account’s username does not hide an account with that email address', async () => {
    const user = await verifiedUser();
    const gone = await addUser(s.container, t.tenantId);
    await knex()('users').where({ id: gone.id }).update({ username: user.email });
    await s.container.users.delete(t.owner, t.tenantId, gone.id);
    const link = await linkFor(user.email, user.email);
    assert.equal((await openResetLink(link)).status, 200);
  });

  test('ACC-1 FED-5 without the password form (local accounts off, no local user left) there is no reset: no form, nothing sent', async () => {
    const c = s.container;
    const org = await signUpTenant(c, { companyName: 'Federated Only' });
    const app = await registerApp(s, org, { name: 'Wiki' });
    for (const name of ['Okta', 'Entra'])
      await c.identityProviders.create(org.owner, org.tenantId, samlProvider(name));
    await c.identityProviders.setLocalAccounts(org.owner, org.tenantId, org.tenantId, false);
    await knex()('users').where({ tenant_id: org.tenantId }).update({ password_hash: null });
    const person = await addUser(c, org.tenantId);
    await verifyEmail(c, person.id);
    await knex()('users').where({ id: person.id }).update({ password_hash: null });

    const browser = new TestBrowser();
    const chooser = await visit(browser, s, (await authorizationRequest(app)).url);
    assert.doesNotMatch(chooser.html, /Forgot your password/);
    const forgot = await visit(browser, s, new URL(`${chooser.location.pathname}/forgot`, s.issuer));
    assert.equal(forgot.location.pathname, chooser.location.pathname, 'back to the sign-in choices');
    assert.doesNotMatch(forgot.html, /name="identifier"/);

    const answer = await c.accounts.reset.request(anonymous, {
      tenantId: org.tenantId,
      identifier: person.email,
      ip: '192.0.2.7',
    });
    assert.deepEqual(answer, { throttled: false }, 'the same answer as ever');
    await requestsSettled(c);
    assert.equal(
      inbox.count((raw) => raw.includes(person.email)),
      0,
      'not even the federated notice',
    );
    assert.deepEqual(await outcomesOf(org.tenantId, null), ['password_sign_in_off']);
  });
});

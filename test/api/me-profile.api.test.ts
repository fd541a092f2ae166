import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VERIFICATION_SUBJECT } from '../../src/modules/accounts/index.ts';
import { EMAIL_CHANGED_SUBJECT } from '../../src/modules/accounts/reset.mail.ts';
import { accountLinkIn, outboxMessages, partOf } from '../helpers/account-mail.ts';
import { appToken, expectError, userToken } from '../helpers/api.ts';
import { apiSuite } from '../helpers/api-suite.ts';
import { addUser, lastAuditId, PASSWORD, signUpTenant } from '../helpers/factories.ts';
import { headerOf } from '../helpers/invitation-mail.ts';

// ACC-3: a person changes their own name (anyone signed in) or email (a local user, with the current
// password, under ACC-2's throttle), by the administrator's path: the new address is unverified and
// mailed a link, the old one a notice, SEC-9's quota counts it, audited as `user.update`.

const {
  container: c,
  api,
  t,
} = await apiSuite({
  config: { invitations: { perOrganizationPerDay: 2, perUnverifiedOrganizationPerDay: 2 } },
});
const knex = c.database.knex;
const dataDir = c.config.storage.dataDir;
let n = 0;
const newAddress = () => `moved${process.pid}x${++n}@example.test`;

const patchMe = (token: string, body: Record<string, unknown>) => api.call('patch', '/me', { token, body });
const row = (id: string) => knex('users').where({ id }).first();
const updates = async (id: string, since: number) =>
  knex('audit_log').where('id', '>', since).where({ action: 'user.update', target_id: id });

/** A local user of `tenantId` (the test tenant unless named) and a console token of theirs. */
async function person(tenantId = t.tenantId) {
  const user = await addUser(c, tenantId);
  return { user, token: await userToken(c, user.id) };
}

/** A user of an identity provider: no password here. */
async function federated() {
  const { user, token } = await person();
  await knex('users').where({ id: user.id }).update({ password_hash: null, email_verified: true });
  return { user, token };
}

describe('ACC-3 PATCH /me', () => {
  test('ACC-3 a local user changes their name, without a password; audited with them as actor', async () => {
    const { user, token } = await person();
    const since = await lastAuditId(c);
    const res = await patchMe(token, { name: 'Renamed Person' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.name, 'Renamed Person');
    assert.equal((await row(user.id)).name, 'Renamed Person');
    const [entry, ...more] = await updates(user.id, since);
    assert.equal(more.length, 0);
    assert.equal(entry.actor_id, user.id);
    assert.deepEqual([entry.before.name, entry.after.name], [user.name, 'Renamed Person']);
    // The address sent back unchanged (as the console's form does) needs no password either.
    const same = await patchMe(token, { name: 'Renamed Again', email: user.email });
    assert.equal(same.status, 200, JSON.stringify(same.body));
    assert.equal((await row(user.id)).email, user.email);
  });

  test('ACC-3 a federated user changes their name; their email is their provider’s (409)', async () => {
    const { user, token } = await federated();
    const res = await patchMe(token, { name: 'Federated Renamed' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((await row(user.id)).name, 'Federated Renamed');
    const since = await lastAuditId(c);
    const address = newAddress();
    expectError(
      await patchMe(token, { email: address, currentPassword: PASSWORD, name: 'Not This' }),
      409,
      'user.not_local',
    );
    const after = await row(user.id);
    assert.deepEqual(
      [after.email, after.name, after.email_verified],
      [user.email, 'Federated Renamed', true],
    );
    assert.equal((await updates(user.id, since)).length, 0);
    assert.equal((await outboxMessages(dataDir, address)).length, 0);
  });

  test('ACC-3 an email change without the current password, or with a wrong one: 403, nothing changed', async () => {
    const { user, token } = await person();
    const since = await lastAuditId(c);
    const address = newAddress();
    const without = await patchMe(token, { email: address, name: 'Not Saved' });
    expectError(without, 403, 'password.current_invalid');
    assert.equal(without.body.details.fields[0].field, 'currentPassword');
    const wrong = await patchMe(token, { email: address, name: 'Not Saved', currentPassword: 'not it' });
    expectError(wrong, 403, 'password.current_invalid');
    assert.equal(wrong.body.details.fields[0].field, 'currentPassword');
    const after = await row(user.id);
    assert.deepEqual([after.email, after.name], [user.email, user.name]);
    assert.equal((await updates(user.id, since)).length, 0);
    assert.equal((await outboxMessages(dataDir, address)).length, 0, 'no mail to the new address');
    assert.equal((await outboxMessages(dataDir, user.email)).length, 0, 'no notice to the old one');
  });

  test('ACC-3 with the right password: the address changes, unverified; a link to it, a notice to the old; audited without the password', async () => {
    const { user, token } = await person();
    await knex('users').where({ id: user.id }).update({ email_verified: true });
    const since = await lastAuditId(c);
    const address = newAddress();
    const res = await patchMe(token, { email: address, currentPassword: PASSWORD });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.email, res.body.emailVerified], [address, false]);
    const after = await row(user.id);
    assert.deepEqual([after.email, after.email_verified], [address, false]);

    const [link, ...moreLinks] = await outboxMessages(dataDir, address);
    assert.equal(moreLinks.length, 0);
    assert.equal(headerOf(link!, 'Subject'), VERIFICATION_SUBJECT);
    assert.ok(accountLinkIn(link!, '/verify-email/').startsWith(c.config.server.publicUrl));
    const [notice, ...moreNotices] = await outboxMessages(dataDir, user.email);
    assert.equal(moreNotices.length, 0);
    assert.equal(headerOf(notice!, 'Subject'), EMAIL_CHANGED_SUBJECT);
    assert.ok(!partOf(notice!, 'text/plain').includes('/verify-email/'), 'no link to the old address');

    const [entry, ...more] = await updates(user.id, since);
    assert.equal(more.length, 0);
    assert.equal(entry.actor_id, user.id);
    assert.deepEqual(entry.before, { email: user.email, name: user.name, emailVerified: true });
    assert.deepEqual(entry.after, { email: address, name: user.name, emailVerified: false });
    const written = JSON.stringify(await knex('audit_log').where('id', '>', since));
    for (const secret of [PASSWORD, '$argon2']) assert.ok(!written.includes(secret), secret);
    for (const raw of [link!, notice!]) assert.ok(!raw.includes(PASSWORD), 'no password in a mail');
  });

  test('ACC-2 ACC-3 wrong current passwords are throttled with the password change’s: 429 even with the right one', async () => {
    const { user, token } = await person();
    const address = newAddress();
    for (let i = 0; i < 5; i++) {
      expectError(
        await patchMe(token, { email: address, currentPassword: `wrong ${i}` }),
        403,
        'password.current_invalid',
      );
    }
    const locked = await patchMe(token, { email: address, currentPassword: PASSWORD });
    expectError(locked, 429, 'request.rate_limited');
    assert.ok(Number(locked.headers['retry-after']) > 0, 'Retry-After');
    // One count for both: the password change is locked too.
    const change = await api.call('post', '/me/password', {
      token,
      body: { currentPassword: PASSWORD, newPassword: 'violet tractor umbrella sunrise' },
    });
    expectError(change, 429, 'request.rate_limited');
    assert.equal((await row(user.id)).email, user.email);
    // A name is still theirs to change: it needs no password.
    assert.equal((await patchMe(token, { name: 'Still Renamable' })).status, 200);
  });

  test('SEC-9 ACC-3 past the tenant’s quota of mails to unproven addresses: 429, the address unchanged', async () => {
    const own = await signUpTenant(c);
    const { user, token } = await person(own.tenantId);
    const refusedAddresses: string[] = [];
    let refused: Awaited<ReturnType<typeof patchMe>> | undefined;
    let current = user.email;
    for (let i = 0; i < 4 && !refused; i++) {
      const address = newAddress();
      const res = await patchMe(token, { email: address, currentPassword: PASSWORD });
      if (res.status === 200) current = address;
      else {
        refused = res;
        refusedAddresses.push(address);
      }
    }
    assert.ok(refused, 'the quota (2 a day) refuses an email change');
    expectError(refused, 429, 'invitation.quota_exceeded');
    assert.ok(Number(refused.headers['retry-after']) > 0, 'Retry-After');
    assert.equal((await row(user.id)).email, current, 'the address is unchanged');
    assert.equal((await outboxMessages(dataDir, refusedAddresses[0])).length, 0, 'nothing mailed');
  });

  test('ACC-3 an app (client credentials) has no profile: 403', async () => {
    const { app } = await c.apps.create(t.owner, t.tenantId, {
      name: 'Directory sync',
      kind: 'service',
      grants: [{ organizationId: t.tenantId, permissions: ['users.manage'] }],
    });
    const res = await patchMe(await appToken(c, app.clientId, 'users.manage'), { name: 'An App' });
    expectError(res, 403, 'auth.permission_denied');
  });

  test('ACC-3 the body is strict: unknown fields and empty changes are refused (400)', async () => {
    const { user, token } = await person();
    for (const body of [{}, { username: 'taken-over' }, { name: '' }, { email: 'not an address' }]) {
      expectError(await patchMe(token, body), 400, 'request.invalid_input', JSON.stringify(body));
    }
    const after = await row(user.id);
    assert.deepEqual([after.username, after.email, after.name], [user.username, user.email, user.name]);
  });
});

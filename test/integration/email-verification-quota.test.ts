import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Container } from '../../src/container.ts';
import { founderEmailVerified as founderVerified } from '../../src/modules/invitations/index.ts';
import { accountLinkIn } from '../helpers/account-mail.ts';
import { ApiClient } from '../helpers/api.ts';
import {
  addresses,
  INVITER,
  isVerificationMail,
  PHISHING,
  secondsToMidnight,
  signUpOverApi,
  useQuotaWorld,
} from '../helpers/quota-world.ts';
import { createTestEnv } from '../helpers/test-container.ts';

// SEC-9 ACC-3, the mail cannon: an anonymous sign-up is its own founder with users.manage. Every
// email change mails a verification link to the new address, and a resend mails it again: each is a
// mail a tenant aims at a stranger, so each takes from the organization's daily invitation quota
// (the small one while the founder is unverified), and a user's address changes at most five times
// an hour. And only an address we proved makes the founder verified: not the tenant's own provider's
// word. Mail goes through SMTP to a local inbox.

const founderEmailVerified = (c: Container, tenantId: string) =>
  founderVerified({ directory: c.directory, users: c.users }, tenantId);

describe('SEC-9 verification mails count on the invitation quota', () => {
  const world = useQuotaWorld({ perOrganizationPerDay: 200, perUnverifiedOrganizationPerDay: 5 });

  test('SEC-9 ACC-3 the mail cannon: email changes and resends mail strangers only from the same daily quota; refused whole', async () => {
    const { inbox, env, api } = world;
    const c = env.container;
    const { orgId, userId, token } = await signUpOverApi(c, api, { name: INVITER, inbox });
    assert.equal(
      (await api.call('patch', `/organizations/${orgId}`, { token, body: { name: PHISHING } })).status,
      200,
    );
    const changeEmail = (email: string) => api.call('patch', `/users/${userId}`, { token, body: { email } });
    const emailInDb = async () => (await c.database.knex('users').where({ id: userId }).first()).email;

    // Two invitations and two email changes: 4 of the unverified founder's 5.
    const invited = await api.call('post', `/organizations/${orgId}/invitations`, {
      token,
      body: { emails: addresses(2) },
    });
    assert.equal(invited.status, 201);
    for (const item of invited.body.items) await inbox.take(item.email);
    const victims = addresses(3);
    for (const victim of victims.slice(0, 2)) {
      const changed = await changeEmail(victim);
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      accountLinkIn(await inbox.take(victim, isVerificationMail), '/verify-email/'); // the stranger got a link
    }
    // A resend to the address now on the account is one more: 5 of 5.
    const resent = await api.call('post', `/users/${userId}/verification-email`, { token });
    assert.equal(resent.status, 200, JSON.stringify(resent.body));
    await inbox.take(victims[1]!, isVerificationMail);
    const mailsBefore = inbox.count();

    // The next email change is refused whole: 429, the address unchanged, no mail, no audit entry.
    const audits = async () =>
      Number(
        (
          await c.database
            .knex('audit_log')
            .where({ action: 'user.update', target_id: userId })
            .count({ n: '*' })
        )[0]!.n,
      );
    const auditsBefore = await audits();
    const refused = await changeEmail(victims[2]!);
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'invitation.quota_exceeded');
    assert.equal(refused.body.details.mail, 'verification');
    assert.equal(refused.body.details.remaining, 0);
    assert.match(refused.body.message, /at most 5 mails to unverified addresses/);
    assert.equal(Number(refused.headers['retry-after']), secondsToMidnight(env.clock.now()));
    assert.equal(await emailInDb(), victims[1]);
    assert.equal(await audits(), auditsBefore, 'nothing written');
    // Resends and invitations are refused too: it is one quota.
    const resend = await api.call('post', `/users/${userId}/verification-email`, { token });
    assert.equal(resend.status, 429);
    assert.equal(resend.body.code, 'invitation.quota_exceeded');
    const invite = await api.call('post', `/organizations/${orgId}/invitations`, {
      token,
      body: { emails: addresses(1) },
    });
    assert.equal(invite.status, 429);
    // A name change mails nobody and is not counted.
    assert.equal(
      (await api.call('patch', `/users/${userId}`, { token, body: { name: 'Mallory' } })).status,
      200,
    );
    assert.equal(inbox.count(), mailsBefore, 'not one more mail went out');
  });

  test('SEC-9 at most five email changes an hour to one user, whatever the quota (429, nothing changed)', async () => {
    const { inbox } = world;
    const roomy = await createTestEnv({
      config: {
        mail: { smtpUrl: `smtp://127.0.0.1:${inbox.port}` },
        invitations: { perOrganizationPerDay: 200, perUnverifiedOrganizationPerDay: 100 },
      },
    });
    try {
      const roomyApi = ApiClient.for(roomy.container);
      const { userId, token } = await signUpOverApi(roomy.container, roomyApi, { inbox });
      const victims = addresses(6);
      for (const victim of victims.slice(0, 5)) {
        const res = await roomyApi.call('patch', `/users/${userId}`, { token, body: { email: victim } });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        await inbox.take(victim, isVerificationMail);
      }
      const mailsBefore = inbox.count();
      const over = await roomyApi.call('patch', `/users/${userId}`, { token, body: { email: victims[5] } });
      assert.equal(over.status, 429, JSON.stringify(over.body));
      assert.equal(over.body.code, 'request.rate_limited');
      assert.ok(Number(over.headers['retry-after']) > 0);
      const row = await roomy.container.database.knex('users').where({ id: userId }).first();
      assert.equal(row.email, victims[4]);
      assert.equal(inbox.count(), mailsBefore, 'no mail went out');
    } finally {
      await roomy.close();
    }
  });

  test('SEC-9 ACC-3 only an address we proved counts: an owner vouched for by the tenant’s own identity provider keeps the small quota', async () => {
    const { inbox, env, api } = world;
    const c = env.container;
    const { orgId, userId, token, verificationMail } = await signUpOverApi(c, api, { inbox });
    const link = accountLinkIn(verificationMail!, '/verify-email/');
    await c.accounts.emailVerification.complete('req-verify', new URL(link).pathname.split('/').at(-1));
    assert.equal(await founderEmailVerified(c, orgId), true, 'a local owner with a proven address');
    // The owner as a user of the tenant's own OIDC provider would be: no password, and the provider's
    // `email_verified: true` on the row (what a JIT sign-in writes).
    await c.database
      .knex('users')
      .where({ id: userId })
      .update({ password_hash: null, email_verified: true });
    assert.equal(await founderEmailVerified(c, orgId), false);
    const six = await api.call('post', `/organizations/${orgId}/invitations`, {
      token,
      body: { emails: addresses(6) },
    });
    assert.equal(six.status, 429, JSON.stringify(six.body));
    assert.equal(six.body.details.founderEmailVerified, false);
    assert.equal(six.body.details.quota, 5);
  });
});

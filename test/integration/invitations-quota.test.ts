import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LinkifyIt } from 'linkify-it';
import type { Container } from '../../src/container.ts';
import { INVITATION_SUBJECT } from '../../src/modules/invitations/invitation.mail.ts';
import { accountLinkIn } from '../helpers/account-mail.ts';
import { ApiClient, userToken } from '../helpers/api.ts';
import { bodyOf, headerOf, invitationLinkIn, unreachableSmtpUrl } from '../helpers/invitation-mail.ts';
import { type OidcCluster, startOidcCluster } from '../helpers/oidc-cluster.ts';
import {
  address,
  addresses,
  INVITER,
  PHISHING,
  secondsToMidnight,
  signUpOverApi,
  useQuotaWorld,
} from '../helpers/quota-world.ts';
import { type Inbox, startInbox } from '../helpers/smtp-inbox.ts';
import { createTestEnv } from '../helpers/test-container.ts';

// Finding 8 of issue 10, replayed over HTTP: an anonymous sign-up renames its organization to a
// phishing text and invites 50 strangers. SEC-9: a daily quota per organization (small while the
// founder's email is unverified, ACC-3), refused whole beyond it, resends counted; and the mails
// that do go out carry no tenant text in the subject and no link but ours.

const linkifier = new LinkifyIt({ fuzzyLink: true, fuzzyEmail: true, fuzzyIP: true });

const invitationRows = async (c: Container, tenantId: string) =>
  Number((await c.database.knex('invitations').where({ tenant_id: tenantId }).count({ n: '*' }))[0]!.n);

describe('SEC-9 invitation quota and mail text, over HTTP through SMTP', () => {
  const world = useQuotaWorld({ perOrganizationPerDay: 200, perUnverifiedOrganizationPerDay: 5 });

  test('SEC-9 the phishing run: renamed org, 50 invitations → 429 refused whole, no mail; resends counted; the next day it resets', async () => {
    const { inbox, env, api } = world;
    const c = env.container;
    const { orgId, userId, token } = await signUpOverApi(c, api, { name: INVITER, inbox });
    const renamed = await api.call('patch', `/organizations/${orgId}`, { token, body: { name: PHISHING } });
    assert.equal(renamed.status, 200);

    // Two go out: 3 of the unverified founder's 5 are left.
    const first = await api.call('post', `/organizations/${orgId}/invitations`, {
      token,
      body: { emails: addresses(2) },
    });
    assert.equal(first.status, 201);
    for (const item of first.body.items) await inbox.take(item.email);

    const blast = await api.call('post', `/organizations/${orgId}/invitations`, {
      token,
      body: { emails: addresses(50) },
    });
    assert.equal(blast.status, 429, JSON.stringify(blast.body));
    assert.equal(blast.body.code, 'invitation.quota_exceeded');
    assert.match(
      blast.body.message,
      /at most 5 invitation mails a day while its founder's email address is unverified/,
    );
    assert.match(blast.body.message, /3 left today, 50 requested/);
    assert.deepEqual(
      { quota: blast.body.details.quota, remaining: blast.body.details.remaining },
      { quota: 5, remaining: 3 },
    );
    assert.equal(Number(blast.headers['retry-after']), secondsToMidnight(env.clock.now()));
    assert.equal(inbox.count(), 0, 'not one mail of the batch went out');
    assert.equal(await invitationRows(c, orgId), 2, 'not one invitation of the batch was made');

    // The refused batch took nothing: the 3 left still fit.
    const three = await api.call('post', `/organizations/${orgId}/invitations`, {
      token,
      body: { emails: addresses(3) },
    });
    assert.equal(three.status, 201);
    for (const item of three.body.items) await inbox.take(item.email);

    // A resend is a mail too: the quota is spent.
    const resend = await api.call('post', `/invitations/${first.body.items[0].id}/resend`, { token });
    assert.equal(resend.status, 429);
    assert.equal(resend.body.code, 'invitation.quota_exceeded');
    assert.ok(Number(resend.headers['retry-after']) > 0);
    const one = await api.call('post', `/organizations/${orgId}/invitations`, {
      token,
      body: { emails: [address()] },
    });
    assert.equal(one.status, 429);
    assert.equal(inbox.count(), 0);

    // Midnight UTC: a new day, a new quota (and a new token: the last one has expired since).
    env.clock.advance(secondsToMidnight(env.clock.now()) * 1000);
    const nextDay = await api.call('post', `/invitations/${first.body.items[0].id}/resend`, {
      token: await userToken(c, userId),
    });
    assert.equal(nextDay.status, 200, JSON.stringify(nextDay.body));
    await inbox.take(first.body.items[0].email);
  });

  test('SEC-9 the mail that goes out: fixed subject, tenant text quoted and unlinkable, the only link is PUBLIC_URL’s', async () => {
    const { inbox, env, api } = world;
    const c = env.container;
    const { orgId, token } = await signUpOverApi(c, api, { name: INVITER, inbox });
    const renamed = await api.call('patch', `/organizations/${orgId}`, {
      token,
      body: { name: `${PHISHING}\r\nBcc: x@evil.example` },
    });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    const email = address();
    const sent = await api.call('post', `/organizations/${orgId}/invitations`, {
      token,
      body: { emails: [email] },
    });
    assert.equal(sent.status, 201);
    const raw = await inbox.take(email);

    assert.equal(headerOf(raw, 'Subject'), INVITATION_SUBJECT);
    assert.doesNotMatch(
      raw.split(/\r?\n\r?\n/, 1)[0]!,
      /evil|IT Security|Helpdesk|^Bcc:/im,
      'no tenant text in any header',
    );

    const body = bodyOf(raw);
    assert.ok(
      body.includes(
        'the organization “IT Security: your password expires today, reset it at https[://]evil[.]example/reset Bcc: x[at]evil[.]example”',
      ),
      body,
    );
    assert.ok(body.includes('“Helpdesk at www[.]evil[.]example” invited you'), body);
    const link = invitationLinkIn(raw);
    assert.ok(link.startsWith(`${c.config.server.publicUrl}/invitations/`), link);
    const found = (linkifier.match(body) ?? []).map((m) => m.url);
    assert.deepEqual(found, [link], 'one link in the whole body, and it is ours');
  });

  test('SEC-9 ACC-3 once the founder has followed their verification link, the organization sends under the full quota', async () => {
    const { inbox, env, api } = world;
    const c = env.container;
    const { orgId, token, verificationMail } = await signUpOverApi(c, api, { inbox });
    const invite = (emails: string[]) =>
      api.call('post', `/organizations/${orgId}/invitations`, { token, body: { emails } });
    const six = addresses(6);
    const unverified = await invite(six);
    assert.equal(unverified.status, 429, 'six do not fit in the unverified founder’s five');
    assert.equal(unverified.body.details.founderEmailVerified, false);

    const link = accountLinkIn(verificationMail!, '/verify-email/');
    await c.accounts.emailVerification.complete('req-verify', new URL(link).pathname.split('/').at(-1));
    const verified = await invite(six);
    assert.equal(verified.status, 201, JSON.stringify(verified.body));
    assert.equal(verified.body.items.length, 6);
    for (const email of six) await inbox.take(email);
    assert.equal(inbox.count(), 0);
  });

  test('SEC-9 INVITATIONS_PER_ORGANIZATION_PER_DAY caps every organization, below the unverified quota too', async () => {
    const { inbox } = world;
    const capped = await createTestEnv({
      config: {
        mail: { smtpUrl: `smtp://127.0.0.1:${inbox.port}` },
        invitations: { perOrganizationPerDay: 2, perUnverifiedOrganizationPerDay: 5 },
      },
    });
    try {
      const cappedApi = ApiClient.for(capped.container);
      const { orgId, token } = await signUpOverApi(capped.container, cappedApi, { inbox });
      const invite = (count: number) =>
        cappedApi.call('post', `/organizations/${orgId}/invitations`, {
          token,
          body: { emails: addresses(count) },
        });
      assert.equal((await invite(3)).status, 429);
      assert.equal((await invite(2)).status, 201);
      const over = await invite(1);
      assert.equal(over.status, 429);
      assert.equal(over.body.details.quota, 2);
      assert.equal(await invitationRows(capped.container, orgId), 2);
      for (const m of await capped.container.database.knex('invitations').where({ tenant_id: orgId }))
        await inbox.take(m.email);
    } finally {
      await capped.close();
    }
  });
});

describe('SEC-9 mails that could not go out', () => {
  test('SEC-9 a delivery that failed is not counted against the quota', async () => {
    const broken = await createTestEnv({
      config: {
        mail: { smtpUrl: await unreachableSmtpUrl() },
        invitations: { perOrganizationPerDay: 200, perUnverifiedOrganizationPerDay: 2 },
      },
    });
    try {
      const api = ApiClient.for(broken.container);
      const { orgId, token } = await signUpOverApi(broken.container, api);
      for (let round = 0; round < 2; round++) {
        const res = await api.call('post', `/organizations/${orgId}/invitations`, {
          token,
          body: { emails: addresses(2) },
        });
        assert.equal(res.status, 201, `round ${round}: ${JSON.stringify(res.body)}`);
        assert.deepEqual(
          res.body.items.map((i: { delivery: string }) => i.delivery),
          ['failed', 'failed'],
        );
      }
    } finally {
      await broken.close();
    }
  });
});

describe('SEC-9 the quota holds across nodes', () => {
  // Two nodes of one installation: one database, and one Redis when REDIS_URL is set.
  let cluster: OidcCluster | undefined;
  let inbox: Inbox | undefined;
  before(async () => {
    inbox = await startInbox();
    cluster = await startOidcCluster(2, {
      config: {
        mail: { smtpUrl: `smtp://127.0.0.1:${inbox.port}` },
        invitations: { perOrganizationPerDay: 200, perUnverifiedOrganizationPerDay: 3 },
      },
    });
  });
  after(async () => {
    await cluster?.close();
    await inbox?.close();
  });

  test('SEC-9 invitations sent through node A count on node B', async () => {
    const [a, b] = cluster!.nodes.map((node) => ApiClient.for(node.container));
    const { orgId, token } = await signUpOverApi(cluster!.nodes[0]!.container, a!, { inbox });
    const invite = (api: ApiClient, count: number) =>
      api.call('post', `/organizations/${orgId}/invitations`, { token, body: { emails: addresses(count) } });
    assert.equal((await invite(a!, 2)).status, 201);
    const refused = await invite(b!, 2);
    assert.equal(refused.status, 429, 'node B knows that node A sent 2 of 3');
    assert.equal(refused.body.details.remaining, 1);
    assert.equal((await invite(b!, 1)).status, 201);
    assert.equal((await invite(a!, 1)).status, 429);
  });
});

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { Container } from '../../src/container.ts';
import { ApiClient, userToken } from './api.ts';
import { PASSWORD } from './factories.ts';
import { type Inbox, startInbox } from './smtp-inbox.ts';
import { createTestEnv, type TestEnv } from './test-container.ts';

// SEC-9's attacker, shared by the invitation quota's tests and the account mails' that count on it.

/** The texts a tenant types to make our mails phish for it: its organization's name, its name. */
export const PHISHING = 'IT Security: your password expires today, reset it at https://evil.example/reset';
export const INVITER = 'Helpdesk at www.evil.example';

let n = 0;
/** A stranger's address, new each time. */
export const address = () => `target${process.pid}x${++n}@example.test`;
export const addresses = (count: number) => Array.from({ length: count }, address);

/** A mail with a verification link (an email change also tells the old address, without one). */
export const isVerificationMail = (raw: string) => raw.includes('/verify-email/');

/** Seconds from the clock's now to the next 00:00 UTC: what Retry-After must say. */
export const secondsToMidnight = (now: Date) => Math.ceil((86_400_000 - (now.getTime() % 86_400_000)) / 1000);

/**
 * The attacker's starting point: an anonymous sign-up over the API, then the founder's token. The
 * founder's verification mail (ACC-3) is taken out of `inbox`, and returned.
 */
export async function signUpOverApi(
  c: Container,
  api: ApiClient = ApiClient.for(c),
  { name = 'Mallory Founder', inbox }: { name?: string; inbox?: Inbox } = {},
) {
  const res = await api.call('post', '/signup', {
    body: {
      companyName: 'Totally Legit',
      domain: `quota${process.pid}x${++n}`,
      username: 'mallory',
      email: 'mallory@example.test',
      name,
      password: PASSWORD,
    },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const orgId: string = res.body.organization.id;
  const userId: string = res.body.user.id;
  const verificationMail = await inbox?.take('mallory@example.test', isVerificationMail);
  return { orgId, userId, token: await userToken(c, userId), verificationMail };
}

/** One installation mailing through SMTP to a local inbox, under the quotas given. */
export interface QuotaWorld {
  inbox: Inbox;
  env: TestEnv;
  api: ApiClient;
}

/** Starts a QuotaWorld before the suite's tests and closes it after them. */
export function useQuotaWorld(invitations: {
  perOrganizationPerDay: number;
  perUnverifiedOrganizationPerDay: number;
}): QuotaWorld {
  const world = {} as QuotaWorld;
  before(async () => {
    world.inbox = await startInbox();
    const mail = { smtpUrl: `smtp://127.0.0.1:${world.inbox.port}` };
    world.env = await createTestEnv({ config: { mail, invitations } });
    world.api = ApiClient.for(world.env.container);
  });
  after(async () => {
    await world.env?.close();
    await world.inbox?.close();
  });
  return world;
}

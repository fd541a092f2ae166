import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { accountLinkIn, outboxMessages } from '../helpers/account-mail.ts';
import {
  assertAccessible,
  e2eSkipReason,
  type FreshPage,
  freshPage,
  launchChromium,
  settled,
  signInToConsole,
} from '../helpers/chromium.ts';
import { addUser, PASSWORD, signUpTenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';

// ACC-3 in real Chromium: the founder opens the link mailed at sign-up, presses "Verify", and a
// second visit is told the link no longer works; in the console, a user's page shows their address
// unverified with "Resend verification", which mails a new link. Every page passes axe's WCAG 2 A/AA
// rules, with no script error or CSP violation on the way.

const COMPANY = 'Verified Works';
const DOMAIN = `verified-${process.pid}`;
const FOUNDER_EMAIL = `founder-${process.pid}@example.test`;

describe('email verification in Chromium (ACC-3)', { skip: e2eSkipReason() }, () => {
  let s: OidcTestServer;
  let browser: Browser;
  let dataDir: string;
  const opened: FreshPage[] = [];
  let tenantId: string;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'canopy-verify-e2e-'));
    [s, browser] = await Promise.all([
      startOidcServer({ config: { storage: { dataDir } } }),
      launchChromium(),
    ]);
    s.clock.set(new Date()); // the browser lives in real time
    ({ tenantId } = await signUpTenant(s.container, { companyName: COMPANY, domain: DOMAIN }));
  });

  after(async () => {
    for (const fresh of opened) await fresh.context.close();
    await browser?.close();
    await s?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function fresh(): Promise<FreshPage> {
    const f = await freshPage(browser);
    opened.push(f);
    return f;
  }

  test('ACC-3 the mailed link: a page with a Verify button, the confirmation, then "no longer works"', async () => {
    const c = s.container;
    const founder = await addUser(c, tenantId);
    await c.users.updateProfile(
      { actor: { kind: 'operator', name: 'test' }, requestId: 'req-e2e' },
      tenantId,
      founder.id,
      { email: FOUNDER_EMAIL },
    );
    const [mail] = await outboxMessages(dataDir, FOUNDER_EMAIL);
    const link = accountLinkIn(mail!, '/verify-email/');
    const { page, problems } = await fresh();

    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Verify your email address' }).waitFor();
    assert.ok((await page.textContent('main'))?.includes(FOUNDER_EMAIL));
    await assertAccessible(page, 'the verification page');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your email address is verified' }).waitFor();
    await assertAccessible(page, 'the verified page');

    const again = await page.goto(link);
    assert.equal(again?.status(), 410);
    await page.getByRole('heading', { level: 1, name: 'This link no longer works' }).waitFor();
    await assertAccessible(page, 'the page of a used link');
    problems.assertNone([/status of 410/]);
  });

  test('ACC-3 the console shows an unverified address and sends a new link', async () => {
    const c = s.container;
    const member = await addUser(c, tenantId);
    const { page, problems } = await fresh();
    await signInToConsole(page, s.issuer, { domain: DOMAIN, username: 'founder', password: PASSWORD });

    await settled(page);
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Users', exact: true })
      .click();
    await settled(page);
    const row = page.getByRole('row').filter({ hasText: member.username });
    await row.getByText('unverified', { exact: true }).waitFor();
    await assertAccessible(page, 'the users list with verification badges');

    await row.getByRole('link', { name: member.username }).click();
    await settled(page);
    await page.getByRole('heading', { level: 1, name: member.name }).waitFor();
    await page.getByRole('button', { name: 'Resend verification' }).click();
    await page.locator('#notices').getByText(`A verification link was sent to ${member.email}.`).waitFor();
    await assertAccessible(page, "a user's page with the resend action");
    const [mail] = await outboxMessages(dataDir, member.email);
    assert.ok(mail, 'the link was mailed');
    accountLinkIn(mail, '/verify-email/');
    problems.assertNone();
  });
});

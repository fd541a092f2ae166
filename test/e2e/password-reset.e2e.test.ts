import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { accountLinkIn } from '../helpers/account-mail.ts';
import {
  assertAccessible,
  e2eSkipReason,
  type FreshPage,
  freshPage,
  launchChromium,
  signInToConsole,
} from '../helpers/chromium.ts';
import { addUser, PASSWORD, signUpTenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import { isResetMail, verifyEmail } from '../helpers/password-reset.ts';
import { type Inbox, startInbox } from '../helpers/smtp-inbox.ts';

// ACC-1 in real Chromium, as a person who forgot their password meets it: the org's sign-in page,
// "Forgot your password?", the mail, the new-password page with the rules, and a sign-in with the
// new password. ACC-5: an administrator sends a link from the user's page in the console. The new
// pages pass axe's WCAG 2 A/AA rules, with no script error or CSP violation on the way.

const COMPANY = 'Forgetful Ltd';
const DOMAIN = `forgetful-${process.pid}`;
const NEW_PASSWORD = 'marble harbour whistle evening';

describe('password reset in Chromium (ACC-1, ACC-5)', { skip: e2eSkipReason() }, () => {
  let inbox: Inbox;
  let s: OidcTestServer;
  let browser: Browser;
  let person: FreshPage | undefined;
  let admin: FreshPage | undefined;
  let tenantId: string;

  before(async () => {
    inbox = await startInbox();
    [s, browser] = await Promise.all([
      startOidcServer({ config: { mail: { smtpUrl: `smtp://127.0.0.1:${inbox.port}` } } }),
      launchChromium(),
    ]);
    s.clock.set(new Date()); // the browser and the provider's tokens live in real time
    ({ tenantId } = await signUpTenant(s.container, {
      companyName: COMPANY,
      domain: DOMAIN,
      username: 'founder',
    }));
  });

  after(async () => {
    await person?.context.close();
    await admin?.context.close();
    await browser?.close();
    await s?.close();
    await inbox?.close();
  });

  test('ACC-1 sign-in page → Forgot your password? → mail → new password → sign in with it', async () => {
    const user = await addUser(s.container, tenantId, 'rowan');
    await verifyEmail(s.container, user.id);
    person = await freshPage(browser);
    const { page } = person;

    await page.goto(`${s.issuer}/login/${DOMAIN}`);
    await page.getByRole('heading', { level: 1, name: `Sign in to ${COMPANY}` }).waitFor();
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { level: 1, name: 'Forgot your password?' }).waitFor();
    await assertAccessible(page, 'the request page');
    await page.getByLabel('Username or email address').fill(user.email);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    await assertAccessible(page, 'the answer to a request');

    const link = accountLinkIn(await inbox.take(user.email, isResetMail), '/password-reset/');
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
    await assertAccessible(page, 'the new-password page');
    await page.getByLabel('New password', { exact: true }).fill('Password123!');
    await page.getByLabel('Confirm new password').fill('Password123!');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByRole('heading', { level: 2, name: 'There is a problem' }).waitFor();
    await assertAccessible(page, 'the new-password page with a refused password');
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your password was changed' }).waitFor();
    await assertAccessible(page, 'the page after the reset');
    // The refused password was answered 422 on purpose; nothing else went wrong.
    person.problems.assertNone([/status of 422 .*\/password-reset\//]);

    // The new password signs in (to the console, where the organization's sign-in address leads).
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Username').fill('rowan');
    await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.origin === s.issuer && url.pathname === '/console/');
  });

  test('ACC-5 an administrator sends a reset link from the user’s page; the user sets a password with it', async () => {
    const user = await addUser(s.container, tenantId, 'sasha');
    await verifyEmail(s.container, user.id);
    admin = await freshPage(browser);
    const { page } = admin;
    await signInToConsole(page, s.issuer, { domain: DOMAIN, username: 'founder', password: PASSWORD });
    // The console finishes its own sign-in (code for tokens) before it is sent anywhere else.
    await page.getByRole('heading', { level: 1, name: COMPANY }).waitFor();
    await page.goto(`${s.issuer}/console/#/users/${user.id}`);
    await page.getByRole('heading', { level: 1, name: user.name }).waitFor();
    await page.getByRole('button', { name: 'Send reset link' }).click();
    const dialog = page.getByRole('dialog', { name: 'Send password reset link' });
    await dialog.getByRole('button', { name: 'Send reset link' }).click();
    await page.locator('#notices').getByText(`A password reset link was sent to ${user.email}.`).waitFor();
    await assertAccessible(page, 'the user page after sending a link');
    admin.problems.assertNone();

    const mail = await inbox.take(user.email, isResetMail);
    assert.match(mail, /An administrator of the organization sent you this link/);
    const other = await freshPage(browser);
    try {
      await other.page.goto(accountLinkIn(mail, '/password-reset/'));
      await other.page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await other.page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
      await other.page.getByRole('button', { name: 'Set new password' }).click();
      await other.page.getByRole('heading', { level: 1, name: 'Your password was changed' }).waitFor();
      other.problems.assertNone();
    } finally {
      await other.context.close();
    }
  });
});

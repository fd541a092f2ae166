import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
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

// ACC-2, ACC-3 and ACC-5 in real Chromium: a person opens their profile from the top bar, ends a
// session of theirs open in another browser, changes their password (a weak one refused with the
// rule named, then a good one), then their email (with the current password) and name. The profile
// page passes the axe checks.

const COMPANY = 'Profile Works';
const DOMAIN = `profile-${process.pid}`;
const USERNAME = 'pat';
const NAME = `Person ${USERNAME}`;
const NEW_PASSWORD = 'violet tractor umbrella sunrise';
const MIN_LENGTH = 14;
const WEAK_PASSWORD = 'Password12345!'; // long enough, and easily guessed

describe('console profile in Chromium: profile, password and sessions (ACC-2, ACC-3, ACC-5)', {
  skip: e2eSkipReason(),
}, () => {
  let s: OidcTestServer;
  let browser: Browser;
  const opened: FreshPage[] = [];

  before(async () => {
    [s, browser] = await Promise.all([startOidcServer(), launchChromium()]);
    s.clock.set(new Date()); // the browser lives in real time
    const t = await signUpTenant(s.container, { companyName: COMPANY, domain: DOMAIN });
    // ACC-4: the profile says the org's own minimum, not the default.
    await s.container.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, {
      passwordMinLength: MIN_LENGTH,
    });
    await addUser(s.container, (await s.container.organizations.masterByDomain(DOMAIN))!.id, USERNAME);
  });

  after(async () => {
    for (const fresh of opened) await fresh.context.close();
    await browser?.close();
    await s?.close();
  });

  /** A browser of its own, signed in to the console as the user; the top bar shows their name. */
  async function signedIn(password = PASSWORD): Promise<FreshPage> {
    const fresh = await freshPage(browser);
    opened.push(fresh);
    const { page } = fresh;
    await signInToConsole(page, s.issuer, { domain: DOMAIN, username: USERNAME, password });
    await page.getByRole('link', { name: NAME, exact: true }).waitFor();
    return fresh;
  }

  async function openProfile(page: Page) {
    await page.getByRole('link', { name: NAME, exact: true }).click();
    await page.waitForURL((url) => url.hash === '#/profile');
    await settled(page);
    await page.getByRole('heading', { level: 1, name: 'Your profile' }).waitFor();
  }

  const sessionRows = (page: Page) => page.getByRole('region', { name: 'Sessions' }).locator('tbody tr');

  test('ACC-5 ending the session of another browser from the Sessions panel signs that browser out', async () => {
    const laptop = await signedIn();
    const phone = await signedIn();
    const { page } = laptop;
    await openProfile(page);
    await sessionRows(page).nth(1).waitFor();
    await assertAccessible(page, 'the profile page');
    await page.setViewportSize({ width: 390, height: 844 });
    await assertAccessible(page, 'the profile page on a phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the profile page is ${overflow}px wider than a phone`);
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.equal(await sessionRows(page).count(), 2);
    const here = sessionRows(page).filter({ hasText: 'This session' });
    assert.equal(await here.count(), 1, 'one row is this session');
    assert.match((await here.textContent()) ?? '', /Chrome/);

    const other = sessionRows(page).filter({ hasNotText: 'This session' });
    await other.getByRole('button', { name: /^End session:/ }).click();
    const confirm = page.getByRole('dialog', { name: 'End session', exact: true });
    await confirm.getByRole('button', { name: 'End session', exact: true }).click();
    await page.locator('#notices').getByText('Session ended.', { exact: true }).waitFor();
    await page.waitForFunction(
      () => document.querySelectorAll('[aria-label="Sessions"] tbody tr').length === 1,
    );

    // The other browser's next request finds its session over: it is sent to sign in again.
    await phone.page.reload();
    await phone.page.getByLabel('Username').waitFor();
    assert.match(phone.page.url(), /\/interaction\//);
    laptop.problems.assertNone();
  });

  test('ACC-2 the password is changed from the profile page; a weak one is refused with the rule named', async () => {
    const fresh = await signedIn();
    const { page } = fresh;
    await openProfile(page);
    const current = page.getByLabel('Current password');
    const next = page.getByLabel('New password', { exact: true });
    const confirm = page.getByLabel('Confirm new password');

    const rules = page.locator(
      `#${await next.getAttribute('aria-describedby').then((ids) => ids?.split(' ')[0])}`,
    );
    assert.match((await rules.textContent()) ?? '', new RegExp(`^At least ${MIN_LENGTH} characters`));

    await current.fill(PASSWORD);
    await next.fill(WEAK_PASSWORD);
    await confirm.fill(WEAK_PASSWORD);
    await page.getByRole('button', { name: 'Change password', exact: true }).click();
    const problem = page.locator('[data-field="newPassword"] .field-error');
    await problem.waitFor();
    assert.match(
      (await problem.textContent()) ?? '',
      /^New password (is one of the most common|is too easy)/,
    );
    assert.equal(await next.getAttribute('aria-invalid'), 'true');
    await assertAccessible(page, 'the profile page with a refused password');

    await next.fill(NEW_PASSWORD);
    await confirm.fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password', exact: true }).click();
    await page.locator('#notices').getByText('Password changed. Your other sessions have ended.').waitFor();
    assert.equal(await current.inputValue(), '', 'the form is cleared');

    // This browser stays signed in; a new one signs in with the new password only.
    await page.reload();
    await settled(page);
    await page.getByRole('heading', { level: 1, name: 'Your profile' }).waitFor();
    await signedIn(NEW_PASSWORD);
    fresh.problems.assertNone();
  });

  test('ACC-3 name and email are edited from the profile page; a new email needs the current password', async () => {
    // After the test above: the password is the new one. The address was proven before.
    await s.container.database.knex('users').where({ username: USERNAME }).update({ email_verified: true });
    const fresh = await signedIn(NEW_PASSWORD);
    const { page } = fresh;
    await openProfile(page);
    const facts = page.locator('dl.facts');
    await facts.getByText('verified', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit your profile' });
    await dialog.getByLabel('Email').fill('pat.moved@example.test');
    await dialog.getByLabel('Current password').fill('not my password');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    const problem = dialog.locator('[data-field="currentPassword"] .field-error');
    await problem.waitFor();
    assert.match((await problem.textContent()) ?? '', /^Current password is not correct/);
    await assertAccessible(page, 'the profile editor with a refused password');

    await dialog.getByLabel('Current password').fill(NEW_PASSWORD);
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await page
      .locator('#notices')
      .getByText('Profile saved. A link to verify pat.moved@example.test was sent there.')
      .waitFor();
    await facts.getByText('unverified', { exact: true }).waitFor();
    await facts.getByText('pat.moved@example.test').waitFor();

    // A name needs no password; the top bar follows.
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await dialog.getByLabel('Name').fill('Pat Renamed');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('link', { name: 'Pat Renamed', exact: true }).waitFor();
    fresh.problems.assertNone();
  });
});

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Container } from '../../src/container.ts';
import type { User } from '../../src/modules/users/index.ts';
import { ApiClient } from './api.ts';
import { formAction, inputValue, TestBrowser } from './browser.ts';
import { addUser, signUpTenant, type Tenant } from './factories.ts';
import { type OidcTestServer, startOidcServer } from './oidc-server.ts';
import { type Inbox, startInbox } from './smtp-inbox.ts';
import {
  authorizationRequest,
  isLoginPage,
  type Landing,
  type RelyingParty,
  registerApp,
  visit,
} from './sso-flow.ts';

// ACC-1 as a person meets it: the sign-in page's "Forgot your password?", the request form, the
// mailed link's page. Browsers come from addresses of their own (X-Forwarded-For behind one proxy).

let lastAddress = 0;
/** A fresh address in TEST-NET-2 (198.51.100.0/24 and on), one per call. */
export const nextAddress = () => {
  const n = ++lastAddress;
  return `198.51.${100 + Math.floor(n / 250)}.${(n % 250) + 1}`;
};

/** The sign-in page of a new authorization request, then its "Forgot your password?" page. */
export async function forgotPage(
  s: OidcTestServer,
  rp: RelyingParty,
  address = nextAddress(),
): Promise<{ browser: TestBrowser; login: Landing; page: Landing }> {
  const browser = new TestBrowser({ headers: { 'x-forwarded-for': address } });
  const login = await visit(browser, s, (await authorizationRequest(rp)).url);
  assert.ok(isLoginPage(login), `expected the sign-in page, got ${login.status}:\n${login.html}`);
  const href = /<a href="([^"]+)">Forgot your password\?<\/a>/.exec(login.html)?.[1];
  assert.ok(href, 'the sign-in page links to "Forgot your password?"');
  const page = await visit(browser, s, new URL(href, s.issuer));
  return { browser, login, page };
}

/** The request form of one sign-in page, posted as often as wanted; `ms` is how long each answer took. */
export async function resetForm(
  s: OidcTestServer,
  rp: RelyingParty,
  address = nextAddress(),
): Promise<(identifier: string) => Promise<Landing & { ms: number }>> {
  const { browser, page } = await forgotPage(s, rp, address);
  assert.equal(page.status, 200, page.html);
  const action = formAction(page.html, /\/forgot$/);
  const csrf = inputValue(page.html, 'csrf');
  assert.ok(action && csrf, 'the request form, with its CSRF field');
  return async (identifier) => {
    const started = performance.now();
    const answer = await visit(browser, s, new URL(action, s.issuer), { csrf, identifier });
    return { ...answer, ms: performance.now() - started };
  };
}

/** Asks for a reset from a sign-in page of its own, as a person would. */
export async function askForReset(
  s: OidcTestServer,
  rp: RelyingParty,
  identifier: string,
  address = nextAddress(),
): Promise<Landing & { ms: number }> {
  return (await resetForm(s, rp, address))(identifier);
}

/** The page of a reset link, and a way to post its form from the same browser. */
export async function openResetLink(link: string, browser = new TestBrowser()) {
  const res = await browser.request(link);
  const html = await res.text();
  const csrf = inputValue(html, 'csrf');
  return {
    status: res.status,
    html,
    headers: res.headers,
    csrf,
    async submit(password: string, confirm = password) {
      const done = await browser.request(link, {
        form: { csrf: csrf ?? '', password, passwordConfirm: confirm },
      });
      return { status: done.status, html: await done.text() };
    },
  };
}

/** A mail about a password reset (a link, or the notice to a federated user); not a verification mail. */
export const isResetMail = (raw: string) =>
  /^Subject: (Reset your Canopy password|About your Canopy password)\r?$/m.test(raw);

/** Waits for the mails of the requests answered so far (they are sent after the answer). */
export const requestsSettled = (c: Container) => c.accounts.reset.settled();

/**
 * The provider stamps tokens with the system clock, in whole seconds (`iat`); a reset dates itself
 * with the injected clock. This brings the test clock to the system's now (forward only, unless
 * `exactly`), so a reset that follows comes after every token issued so far.
 */
export function clockToNow(s: { clock: { now(): Date; set(at: Date): void } }, exactly = false): void {
  const now = Date.now();
  s.clock.set(new Date(exactly ? now : Math.max(now, s.clock.now().getTime())));
}

/** Until the system clock is in a later second than `ms`: a token issued then has an `iat` after it. */
export async function secondAfter(ms: number): Promise<void> {
  const wait = (Math.floor(ms / 1000) + 1) * 1000 - Date.now();
  if (wait > 0) await sleep(wait + 5);
}

/** Marks a user's email verified (ACC-3), as following its verification link would. */
export async function verifyEmail(c: Container, userId: string): Promise<void> {
  await c.database.knex('users').where({ id: userId }).update({ email_verified: true });
}

/** A new local user of the tenant whose address is verified: one a reset link is sent to. */
export async function addVerifiedUser(c: Container, tenantId: string): Promise<User> {
  const user = await addUser(c, tenantId);
  await verifyEmail(c, user.id);
  return user;
}

/** Mails that tell a user of a change to their account (ACC-5): a new address, a password set by a link. */
export const isChangeNotice = (raw: string) =>
  /^Subject: Your Canopy (email address|password) was changed\r?$/m.test(raw);

/**
 * What an answer's headers show: every header and its value, but those that differ per response
 * by design (Date, X-Request-Id) and a cookie's value (a fresh CSRF or browser id), kept as names.
 */
export function headerShape(headers: Headers): Record<string, string> {
  const shape: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name !== 'set-cookie') shape[name] = name === 'date' || name === 'x-request-id' ? '…' : value;
  });
  const cookies = headers.getSetCookie().map((c) => c.replace(/^([^=]+)=[^;]*/, '$1=…'));
  if (cookies.length > 0) shape['set-cookie'] = cookies.join('\n');
  return shape;
}

/** What the reset tests run against: an SMTP inbox, one server behind a trusted proxy mailing to it, a tenant and its app. */
export interface ResetWorld {
  inbox: Inbox;
  s: OidcTestServer;
  t: Tenant;
  rp: RelyingParty;
  api: ApiClient;
}

/** Starts a reset world (the injected clock at the system's time, which stamps tokens' iat). */
export async function startResetWorld(names: { company: string; app: string }): Promise<ResetWorld> {
  const inbox = await startInbox();
  const s = await startOidcServer({
    config: {
      server: { trustProxy: true, proxyHops: 1 },
      mail: { smtpUrl: `smtp://127.0.0.1:${inbox.port}` },
    },
  });
  clockToNow(s, true);
  const t = await signUpTenant(s.container, { companyName: names.company });
  const rp = await registerApp(s, t, { name: names.app });
  return { inbox, s, t, rp, api: ApiClient.for(s.container) };
}

export async function closeResetWorld(world: Partial<ResetWorld>): Promise<void> {
  await world.s?.close();
  await world.inbox?.close();
}

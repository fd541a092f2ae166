import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  RESET_REQUESTS_PER_ACCOUNT,
  RESET_REQUESTS_PER_ADDRESS,
} from '../../src/modules/accounts/reset.limits.ts';
import type { User } from '../../src/modules/users/index.ts';
import { accountLinkIn, partOf } from '../helpers/account-mail.ts';
import { type ApiClient, expectError, userToken } from '../helpers/api.ts';
import { addUser, addUserWith, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { headerOf } from '../helpers/invitation-mail.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  askForReset,
  clockToNow,
  closeResetWorld,
  forgotPage,
  headerShape,
  isResetMail,
  nextAddress,
  openResetLink,
  requestsSettled,
  resetForm,
  startResetWorld,
  verifyEmail,
} from '../helpers/password-reset.ts';
import type { Inbox } from '../helpers/smtp-inbox.ts';
import { type RelyingParty, registerApp } from '../helpers/sso-flow.ts';
import { assertCleanPage } from '../web/web-app.ts';

// ACC-1 (and ACC-5's reset link): the request page answers the same for every name and does the
// same work before answering; links go to verified addresses only, work once, for 30 minutes, and
// only the newest; federated users are told where they sign in; requests are throttled and audited.

const NEW_PASSWORD = 'velvet lantern orbit quietly';
const PROXY = { server: { trustProxy: true, proxyHops: 1 } };

let inbox: Inbox;
let s: OidcTestServer;
let t: Tenant;
let rp: RelyingParty;
let api: ApiClient;
before(async () => {
  ({ inbox, s, t, rp, api } = await startResetWorld({ company: 'Lanterns Ltd', app: 'Timesheets' }));
});
after(() => closeResetWorld({ inbox, s }));

const knex = () => s.container.database.knex;

/** A local user with a verified address (unless told otherwise), or a federated one (no password). */
async function person(
  kind: 'verified' | 'unverified' | 'federated' | 'disabled' = 'verified',
): Promise<User> {
  const user = await addUser(s.container, t.tenantId);
  if (kind !== 'unverified') await verifyEmail(s.container, user.id);
  if (kind === 'federated') await knex()('users').where({ id: user.id }).update({ password_hash: null });
  if (kind === 'disabled') await s.container.users.disable(t.owner, t.tenantId, user.id);
  return user;
}

/** The reset mails that arrived for the requests answered so far, by recipient; none is left over. */
async function mailsAfterRequests(...expected: string[]): Promise<Map<string, string>> {
  await requestsSettled(s.container);
  const mails = new Map<string, string>();
  for (const email of expected) mails.set(email, await inbox.take(email, isResetMail));
  assert.equal(inbox.count(isResetMail), 0, 'no other reset mail was sent');
  return mails;
}

/** The reset link mailed to the user in answer to a request naming them. */
async function linkFor(user: User): Promise<string> {
  const answer = await askForReset(s, rp, user.username);
  assert.equal(answer.status, 200, answer.html);
  const mail = (await mailsAfterRequests(user.email)).get(user.email)!;
  return accountLinkIn(mail, '/password-reset/');
}

describe('ACC-1 asking for a reset', () => {
  test('ACC-1 the sign-in page links to "Forgot your password?", a form of the same organization with a CSRF field', async () => {
    const { page } = await forgotPage(s, rp);
    assert.equal(page.status, 200, page.html);
    assert.match(page.html, /Forgot your password\?/);
    assert.match(page.html, /Lanterns Ltd/);
    assert.match(page.html, /<form method="post" action="\/interaction\/[^"/]+\/forgot">/);
    assert.match(page.html, /<input type="hidden" name="csrf" value="[^"]+">/);
    assertCleanPage(page.html);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
  });

  test('ACC-1 no enumeration: the same status and the same page for a known, unknown, unverified, disabled and federated name; only the known verified local account gets a link', async () => {
    const known = await person('verified');
    const unverified = await person('unverified');
    const disabled = await person('disabled');
    const federated = await person('federated');
    const names = {
      known: known.username,
      knownByEmail: known.email.toUpperCase(),
      unknown: `nobody-${process.pid}`,
      unknownEmail: `nobody-${process.pid}@acme.test`,
      unverified: unverified.username,
      disabled: disabled.username,
      federated: federated.email,
    };
    // One sign-in page asks about every name: the pages may then differ in nothing at all.
    const ask = await resetForm(s, rp);
    const answers = new Map<string, { status: number; html: string; headers: Headers }>();
    for (const [what, name] of Object.entries(names)) answers.set(what, await ask(name));
    const reference = answers.get('unknown')!;
    assert.equal(reference.status, 200);
    assert.match(reference.html, /If an account of <strong>Lanterns Ltd<\/strong> matches what you entered/);
    for (const [what, answer] of answers) {
      assert.equal(answer.status, reference.status, `${what}: status`);
      assert.equal(answer.html, reference.html, `${what}: the page differs from an unknown name's`);
      // The same headers, Content-Length included (only Date, the request id and cookie values vary).
      assert.deepEqual(headerShape(answer.headers), headerShape(reference.headers), `${what}: headers`);
    }
    assert.ok(reference.headers.get('content-length'), 'a Content-Length to compare');

    const mails = await mailsAfterRequests(known.email, known.email, federated.email);
    const link = mails.get(known.email)!;
    assert.equal(headerOf(link, 'Subject'), 'Reset your Canopy password');
    const url = accountLinkIn(link, '/password-reset/');
    assert.ok(url.startsWith(`${s.issuer}/password-reset/`), url);
    assert.match(partOf(link, 'text/plain'), /“Lanterns Ltd”/);
    assert.ok(partOf(link, 'text/html').includes(url), 'the same link in the HTML part');
    const notice = mails.get(federated.email)!;
    assert.equal(headerOf(notice, 'Subject'), 'About your Canopy password');
    assert.match(partOf(notice, 'text/plain'), /company's own sign-in/);
    assert.doesNotMatch(partOf(notice, 'text/plain'), /password-reset\//, 'no link for a federated user');

    // Every request is audited, what was typed never: by its outcome, on the account it named.
    const rows = await knex()('audit_log')
      .where({ tenant_id: t.tenantId, action: 'user.password_reset_requested' })
      .select('target_id', 'after');
    const outcomeOf = (id: string | null) =>
      rows.filter((r) => r.target_id === id).map((r) => (r.after as { outcome: string }).outcome);
    assert.deepEqual(outcomeOf(known.id), ['link_sent', 'link_sent']);
    assert.deepEqual(outcomeOf(unverified.id), ['email_unverified']);
    assert.deepEqual(outcomeOf(disabled.id), ['inactive']);
    assert.deepEqual(outcomeOf(federated.id), ['federated_notice_sent']);
    assert.ok(outcomeOf(null).filter((o) => o === 'no_account').length >= 2, 'the unknown names');
    const log = JSON.stringify(await knex()('audit_log').where({ tenant_id: t.tenantId }));
    assert.ok(!log.includes(names.unknown) && !log.includes(names.unknownEmail), 'nothing typed is recorded');
  });

  test('ACC-1 a mail server that never answers does not hold up the answer: a known name is answered at once, as an unknown one', async () => {
    // A mail server in front of the inbox that, once told to, accepts connections and never greets.
    let silent = false;
    const held = new Set<Socket>();
    const front = createServer((socket) => {
      if (silent) return void held.add(socket);
      const upstream = connect(inbox.port, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const port = (front.address() as { port: number }).port;
    const stuck = await startOidcServer({
      config: { ...PROXY, mail: { smtpUrl: `smtp://127.0.0.1:${port}` } },
    });
    try {
      clockToNow(stuck, true);
      const tenant = await signUpTenant(stuck.container, { companyName: 'Stuck Mail Ltd' });
      const app = await registerApp(stuck, tenant);
      const user = await addUser(stuck.container, tenant.tenantId);
      await verifyEmail(stuck.container, user.id);
      silent = true;
      const ask = await resetForm(stuck, app);
      const unknown = await ask(`nobody-${process.pid}`);
      const known = await ask(user.username);
      assert.equal(known.status, 200);
      assert.equal(known.html, unknown.html);
      // The SMTP greeting timeout is 10 s: an answer that waited for the mail would take that long.
      assert.ok(known.ms < 3000, `answered in ${Math.round(known.ms)} ms`);
      // The work went on behind the answer: the link was issued, and its mail is stuck at the server.
      await waitFor(
        async () => (await linksOf(stuck, user.id)) === 1 && held.size === 1,
        'the mail is under way',
      );
    } finally {
      for (const socket of held) socket.destroy(); // the mail fails now, and is logged
      await stuck.container.accounts.reset.settled();
      front.close();
      await stuck.close();
    }
  });

  test('ACC-1 an empty request shows the form again with the problem named; nothing is counted or sent', async () => {
    const answer = await askForReset(s, rp, '   ');
    assert.equal(answer.status, 400);
    assert.match(answer.html, /Enter your username or email address/);
    await mailsAfterRequests();
  });

  test('ACC-1 throttled per address: past the limit, 429 with Retry-After and the form again, whatever is named', async () => {
    const address = nextAddress();
    const ask = await resetForm(s, rp, address);
    for (let i = 0; i < RESET_REQUESTS_PER_ADDRESS.points; i++) {
      const ok = await ask(`nobody-${i}-${process.pid}`);
      assert.equal(ok.status, 200, `request ${i + 1}`);
    }
    const refused = await ask(t.user.username);
    assert.equal(refused.status, 429, refused.html);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
    assert.match(refused.html, /Too many attempts\. Try again in \d+ minutes?\./);
    assert.match(refused.html, /name="identifier"/);
    await mailsAfterRequests(); // the founder's address is unverified, and the refused request did nothing
  });

  test('ACC-1 throttled per account: the same name from many addresses, known or not, is refused past the limit alike', async () => {
    const known = await person('verified');
    for (const name of [known.username, `nobody-else-${process.pid}`]) {
      for (let i = 0; i < RESET_REQUESTS_PER_ACCOUNT.points; i++)
        assert.equal((await askForReset(s, rp, name)).status, 200, `${name}: request ${i + 1}`);
      const refused = await askForReset(s, rp, name);
      assert.equal(refused.status, 429, `${name}: past the limit`);
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
    }
    await requestsSettled(s.container);
    while (inbox.count(isResetMail) > 0) await inbox.take(known.email, isResetMail);
  });
});

describe('ACC-1 the link', () => {
  test('ACC-1 the page shows the rules and spends nothing; a refused password keeps the link; the right one sets it, once', async () => {
    const user = await person('verified');
    const link = await linkFor(user);
    const first = await openResetLink(link);
    assert.equal(first.status, 200, first.html);
    assert.equal(first.headers.get('referrer-policy'), 'no-referrer');
    assert.match(first.html, /at least 12 characters/);
    assert.ok(first.html.includes(user.username));
    assertCleanPage(first.html);
    const again = await openResetLink(link);
    assert.equal(again.status, 200, 'opening the page does not spend the link');

    const mismatch = await again.submit(NEW_PASSWORD, `${NEW_PASSWORD}!`);
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.html, /does not match/);
    const weak = await again.submit('Password123!');
    assert.equal(weak.status, 422, weak.html);
    assert.match(weak.html, /New password (must|is)/);
    const personal = await again.submit(`${user.username} is my password`);
    assert.equal(personal.status, 422);

    const done = await again.submit(NEW_PASSWORD);
    assert.equal(done.status, 200, done.html);
    assert.match(done.html, /Your password was changed/);
    assert.ok(done.html.includes(`href="/login/${t.organization.domain}"`));
    const spent = await again.submit(NEW_PASSWORD);
    assert.equal(spent.status, 410);
    assert.equal((await openResetLink(link)).status, 410, 'a used link is dead');
  });

  test('ACC-1 a link expires after 30 minutes', async () => {
    const user = await person('verified');
    const link = await linkFor(user);
    s.clock.advance(29 * 60_000);
    assert.equal((await openResetLink(link)).status, 200, 'at 29 minutes');
    s.clock.advance(2 * 60_000);
    const expired = await openResetLink(link);
    assert.equal(expired.status, 410);
    assert.match(expired.html, /This link no longer works/);
    clockToNow(s, true);
  });

  test('ACC-1 a newer link replaces the older one', async () => {
    const user = await person('verified');
    const older = await linkFor(user);
    const newer = await linkFor(user);
    assert.notEqual(older, newer);
    assert.equal((await openResetLink(older)).status, 410);
    assert.equal((await openResetLink(newer)).status, 200);
  });

  test('ACC-1 unknown and malformed links answer 410 and show no form', async () => {
    for (const secret of ['x'.repeat(43), 'short', 'A'.repeat(200)]) {
      const page = await openResetLink(`${s.issuer}/password-reset/${secret}`);
      assert.equal(page.status, 410, secret);
      assert.equal(page.csrf, undefined);
    }
  });

  test('ACC-1 the audit log records requests and resets, never a secret; links are stored as hashes', async () => {
    const user = await person('verified');
    const link = await linkFor(user);
    const secret = new URL(link).pathname.split('/').pop()!;
    assert.equal((await (await openResetLink(link)).submit(NEW_PASSWORD)).status, 200);
    const entries = await knex()('audit_log').where({ target_id: user.id }).orderBy('id');
    const actions = entries.map((e) => e.action);
    assert.deepEqual(actions.slice(-2), ['user.password_reset_requested', 'user.password_reset']);
    const everything = JSON.stringify(await knex()('audit_log').select());
    assert.ok(!everything.includes(secret), 'no link secret in the audit log');
    const stored = JSON.stringify(await knex()('account_tokens').where({ user_id: user.id }));
    assert.ok(!stored.includes(secret), 'the secret is not stored, only its hash');
  });

  test('ACC-1 REL-6 housekeeping deletes expired links', async () => {
    const user = await person('verified');
    await linkFor(user);
    s.clock.advance(31 * 60_000);
    await s.container.housekeeping.runOnce();
    assert.equal(await linksOf(s, user.id), 0);
    clockToNow(s, true);
  });
});

describe('ACC-5 an administrator sends a reset link', () => {
  const send = (userId: string, token: string) =>
    api.call('post', `/users/${userId}/password-reset`, { token });

  test('ACC-5 users.manage on the master sends a link to the verified address; audited without the secret', async () => {
    const user = await person('verified');
    const res = await send(user.id, await userToken(s.container, t.user.id));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.email, user.email);
    assert.equal(res.body.delivery, 'sent');
    const mail = await inbox.take(user.email, isResetMail);
    assert.match(partOf(mail, 'text/plain'), /An administrator of the organization sent you this link/);
    const secret = new URL(accountLinkIn(mail, '/password-reset/')).pathname.split('/').pop()!;
    const entry = await knex()('audit_log')
      .where({ target_id: user.id, action: 'user.password_reset_sent' })
      .first();
    assert.ok(entry, 'audited');
    assert.equal(entry.actor_id, t.user.id);
    assert.ok(!JSON.stringify(entry).includes(secret));
    assert.equal((await openResetLink(accountLinkIn(mail, '/password-reset/'))).status, 200);
  });

  test('ACC-5 refused: unverified 409, federated 409, a narrow admin 403, another tenant’s user 404', async () => {
    const token = await userToken(s.container, t.user.id);
    expectError(await send((await person('unverified')).id, token), 409, 'user.email_unverified');
    expectError(await send((await person('federated')).id, token), 409, 'user.not_local');
    const narrow = await addUserWith(s.container, t, ['users.invite']);
    expectError(
      await send((await person('verified')).id, await userToken(s.container, narrow.id)),
      403,
      'auth.permission_denied',
    );
    const other = await signUpTenant(s.container);
    expectError(await send(other.user.id, token), 404, 'user.not_found');
    await requestsSettled(s.container);
    assert.equal(inbox.count(isResetMail), 0, 'nothing was sent');
  });
});

async function linksOf(server: OidcTestServer, userId: string): Promise<number> {
  const rows = await server.container.database
    .knex('account_tokens')
    .where({ user_id: userId })
    .count({ n: '*' });
  return Number(rows[0]!.n);
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`timed out waiting until ${what}`);
}

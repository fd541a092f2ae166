import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { ApiClient, appToken, expectError, userToken } from '../helpers/api.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { addUser, lastAuditId, PASSWORD, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { destroyStoredSession, makeOffline } from '../helpers/offline-tokens.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import { codeFlow, consoleSignIn, oauthError, type RelyingParty, registerApp } from '../helpers/sso-flow.ts';
import { registerServiceApp } from '../helpers/sso-session.ts';

// ACC-2: a signed-in local user changes their password by giving the current one; every other
// session of theirs ends (with its tokens), the one they changed it from stays. Audited, no secret.

const NEW_PASSWORD = 'violet tractor umbrella sunrise';

const DOMAIN = `pwchange${process.pid}`;

let s: OidcTestServer;
let api: ApiClient;
let t: Tenant;
let rp: RelyingParty;
before(async () => {
  s = await startOidcServer();
  api = ApiClient.for(s.container);
  t = await signUpTenant(s.container, { domain: DOMAIN });
  rp = await registerApp(s, t);
});
after(() => s.close());

/** A real sign-in: the console, then a web app, in one browser session. */
async function signIn(username: string, scope?: string) {
  const browser = new TestBrowser();
  const console = await consoleSignIn(s, DOMAIN, { browser, username });
  const { tokens } = await codeFlow(s, rp, {
    browser,
    ...(scope ? { scope, consent: 'allow' as const } : {}),
  });
  return { console, app: tokens, token: console.tokens.access_token };
}

const introspected = async (token: string) =>
  ((await client.tokenIntrospection(rp.config, token)) as { active: boolean }).active;

/** The password sign-in service's answer for these credentials. */
async function signsIn(username: string, password: string): Promise<boolean> {
  const result = await s.container.signIn.authenticate(
    { actor: { kind: 'anonymous' }, requestId: `req-${randomUUID()}` },
    { tenantId: t.tenantId, username, password, ip: '192.0.2.10' },
  );
  return result.ok;
}

const change = (token: string, currentPassword: string, newPassword: string) =>
  api.call('post', '/me/password', { token, body: { currentPassword, newPassword } });

describe('ACC-2 password change', () => {
  test('ACC-2 the new password works, the old one no longer; other sessions end, this one stays; audited', async () => {
    const user = await addUser(s.container, t.tenantId);
    const here = await signIn(user.username);
    const elsewhere = await signIn(user.username);
    const since = await lastAuditId(s.container);

    const res = await change(here.token, PASSWORD, NEW_PASSWORD);
    assert.equal(res.status, 204, JSON.stringify(res.body));

    assert.equal(await signsIn(user.username, PASSWORD), false, 'the old password is refused');
    assert.equal(await signsIn(user.username, NEW_PASSWORD), true, 'the new one works');

    // This session, and the token the change was made with, go on.
    assert.equal((await api.call('get', '/me', { token: here.token })).status, 200);
    assert.equal(await introspected(here.app.access_token), true);
    const mine = await api.call('get', '/me/sessions', { token: here.token });
    assert.deepEqual(
      mine.body.items.map((i: { current: boolean }) => i.current),
      [true],
      'only this session is left',
    );
    // The other one ended, with every token issued from it.
    assert.equal(await introspected(elsewhere.app.access_token), false, 'its access token');
    assert.equal(
      (await oauthError(client.refreshTokenGrant(rp.config, elsewhere.app.refresh_token!))).error,
      'invalid_grant',
      'its refresh token',
    );
    expectError(await api.call('get', '/me', { token: elsewhere.token }), 401, 'auth.unauthenticated');

    const entries = await s.container.database
      .knex('audit_log')
      .where('id', '>', since)
      .where({ action: 'user.password_change' });
    assert.equal(entries.length, 1);
    const [entry] = entries;
    assert.equal(entry.actor_id, user.id);
    assert.equal(entry.target_id, user.id);
    assert.equal(entry.after.sessionsEnded.length, 1);
    const text = JSON.stringify(entry);
    for (const secret of [PASSWORD, NEW_PASSWORD, '$argon2']) assert.ok(!text.includes(secret), secret);
  });

  test('ACC-2 tokens not bound to a session die with the other sessions, ended ones too; this session keeps its own', async () => {
    const user = await addUser(s.container, t.tenantId);
    const offlineSignIn = async () => {
      const signedIn = await signIn(user.username, 'openid offline_access');
      await makeOffline(s.container, signedIn.app.refresh_token!);
      return signedIn;
    };
    const here = await offlineSignIn();
    const elsewhere = await offlineSignIn();
    const over = await offlineSignIn();
    // `over` ended before the change (as an idle one does at its next use), its stored session gone.
    const overUid = (await s.container.oidc.provider.AccessToken.find(over.token))?.sessionUid;
    assert.ok(overUid);
    await s.container.database
      .knex('sessions')
      .where({ session_uid: overUid })
      .update({ ended_at: new Date() });
    await destroyStoredSession(s.container, overUid);
    const since = await lastAuditId(s.container);

    const res = await change(here.token, PASSWORD, NEW_PASSWORD);
    assert.equal(res.status, 204, JSON.stringify(res.body));

    for (const [name, other] of [
      ['another session', elsewhere],
      ['a session ended before', over],
    ] as const) {
      assert.equal(
        (await oauthError(client.refreshTokenGrant(rp.config, other.app.refresh_token!))).error,
        'invalid_grant',
        `the offline refresh token of ${name}`,
      );
    }
    // This session keeps everything: the app's offline token, the console's session and its tokens.
    const renewed = await client.refreshTokenGrant(rp.config, here.app.refresh_token!);
    assert.ok(renewed.access_token, 'this session’s offline refresh token works');
    const consoleRenewed = await client.refreshTokenGrant(
      here.console.config,
      here.console.tokens.refresh_token!,
    );
    assert.equal((await api.call('get', '/me', { token: consoleRenewed.access_token })).status, 200);
    assert.equal((await api.call('get', '/me', { token: here.token })).status, 200);

    const [entry] = await s.container.database
      .knex('audit_log')
      .where('id', '>', since)
      .where({ action: 'user.password_change' });
    assert.equal(entry?.after.sessionsEnded.length, 1, 'one session was live');
    assert.equal(entry?.after.grantsRevoked, 4, 'the console’s and the app’s grants of both other sessions');
  });

  test('ACC-2 a wrong current password is 403 and changes nothing; five in a row lock the change for a while', async () => {
    const user = await addUser(s.container, t.tenantId);
    const here = await signIn(user.username);
    const elsewhere = await signIn(user.username);
    for (let i = 0; i < 5; i++) {
      const wrong = await change(here.token, 'not the password at all', NEW_PASSWORD);
      expectError(wrong, 403, 'password.current_invalid', `attempt ${i + 1}`);
      assert.deepEqual(wrong.body.details.fields, [{ field: 'currentPassword', problem: 'is not correct' }]);
    }
    assert.equal(await introspected(elsewhere.app.access_token), true, 'no session ended');
    const locked = await change(here.token, PASSWORD, NEW_PASSWORD);
    expectError(locked, 429, 'request.rate_limited', 'even the right password, while locked');
    assert.ok(Number(locked.headers['retry-after']) > 0, 'Retry-After');
    assert.equal(await signsIn(user.username, PASSWORD), true, 'the password is unchanged');
  });

  test('ACC-2 the policy refuses a weak or personal new password, naming the rule', async () => {
    const user = await addUser(s.container, t.tenantId);
    const token = await userToken(s.container, user.id);
    for (const [weak, rule] of [
      ['Password123!', undefined],
      [`${user.username} meadow lantern`, 'personal'],
      ['Zq7!x', 'too_short'],
    ] as const) {
      const res = await change(token, PASSWORD, weak);
      expectError(res, 422, 'password.policy', weak);
      if (rule) assert.equal(res.body.details.rule, rule, weak);
      else assert.ok(['common', 'guessable'].includes(res.body.details.rule), res.body.details.rule);
      assert.equal(res.body.details.fields[0].field, 'newPassword', 'named at the new password');
      assert.ok(!JSON.stringify(res.body).includes(weak), 'the password is not echoed');
    }
    assert.equal(await signsIn(user.username, PASSWORD), true, 'unchanged');
  });

  test('ACC-4 GET /me gives a person the organization’s password rules, as the profile page shows them', async () => {
    const user = await addUser(s.container, t.tenantId);
    const token = await userToken(s.container, user.id);
    const rulesNow = async () => (await api.call('get', '/me', { token })).body.passwordRules;
    assert.deepEqual(await rulesNow(), { minLength: 12, maxLength: 256, minStrength: 3 });
    await s.container.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, {
      passwordMinLength: 16,
    });
    try {
      assert.equal((await rulesNow()).minLength, 16, 'the org’s choice');
    } finally {
      await s.container.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, {
        passwordMinLength: null,
      });
    }
    const { app } = await registerServiceApp(s.container, t.owner, t.tenantId, s.issuer, [
      { organizationId: t.tenantId, permissions: ['users.manage'] },
    ]);
    const asApp = await api.call('get', '/me', {
      token: await appToken(s.container, app.clientId, 'users.manage'),
    });
    assert.equal(asApp.body.passwordRules, undefined, 'an app has no password');
  });

  test('ACC-2 a federated user has no password here: 409', async () => {
    const user = await addUser(s.container, t.tenantId);
    await s.container.database.knex('users').where({ id: user.id }).update({ password_hash: null });
    const res = await change(await userToken(s.container, user.id), PASSWORD, NEW_PASSWORD);
    expectError(res, 409, 'user.not_local');
  });

  test('ACC-2 an app token has no password to change', async () => {
    const { app } = await registerServiceApp(s.container, t.owner, t.tenantId, s.issuer, [
      { organizationId: t.tenantId, permissions: ['users.manage'] },
    ]);
    const res = await change(
      await appToken(s.container, app.clientId, 'users.manage'),
      PASSWORD,
      NEW_PASSWORD,
    );
    expectError(res, 403, 'auth.permission_denied');
  });
});

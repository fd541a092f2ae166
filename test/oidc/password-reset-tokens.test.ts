import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { createTenantDirectory } from '../../src/modules/roles/index.ts';
import type { User } from '../../src/modules/users/index.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createLocalSignalBus } from '../../src/platform/signals.ts';
import { accountLinkIn } from '../helpers/account-mail.ts';
import { type ApiClient, userToken } from '../helpers/api.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { PASSWORD, type Tenant } from '../helpers/factories.ts';
import type { OidcTestServer } from '../helpers/oidc-server.ts';
import {
  addVerifiedUser,
  askForReset,
  clockToNow,
  closeResetWorld,
  isResetMail,
  openResetLink,
  requestsSettled,
  secondAfter,
  startResetWorld,
} from '../helpers/password-reset.ts';
import type { Inbox } from '../helpers/smtp-inbox.ts';
import {
  authorizationRequest,
  codeFlow,
  isLoginPage,
  oauthError,
  type RelyingParty,
  submitLogin,
  visit,
} from '../helpers/sso-flow.ts';

// ACC-1 "setting the new password ends every session and token of the user": the sessions end in the
// reset's transaction (and with them every token bound to one), and the tenant directory refuses
// every token issued before the reset (`tokens_valid_after`), bound to a session or not: userinfo,
// refresh, introspection and the admin API. A sign-in with the new password works at once after.

const NEW_PASSWORD = 'copper meadow drifting slowly';

let inbox: Inbox;
let s: OidcTestServer;
let t: Tenant;
let rp: RelyingParty;
let api: ApiClient;
before(async () => {
  ({ inbox, s, t, rp, api } = await startResetWorld({ company: 'Resets Inc', app: 'Expenses' }));
});
after(() => closeResetWorld({ inbox, s }));

const verifiedUser = () => addVerifiedUser(s.container, t.tenantId);

/** Asks for a link from the sign-in page and returns it, read from the mail. */
async function resetLink(user: User): Promise<string> {
  assert.equal((await askForReset(s, rp, user.username)).status, 200);
  await requestsSettled(s.container);
  return accountLinkIn(await inbox.take(user.email, isResetMail), '/password-reset/');
}

/** Sets the new password through the link's page; returns the reset's moment (the test clock's). */
async function resetWith(link: string, password = NEW_PASSWORD): Promise<number> {
  const page = await openResetLink(link);
  assert.equal(page.status, 200, page.html);
  clockToNow(s); // the reset comes after every token issued so far (see clockToNow)
  const at = s.clock.now().getTime();
  const done = await page.submit(password);
  assert.equal(done.status, 200, done.html);
  return at;
}

const introspect = async (token: string) =>
  (await client.tokenIntrospection(rp.config, token)) as Record<string, unknown>;

describe('ACC-1 after a reset', () => {
  test('ACC-1 the old password is refused and the new one works; sessions end; every earlier token is inactive; later ones work', async () => {
    const user = await verifiedUser();
    const before = await codeFlow(s, rp, { username: user.username, password: PASSWORD });
    const { access_token: access, refresh_token: refresh } = before.tokens;
    assert.ok(refresh, 'a refresh token');
    assert.equal((await introspect(access)).active, true);
    // An admin API token of the console, bound to no session: only tokens_valid_after ends it.
    const apiToken = await userToken(s.container, user.id);
    assert.equal((await api.call('get', '/me', { token: apiToken })).status, 200);
    const open = await s.container.database
      .knex('sessions')
      .where({ user_id: user.id })
      .whereNull('ended_at');
    assert.equal(open.length, 1, 'one open session');

    const at = await resetWith(await resetLink(user));

    const ended = await s.container.database
      .knex('sessions')
      .where({ user_id: user.id })
      .whereNull('ended_at');
    assert.equal(ended.length, 0, 'every session ended');
    assert.equal((await introspect(access)).active, false, 'access token');
    assert.equal((await introspect(refresh)).active, false, 'refresh token');
    const userinfo = await oauthError(client.fetchUserInfo(rp.config, access, client.skipSubjectCheck));
    assert.deepEqual(userinfo, { error: 'invalid_token', status: 401 }, 'userinfo');
    assert.equal((await oauthError(client.refreshTokenGrant(rp.config, refresh))).error, 'invalid_grant');
    const refused = await api.call('get', '/me', { token: apiToken });
    assert.equal(refused.status, 401, 'the admin API refuses a token from before the reset');
    const row = await s.container.database.knex('users').where({ id: user.id }).first('tokens_valid_after');
    assert.equal(new Date(row.tokens_valid_after).getTime(), at);

    // The old password no longer signs in; the new one does, and its tokens work everywhere.
    const browser = new TestBrowser();
    const login = await visit(browser, s, (await authorizationRequest(rp)).url);
    assert.ok(isLoginPage(login));
    const wrong = await submitLogin(browser, s, login, { username: user.username, password: PASSWORD });
    assert.equal(wrong.status, 401, 'the old password');
    await secondAfter(at); // tokens carry whole seconds: see the next test for the reset's own second
    const after = await codeFlow(s, rp, { username: user.username, password: NEW_PASSWORD });
    assert.equal((await introspect(after.tokens.access_token)).active, true);
    await client.fetchUserInfo(rp.config, after.tokens.access_token, client.skipSubjectCheck);
    const rotated = await client.refreshTokenGrant(rp.config, after.tokens.refresh_token!);
    assert.equal((await introspect(rotated.access_token)).active, true);
    assert.equal(
      (await api.call('get', '/me', { token: await userToken(s.container, user.id) })).status,
      200,
    );
  });

  test('ACC-1 whole seconds: a token issued in the reset’s own second is refused; one of the next second is accepted', async () => {
    const user = await verifiedUser();
    const link = await resetLink(user);
    const token = await userToken(s.container, user.id);
    const found = await s.container.oidc.provider.AccessToken.find(token);
    const iat = found!.iat!;
    // The reset happens at the very end of the token's second: after it was issued, in the same second.
    s.clock.set(new Date(iat * 1000 + 999));
    const page = await openResetLink(link);
    assert.equal((await page.submit(NEW_PASSWORD)).status, 200);
    assert.equal((await api.call('get', '/me', { token })).status, 401, 'the same second');
    await secondAfter(iat * 1000 + 999);
    const later = await userToken(s.container, user.id);
    assert.equal((await api.call('get', '/me', { token: later })).status, 200, 'the next second');
    clockToNow(s, true);
  });

  test('ACC-1 tokens_valid_after alone refuses an earlier token, even if its session were somehow still open', async () => {
    const user = await verifiedUser();
    const { tokens } = await codeFlow(s, rp, { username: user.username, password: PASSWORD });
    const at = await resetWith(await resetLink(user));
    // Undo what the reset did to the sessions: only the tenant directory's moment is left to refuse.
    await s.container.database.knex('sessions').where({ user_id: user.id }).update({ ended_at: null });
    assert.equal((await introspect(tokens.access_token)).active, false);
    assert.equal(
      (await oauthError(client.fetchUserInfo(rp.config, tokens.access_token, client.skipSubjectCheck))).error,
      'invalid_token',
    );
    // A node that loads the tenant afresh (a restart: a new directory over the same database, which
    // has heard no signal) refuses it too: the moment is in the database.
    const fresh = createTenantDirectory({
      db: s.container.database.knex,
      signals: createLocalSignalBus(),
      logger: createLogger('silent'),
    });
    const index = await fresh.forTenant(t.tenantId);
    assert.notEqual(index, await s.container.directory.forTenant(t.tenantId), 'loaded on its own');
    assert.equal(index.acceptsTokenIssuedAt(user.id, Math.floor(at / 1000)), false);
    assert.equal(index.acceptsTokenIssuedAt(user.id, Math.floor(at / 1000) + 1), true);
  });

  test('ACC-1 a refresh token rotated after the reset by a node that had not heard of it yet dies with its chain (iiat)', async () => {
    const user = await verifiedUser();
    const link = await resetLink(user);
    const { tokens } = await codeFlow(s, rp, { username: user.username, password: PASSWORD });
    const first = await s.container.oidc.provider.RefreshToken.find(tokens.refresh_token!);
    const issued = first!.iat!;
    // Rotated in a later second than the chain began: the new token's own iat is later than its iiat.
    await secondAfter(issued * 1000);
    const rotated = await client.refreshTokenGrant(rp.config, tokens.refresh_token!);
    const second = await s.container.oidc.provider.RefreshToken.find(rotated.refresh_token!);
    assert.ok(second!.iat! > issued && second!.iiat === issued, 'a later iat, the chain’s iiat');
    // The reset is dated before that rotation, as on a node that rotated it before the reset's
    // signal arrived: the rotated token's own iat is after the reset; its chain began before.
    s.clock.set(new Date(issued * 1000 + 999));
    assert.equal((await (await openResetLink(link)).submit(NEW_PASSWORD)).status, 200);
    // Only the reset's moment is left to refuse it (as in the test above): the sessions are reopened.
    await s.container.database.knex('sessions').where({ user_id: user.id }).update({ ended_at: null });
    assert.equal((await introspect(rotated.refresh_token!)).active, false, 'introspection');
    const refused = await oauthError(client.refreshTokenGrant(rp.config, rotated.refresh_token!));
    assert.equal(refused.error, 'invalid_grant', 'the refresh grant');
    clockToNow(s, true);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { CONSOLE_CLIENT_ID } from '../../src/oidc/tenancy.ts';
import { ApiClient, appToken, expectError, userToken } from '../helpers/api.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { addUser, addUserWith, lastAuditId, signUpTenant, type Tenant } from '../helpers/factories.ts';
import {
  destroyStoredSession as destroyStored,
  makeOffline,
  storedRefreshToken as storedRefreshTokenOf,
} from '../helpers/offline-tokens.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import { codeFlow, consoleSignIn, oauthError, type RelyingParty, registerApp } from '../helpers/sso-flow.ts';
import { registerServiceApp } from '../helpers/sso-session.ts';

// ACC-5: a person sees their own live sessions (browser and device, coarse source network, started,
// last active, apps) and ends any of them; a holder of users.manage on the master does the same for
// a user. Sessions are real sign-ins through the pages, behind one trusted proxy (X-Forwarded-For).

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const ANDROID =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';

const DOMAIN = `sess${process.pid}`;

let s: OidcTestServer;
let api: ApiClient;
let t: Tenant;
let other: Tenant;
let rp: RelyingParty;
before(async () => {
  s = await startOidcServer({ config: { server: { trustProxy: true, proxyHops: 1 } } });
  api = ApiClient.for(s.container);
  t = await signUpTenant(s.container, { domain: DOMAIN });
  other = await signUpTenant(s.container, { domain: `sessother${process.pid}` });
  rp = await registerApp(s, t, { name: 'Timesheets' });
});
after(() => s.close());

interface SignedIn {
  browser: TestBrowser;
  /** The console's tokens (the admin API) and its openid-client configuration. */
  console: Awaited<ReturnType<typeof consoleSignIn>>;
  /** A web app's tokens from the same session. */
  app: client.TokenEndpointResponse;
}

/** A sign-in to the console in a browser of its own, then to the web app in the same session. */
async function signIn(username: string, agent: string, address: string): Promise<SignedIn> {
  const browser = new TestBrowser({ headers: { 'user-agent': agent, 'x-forwarded-for': address } });
  const console = await consoleSignIn(s, DOMAIN, { browser, username });
  const { tokens } = await codeFlow(s, rp, { browser });
  return { browser, console, app: tokens };
}

const storedRefreshToken = (token: string) => storedRefreshTokenOf(s.container, token);
const offline = (token: string) => makeOffline(s.container, token);

/** The stored provider session of a session row, destroyed (as a request that found it ended would). */
async function destroyStoredSession(publicId: string) {
  const row = await s.container.database.knex('sessions').where({ public_id: publicId }).first();
  assert.ok(await s.container.oidc.provider.Session.adapter.findByUid(row.session_uid), 'stored');
  await destroyStored(s.container, row.session_uid);
}

const introspected = async (token: string) =>
  ((await client.tokenIntrospection(rp.config, token)) as { active: boolean }).active;

interface SessionItem {
  id: string;
  current: boolean;
  browser: string | null;
  os: string | null;
  deviceType: string | null;
  userAgent: string | null;
  sourceNetwork: string | null;
  startedAt: string;
  lastActiveAt: string;
  apps: Array<{ clientId: string; name: string | null }>;
}

async function sessionsOf(token: string, path = '/me/sessions'): Promise<SessionItem[]> {
  const res = await api.call('get', path, { token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.items;
}

describe('ACC-5 my sessions', () => {
  let user: { id: string; username: string };
  let laptop: SignedIn;
  let phone: SignedIn;
  before(async () => {
    user = await addUser(s.container, t.tenantId);
    laptop = await signIn(user.username, FIREFOX, '203.0.113.77');
    phone = await signIn(user.username, ANDROID, '2001:db8:abcd:12::1');
  });

  test('ACC-5 the list shows browser and device, coarse network, times and apps, and marks this session', async () => {
    const items = await sessionsOf(laptop.console.tokens.access_token);
    assert.equal(items.length, 2, JSON.stringify(items));
    const here = items.find((i) => i.current);
    const there = items.find((i) => !i.current);
    assert.ok(here && there, 'one current, one not');
    assert.equal(here.browser, 'Firefox 133');
    assert.equal(here.os, 'Linux');
    assert.equal(here.deviceType, 'desktop');
    assert.equal(here.userAgent, FIREFOX);
    assert.equal(here.sourceNetwork, '203.0.113.0/24', 'IPv4: the /24, never the address');
    assert.equal(there.browser, 'Chrome 131');
    assert.match(there.os ?? '', /^Android/);
    assert.equal(there.deviceType, 'mobile');
    assert.equal(there.sourceNetwork, '2001:db8:abcd::/48', 'IPv6: the /48');
    for (const item of items) {
      assert.ok(Date.parse(item.startedAt) <= Date.parse(item.lastActiveAt));
      assert.deepEqual(
        item.apps.map((a) => [a.clientId, a.name]).sort(),
        [
          [CONSOLE_CLIENT_ID, 'Canopy'],
          [rp.app.clientId, 'Timesheets'],
        ].sort(),
      );
    }
    // The ids are public ids: the provider's session uid never leaves the server.
    const rows = await s.container.database.knex('sessions').where({ user_id: user.id });
    const uids = rows.map((r) => r.session_uid as string);
    for (const item of items) assert.ok(!uids.includes(item.id));
    assert.ok(!uids.some((uid) => JSON.stringify(items).includes(uid)));
    // From the phone, the phone's session is this one.
    const fromPhone = await sessionsOf(phone.console.tokens.access_token);
    assert.equal(fromPhone.find((i) => i.current)?.id, there.id);
  });

  test("ACC-5 another user's sessions are neither listed nor ended", async () => {
    const someone = await addUser(s.container, t.tenantId);
    const theirs = await signIn(someone.username, FIREFOX, '198.51.100.9');
    const [their] = await sessionsOf(theirs.console.tokens.access_token);
    assert.ok(their);
    const mine = await sessionsOf(laptop.console.tokens.access_token);
    assert.ok(!mine.some((i) => i.id === their.id), 'not in my list');
    const res = await api.call('delete', `/me/sessions/${their.id}`, {
      token: laptop.console.tokens.access_token,
    });
    expectError(res, 404, 'session.not_found', 'their session, from my /me');
    expectError(
      await api.call('delete', '/me/sessions/not-an-id', { token: laptop.console.tokens.access_token }),
      404,
      'session.not_found',
    );
    assert.equal(await introspected(theirs.app.access_token), true, 'their session lives on');
  });

  test('ACC-5 an administrator sees a user’s sessions; a narrow one is refused; another tenant finds no user', async () => {
    const admin = await userToken(s.container, t.user.id);
    const seen = await sessionsOf(admin, `/users/${user.id}/sessions`);
    assert.equal(seen.length, 2);
    assert.ok(
      seen.every((i) => !i.current),
      'none of them is the administrator’s',
    );
    const narrow = await addUserWith(s.container, t, ['users.invite']);
    const refused = await api.call('get', `/users/${user.id}/sessions`, {
      token: await userToken(s.container, narrow.id),
    });
    expectError(refused, 403, 'auth.permission_denied');
    const stranger = await userToken(s.container, other.user.id);
    expectError(
      await api.call('get', `/users/${user.id}/sessions`, { token: stranger }),
      404,
      'user.not_found',
    );
    expectError(
      await api.call('delete', `/users/${user.id}/sessions/${seen[0]!.id}`, { token: stranger }),
      404,
      'user.not_found',
    );
    assert.equal((await sessionsOf(admin, `/users/${user.id}/sessions`)).length, 2, 'nothing ended');
  });

  test('ACC-5 an app token has no sessions of its own', async () => {
    const { app } = await registerServiceApp(s.container, t.owner, t.tenantId, s.issuer, [
      { organizationId: t.tenantId, permissions: ['users.manage'] },
    ]);
    const token = await appToken(s.container, app.clientId, 'users.manage');
    expectError(await api.call('get', '/me/sessions', { token }), 403, 'auth.permission_denied');
    assert.equal((await sessionsOf(token, `/users/${user.id}/sessions`)).length, 2, 'users.manage suffices');
  });

  test('ACC-5 ending one session makes its tokens inactive at once; the others live on; audited', async () => {
    const since = await lastAuditId(s.container);
    const target = (await sessionsOf(laptop.console.tokens.access_token)).find((i) => !i.current)!;
    const res = await api.call('delete', `/me/sessions/${target.id}`, {
      token: laptop.console.tokens.access_token,
    });
    assert.equal(res.status, 204, JSON.stringify(res.body));

    assert.equal(await introspected(phone.app.access_token), false, 'its access token');
    assert.equal(
      (await oauthError(client.refreshTokenGrant(rp.config, phone.app.refresh_token!))).error,
      'invalid_grant',
    );
    const consoleRefresh = client.refreshTokenGrant(
      phone.console.config,
      phone.console.tokens.refresh_token!,
    );
    assert.equal((await oauthError(consoleRefresh)).error, 'invalid_grant', 'the console refresh token too');
    expectError(
      await api.call('get', '/me', { token: phone.console.tokens.access_token }),
      401,
      'auth.unauthenticated',
    );
    // The grants are gone from the store, not only the session.
    const grantRows = await s.container.database
      .knex('oidc_models')
      .where({ model: 'RefreshToken' })
      .whereRaw(`payload->>'sessionUid' = ?`, [
        (await s.container.database.knex('sessions').where({ public_id: target.id }).first()).session_uid,
      ]);
    assert.equal(grantRows.length, 0, 'no refresh token of the session is left');

    assert.equal(await introspected(laptop.app.access_token), true, 'the laptop’s session lives on');
    assert.equal((await api.call('get', '/me', { token: laptop.console.tokens.access_token })).status, 200);
    assert.deepEqual(
      (await sessionsOf(laptop.console.tokens.access_token)).map((i) => i.current),
      [true],
    );
    expectError(
      await api.call('delete', `/me/sessions/${target.id}`, { token: laptop.console.tokens.access_token }),
      404,
      'session.not_found',
      'already ended',
    );

    const entries = await s.container.database
      .knex('audit_log')
      .where('id', '>', since)
      .where({ action: 'session.end', target_id: user.id });
    assert.equal(entries.length, 1);
    assert.equal(entries[0].actor_id, user.id);
    assert.equal(entries[0].after.sessionId, target.id, 'the public id');
  });

  test('ACC-5 an administrator ends a user’s session, audited as theirs', async () => {
    const since = await lastAuditId(s.container);
    const admin = await userToken(s.container, t.user.id);
    const [only] = await sessionsOf(admin, `/users/${user.id}/sessions`);
    assert.ok(only);
    const res = await api.call('delete', `/users/${user.id}/sessions/${only.id}`, { token: admin });
    assert.equal(res.status, 204, JSON.stringify(res.body));
    assert.equal(await introspected(laptop.app.access_token), false);
    assert.deepEqual(await sessionsOf(admin, `/users/${user.id}/sessions`), []);
    const [entry] = await s.container.database
      .knex('audit_log')
      .where('id', '>', since)
      .where({ action: 'session.end' });
    assert.equal(entry?.actor_id, t.user.id);
    assert.equal(entry?.target_id, user.id);
    assert.equal(entry?.before.sessionId, only.id);
  });
});

describe('ACC-5 ending a session revokes the grants recorded on its row', () => {
  let user: { id: string; username: string };
  before(async () => {
    user = await addUser(s.container, t.tenantId);
  });

  /** A sign-in whose app asked for `offline_access`, its refresh token made one not bound to the session. */
  async function offlineSignIn(agent: string) {
    const browser = new TestBrowser({ headers: { 'user-agent': agent, 'x-forwarded-for': '192.0.2.44' } });
    const console = await consoleSignIn(s, DOMAIN, { browser, username: user.username });
    const { tokens } = await codeFlow(s, rp, {
      browser,
      scope: 'openid offline_access',
      consent: 'allow',
    });
    const grantId = await offline(tokens.refresh_token!);
    const mine = await sessionsOf(console.tokens.access_token);
    const here = mine.find((i) => i.current);
    assert.ok(here);
    return { console, tokens, grantId, sessionId: here.id };
  }

  test('ACC-5 a token not bound to the session dies with it, even when its stored session was gone already', async () => {
    const laptop = await offlineSignIn(FIREFOX);
    const admin = await userToken(s.container, t.user.id);
    // A request that found the session ended destroys its stored record: the grants must come from the row.
    await destroyStoredSession(laptop.sessionId);
    const res = await api.call('delete', `/users/${user.id}/sessions/${laptop.sessionId}`, { token: admin });
    assert.equal(res.status, 204, JSON.stringify(res.body));
    assert.equal(
      (await oauthError(client.refreshTokenGrant(rp.config, laptop.tokens.refresh_token!))).error,
      'invalid_grant',
      'the offline refresh token is refused',
    );
    assert.equal(
      await storedRefreshToken(laptop.tokens.refresh_token!),
      undefined,
      'and gone from the store',
    );
    assert.equal(await s.container.oidc.provider.Grant.find(laptop.grantId), undefined, 'its grant too');
  });

  test('ACC-5 a failed revocation leaves the session listed and live; the same request then ends it', async () => {
    const phone = await offlineSignIn(ANDROID);
    const since = await lastAuditId(s.container);
    const oidc = s.container.oidc;
    const revoke = oidc.revokeSessionGrants;
    oidc.revokeSessionGrants = async () => {
      throw new Error('the token store is down');
    };
    let failed: Awaited<ReturnType<ApiClient['call']>>;
    try {
      failed = await api.call('delete', `/me/sessions/${phone.sessionId}`, {
        token: phone.console.tokens.access_token,
      });
    } finally {
      oidc.revokeSessionGrants = revoke;
    }
    assert.equal(failed.status, 500, JSON.stringify(failed.body));
    assert.ok(
      (await sessionsOf(phone.console.tokens.access_token)).some((i) => i.id === phone.sessionId),
      'still listed: nothing ended',
    );
    assert.equal(await lastAuditId(s.container), since, 'nothing audited: nothing ended');

    const again = await api.call('delete', `/me/sessions/${phone.sessionId}`, {
      token: phone.console.tokens.access_token,
    });
    assert.equal(again.status, 204, JSON.stringify(again.body));
    assert.equal(
      (await oauthError(client.refreshTokenGrant(rp.config, phone.tokens.refresh_token!))).error,
      'invalid_grant',
    );
    assert.equal(await s.container.oidc.provider.Grant.find(phone.grantId), undefined);
    const entries = await s.container.database
      .knex('audit_log')
      .where('id', '>', since)
      .where({ action: 'session.end', target_id: user.id });
    assert.equal(entries.length, 1, 'one session.end, once it ended');
    assert.deepEqual(entries[0].after, { sessionId: phone.sessionId, ended: true, grantsRevoked: 2 });
    const admin = await userToken(s.container, t.user.id);
    expectError(
      await api.call('delete', `/users/${user.id}/sessions/${phone.sessionId}`, { token: admin }),
      404,
      'session.not_found',
      'already ended',
    );
  });
});

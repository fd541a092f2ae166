import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { formAction, inputValue } from '../helpers/browser.ts';
import { signUpTenant, type Tenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  APP_ORIGIN,
  authorizationRequest,
  codeFlow,
  isLoginPage,
  oauthError,
  type RelyingParty,
  registerApp,
  visit,
} from '../helpers/sso-flow.ts';

describe('SESS-1 SESS-7 refresh and logout', () => {
  let s: OidcTestServer;
  let t: Tenant;
  let web: RelyingParty;
  let other: RelyingParty;
  let spa: RelyingParty;
  before(async () => {
    s = await startOidcServer();
    t = await signUpTenant(s.container);
    // No refresh-token reuse interval: any reuse is a replay (the interval: refresh-reuse.test.ts).
    web = await registerApp(s, t, { kind: 'web', name: 'Billing', refreshTokenReuseSeconds: 0 });
    other = await registerApp(s, t, { kind: 'web', name: 'Reports' });
    spa = await registerApp(s, t, { kind: 'spa', refreshTokenReuseSeconds: 0 });
  });
  after(() => s.close());

  const active = async (token: string, rp: RelyingParty = web) =>
    (await client.tokenIntrospection(rp.config, token)).active;

  test('SESS-1 a refresh gives a new access token and a new refresh token, with the org claims', async () => {
    const { tokens } = await codeFlow(s, web, { scope: 'openid profile' });
    const refreshed = await client.refreshTokenGrant(web.config, tokens.refresh_token!);
    assert.ok(refreshed.access_token && refreshed.access_token !== tokens.access_token, 'a new access token');
    assert.ok(
      refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token,
      'a new refresh token',
    );
    const claims = refreshed.claims();
    if (claims) {
      assert.equal(claims.sub, t.user.id);
      assert.equal(claims.org_id, t.tenantId);
    }
    const info = await client.fetchUserInfo(web.config, refreshed.access_token, t.user.id);
    assert.equal(info.org_id, t.tenantId);
    assert.equal(info.preferred_username, 'founder');
    const introspected = await client.tokenIntrospection(web.config, refreshed.access_token);
    assert.equal(introspected.active, true);
    assert.equal(introspected.sub, t.user.id);
    assert.equal(introspected.client_id, web.app.clientId);
    assert.equal(introspected.org_id, t.tenantId);
    assert.ok(Array.isArray(introspected.org_roles), 'introspection carries org_roles');
  });

  test('SESS-1 a public spa refreshes without a secret, and its refresh tokens rotate too', async () => {
    const { tokens } = await codeFlow(s, spa);
    const refreshed = await client.refreshTokenGrant(spa.config, tokens.refresh_token!);
    assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token);
    assert.equal(
      (await oauthError(client.refreshTokenGrant(spa.config, tokens.refresh_token!))).error,
      'invalid_grant',
    );
  });

  test('SESS-1 refresh-token reuse is refused with invalid_grant and revokes the grant: the newer tokens die too', async () => {
    const { tokens } = await codeFlow(s, web);
    const second = await client.refreshTokenGrant(web.config, tokens.refresh_token!);
    assert.equal(await active(second.access_token), true);

    const reuse = await oauthError(client.refreshTokenGrant(web.config, tokens.refresh_token!));
    assert.equal(reuse.error, 'invalid_grant');
    assert.equal(reuse.status, 400);
    const newer = await oauthError(client.refreshTokenGrant(web.config, second.refresh_token!));
    assert.equal(newer.error, 'invalid_grant', 'the newer refresh token is dead as well');
    assert.equal(await active(second.access_token), false, 'the newer access token is revoked');
    assert.equal(await active(tokens.access_token), false, 'the first access token is revoked');
  });

  test('SESS-7 RP-initiated logout: confirmation page, then the session and every token bound to it end', async () => {
    const signedIn = await codeFlow(s, web, { scope: 'openid profile' });
    const { browser, tokens } = signedIn;
    // A second app signed in through the same session (no new sign-in needed).
    const second = await codeFlow(s, other, { browser });
    assert.equal(await active(tokens.access_token), true);
    assert.equal(await active(second.tokens.access_token, other), true);

    const state = client.randomState();
    const endSession = client.buildEndSessionUrl(web.config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: web.postLogoutRedirectUri,
      state,
    });
    assert.equal(endSession.origin + endSession.pathname, `${s.issuer}/oidc/session/end`);
    const confirm = await visit(browser, s, endSession);
    assert.equal(confirm.status, 200, confirm.html);
    assert.ok(!confirm.left, 'the user is asked first');
    assert.match(confirm.html, /Sign out of Canopy\?/);
    assert.match(confirm.html, /<strong>Billing<\/strong> asked to sign you out/);
    assert.match(confirm.html, /<form id="op\.logoutForm" method="post"/);
    assert.match(confirm.html, /<button[^>]*form="op\.logoutForm"[^>]*name="logout" value="yes"/);
    assert.doesNotMatch(confirm.html, /<script/i, 'no script on the logout page');
    const csp = confirm.headers.get('content-security-policy') ?? '';
    assert.match(csp, new RegExp(`form-action 'self' ${APP_ORIGIN.replace(/\./g, '\\.')}(;|$)`));
    const xsrf = inputValue(confirm.html, 'xsrf');
    assert.ok(xsrf, 'the provider form carries its xsrf token');
    const action = formAction(confirm.html, /\/oidc\/session\/end\/confirm$/);
    assert.ok(action, 'the form posts to the provider');

    const endedSessions = async () => {
      const [row] = await s.container.database
        .knex('sessions')
        .where({ user_id: t.user.id })
        .whereNotNull('ended_at')
        .count({ n: '*' });
      return Number(row!.n);
    };
    const endedBefore = await endedSessions();
    const done = await visit(browser, s, new URL(action, s.issuer), { xsrf, logout: 'yes' });
    assert.ok(done.left, `back to the app after signing out, got ${done.status}:\n${done.html}`);
    assert.equal(done.location.origin + done.location.pathname, web.postLogoutRedirectUri);
    assert.equal(done.location.searchParams.get('state'), state);

    assert.equal(await active(tokens.access_token), false, 'access token of the app inactive');
    // The registry records the end, so the session cannot come back through a late save.
    assert.equal(await endedSessions(), endedBefore + 1, 'the session is ended in the registry');
    assert.equal(
      await active(second.tokens.access_token, other),
      false,
      "the other app's access token inactive",
    );
    await assert.rejects(
      client.fetchUserInfo(web.config, tokens.access_token, t.user.id),
      'userinfo refuses it',
    );
    const refresh = await oauthError(client.refreshTokenGrant(web.config, tokens.refresh_token!));
    assert.equal(refresh.error, 'invalid_grant');
    const otherRefresh = await oauthError(
      client.refreshTokenGrant(other.config, second.tokens.refresh_token!),
    );
    assert.equal(otherRefresh.error, 'invalid_grant');

    // The browser's session is over: a new authorization request shows the sign-in page again.
    const again = await visit(browser, s, (await authorizationRequest(web)).url);
    assert.ok(isLoginPage(again), `expected the sign-in page, got ${again.status} at ${again.location}`);
  });

  test('SESS-7 a forged logout confirmation (no xsrf) does not end the session', async () => {
    const { browser, tokens } = await codeFlow(s, web);
    const endSession = client.buildEndSessionUrl(web.config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: web.postLogoutRedirectUri,
    });
    const confirm = await visit(browser, s, endSession);
    const action = formAction(confirm.html, /\/oidc\/session\/end\/confirm$/)!;
    const forged = await visit(browser, s, new URL(action, s.issuer), { logout: 'yes' });
    assert.ok(!forged.left, 'no redirect to the app');
    assert.ok(forged.status >= 400 && forged.status < 500, `refused, got ${forged.status}`);
    assert.doesNotMatch(forged.html, /\bat [\w.<>]+ \(|node_modules/, 'no stack on the error page');
    assert.equal(await active(tokens.access_token), true, 'the session and its tokens live on');
  });
});

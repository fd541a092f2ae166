import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { BUILT_IN_ROLES } from '../../src/modules/roles/index.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { addUser, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  authorizationRequest,
  codeFlow,
  jwtHeader,
  type RelyingParty,
  redeem,
  registerApp,
  signIn,
} from '../helpers/sso-flow.ts';

const role = (key: string) => BUILT_IN_ROLES.find((r) => r.key === key)!;

/** `org_roles` in a stable order, so whole arrays compare. */
function sortedLines(lines: unknown): unknown[] {
  assert.ok(Array.isArray(lines), `org_roles must be an array, got ${JSON.stringify(lines)}`);
  return [...lines].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe('SESS-1 the authorization-code flow with PKCE', () => {
  let s: OidcTestServer;
  let t: Tenant;
  let web: RelyingParty;
  let spa: RelyingParty;
  before(async () => {
    s = await startOidcServer();
    t = await signUpTenant(s.container);
    web = await registerApp(s, t, { kind: 'web' });
    spa = await registerApp(s, t, { kind: 'spa' });
  });
  after(() => s.close());

  test('APP-1 SESS-1 SESS-5 a confidential web app: ES256 ID token with the org claims, iss checked, userinfo with profile and email', async () => {
    assert.ok(web.clientSecret, 'a web app is confidential and gets a secret');
    const browser = new TestBrowser();
    const request = await authorizationRequest(web, { scope: 'openid profile email' });
    const callback = await signIn(browser, s, request);
    assert.equal(callback.origin + callback.pathname, web.redirectUri);
    assert.ok(callback.searchParams.get('code'), `a code in ${callback}`);
    assert.equal(callback.searchParams.get('state'), request.state);
    assert.equal(callback.searchParams.get('iss'), s.issuer, 'RFC 9207 iss response parameter');

    // openid-client refuses a response whose iss is not the issuer (and nothing is redeemed then).
    const forged = new URL(callback);
    forged.searchParams.set('iss', 'http://127.0.0.1:1');
    await assert.rejects(redeem(web, request, forged), (err: Error) =>
      /unexpected "iss" \(issuer\) response parameter/.test(
        String((err.cause as Error | undefined)?.message),
      ),
    );

    const tokens = await redeem(web, request, callback);
    assert.equal(jwtHeader(tokens.id_token!).alg, 'ES256');
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.ok(tokens.refresh_token, 'a refresh token for a web app');
    assert.deepEqual(new Set(tokens.scope?.split(' ')), new Set(['openid', 'profile', 'email']));

    const claims = tokens.claims()!;
    assert.equal(claims.iss, s.issuer);
    assert.equal(claims.aud, web.app.clientId);
    assert.equal(claims.sub, t.user.id);
    assert.equal(claims.org_id, t.tenantId);
    assert.equal(claims.org_domain, t.organization.domain);
    assert.deepEqual(claims.org_roles, [
      { org: t.tenantId, roles: ['Organization Administrators'], inherit: true },
    ]);
    assert.equal(claims.roles, undefined, 'flat roles only with a node scope');
    assert.equal(claims.permissions, undefined, 'flat permissions only with a node scope');

    const info = await client.fetchUserInfo(web.config, tokens.access_token, t.user.id);
    assert.equal(info.sub, t.user.id);
    assert.equal(info.org_id, t.tenantId);
    assert.equal(info.org_domain, t.organization.domain);
    assert.deepEqual(info.org_roles, claims.org_roles);
    assert.equal(info.name, 'Fiona Founder');
    assert.equal(info.preferred_username, 'founder');
    assert.equal(info.email, 'founder@acme.test');
  });

  test('APP-1 SESS-1 SESS-5 a public spa app (token_endpoint_auth_method none) redeems with PKCE alone', async () => {
    assert.equal(spa.clientSecret, undefined, 'a spa is a public client');
    const { tokens, callback } = await codeFlow(s, spa, { scope: 'openid' });
    assert.equal(callback.searchParams.get('iss'), s.issuer);
    assert.equal(jwtHeader(tokens.id_token!).alg, 'ES256');
    assert.ok(tokens.access_token);
    const claims = tokens.claims()!;
    assert.equal(claims.aud, spa.app.clientId);
    assert.equal(claims.sub, t.user.id);
    assert.equal(claims.org_id, t.tenantId);
    assert.equal(claims.org_domain, t.organization.domain);
    assert.deepEqual(claims.org_roles, [
      { org: t.tenantId, roles: ['Organization Administrators'], inherit: true },
    ]);

    // Only `openid` was granted: no profile or email claims, anywhere.
    for (const absent of ['name', 'preferred_username', 'email'])
      assert.equal(claims[absent], undefined, absent);
    const info = await client.fetchUserInfo(spa.config, tokens.access_token, t.user.id);
    assert.equal(info.org_id, t.tenantId);
    assert.deepEqual(info.org_roles, claims.org_roles);
    for (const absent of ['name', 'preferred_username', 'email'])
      assert.equal(info[absent], undefined, absent);
  });

  test('SESS-1 a spa token request that brings a wrong PKCE verifier is refused', async () => {
    const browser = new TestBrowser();
    const request = await authorizationRequest(spa);
    const callback = await signIn(browser, s, request);
    await assert.rejects(
      redeem(spa, { ...request, verifier: client.randomPKCECodeVerifier() }, callback),
      (err: unknown) => err instanceof client.ResponseBodyError && err.error === 'invalid_grant',
    );
  });

  test('SESS-5 org_roles lists every assignment: node, environment, inherit flag, role names', async () => {
    const c = s.container;
    const member = await addUser(c, t.tenantId);
    const sandbox = t.environments.find((e) => e.type === 'sandbox')!;
    const assign = (input: Record<string, unknown>) =>
      c.assignments.assign(t.owner, t.tenantId, { userId: member.id, organizationId: t.tenantId, ...input });
    await assign({ roleId: role('audit-viewer').id, inherit: false });
    await assign({ roleId: role('api-alerts-viewer').id, inherit: true });
    await assign({ roleId: role('analytics-viewer').id, environmentId: sandbox.id });

    const { tokens } = await codeFlow(s, web, { scope: 'openid profile', username: member.username });
    const claims = tokens.claims()!;
    assert.equal(claims.sub, member.id);
    assert.equal(claims.preferred_username, member.username);
    const expected = sortedLines([
      { org: t.tenantId, roles: ['Audit Viewer'], inherit: false },
      { org: t.tenantId, roles: ['API Alerts Viewer'], inherit: true },
      { org: t.tenantId, environment: sandbox.id, roles: ['Analytics Viewer'] },
    ]);
    assert.deepEqual(sortedLines(claims.org_roles), expected);
    const info = await client.fetchUserInfo(web.config, tokens.access_token, member.id);
    assert.deepEqual(sortedLines(info.org_roles), expected);
  });

  test('USR-4 a user with no role signs in; the claims name the org and an empty org_roles', async () => {
    const nobody = await addUser(s.container, t.tenantId);
    const { tokens } = await codeFlow(s, spa, { username: nobody.username });
    const claims = tokens.claims()!;
    assert.equal(claims.sub, nobody.id);
    assert.equal(claims.org_id, t.tenantId);
    assert.deepEqual(claims.org_roles, []);
  });
});

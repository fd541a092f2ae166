import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { API_RESOURCE } from '../../src/oidc/resources.ts';
import { runAgainst } from '../cli/run-cli.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { approveInBrowser, pollToken, startDeviceFlow } from '../helpers/device-flow.ts';
import { signUpTenant, type Tenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  authorizationRequest,
  codeFlow,
  consoleSignIn,
  errorOf,
  registerApp,
  relyingPartyOf,
  visit,
} from '../helpers/sso-flow.ts';
import { registerServiceApp, relyingParty } from '../helpers/sso-session.ts';

// SEC-2: the admin API takes exactly two kinds of token, both issued for it as their audience: a
// person's token from Canopy's own clients (console, command line), and a service app's
// client-credentials token. Every other token Canopy issues gets 401 there, with the error envelope.

describe('SEC-2 which tokens the admin API takes', () => {
  let s: OidcTestServer;
  let t: Tenant;
  before(async () => {
    s = await startOidcServer();
    t = await signUpTenant(s.container, { companyName: 'Audience Co' });
  });
  after(() => s.close());

  let groups = 0;
  /** The three kinds of endpoint the finding reached: who am I, a write, a secret's read. */
  async function callEveryKind(token: string) {
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(new URL(`/api/v1${path}`, s.issuer), {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return {
        status: res.status,
        headers: res.headers,
        body: (await res.json()) as Record<string, unknown>,
      };
    };
    return {
      me: await call('GET', '/me'),
      write: await call('POST', `/organizations/${t.tenantId}/business-groups`, {
        name: `Group ${++groups}`,
        ownerUserId: t.user.id,
      }),
      secret: await call('GET', `/organizations/${t.tenantId}/credentials`),
    };
  }

  async function assertRefusedEverywhere(token: string, what: string) {
    const before = await s.container.database.knex('organizations').where({ tenant_id: t.tenantId }).count();
    for (const [kind, res] of Object.entries(await callEveryKind(token))) {
      assert.equal(res.status, 401, `${what}: ${kind} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'auth.unauthenticated', `${what}: ${kind}`);
      assert.equal(typeof res.body.requestId, 'string', `${what}: the error envelope`);
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      assert.equal(JSON.stringify(res.body).includes('clientSecret'), false);
    }
    const after = await s.container.database.knex('organizations').where({ tenant_id: t.tenantId }).count();
    assert.deepEqual(after, before, `${what}: no business group was created`);
  }

  async function assertAcceptedEverywhere(token: string, what: string) {
    const { me, write, secret } = await callEveryKind(token);
    assert.equal(me.status, 200, `${what}: /me ${JSON.stringify(me.body)}`);
    assert.equal(write.status, 201, `${what}: write ${JSON.stringify(write.body)}`);
    assert.equal(secret.status, 200, `${what}: credentials ${JSON.stringify(secret.body)}`);
    return me.body;
  }

  test("SEC-2 the console's token, from a real code flow with PKCE and after a refresh, works on every kind of endpoint", async () => {
    const { config, tokens } = await consoleSignIn(s, t.organization.domain!);
    const me = await assertAcceptedEverywhere(tokens.access_token, 'console');
    assert.equal((me.user as { id: string }).id, t.user.id);
    assert.equal(tokens.claims()?.sub, t.user.id, 'the ID token still names the person');
    const introspected = await s.container.oidc.provider.AccessToken.find(tokens.access_token);
    assert.equal(introspected?.aud, API_RESOURCE, 'bound to the admin API as its audience');

    assert.ok(tokens.refresh_token);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    await assertAcceptedEverywhere(refreshed.access_token, 'console, refreshed');
  });

  test("SEC-2 the command line's token from the device flow works on every kind of endpoint", async () => {
    const device = await startDeviceFlow(s, t.organization.domain!);
    await approveInBrowser(s, device);
    const poll = await pollToken(s, device.device_code);
    assert.equal(poll.status, 200, JSON.stringify(poll.body));
    await assertAcceptedEverywhere(String(poll.body.access_token), 'command line');
  });

  test('SEC-2 a service app’s client-credentials token works where its grants allow', async () => {
    const service = await registerServiceApp(s.container, t.owner, t.tenantId, s.issuer, [
      { organizationId: t.tenantId, permissions: ['orgs.create', 'credentials.view'] },
    ]);
    const granted = await client.clientCredentialsGrant(service.rp, {
      scope: 'orgs.create credentials.view',
    });
    const me = await assertAcceptedEverywhere(granted.access_token, 'service app');
    assert.deepEqual([me.kind, (me.app as { clientId: string }).clientId], ['app', service.app.clientId]);
  });

  test('SEC-2 a first-party tenant app’s user token (the finding) gets 401 on every kind of endpoint', async () => {
    // Made first-party the only way left: by the operator, at the command line (SEC-1).
    const made = await runAgainst(s.container, [
      ...['app', 'create', '--org', t.organization.domain!, '--name', 'Own Dashboard', '--kind', 'web'],
      ...['--redirect-uri', 'http://127.0.0.1:9/dashboard/callback', '--first-party', '--json'],
    ]);
    assert.equal(made.code, 0, made.err);
    const { app, clientSecret } = JSON.parse(made.out);
    const rp = await relyingPartyOf(s, app, clientSecret);
    const { tokens } = await codeFlow(s, rp);
    assert.equal(tokens.claims()?.sub, t.user.id, 'the app signed the administrator in');
    await assertRefusedEverywhere(tokens.access_token, 'first-party tenant app');
    // Asking for the admin API as the audience is refused outright.
    const asked = await authorizationRequest(rp, { resource: API_RESOURCE });
    const answer = await visit(new TestBrowser(), s, asked.url);
    assert.ok(answer.left, `an error redirect, got ${answer.status}`);
    assert.equal(errorOf(answer.location), 'invalid_target');
  });

  test('SEC-2 a third-party app’s user token gets 401 on every kind of endpoint', async () => {
    const rp = await registerApp(s, t, { firstParty: false });
    const browser = new TestBrowser();
    const { tokens } = await codeFlow(s, rp, { browser, consent: 'allow' });
    await assertRefusedEverywhere(tokens.access_token, 'third-party app');
  });

  test('SEC-2 client-credentials tokens of environment and of org credentials (CRED-3) get 401', async () => {
    const c = s.container;
    const env = await c.environments.create(t.owner, t.tenantId, t.tenantId, {
      name: 'Prod',
      type: 'production',
    });
    for (const [what, environmentId] of [
      ['environment credentials', env.id],
      ['master org credentials', null],
    ] as const) {
      const creds = await c.credentials.read(t.owner, t.tenantId, { orgId: t.tenantId, environmentId });
      const rp = await relyingParty(s.issuer, creds.clientId, creds.clientSecret);
      const { access_token } = await client.clientCredentialsGrant(rp);
      await assertRefusedEverywhere(access_token, what);
      // Naming the admin API as the resource does not help.
      await assert.rejects(
        client.clientCredentialsGrant(rp, { resource: API_RESOURCE }),
        (err: client.ResponseBodyError) => err.error === 'invalid_target',
      );
    }
  });
});

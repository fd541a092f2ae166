import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ApiClient, userToken } from '../helpers/api.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { signUpTenant, type Tenant } from '../helpers/factories.ts';
import { federate } from '../helpers/federation-flow.ts';
import { oidcProvider } from '../helpers/idp-fixtures.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import { authorizationRequest, type RelyingParty, registerApp } from '../helpers/sso-flow.ts';
import type { ConfigOverrides } from '../helpers/test-container.ts';
import { LOCAL_IDP_CONFIG } from '../helpers/upstream-idp.ts';

// SEC-5, finding 3 of issue 10: a tenant pointed an OIDC issuer at an internal address, and any
// anonymous visitor pressing the provider's button made Canopy fetch it (blind SSRF).

/** An "internal service" on loopback that records every connection and request made to it. */
async function internalService() {
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.statusCode = 404;
    res.end();
  });
  const requests: string[] = [];
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Internal = Awaited<ReturnType<typeof internalService>>;

/** Canopy (with `config`) and the internal service, started before a describe block's tests. */
function setUp(config?: ConfigOverrides): { canopy: OidcTestServer; internal: Internal } {
  const world = {} as { canopy: OidcTestServer; internal: Internal };
  before(async () => {
    world.canopy = await startOidcServer(config ? { config } : {});
    world.internal = await internalService();
  });
  after(async () => {
    await world.canopy.close();
    await world.internal.close();
  });
  return world;
}

/** A tenant with an OIDC provider named `name` and an app whose login page shows its button. */
async function tenantWithProvider(canopy: OidcTestServer, name: string) {
  const c = canopy.container;
  const t = await signUpTenant(c);
  // Third-party: the flow stops at the login step, long before any consent.
  const rp = await registerApp(canopy, t, { firstParty: false });
  const provider = await c.identityProviders.create(t.owner, t.tenantId, oidcProvider(name));
  return { t, rp, providerId: provider.id };
}

/** Points a stored provider's issuer anywhere, as a provider saved before this check would be. */
async function storeIssuer(canopy: OidcTestServer, t: Tenant, providerId: string, issuer: string) {
  const knex = canopy.container.database.knex;
  const row = await knex('identity_providers').where({ tenant_id: t.tenantId, id: providerId }).first();
  const config = typeof row.config === 'string' ? JSON.parse(row.config) : row.config;
  await knex('identity_providers')
    .where({ tenant_id: t.tenantId, id: providerId })
    .update({ config: JSON.stringify({ ...config, issuer }) });
}

async function failures(canopy: OidcTestServer, t: Tenant) {
  return canopy.container.database
    .knex('audit_log')
    .where({ tenant_id: t.tenantId, action: 'session.sign_in', outcome: 'failure' })
    .orderBy('id')
    .select('after');
}

/** An anonymous visitor opens the app's sign-in and presses the provider's button. */
async function pressButton(canopy: OidcTestServer, rp: RelyingParty, name: string) {
  return federate(new TestBrowser(), canopy, await authorizationRequest(rp), name);
}

describe('SEC-5 no fetch on a tenant’s behalf reaches loopback or private addresses', () => {
  const world = setUp();

  test('SEC-5 an issuer on loopback, a private or metadata address, or over http is refused at configuration (400)', async () => {
    const c = world.canopy.container;
    const api = ApiClient.for(c);
    const t = await signUpTenant(c);
    const owner = await userToken(c, t.user.id);
    const refusedIssuers = [
      `http://127.0.0.1:${world.internal.port}/internal/`,
      `https://127.0.0.1:${world.internal.port}`,
      'https://169.254.169.254/latest/meta-data',
      'https://10.0.0.5',
      'https://192.168.1.20:8443/realms/corp',
      'https://[::1]:8443',
      'https://[::ffff:7f00:1]',
      'https://[fd00::1]',
      'https://0x7f.1',
      `https://localhost:${world.internal.port}`,
      'https://idp.localhost',
      'http://login.example.test',
    ];
    for (const issuer of refusedIssuers) {
      const res = await api.call('post', '/identity-providers', {
        token: owner,
        body: oidcProvider(`P ${issuer}`, { issuer }),
      });
      assert.equal(res.status, 400, `${issuer}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'request.invalid_input');
      assert.deepEqual(
        res.body.details.fields.map((f: { field: string }) => f.field),
        ['config.issuer'],
        issuer,
      );
    }
    assert.match(
      (
        await api.call('post', '/identity-providers', {
          token: owner,
          body: oidcProvider('Http', { issuer: 'http://login.example.test' }),
        })
      ).body.message,
      /must be https/,
    );
    const [stored] = await c.database
      .knex('identity_providers')
      .where({ tenant_id: t.tenantId })
      .count('* as n');
    assert.equal(Number(stored!.n), 0, 'nothing was written');

    const good = await api.call('post', '/identity-providers', { token: owner, body: oidcProvider('Corp') });
    assert.equal(good.status, 201, JSON.stringify(good.body));
    const patched = await api.call('patch', `/identity-providers/${good.body.id}`, {
      token: owner,
      body: { config: { issuer: `http://127.0.0.1:${world.internal.port}/internal/` } },
    });
    assert.equal(patched.status, 400, JSON.stringify(patched.body));
    assert.deepEqual(patched.body.details.fields, [
      {
        field: 'config.issuer',
        problem:
          'cannot be fetched: 127.0.0.1 is in a loopback range (FEDERATION_ALLOW_PRIVATE_NETWORKS is off)',
      },
    ]);
    const read = await api.call('get', `/identity-providers/${good.body.id}`, { token: owner });
    assert.equal(read.body.config.issuer, 'https://login.example.test', 'the provider is unchanged');
    assert.equal(world.internal.connections(), 0);
  });

  for (const [what, issuerOf] of [
    [
      'an http issuer on 127.0.0.1 (the original attack)',
      (port: number) => `http://127.0.0.1:${port}/internal/`,
    ],
    [
      'an https issuer whose name resolves to loopback',
      (port: number) => `https://localhost:${port}/internal/`,
    ],
    ['an issuer on the IPv4-mapped loopback address', (port: number) => `https://[::ffff:127.0.0.1]:${port}`],
  ] as const) {
    test(`SEC-5 ${what}, stored past validation: the anonymous button press gets the generic page and nothing is fetched`, async () => {
      const { t, rp, providerId } = await tenantWithProvider(world.canopy, 'Internal IdP');
      await storeIssuer(world.canopy, t, providerId, issuerOf(world.internal.port));
      const before = (await failures(world.canopy, t)).length;
      const page = await pressButton(world.canopy, rp, 'Internal IdP');
      assert.equal(page.caught, false);
      assert.equal(page.status, 400, page.html);
      assert.match(page.html, /This sign-in method is not available/);
      assert.match(page.html, /Quote this reference/);
      // The visitor learns nothing about why: no address, range or policy.
      assert.doesNotMatch(page.html, /127\.0\.0\.1|localhost|loopback|refused|SEC-5|internal/i);
      assert.equal(world.internal.connections(), 0, 'no connection reached the internal service');
      assert.deepEqual(world.internal.requests, []);
      const audited = await failures(world.canopy, t);
      assert.equal(audited.length, before + 1, 'the refused sign-in is audited');
      const after = audited.at(-1)!.after;
      const entry = typeof after === 'string' ? JSON.parse(after) : after;
      assert.equal(entry.reason, 'provider_unavailable');
      assert.equal(entry.identityProvider, providerId);
    });
  }
});

describe('SEC-5 with FEDERATION_ALLOW_PRIVATE_NETWORKS on, an on-premise provider is reached', () => {
  const world = setUp(LOCAL_IDP_CONFIG);

  test('SEC-5 an http issuer on loopback is accepted and discovered (the control for the tests above)', async () => {
    const c = world.canopy.container;
    const api = ApiClient.for(c);
    const { t, rp } = await tenantWithProvider(world.canopy, 'Unused');
    const owner = await userToken(c, t.user.id);
    const issuer = `http://127.0.0.1:${world.internal.port}/realms/corp`;
    const created = await api.call('post', '/identity-providers', {
      token: owner,
      body: oidcProvider('On-prem IdP', { issuer }),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    for (const [n, issuer, status] of [
      // Still refused: metadata and link-local are never on-premise providers; public needs https.
      [1, 'http://169.254.169.254/latest', 400],
      [2, 'https://[fe80::1]', 400],
      [3, 'http://8.8.8.8/realms/corp', 400],
      // On-premise, by address or by name.
      [4, 'https://10.0.0.5/realms/corp', 201],
      [5, 'http://idp.corp.example/realms/corp', 201],
    ] as const) {
      const res = await api.call('post', '/identity-providers', {
        token: owner,
        body: oidcProvider(`Setting on ${n}`, { issuer }),
      });
      assert.equal(res.status, status, `${issuer}: ${JSON.stringify(res.body)}`);
    }
    const page = await pressButton(world.canopy, rp, 'On-prem IdP');
    // This listener is no IdP: discovery fails, but it was asked.
    assert.equal(page.status, 400);
    assert.deepEqual(world.internal.requests, ['/realms/corp/.well-known/openid-configuration']);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { addBusinessGroup, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { type OidcTestServer, startOidcServer } from '../helpers/oidc-server.ts';
import {
  introspect,
  oauthError,
  oauthErrorCode,
  registerServiceApp,
  relyingParty,
} from '../helpers/sso-session.ts';

// Machine callers (CRED-3…CRED-5, APP-1): org-level and environment credentials, and service apps,
// obtain tokens with the client-credentials grant; introspection names the node and environment.

const HOUR = 3_600_000;

let s: OidcTestServer;
before(async () => {
  s = await startOidcServer();
});
after(() => s.close());

type Target = { orgId: string; environmentId: string | null };

async function credentialsOf(t: Tenant, target: Target) {
  const creds = await s.container.credentials.read(t.owner, t.tenantId, target);
  return { creds, rp: await relyingParty(s.issuer, creds.clientId, creds.clientSecret) };
}

const tokenFor = async (rp: client.Configuration) => (await client.clientCredentialsGrant(rp)).access_token;

/** A token obtained with this client ID and secret, or the OAuth error that refused it. */
async function tryGrant(clientId: string, secret: string): Promise<string> {
  const rp = await relyingParty(s.issuer, clientId, secret);
  try {
    await client.clientCredentialsGrant(rp);
    return 'granted';
  } catch (err) {
    const code = oauthErrorCode(err);
    if (code) return code;
    throw err;
  }
}

describe('CRED-3 CRED-4 tokens name their node and environment', () => {
  let t: Tenant;
  let resourceServer: client.Configuration; // another client of the same org, introspecting
  before(async () => {
    t = await signUpTenant(s.container);
    resourceServer = (await credentialsOf(t, { orgId: t.tenantId, environmentId: t.environments[1]!.id })).rp;
  });

  test('CRED-3 environment credentials of the master get a token naming the org and the environment', async () => {
    const sandbox = t.environments[0]!;
    const { creds, rp } = await credentialsOf(t, { orgId: t.tenantId, environmentId: sandbox.id });
    assert.equal(creds.legacy, false);
    const token = await tokenFor(rp);
    for (const caller of [rp, resourceServer]) {
      const answer = await introspect(caller, token);
      assert.equal(answer.active, true);
      assert.equal(answer.client_id, creds.clientId);
      assert.equal(answer.org, t.tenantId);
      assert.equal(answer.environment, sandbox.id);
      assert.equal(answer.org_id, t.tenantId);
      assert.equal(answer.org_domain, t.organization.domain);
      assert.equal(answer.sub, undefined, 'no user behind a client-credentials token');
    }
  });

  test('CRED-3 environment credentials of a business group name the group, not the master', async () => {
    const group = await addBusinessGroup(s.container, t, t.tenantId);
    const env = await s.container.environments.create(t.owner, t.tenantId, group.id, {
      name: 'Production',
      type: 'production',
    });
    const { rp } = await credentialsOf(t, { orgId: group.id, environmentId: env.id });
    const answer = await introspect(resourceServer, await tokenFor(rp));
    assert.equal(answer.active, true);
    assert.equal(answer.org, group.id);
    assert.equal(answer.environment, env.id);
    assert.equal(answer.org_id, t.tenantId);
  });

  test('CRED-4 org-level (legacy) credentials of the master and of a business group keep working', async () => {
    const group = await addBusinessGroup(s.container, t, t.tenantId);
    for (const orgId of [t.tenantId, group.id]) {
      const { creds, rp } = await credentialsOf(t, { orgId, environmentId: null });
      assert.equal(creds.legacy, true, 'marked legacy');
      const answer = await introspect(resourceServer, await tokenFor(rp));
      assert.equal(answer.active, true);
      assert.equal(answer.org, orgId);
      assert.equal('environment' in answer, false, 'org-level credentials name no environment');
      assert.equal(answer.org_id, t.tenantId);
    }
  });

  test('CRED-3 a wrong secret is refused with invalid_client', async () => {
    const { creds } = await credentialsOf(t, { orgId: t.tenantId, environmentId: t.environments[0]!.id });
    assert.equal(await tryGrant(creds.clientId, `${creds.clientSecret.slice(0, -2)}xx`), 'invalid_client');
    const other = await credentialsOf(t, { orgId: t.tenantId, environmentId: null });
    assert.equal(
      await tryGrant(creds.clientId, other.creds.clientSecret),
      'invalid_client',
      "another client's secret",
    );
  });
});

describe('CRED-5 rotation and grace period', () => {
  async function rotated(graceHours?: number) {
    const t = await signUpTenant(s.container);
    const target = { orgId: t.tenantId, environmentId: t.environments[0]!.id };
    const before = await s.container.credentials.read(t.owner, t.tenantId, target);
    const after = await s.container.credentials.rotateEnvironmentSecret(
      t.owner,
      t.tenantId,
      target,
      graceHours,
    );
    assert.equal(after.clientId, before.clientId, 'the client ID stays');
    assert.notEqual(after.clientSecret, before.clientSecret, 'a new secret');
    return { clientId: before.clientId, oldSecret: before.clientSecret, newSecret: after.clientSecret };
  }

  test('CRED-5 the previous secret works through the default 24 h grace period, then stops', async () => {
    const r = await rotated();
    assert.equal(await tryGrant(r.clientId, r.oldSecret), 'granted', 'old secret right after rotation');
    assert.equal(await tryGrant(r.clientId, r.newSecret), 'granted', 'new secret right after rotation');
    s.clock.advance(23 * HOUR + 59 * 60_000);
    assert.equal(await tryGrant(r.clientId, r.oldSecret), 'granted', 'old secret 23 h 59 min after rotation');
    s.clock.advance(2 * 60_000);
    assert.equal(await tryGrant(r.clientId, r.oldSecret), 'invalid_client', 'old secret after 24 h');
    assert.equal(await tryGrant(r.clientId, r.newSecret), 'granted', 'new secret after 24 h');
  });

  test('CRED-5 a chosen grace period of 2 h', async () => {
    const r = await rotated(2);
    s.clock.advance(HOUR + 59 * 60_000);
    assert.equal(await tryGrant(r.clientId, r.oldSecret), 'granted', 'inside the grace period');
    s.clock.advance(2 * 60_000);
    assert.equal(await tryGrant(r.clientId, r.oldSecret), 'invalid_client', 'after the grace period');
  });

  test('CRED-5 a grace period of 0 ends the previous secret at once', async () => {
    const r = await rotated(0);
    assert.equal(await tryGrant(r.clientId, r.oldSecret), 'invalid_client');
    assert.equal(await tryGrant(r.clientId, r.newSecret), 'granted');
  });

  test('CRED-5 a second rotation ends the first secret, whatever its grace', async () => {
    const t = await signUpTenant(s.container);
    const target = { orgId: t.tenantId, environmentId: t.environments[0]!.id };
    const first = await s.container.credentials.read(t.owner, t.tenantId, target);
    const second = await s.container.credentials.rotateEnvironmentSecret(t.owner, t.tenantId, target, 24);
    const third = await s.container.credentials.rotateEnvironmentSecret(t.owner, t.tenantId, target, 24);
    assert.equal(await tryGrant(first.clientId, first.clientSecret), 'invalid_client', 'two rotations ago');
    assert.equal(
      await tryGrant(first.clientId, second.clientSecret),
      'granted',
      'the previous one, in grace',
    );
    assert.equal(await tryGrant(first.clientId, third.clientSecret), 'granted', 'the current one');
  });
});

describe('APP-1 service apps', () => {
  async function serviceApp() {
    const t = await signUpTenant(s.container);
    const service = await registerServiceApp(s.container, t.owner, t.tenantId, s.issuer, [
      { organizationId: t.tenantId, permissions: ['audit.view'] },
    ]);
    return { t, ...service };
  }

  test('APP-1 a service app gets a token for a permission it was granted, and the token carries it', async () => {
    const { t, app, rp } = await serviceApp();
    const granted = await client.clientCredentialsGrant(rp, { scope: 'audit.view' });
    const answer = await introspect(rp, granted.access_token);
    assert.equal(answer.active, true);
    assert.equal(answer.client_id, app.clientId);
    assert.equal(answer.org_id, t.tenantId);
    assert.equal(answer.scope, 'audit.view', 'the granted scope is on the token');
  });

  test('APP-1 a service app asking for a permission it was not granted gets invalid_scope', async () => {
    const { rp } = await serviceApp();
    for (const scope of ['users.manage', 'audit.view users.manage'])
      assert.equal(await oauthError(client.clientCredentialsGrant(rp, { scope })), 'invalid_scope', scope);
  });
});

describe('ORG-8 CRED-3 deleted business groups', () => {
  test('ORG-8 the credentials of a deleted business group stop working, and its tokens go inactive', async () => {
    const c = s.container;
    const t = await signUpTenant(c);
    const resourceServer = (
      await credentialsOf(t, { orgId: t.tenantId, environmentId: t.environments[0]!.id })
    ).rp;
    const group = await addBusinessGroup(c, t, t.tenantId);
    const env = await c.environments.create(t.owner, t.tenantId, group.id, {
      name: 'Prod',
      type: 'production',
    });
    const orgLevel = await credentialsOf(t, { orgId: group.id, environmentId: null });
    const envLevel = await credentialsOf(t, { orgId: group.id, environmentId: env.id });
    const tokens = [await tokenFor(orgLevel.rp), await tokenFor(envLevel.rp)];
    for (const token of tokens) assert.equal((await introspect(resourceServer, token)).active, true);

    await c.businessGroups.remove(t.owner, t.tenantId, group.id);
    for (const { creds } of [orgLevel, envLevel])
      assert.equal(await tryGrant(creds.clientId, creds.clientSecret), 'invalid_client');
    for (const token of tokens)
      assert.deepEqual(
        await introspect(resourceServer, token),
        { active: false },
        'token of a deleted group',
      );
    // The master's own credentials are untouched.
    assert.equal((await introspect(resourceServer, await tokenFor(resourceServer))).active, true);
  });
});

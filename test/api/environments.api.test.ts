import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUILT_IN_ROLES, ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import { type ApiClient, appToken, userToken } from '../helpers/api.ts';
import { apiSuite } from '../helpers/api-suite.ts';
import { addBusinessGroup, addUser, signUpTenant } from '../helpers/factories.ts';

const HOUR = 3_600_000;
const AUDIT_VIEWER = BUILT_IN_ROLES.find((r) => r.key === 'audit-viewer')!;

const { container: c, clock, api, t, token: foundersToken } = await apiSuite();
/** The founder's token, renewed where a test moves the clock past its life. */
let token = foundersToken;

describe('admin API: environments and environment credentials', () => {
  /** A new user of tenant `t` holding `roleId` on `orgId`, and their token. */
  async function tokenOfUserWith(roleId: string, orgId: string) {
    const user = await addUser(c, t.tenantId);
    await c.assignments.assign(t.owner, t.tenantId, { userId: user.id, roleId, organizationId: orgId });
    return { user, token: await userToken(c, user.id) };
  }

  const fieldsOf = (body: { details?: { fields?: Array<{ field: string }> } }) =>
    (body.details?.fields ?? []).map((f) => f.field);

  async function newEnvironment(name: string, orgId = t.tenantId, type = 'production') {
    const res = await api.call('post', `/organizations/${orgId}/environments`, {
      token,
      body: { name, type },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; organizationId: string; name: string; clientId: string };
  }

  test('ENV-1 environments are listed, created, read, renamed and deleted over the API', async () => {
    const listed = await api.call('get', `/organizations/${t.tenantId}/environments`, { token });
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.environments.map((e: { name: string }) => e.name).sort(), [
      'Design',
      'Sandbox',
    ]);

    const prod = await newEnvironment('Production');
    assert.equal(prod.organizationId, t.tenantId);
    const read = await api.call('get', `/environments/${prod.id}`, { token });
    assert.equal(read.status, 200);
    assert.deepEqual(
      [read.body.name, read.body.type, read.body.isProduction],
      ['Production', 'production', true],
    );

    const renamed = await api.call('patch', `/environments/${prod.id}`, { token, body: { name: 'Live' } });
    assert.equal(renamed.status, 200);
    assert.deepEqual([renamed.body.name, renamed.body.type], ['Live', 'production']);
    const taken = await api.call('patch', `/environments/${prod.id}`, { token, body: { name: 'SANDBOX' } });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.code, 'environment.name_taken');
    const twice = await api.call('post', `/organizations/${t.tenantId}/environments`, {
      token,
      body: { name: 'live', type: 'sandbox' },
    });
    assert.equal(twice.status, 409);

    assert.equal((await api.call('delete', `/environments/${prod.id}`, { token })).status, 204);
    assert.equal((await api.call('get', `/environments/${prod.id}`, { token })).status, 404);
    assert.equal((await api.call('get', `/environments/${prod.id}/credentials`, { token })).status, 404);
  });

  test('ENV-1 bad input is a 400 naming the field; the type is fixed at creation', async () => {
    const base = `/organizations/${t.tenantId}/environments`;
    const badType = await api.call('post', base, { token, body: { name: 'QA', type: 'staging' } });
    assert.equal(badType.status, 400);
    assert.equal(badType.body.code, 'request.invalid_input');
    assert.deepEqual(fieldsOf(badType.body), ['type']);
    const noName = await api.call('post', base, { token, body: { name: '  ', type: 'sandbox' } });
    assert.deepEqual([noName.status, fieldsOf(noName.body)], [400, ['name']]);

    const qa = await newEnvironment('QA', t.tenantId, 'sandbox');
    const retype = await api.call('patch', `/environments/${qa.id}`, {
      token,
      body: { name: 'QA', type: 'production' },
    });
    assert.equal(retype.status, 400);
    assert.deepEqual(fieldsOf(retype.body), ['type']);
    const long = await api.call('patch', `/environments/${qa.id}`, {
      token,
      body: { name: 'x'.repeat(256) },
    });
    assert.deepEqual([long.status, fieldsOf(long.body)], [400, ['name']]);
    const after = await api.call('get', `/environments/${qa.id}`, { token });
    assert.deepEqual([after.body.name, after.body.type], ['QA', 'sandbox'], 'nothing changed');
  });

  test('ENV-1 CRED-2 CRED-5 a user without the permission gets a 403 naming it', async () => {
    const viewer = await tokenOfUserWith(AUDIT_VIEWER.id, t.tenantId);
    const sandbox = t.environments.find((e) => e.type === 'sandbox')!;
    const expect403 = async (
      res: { status: number; body: { code: string; details?: unknown } },
      p: string,
    ) => {
      assert.equal(res.status, 403);
      assert.equal(res.body.code, 'auth.permission_denied');
      assert.equal((res.body.details as { permission?: string }).permission, p);
    };
    await expect403(
      await api.call('post', `/organizations/${t.tenantId}/environments`, {
        token: viewer.token,
        body: { name: 'Nope', type: 'design' },
      }),
      'environments.manage',
    );
    await expect403(
      await api.call('patch', `/environments/${sandbox.id}`, { token: viewer.token, body: { name: 'X' } }),
      'environments.manage',
    );
    await expect403(
      await api.call('delete', `/environments/${sandbox.id}`, { token: viewer.token }),
      'environments.manage',
    );
    await expect403(
      await api.call('get', `/environments/${sandbox.id}/credentials`, { token: viewer.token }),
      'credentials.view',
    );
    await expect403(
      await api.call('post', `/environments/${sandbox.id}/credentials/rotate`, {
        token: viewer.token,
        body: {},
      }),
      'credentials.rotate',
    );
    // A role on the node is enough to see its environments.
    assert.equal((await api.call('get', `/environments/${sandbox.id}`, { token: viewer.token })).status, 200);
  });

  test('ENV-1 a business group without the createEnvironments entitlement cannot have environments', async () => {
    const bg = await c.businessGroups.create(t.owner, t.tenantId, t.tenantId, {
      name: 'No envs',
    });
    const res = await api.call('post', `/organizations/${bg.id}/environments`, {
      token,
      body: { name: 'Sandbox', type: 'sandbox' },
    });
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'environment.not_entitled');
  });

  test('ENV-1 CRED-2 ids of another tenant, and ids that are not UUIDs, are not found; nothing changes', async () => {
    const other = await signUpTenant(c);
    const theirs = other.environments[0]!;
    const calls: Array<[Parameters<ApiClient['call']>[0], string, unknown]> = [
      ['get', `/organizations/${other.tenantId}/environments`, undefined],
      ['post', `/organizations/${other.tenantId}/environments`, { name: 'Mine', type: 'design' }],
      ['get', `/environments/${theirs.id}`, undefined],
      ['patch', `/environments/${theirs.id}`, { name: 'Mine' }],
      ['delete', `/environments/${theirs.id}`, undefined],
      ['get', `/environments/${theirs.id}/credentials`, undefined],
      ['post', `/environments/${theirs.id}/credentials/rotate`, {}],
      ['get', '/environments/not-a-uuid', undefined],
      ['get', '/environments/not-a-uuid/credentials', undefined],
      ['post', '/environments/not-a-uuid/credentials/rotate', {}],
      ['delete', '/environments/not-a-uuid', undefined],
      ['get', '/organizations/not-a-uuid/environments', undefined],
    ];
    const before = await c.credentials.read(other.owner, other.tenantId, {
      orgId: other.tenantId,
      environmentId: theirs.id,
    });
    for (const [method, path, body] of calls) {
      const res = await api.call(method, path, { token, body });
      assert.equal(res.status, 404, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    const still = await c.environments.list(other.owner, other.tenantId, other.tenantId);
    assert.deepEqual(still.map((e) => e.name).sort(), ['Design', 'Sandbox']);
    const creds = await c.credentials.read(other.owner, other.tenantId, {
      orgId: other.tenantId,
      environmentId: theirs.id,
    });
    assert.equal(creds.clientSecret, before.clientSecret, 'their secret was not rotated');
  });

  test('CRED-2 CRED-4 a business-group admin reads their group environment secret, never the master one; every read is audited', async () => {
    const bg = await addBusinessGroup(c, t, t.tenantId);
    const bgEnv = await newEnvironment('BG Production', bg.id);
    const masterEnv = t.environments[0]!;
    const admin = await tokenOfUserWith(ORGANIZATION_ADMINISTRATORS.id, bg.id);

    const denied = await api.call('get', `/environments/${masterEnv.id}/credentials`, { token: admin.token });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.details.permission, 'credentials.view');
    assert.equal(JSON.stringify(denied.body).includes('clientSecret'), false);

    const own = await api.call('get', `/environments/${bgEnv.id}/credentials`, { token: admin.token });
    assert.equal(own.status, 200);
    assert.deepEqual(
      [own.body.clientId, own.body.organizationId, own.body.environmentId, own.body.legacy],
      [bgEnv.clientId, bg.id, bgEnv.id, false],
    );
    assert.ok(own.body.clientSecret.length >= 43, 'at least 256 bits, base64url');
    assert.ok(await c.credentials.verifySecret(own.body.clientId, own.body.clientSecret));

    const byOwner = await api.call('get', `/environments/${masterEnv.id}/credentials`, { token });
    assert.equal(byOwner.status, 200);
    assert.equal(byOwner.body.legacy, false);

    const reads = await c.database
      .knex('audit_log')
      .where({ tenant_id: t.tenantId, action: 'credentials.read' })
      .whereIn('target_id', [bgEnv.clientId, masterEnv.clientId]);
    assert.deepEqual(reads.map((r) => r.actor_id).sort(), [admin.user.id, t.user.id].sort());
    for (const row of reads) {
      const text = JSON.stringify(row);
      assert.equal(text.includes(own.body.clientSecret), false);
      assert.equal(text.includes(byOwner.body.clientSecret), false);
    }
  });

  test('CRED-5 rotation keeps the previous secret for the grace period, then stops it', async () => {
    const qa = await newEnvironment('Rotation QA', t.tenantId, 'sandbox');
    const path = `/environments/${qa.id}/credentials`;
    const old = (await api.call('get', path, { token })).body.clientSecret as string;

    const rotated = await api.call('post', `${path}/rotate`, { token, body: { graceHours: 2 } });
    assert.equal(rotated.status, 200);
    assert.equal(rotated.body.clientId, qa.clientId);
    assert.notEqual(rotated.body.clientSecret, old);
    assert.equal(Date.parse(rotated.body.previousSecretExpiresAt), c.clock.now().getTime() + 2 * HOUR);
    assert.ok(await c.credentials.verifySecret(qa.clientId, rotated.body.clientSecret));
    assert.ok(await c.credentials.verifySecret(qa.clientId, old), 'the old secret works inside the grace');
    clock.advance(2 * HOUR - 1000);
    assert.ok(await c.credentials.verifySecret(qa.clientId, old));
    clock.advance(2000);
    assert.equal(await c.credentials.verifySecret(qa.clientId, old), null, 'not after it');
    assert.ok(await c.credentials.verifySecret(qa.clientId, rotated.body.clientSecret));
    token = await userToken(c, t.user.id); // the earlier one has expired meanwhile

    // No grace named: the configured default.
    const byDefault = await api.call('post', `${path}/rotate`, { token });
    assert.equal(byDefault.status, 200);
    const graceMs = c.config.credentials.rotationGraceHours * HOUR;
    assert.equal(Date.parse(byDefault.body.previousSecretExpiresAt), c.clock.now().getTime() + graceMs);

    const atOnce = await api.call('post', `${path}/rotate`, { token, body: { graceHours: 0 } });
    assert.equal(atOnce.body.previousSecretExpiresAt, null);
    assert.equal(await c.credentials.verifySecret(qa.clientId, byDefault.body.clientSecret), null);

    for (const graceHours of [721, -1, 1.5, '2']) {
      const bad = await api.call('post', `${path}/rotate`, { token, body: { graceHours } });
      assert.deepEqual([bad.status, fieldsOf(bad.body)], [400, ['graceHours']], String(graceHours));
    }
    const current = await api.call('get', path, { token });
    assert.equal(current.body.clientSecret, atOnce.body.clientSecret, 'a refused rotation changed nothing');
    const rotations = await c.database
      .knex('audit_log')
      .where({ tenant_id: t.tenantId, action: 'credentials.rotate', target_id: qa.clientId });
    assert.equal(rotations.length, 3);
  });

  test('CRED-2 APP-1 a service app reads environment credentials on the nodes it was granted credentials.view', async () => {
    const { app } = await c.apps.create(t.owner, t.tenantId, {
      name: 'Deployer',
      kind: 'service',
      grants: [{ organizationId: t.tenantId, permissions: ['credentials.view'] }],
    });
    const sandbox = t.environments[0]!;
    const granted = await appToken(c, app.clientId, 'credentials.view');
    const read = await api.call('get', `/environments/${sandbox.id}/credentials`, { token: granted });
    assert.equal(read.status, 200);
    assert.equal(read.body.environmentId, sandbox.id);
    const rotate = await api.call('post', `/environments/${sandbox.id}/credentials/rotate`, {
      token: granted,
      body: {},
    });
    assert.deepEqual([rotate.status, rotate.body.details?.permission], [403, 'credentials.rotate']);
    const other = await signUpTenant(c);
    const foreign = await api.call('get', `/environments/${other.environments[0]!.id}/credentials`, {
      token: granted,
    });
    assert.equal(foreign.status, 404);
  });
});

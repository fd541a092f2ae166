import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUILT_IN_ROLES, ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import { rejectsWith } from '../helpers/assertions.ts';
import {
  addBusinessGroup,
  addUser,
  operator,
  signUpTenant,
  type Tenant,
  userCtx,
} from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

const HOUR = 3_600_000;

describe('environments and client credentials', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  const assign = (
    t: Tenant,
    userId: string,
    roleId: string,
    organizationId: string,
    environmentId?: string,
  ) =>
    env.container.assignments.assign(t.owner, t.tenantId, { userId, roleId, organizationId, environmentId });

  test('ENV-1 environments.manage creates, renames and deletes environments; names unique per node; type fixed', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const prod = await c.environments.create(t.owner, t.tenantId, t.tenantId, {
      name: 'Production',
      type: 'production',
    });
    assert.deepEqual([prod.type, prod.isProduction, prod.organizationId], ['production', true, t.tenantId]);
    await rejectsWith(
      c.environments.create(t.owner, t.tenantId, t.tenantId, { name: 'sandbox', type: 'sandbox' }),
      'environment.name_taken',
    );
    await rejectsWith(
      c.environments.create(t.owner, t.tenantId, t.tenantId, { name: 'QA', type: 'staging' }),
      'request.invalid_input',
    );
    const renamed = await c.environments.rename(t.owner, t.tenantId, prod.id, { name: 'Live' });
    assert.deepEqual([renamed.name, renamed.type], ['Live', 'production']);
    await rejectsWith(
      c.environments.rename(t.owner, t.tenantId, prod.id, { name: 'Live', type: 'design' }),
      'request.invalid_input',
    );
    await rejectsWith(
      c.environments.rename(t.owner, t.tenantId, prod.id, { name: 'DESIGN' }),
      'environment.name_taken',
    );
    assert.deepEqual(
      (await c.environments.list(t.owner, t.tenantId, t.tenantId)).map((e) => e.name),
      ['Design', 'Live', 'Sandbox'],
    );

    const bg = await c.businessGroups.create(t.owner, t.tenantId, t.tenantId, { name: 'No envs' });
    await rejectsWith(
      c.environments.create(t.owner, t.tenantId, bg.id, { name: 'X', type: 'sandbox' }),
      'environment.not_entitled',
    );
    const viewer = await addUser(c, t.tenantId);
    await assign(t, viewer.id, BUILT_IN_ROLES.find((r) => r.key === 'audit-viewer')!.id, t.tenantId);
    await rejectsWith(
      c.environments.create(userCtx(t.tenantId, viewer.id), t.tenantId, t.tenantId, {
        name: 'Y',
        type: 'sandbox',
      }),
      'auth.permission_denied',
    );
    await c.environments.remove(t.owner, t.tenantId, prod.id);
    await rejectsWith(c.environments.get(t.owner, t.tenantId, prod.id), 'environment.not_found');
    assert.equal((await c.database.knex('client_credentials').where({ environment_id: prod.id })).length, 0);
  });

  test('CRED-1 every node and environment has its own client ID and a 256-bit secret', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const bg = await addBusinessGroup(c, t, t.tenantId);
    const envs = await c.environments.list(t.owner, t.tenantId, t.tenantId);
    const targets = [
      { orgId: t.tenantId, environmentId: null },
      { orgId: bg.id, environmentId: null },
      ...envs.map((e) => ({ orgId: t.tenantId, environmentId: e.id })),
    ];
    const creds = await Promise.all(targets.map((target) => c.credentials.read(t.owner, t.tenantId, target)));
    assert.equal(new Set(creds.map((x) => x.clientId)).size, creds.length);
    assert.equal(new Set(creds.map((x) => x.clientSecret)).size, creds.length);
    for (const cred of creds) {
      assert.match(cred.clientId, /^[0-9a-f]{32}$/);
      assert.ok(Buffer.from(cred.clientSecret, 'base64url').length >= 32, 'at least 256 bits');
    }
    assert.equal(t.organization.clientId, creds[0]!.clientId);
    assert.equal(envs[0]!.clientId, creds[2]!.clientId);
  });

  test('CRED-2 credentials.view reads a secret, every read is audited, and child administrators never see an ancestor secret', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const bg = await addBusinessGroup(c, t, t.tenantId);
    const sandbox = (await c.environments.list(t.owner, t.tenantId, t.tenantId))[1]!;
    const bgAdmin = await addUser(c, t.tenantId);
    await assign(t, bgAdmin.id, ORGANIZATION_ADMINISTRATORS.id, bg.id);
    const bgCtx = userCtx(t.tenantId, bgAdmin.id);
    await rejectsWith(
      c.credentials.read(bgCtx, t.tenantId, { orgId: t.tenantId, environmentId: null }),
      'auth.permission_denied',
    );
    await rejectsWith(
      c.credentials.read(bgCtx, t.tenantId, { orgId: t.tenantId, environmentId: sandbox.id }),
      'auth.permission_denied',
    );
    await c.credentials.read(bgCtx, t.tenantId, { orgId: bg.id, environmentId: null });

    // Environment-scoped viewers see that environment's secret only.
    const scoped = await c.roles.create(t.owner, t.tenantId, {
      name: 'Cred Viewer',
      permissions: ['credentials.view'],
    });
    const dev = await addUser(c, t.tenantId);
    await assign(t, dev.id, scoped.id, t.tenantId, sandbox.id);
    const devCtx = userCtx(t.tenantId, dev.id);
    await c.credentials.read(devCtx, t.tenantId, { orgId: t.tenantId, environmentId: sandbox.id });
    await rejectsWith(
      c.credentials.read(devCtx, t.tenantId, { orgId: t.tenantId, environmentId: null }),
      'auth.permission_denied',
    );

    const reads = await c.database
      .knex('audit_log')
      .where({ tenant_id: t.tenantId, action: 'credentials.read' })
      .select();
    assert.deepEqual(reads.map((r) => r.actor_id).sort(), [bgAdmin.id, dev.id].sort());
    for (const r of reads) assert.equal(JSON.stringify(r).includes('secret'), false);
  });

  test('CRED-4 org-level credentials are marked legacy, environment credentials are not', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const org = await c.credentials.read(t.owner, t.tenantId, { orgId: t.tenantId, environmentId: null });
    const envCred = await c.credentials.read(t.owner, t.tenantId, {
      orgId: t.tenantId,
      environmentId: t.environments[0]!.id,
    });
    assert.equal(org.legacy, true);
    assert.equal(envCred.legacy, false);
    assert.ok(
      await c.credentials.verifySecret(org.clientId, org.clientSecret),
      'legacy credentials keep working',
    );
  });

  test('CRED-5 a rotated environment secret keeps the previous one valid for the grace period, then not', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const target = { orgId: t.tenantId, environmentId: t.environments[0]!.id };
    const before = await c.credentials.read(t.owner, t.tenantId, target);
    const rotated = await c.credentials.rotateEnvironmentSecret(t.owner, t.tenantId, target);
    assert.notEqual(rotated.clientSecret, before.clientSecret);
    assert.equal(rotated.clientId, before.clientId);
    assert.equal(rotated.previousSecretExpiresAt?.getTime(), env.clock.now().getTime() + 24 * HOUR);
    assert.ok(await c.credentials.verifySecret(before.clientId, before.clientSecret));
    assert.ok(await c.credentials.verifySecret(before.clientId, rotated.clientSecret));
    env.clock.advance(24 * HOUR + 1);
    assert.equal(await c.credentials.verifySecret(before.clientId, before.clientSecret), null);
    assert.ok(await c.credentials.verifySecret(before.clientId, rotated.clientSecret));

    const now = await c.credentials.rotateEnvironmentSecret(t.owner, t.tenantId, target, 0);
    assert.equal(now.previousSecretExpiresAt, null);
    assert.equal(await c.credentials.verifySecret(before.clientId, rotated.clientSecret), null);
    await rejectsWith(
      c.credentials.rotateEnvironmentSecret(t.owner, t.tenantId, target, -1),
      'request.invalid_input',
    );
  });

  test('CRED-5 org-level secrets are reset by the operator only, at once', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const target = { orgId: t.tenantId, environmentId: null };
    const before = await c.credentials.read(t.owner, t.tenantId, target);
    await rejectsWith(
      c.credentials.resetOrgSecret(t.owner, t.tenantId, t.tenantId),
      'auth.permission_denied',
    );
    const reset = await c.credentials.resetOrgSecret(operator(), t.tenantId, t.tenantId);
    assert.notEqual(reset.clientSecret, before.clientSecret);
    assert.equal(await c.credentials.verifySecret(before.clientId, before.clientSecret), null);
    assert.ok(await c.credentials.verifySecret(before.clientId, reset.clientSecret));
    const entry = await c.database
      .knex('audit_log')
      .where({ action: 'credentials.reset', target_id: before.clientId })
      .first();
    assert.equal(entry.actor_type, 'operator');
  });

  test('CRED-6 secrets are stored encrypted, bound to their client ID, and checked in constant time', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const cred = await c.credentials.read(t.owner, t.tenantId, { orgId: t.tenantId, environmentId: null });
    const row = await c.database.knex('client_credentials').where({ client_id: cred.clientId }).first();
    assert.ok(!row.secret_sealed.includes(cred.clientSecret));
    assert.match(row.secret_sealed, /^v1\./);
    // A sealed secret copied onto another client's row does not open there.
    const other = (await c.environments.list(t.owner, t.tenantId, t.tenantId))[0]!;
    await c.database
      .knex('client_credentials')
      .where({ environment_id: other.id })
      .update({ secret_sealed: row.secret_sealed });
    await assert.rejects(c.credentials.verifySecret(other.clientId, cred.clientSecret));
    assert.equal(await c.credentials.verifySecret(cred.clientId, `${cred.clientSecret}x`), null);
    assert.equal(await c.credentials.verifySecret('0'.repeat(32), cred.clientSecret), null);
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { BUILT_IN_ROLES, ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import type { RequestContext } from '../../src/platform/context.ts';
import { rejectsWith } from '../helpers/assertions.ts';
import { addUser, operator, PASSWORD, signUpTenant } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

describe('audit log', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  test('AUD-1 every change records who, when, where, what, before and after, and the request id', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const tenantId = t.tenantId;
    const member = await addUser(c, tenantId);
    const as = (requestId: string): RequestContext => ({ ...t.owner, requestId });
    const viewer = BUILT_IN_ROLES.find((r) => r.key === 'audit-viewer')!.id;
    const deputy = await addUser(c, tenantId);
    await c.assignments.assign(t.owner, tenantId, {
      userId: deputy.id,
      roleId: ORGANIZATION_ADMINISTRATORS.id,
      organizationId: tenantId,
    });
    const ids: Record<string, string> = {};

    // Each step: a change made with a known request id, and the audit action it must leave.
    const steps: Array<[string, (ctx: RequestContext) => Promise<unknown>]> = [
      [
        'organization.update',
        (ctx) => c.organizations.updateSettings(ctx, tenantId, tenantId, { sessionTimeoutMinutes: 30 }),
      ],
      [
        'organization.properties.update',
        (ctx) => c.organizations.setProperties(ctx, tenantId, tenantId, { a: 1 }),
      ],
      [
        'business_group.create',
        async (ctx) => {
          ids.bg = (
            await c.businessGroups.create(ctx, tenantId, tenantId, {
              name: 'Audited',
              entitlements: { createEnvironments: true },
            })
          ).id;
        },
      ],
      [
        'business_group.entitlements.update',
        (ctx) => c.businessGroups.setEntitlements(ctx, tenantId, ids.bg!, { createSubOrgs: true }),
      ],
      [
        'environment.create',
        async (ctx) => {
          ids.env = (
            await c.environments.create(ctx, tenantId, ids.bg!, { name: 'Prod', type: 'production' })
          ).id;
        },
      ],
      ['environment.update', (ctx) => c.environments.rename(ctx, tenantId, ids.env!, { name: 'Live' })],
      [
        'credentials.rotate',
        (ctx) =>
          c.credentials.rotateEnvironmentSecret(ctx, tenantId, { orgId: ids.bg!, environmentId: ids.env! }),
      ],
      [
        'credentials.read',
        (ctx) => c.credentials.read(ctx, tenantId, { orgId: ids.bg!, environmentId: ids.env! }),
      ],
      [
        'role.create',
        async (ctx) => {
          ids.role = (
            await c.roles.create(ctx, tenantId, { name: 'Auditors', permissions: ['audit.view'] })
          ).id;
        },
      ],
      ['role.update', (ctx) => c.roles.update(ctx, tenantId, ids.role!, { description: 'reads logs' })],
      [
        'role_assignment.create',
        async (ctx) => {
          ids.grant = (
            await c.assignments.assign(ctx, tenantId, {
              userId: member.id,
              roleId: viewer,
              organizationId: ids.bg!,
            })
          ).id;
        },
      ],
      [
        'organization.owner.transfer',
        (ctx) => c.organizations.transferOwnership(ctx, tenantId, ids.bg!, { ownerUserId: deputy.id }),
      ],
      ['role_assignment.delete', (ctx) => c.assignments.remove(ctx, tenantId, ids.grant!)],
      ['role.delete', (ctx) => c.roles.remove(ctx, tenantId, ids.role!)],
      ['user.update', (ctx) => c.users.updateProfile(ctx, tenantId, member.id, { name: 'Renamed Member' })],
      ['user.disable', (ctx) => c.users.disable(ctx, tenantId, member.id)],
      ['user.enable', (ctx) => c.users.enable(ctx, tenantId, member.id)],
      ['environment.delete', (ctx) => c.environments.remove(ctx, tenantId, ids.env!)],
      ['business_group.delete', (ctx) => c.businessGroups.remove(ctx, tenantId, ids.bg!)],
      ['user.delete', (ctx) => c.users.delete(ctx, tenantId, member.id)],
    ];
    for (const [action, run] of steps) {
      const requestId = `req-${randomUUID()}`;
      const startedAt = env.clock.now();
      await run(as(requestId));
      const entries = await c.database.knex('audit_log').where({ request_id: requestId }).select();
      assert.equal(entries.length, 1, `${action}: one entry for the request`);
      const e = entries[0]!;
      assert.equal(e.action, action);
      assert.equal(e.tenant_id, tenantId, action);
      assert.equal(e.actor_type, 'user', action);
      assert.equal(e.actor_id, t.user.id, action);
      assert.ok(e.target_type && e.target_id, `${action}: names its target`);
      assert.ok(e.org_id, `${action}: names the node`);
      assert.equal(e.occurred_at.getTime(), startedAt.getTime(), action);
      if (action.endsWith('.update')) assert.ok(e.before && e.after, `${action}: before and after`);
    }
  });

  test('AUD-1 sign-up and operator changes are recorded, and a failed change records nothing', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const actions = await c.database
      .knex('audit_log')
      .where({ tenant_id: t.tenantId })
      .orderBy('id')
      .pluck('action');
    assert.deepEqual(actions, [
      'organization.create',
      'user.create',
      'role_assignment.create',
      'environment.create',
      'environment.create',
    ]);
    await c.credentials.resetOrgSecret(operator(), t.tenantId, t.tenantId);
    const reset = await c.database
      .knex('audit_log')
      .where({ tenant_id: t.tenantId, action: 'credentials.reset' })
      .first();
    assert.equal(reset.actor_type, 'operator');

    const requestId = `req-${randomUUID()}`;
    await rejectsWith(
      c.businessGroups.remove({ ...t.owner, requestId }, t.tenantId, t.tenantId),
      'organization.master_not_deletable',
    );
    assert.equal((await c.database.knex('audit_log').where({ request_id: requestId })).length, 0);
  });

  test('AUD-1 no secret or password reaches an audit entry', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const envId = t.environments[0]!.id;
    const cred = await c.credentials.read(t.owner, t.tenantId, { orgId: t.tenantId, environmentId: envId });
    const rotated = await c.credentials.rotateEnvironmentSecret(t.owner, t.tenantId, {
      orgId: t.tenantId,
      environmentId: envId,
    });
    const hash = (await c.database.knex('users').where({ id: t.user.id }).first('password_hash'))
      .password_hash;
    const sealed = await c.database.knex('client_credentials').pluck('secret_sealed');
    const dump = JSON.stringify(await c.database.knex('audit_log').where({ tenant_id: t.tenantId }).select());
    for (const secret of [cred.clientSecret, rotated.clientSecret, PASSWORD, hash, ...sealed]) {
      assert.equal(dump.includes(secret), false, 'a secret leaked into the audit log');
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ALL_PERMISSIONS,
  BUILT_IN_ROLES,
  ORGANIZATION_ADMINISTRATORS,
  PERMISSION_CATALOGUE,
} from '../../src/modules/roles/index.ts';
import { rejectsWith } from '../helpers/assertions.ts';
import { addBusinessGroup, addUser, signUpTenant, type Tenant, userCtx } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

const role = (key: string) => BUILT_IN_ROLES.find((r) => r.key === key)!;

describe('roles and permissions', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  const assign = (t: Tenant, input: Record<string, unknown>, ctx = t.owner) =>
    env.container.assignments.assign(ctx, t.tenantId, input);

  test('ROLE-1 the catalogue holds every named permission; environment scoping is limited to the listed ones', () => {
    const required = [
      'users.invite',
      'users.manage',
      'roles.assign',
      'roles.manage',
      'orgs.create',
      'orgs.delete',
      'orgs.owner.assign',
      'orgs.settings.manage',
      'orgs.properties.manage',
      'environments.manage',
      'credentials.view',
      'credentials.rotate',
      'apps.manage',
      'idp.manage',
      'analytics.view',
      'audit.view',
      'api-alerts.manage',
      'api-alerts.view',
    ];
    for (const p of required) assert.ok(ALL_PERMISSIONS.includes(p as never), p);
    assert.deepEqual(
      PERMISSION_CATALOGUE.filter((p) => p.environmentScopable)
        .map((p) => p.name)
        .sort(),
      ['analytics.view', 'api-alerts.manage', 'api-alerts.view', 'credentials.rotate', 'credentials.view'],
    );
  });

  test('ROLE-2 built-in roles are listed for every tenant and read-only; custom roles belong to one tenant', async () => {
    const c = env.container;
    const a = await signUpTenant(c);
    const b = await signUpTenant(c);
    const listed = await c.roles.list(a.owner, a.tenantId);
    for (const r of BUILT_IN_ROLES)
      assert.ok(
        listed.some((l) => l.id === r.id && l.builtIn),
        r.name,
      );
    assert.deepEqual(listed.find((r) => r.id === ORGANIZATION_ADMINISTRATORS.id)?.permissions, [
      ...ALL_PERMISSIONS,
    ]);
    for (const key of ['api-alerts-manager', 'api-alerts-viewer', 'analytics-viewer', 'audit-viewer'])
      assert.ok(role(key));

    await rejectsWith(
      c.roles.update(a.owner, a.tenantId, ORGANIZATION_ADMINISTRATORS.id, { name: 'Mine' }),
      'role.read_only',
    );
    await rejectsWith(c.roles.remove(a.owner, a.tenantId, role('audit-viewer').id), 'role.read_only');

    const custom = await c.roles.create(a.owner, a.tenantId, {
      name: 'Release Managers',
      description: 'Ship things',
      permissions: ['environments.manage', 'credentials.view', 'environments.manage'],
    });
    assert.deepEqual(custom.permissions, ['environments.manage', 'credentials.view']);
    await rejectsWith(
      c.roles.create(a.owner, a.tenantId, { name: 'release managers', permissions: ['audit.view'] }),
      'role.name_taken',
    );
    await rejectsWith(
      c.roles.create(a.owner, a.tenantId, { name: 'Audit Viewer', permissions: ['audit.view'] }),
      'role.name_taken',
    );
    await rejectsWith(
      c.roles.create(a.owner, a.tenantId, { name: 'Bad', permissions: ['users.fly'] }),
      'request.invalid_input',
    );
    await rejectsWith(
      c.roles.create(a.owner, a.tenantId, { name: 'Empty', permissions: [] }),
      'request.invalid_input',
    );
    // Tenant B neither sees nor touches A's role; the name is free there.
    assert.equal(
      (await c.roles.list(b.owner, b.tenantId)).some((r) => r.id === custom.id),
      false,
    );
    await rejectsWith(c.roles.get(b.owner, b.tenantId, custom.id), 'role.not_found');
    await rejectsWith(c.roles.update(b.owner, b.tenantId, custom.id, { name: 'Stolen' }), 'role.not_found');
    await c.roles.create(b.owner, b.tenantId, { name: 'Release Managers', permissions: ['audit.view'] });

    const member = await addUser(c, a.tenantId);
    await rejectsWith(
      c.roles.create(userCtx(a.tenantId, member.id), a.tenantId, { name: 'X', permissions: ['audit.view'] }),
      'auth.permission_denied',
    );
    const renamed = await c.roles.update(a.owner, a.tenantId, custom.id, {
      name: 'Releasers',
      permissions: ['audit.view'],
    });
    assert.deepEqual([renamed.name, renamed.permissions], ['Releasers', ['audit.view']]);
    const grant = await assign(a, { userId: member.id, roleId: custom.id, organizationId: a.tenantId });
    await rejectsWith(c.roles.remove(a.owner, a.tenantId, custom.id), 'role.in_use');
    await c.assignments.remove(a.owner, a.tenantId, grant.id);
    await c.roles.remove(a.owner, a.tenantId, custom.id);
    await rejectsWith(c.roles.get(a.owner, a.tenantId, custom.id), 'role.not_found');
  });

  test('ROLE-3 an assignment covers its node, its environment when scoped, and descendants only when inheriting', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const bg = await addBusinessGroup(c, t, t.tenantId, 'BG');
    const child = await addBusinessGroup(c, t, bg.id, 'Child');
    const prod = await c.environments.create(t.owner, t.tenantId, bg.id, {
      name: 'Prod',
      type: 'production',
    });
    const dev = await c.environments.create(t.owner, t.tenantId, bg.id, { name: 'Dev', type: 'sandbox' });
    const [u1, u2, u3] = [
      await addUser(c, t.tenantId),
      await addUser(c, t.tenantId),
      await addUser(c, t.tenantId),
    ];
    const alerts = role('api-alerts-viewer').id;
    await assign(t, { userId: u1.id, roleId: alerts, organizationId: bg.id });
    await assign(t, { userId: u2.id, roleId: alerts, organizationId: bg.id, inherit: true });
    await assign(t, { userId: u3.id, roleId: alerts, organizationId: bg.id, environmentId: prod.id });
    const index = await c.directory.forTenant(t.tenantId);
    const can = (u: string, org: string, envId?: string) => index.can(u, 'api-alerts.view', org, envId);
    assert.deepEqual(
      [can(u1.id, bg.id), can(u1.id, bg.id, dev.id), can(u1.id, child.id), can(u1.id, t.tenantId)],
      [true, true, false, false],
    );
    assert.deepEqual([can(u2.id, bg.id), can(u2.id, child.id), can(u2.id, t.tenantId)], [true, true, false]);
    assert.deepEqual(
      [can(u3.id, bg.id, prod.id), can(u3.id, bg.id, dev.id), can(u3.id, bg.id), can(u3.id, child.id)],
      [true, false, false, false],
    );

    // Organization Administrators always inherits and is never environment-scoped.
    const admin = await addUser(c, t.tenantId);
    const oa = await assign(t, {
      userId: admin.id,
      roleId: ORGANIZATION_ADMINISTRATORS.id,
      organizationId: bg.id,
      inherit: false,
    });
    assert.equal(oa.inherit, true);
    assert.equal((await c.directory.forTenant(t.tenantId)).isAdministrator(admin.id, child.id), true);
    await rejectsWith(
      assign(t, {
        userId: admin.id,
        roleId: ORGANIZATION_ADMINISTRATORS.id,
        organizationId: bg.id,
        environmentId: prod.id,
      }),
      'role_assignment.not_environment_scopable',
    );
    await rejectsWith(
      assign(t, {
        userId: u1.id,
        roleId: role('audit-viewer').id,
        organizationId: bg.id,
        environmentId: prod.id,
      }),
      'role_assignment.not_environment_scopable',
    );
    await rejectsWith(
      assign(t, {
        userId: u1.id,
        roleId: alerts,
        organizationId: bg.id,
        environmentId: prod.id,
        inherit: true,
      }),
      'role_assignment.not_environment_scopable',
    );
    await rejectsWith(
      assign(t, { userId: u1.id, roleId: alerts, organizationId: child.id, environmentId: prod.id }),
      'environment.not_found',
    );
    await rejectsWith(
      assign(t, { userId: u1.id, roleId: alerts, organizationId: bg.id }),
      'role_assignment.exists',
    );
  });

  test('ROLE-4 effective permissions are the union over the node and inheriting ancestors, filtered by environment', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const a = await addBusinessGroup(c, t, t.tenantId, 'A');
    const b = await addBusinessGroup(c, t, a.id, 'B');
    const env1 = await c.environments.create(t.owner, t.tenantId, b.id, { name: 'E', type: 'sandbox' });
    const u = await addUser(c, t.tenantId);
    await assign(t, {
      userId: u.id,
      roleId: role('audit-viewer').id,
      organizationId: t.tenantId,
      inherit: true,
    });
    await assign(t, { userId: u.id, roleId: role('analytics-viewer').id, organizationId: a.id });
    await assign(t, {
      userId: u.id,
      roleId: role('api-alerts-manager').id,
      organizationId: b.id,
      environmentId: env1.id,
    });
    const index = await c.directory.forTenant(t.tenantId);
    const perms = (org: string, envId?: string) =>
      ALL_PERMISSIONS.filter((p) => index.can(u.id, p, org, envId));
    assert.deepEqual(perms(t.tenantId), ['audit.view']);
    assert.deepEqual(perms(a.id), ['analytics.view', 'audit.view']);
    assert.deepEqual(perms(b.id), ['audit.view']);
    assert.deepEqual(perms(b.id, env1.id), ['audit.view', 'api-alerts.manage', 'api-alerts.view']);
  });

  test('ROLE-5 assigning or removing needs roles.assign on the node and every permission in play', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const bg = await addBusinessGroup(c, t, t.tenantId);
    const lead = await addUser(c, t.tenantId);
    const target = await addUser(c, t.tenantId);
    const assigner = await c.roles.create(t.owner, t.tenantId, {
      name: 'Assigner',
      permissions: ['roles.assign', 'audit.view'],
    });
    await assign(t, { userId: lead.id, roleId: assigner.id, organizationId: bg.id });
    const leadCtx = userCtx(t.tenantId, lead.id);

    const ok = await assign(
      t,
      { userId: target.id, roleId: role('audit-viewer').id, organizationId: bg.id },
      leadCtx,
    );
    const escalation = await rejectsWith(
      assign(t, { userId: target.id, roleId: role('analytics-viewer').id, organizationId: bg.id }, leadCtx),
      'role_assignment.privilege_escalation',
    );
    assert.deepEqual(escalation.details?.missingPermissions, ['analytics.view']);
    await rejectsWith(
      assign(t, { userId: lead.id, roleId: ORGANIZATION_ADMINISTRATORS.id, organizationId: bg.id }, leadCtx),
      'role_assignment.privilege_escalation',
    );
    // An inheriting grant reaches descendants, so it needs permissions the assigner holds inheritably.
    await rejectsWith(
      assign(
        t,
        { userId: target.id, roleId: role('audit-viewer').id, organizationId: bg.id, inherit: true },
        leadCtx,
      ),
      'role_assignment.privilege_escalation',
    );
    await rejectsWith(
      assign(t, { userId: target.id, roleId: role('audit-viewer').id, organizationId: t.tenantId }, leadCtx),
      'auth.permission_denied',
    );
    // Removal follows the same rule: the lead cannot strip an administrator.
    const adminGrant = await assign(t, {
      userId: target.id,
      roleId: ORGANIZATION_ADMINISTRATORS.id,
      organizationId: bg.id,
    });
    await rejectsWith(
      c.assignments.remove(leadCtx, t.tenantId, adminGrant.id),
      'role_assignment.privilege_escalation',
    );
    await c.assignments.remove(leadCtx, t.tenantId, ok.id);
    assert.equal(
      (await c.directory.forTenant(t.tenantId)).can(target.id, 'audit.view', bg.id),
      true,
      'still via administrators',
    );
    // Custom roles cannot carry more than their author holds on the master.
    const auditor = await addUser(c, t.tenantId);
    const roleMaker = await c.roles.create(t.owner, t.tenantId, {
      name: 'Role Maker',
      permissions: ['roles.manage'],
    });
    await assign(t, { userId: auditor.id, roleId: roleMaker.id, organizationId: t.tenantId });
    await rejectsWith(
      c.roles.create(userCtx(t.tenantId, auditor.id), t.tenantId, {
        name: 'Power',
        permissions: ['users.manage'],
      }),
      'role_assignment.privilege_escalation',
    );
  });
});

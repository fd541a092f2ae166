import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUILT_IN_ROLES, ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import { type ApiResponse, appToken, expectError, idsOf, userToken } from '../helpers/api.ts';
import { apiSuite } from '../helpers/api-suite.ts';
import { addBusinessGroup, addUser, signUpTenant } from '../helpers/factories.ts';

const ADMINS = ORGANIZATION_ADMINISTRATORS.id;
const AUDIT_VIEWER = BUILT_IN_ROLES.find((r) => r.key === 'audit-viewer')!.id;
const ANALYTICS_VIEWER = BUILT_IN_ROLES.find((r) => r.key === 'analytics-viewer')!.id;

const { container: c, api, t, token: owner } = await apiSuite();

describe('admin API: role assignments', () => {
  const assign = (body: Record<string, unknown>, token = owner) =>
    api.call('post', '/role-assignments', { token, body });
  const createRole = (name: string, permissions: string[], token = owner) =>
    api.call('post', '/roles', { token, body: { name, permissions } });

  test('ROLE-3 assignments are made, listed per user and per node, and removed', async () => {
    const group = await addBusinessGroup(c, t, t.tenantId);
    const environment = await c.environments.create(t.owner, t.tenantId, group.id, {
      name: 'Prod',
      type: 'production',
    });
    const user = await addUser(c, t.tenantId);
    const made = await assign({
      userId: user.id,
      roleId: AUDIT_VIEWER,
      organizationId: group.id,
      inherit: true,
    });
    assert.equal(made.status, 201);
    assert.deepEqual([made.body.inherit, made.body.environmentId, made.body.source], [true, null, 'manual']);
    const scoped = await assign({
      userId: user.id,
      roleId: ANALYTICS_VIEWER,
      organizationId: group.id,
      environmentId: environment.id,
    });
    assert.equal(scoped.status, 201);
    assert.equal(scoped.body.environmentId, environment.id);
    const mine = await api.call('get', `/users/${user.id}/role-assignments`, {
      token: await userToken(c, user.id),
    });
    assert.deepEqual(idsOf(mine).sort(), [made.body.id, scoped.body.id].sort());
    const onNode = await api.call('get', `/organizations/${group.id}/role-assignments`, { token: owner });
    assert.ok(idsOf(onNode).includes(made.body.id) && idsOf(onNode).includes(scoped.body.id));
    const again = await assign({ userId: user.id, roleId: AUDIT_VIEWER, organizationId: group.id });
    expectError(again, 409, 'role_assignment.exists');
    const adminsOnEnv = await assign({
      userId: user.id,
      roleId: ADMINS,
      organizationId: group.id,
      environmentId: environment.id,
    });
    expectError(adminsOnEnv, 422, 'role_assignment.not_environment_scopable');
    assert.equal(
      (await api.call('delete', `/role-assignments/${made.body.id}`, { token: owner })).status,
      204,
    );
    const left = await api.call('get', `/users/${user.id}/role-assignments`, { token: owner });
    assert.deepEqual(idsOf(left), [scoped.body.id]);
  });

  test('ROLE-3 assignments per node and per user are paged, with the total', async () => {
    const group = await addBusinessGroup(c, t, t.tenantId);
    const user = await addUser(c, t.tenantId);
    for (let i = 0; i < 5; i++) {
      const member = await addUser(c, t.tenantId);
      await assign({ userId: member.id, roleId: AUDIT_VIEWER, organizationId: group.id });
    }
    const roles = [ADMINS, AUDIT_VIEWER, ANALYTICS_VIEWER];
    for (const roleId of roles) await assign({ userId: user.id, roleId, organizationId: group.id });
    for (const path of [
      `/organizations/${group.id}/role-assignments`,
      `/users/${user.id}/role-assignments`,
    ]) {
      const all = await api.call('get', path, { token: owner });
      const pages: string[] = [];
      for (let offset = 0; offset < all.body.total; offset += 2) {
        const page = await api.call('get', `${path}?limit=2&offset=${offset}`, { token: owner });
        assert.deepEqual([page.body.total, page.body.limit, page.body.offset], [all.body.total, 2, offset]);
        pages.push(...idsOf(page));
      }
      assert.deepEqual(pages, idsOf(all), path);
      assert.equal(all.body.total, path.startsWith('/users') ? 3 : 8, path);
      expectError(await api.call('get', `${path}?offset=-2`, { token: owner }), 400, 'request.invalid_input');
    }
  });

  test('ROLE-5 a holder of roles.assign cannot grant or remove what they do not hold', async () => {
    const group = await addBusinessGroup(c, t, t.tenantId);
    const assigner = await addUser(c, t.tenantId);
    const other = await addUser(c, t.tenantId);
    const role = await createRole('Assigner', ['roles.assign', 'audit.view']);
    await assign({ userId: assigner.id, roleId: role.body.id, organizationId: t.tenantId });
    const token = await userToken(c, assigner.id);
    const escalate = await assign({ userId: other.id, roleId: ADMINS, organizationId: t.tenantId }, token);
    expectError(escalate, 403, 'role_assignment.privilege_escalation');
    assert.ok(escalate.body.details.missingPermissions.includes('users.manage'));
    const fine = await assign({ userId: other.id, roleId: AUDIT_VIEWER, organizationId: t.tenantId }, token);
    assert.equal(fine.status, 201);
    // Not inherited: nothing on the group below.
    const below = await assign({ userId: other.id, roleId: AUDIT_VIEWER, organizationId: group.id }, token);
    expectError(below, 403, 'auth.permission_denied');
    assert.deepEqual(below.body.details, { permission: 'roles.assign', organizationId: group.id });
    const [ownerGrant] = (await api.call('get', `/users/${t.user.id}/role-assignments`, { token: owner }))
      .body.items;
    const removal = await api.call('delete', `/role-assignments/${ownerGrant.id}`, { token });
    expectError(removal, 403, 'role_assignment.privilege_escalation');
    const seen = await api.call('get', `/organizations/${t.tenantId}/role-assignments?limit=200`, { token });
    assert.ok(idsOf(seen).includes(ownerGrant.id));
  });

  test("ROLE-5 USR-3 a user's assignments: all for users.manage holders, those where roles.assign is held for others", async () => {
    const [left, right] = [
      await addBusinessGroup(c, t, t.tenantId),
      await addBusinessGroup(c, t, t.tenantId),
    ];
    const member = await addUser(c, t.tenantId);
    const grants = [];
    for (const group of [left, right])
      grants.push(await assign({ userId: member.id, roleId: AUDIT_VIEWER, organizationId: group.id }));
    const path = `/users/${member.id}/role-assignments`;
    const leftAdmin = await addUser(c, t.tenantId);
    await assign({ userId: leftAdmin.id, roleId: ADMINS, organizationId: left.id });
    const partial = await api.call('get', path, { token: await userToken(c, leftAdmin.id) });
    assert.deepEqual([idsOf(partial), partial.body.total], [[grants[0]!.body.id], 1]);
    const { app } = await c.apps.create(t.owner, t.tenantId, {
      name: 'Access review',
      kind: 'service',
      grants: [{ organizationId: t.tenantId, permissions: ['users.manage', 'audit.view'] }],
    });
    const full = await api.call('get', path, { token: await appToken(c, app.clientId, 'users.manage') });
    assert.deepEqual(idsOf(full).sort(), grants.map((g) => g.body.id).sort());
    const refused = await api.call('get', path, { token: await appToken(c, app.clientId, 'audit.view') });
    expectError(refused, 403, 'auth.permission_denied');
    assert.equal(refused.body.details.permission, 'users.manage');
  });

  test("ORG-5 the owner's Organization Administrators cannot be removed (409)", async () => {
    const list = await api.call('get', `/users/${t.user.id}/role-assignments`, { token: owner });
    const grant = list.body.items.find((a: { roleId: string }) => a.roleId === ADMINS);
    const res = await api.call('delete', `/role-assignments/${grant.id}`, { token: owner });
    expectError(res, 409, 'organization.owner_protected');
    assert.ok(res.body.details.ownedOrganizationIds.includes(t.tenantId));
    const still = await api.call('get', `/users/${t.user.id}/role-assignments`, { token: owner });
    assert.ok(idsOf(still).includes(grant.id));
  });

  test('ROLE-3 bad assignment input is a 400 naming the field', async () => {
    const user = await addUser(c, t.tenantId);
    const valid = { userId: user.id, roleId: AUDIT_VIEWER, organizationId: t.tenantId };
    for (const [body, field] of [
      [{ ...valid, userId: 'nope' }, 'userId'],
      [{ ...valid, roleId: 42 }, 'roleId'],
      [{ ...valid, organizationId: undefined }, 'organizationId'],
      [{ ...valid, inherit: 'yes' }, 'inherit'],
      [{ ...valid, environmentId: 'prod' }, 'environmentId'],
    ] as const) {
      const res = await assign(body);
      expectError(res, 400, 'request.invalid_input', field);
      assert.deepEqual(
        res.body.details.fields.map((f: { field: string }) => f.field),
        [field],
      );
    }
  });

  test('ROLE-5 ids of another master org are not found (404), and nothing changes there', async () => {
    const b = await signUpTenant(c);
    const theirUser = await addUser(c, b.tenantId);
    const [theirGrant] = await c.assignments.listForUser(b.owner, b.tenantId, b.user.id);
    const mine = await addUser(c, t.tenantId);
    const cases: Array<[ApiResponse, string]> = [
      [await api.call('get', `/users/${theirUser.id}/role-assignments`, { token: owner }), 'user.not_found'],
      [
        await api.call('get', `/organizations/${b.tenantId}/role-assignments`, { token: owner }),
        'organization.not_found',
      ],
      [
        await api.call('delete', `/role-assignments/${theirGrant!.id}`, { token: owner }),
        'role_assignment.not_found',
      ],
      [
        await assign({ userId: theirUser.id, roleId: AUDIT_VIEWER, organizationId: t.tenantId }),
        'user.not_found',
      ],
      [
        await assign({ userId: mine.id, roleId: AUDIT_VIEWER, organizationId: b.tenantId }),
        'organization.not_found',
      ],
    ];
    for (const [res, code] of cases) expectError(res, 404, code);
    assert.deepEqual(
      (await c.assignments.listForUser(b.owner, b.tenantId, b.user.id)).map((a) => a.id),
      [theirGrant!.id],
    );
    assert.deepEqual(await c.assignments.listForUser(b.owner, b.tenantId, theirUser.id), []);
  });
});

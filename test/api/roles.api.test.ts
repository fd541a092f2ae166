import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BUILT_IN_ROLES,
  ORGANIZATION_ADMINISTRATORS,
  PERMISSION_CATALOGUE,
} from '../../src/modules/roles/index.ts';
import { expectError, idsOf, userToken } from '../helpers/api.ts';
import { apiSuite } from '../helpers/api-suite.ts';
import { addUser, signUpTenant } from '../helpers/factories.ts';

const ADMINS = ORGANIZATION_ADMINISTRATORS.id;

const { container: c, api, t, token: owner } = await apiSuite();

describe('admin API: permissions and roles', () => {
  const assign = (body: Record<string, unknown>, token = owner) =>
    api.call('post', '/role-assignments', { token, body });
  const createRole = (name: string, permissions: string[], token = owner) =>
    api.call('post', '/roles', { token, body: { name, permissions } });

  test('ROLE-1 the catalogue lists every permission with its description and environment scoping', async () => {
    const res = await api.call('get', '/permissions', { token: owner });
    assert.equal(res.status, 200);
    assert.equal(res.body.items.length, PERMISSION_CATALOGUE.length);
    const byName = new Map(res.body.items.map((p: { name: string }) => [p.name, p]));
    assert.deepEqual(byName.get('credentials.view'), {
      name: 'credentials.view',
      description: 'Read client credentials',
      environmentScopable: true,
    });
    assert.equal((byName.get('users.manage') as { environmentScopable: boolean }).environmentScopable, false);
  });

  test('ROLE-2 built-in roles come first, then custom ones, page by page; built-ins are read-only', async () => {
    const s = await signUpTenant(c);
    const token = await userToken(c, s.user.id);
    for (const name of ['Zeta', 'Alpha', 'Mid']) await createRole(name, ['audit.view'], token);
    const all = await api.call('get', '/roles?limit=200', { token });
    assert.equal(all.body.total, BUILT_IN_ROLES.length + 3);
    assert.deepEqual(
      all.body.items.map((r: { name: string; builtIn: boolean }) => r.builtIn),
      [...BUILT_IN_ROLES.map(() => true), false, false, false],
    );
    assert.deepEqual(
      all.body.items.slice(-3).map((r: { name: string }) => r.name),
      ['Alpha', 'Mid', 'Zeta'],
    );
    const page = await api.call('get', `/roles?limit=2&offset=${BUILT_IN_ROLES.length + 1}`, { token });
    assert.deepEqual([page.body.total, page.body.limit, page.body.offset], [all.body.total, 2, 6]);
    assert.deepEqual(idsOf(page), idsOf(all).slice(-2));
    expectError(await api.call('get', '/roles?limit=500', { token }), 400, 'request.invalid_input');
    for (const [method, body] of [
      ['patch', { name: 'Mine' }],
      ['delete', undefined],
    ] as const) {
      const res = await api.call(method, `/roles/${ADMINS}`, { token, body });
      expectError(res, 403, 'role.read_only', method);
    }
    assert.equal(
      (await api.call('get', `/roles/${ADMINS}`, { token })).body.permissions.length,
      PERMISSION_CATALOGUE.length,
    );
  });

  test('ROLE-2 custom roles are defined, changed and deleted; bad input is a 400 naming the field', async () => {
    const created = await createRole('Support', ['users.manage', 'users.manage']);
    assert.equal(created.status, 201);
    assert.deepEqual([created.body.builtIn, created.body.key], [false, null]);
    assert.deepEqual(created.body.permissions, ['users.manage']);
    for (const [body, field] of [
      [{ permissions: ['audit.view'] }, 'name'],
      [{ name: 'X', permissions: ['nope.nothing'] }, 'permissions.0'],
      [{ name: 'X', permissions: [] }, 'permissions'],
      [{ name: 'X', permissions: ['audit.view'], builtIn: true }, 'builtIn'],
    ] as const) {
      const bad = await api.call('post', '/roles', { token: owner, body });
      expectError(bad, 400, 'request.invalid_input', JSON.stringify(body));
      assert.deepEqual(
        bad.body.details.fields.map((f: { field: string }) => f.field),
        [field],
      );
    }
    expectError(await createRole('support', ['audit.view']), 409, 'role.name_taken');
    expectError(await createRole('Audit Viewer', ['audit.view']), 409, 'role.name_taken');
    const changed = await api.call('patch', `/roles/${created.body.id}`, {
      token: owner,
      body: { description: 'Helpdesk', permissions: ['users.manage', 'users.invite'] },
    });
    assert.equal(changed.status, 200);
    assert.deepEqual([changed.body.name, changed.body.description], ['Support', 'Helpdesk']);
    const user = await addUser(c, t.tenantId);
    const grant = await assign({ userId: user.id, roleId: created.body.id, organizationId: t.tenantId });
    expectError(await api.call('delete', `/roles/${created.body.id}`, { token: owner }), 409, 'role.in_use');
    assert.equal(
      (await api.call('delete', `/role-assignments/${grant.body.id}`, { token: owner })).status,
      204,
    );
    assert.equal((await api.call('delete', `/roles/${created.body.id}`, { token: owner })).status, 204);
    expectError(await api.call('get', `/roles/${created.body.id}`, { token: owner }), 404, 'role.not_found');
  });

  test('ROLE-2 ROLE-6 without roles.manage: 403 naming the permission; a role change applies at once', async () => {
    const custom = await createRole('Directory', ['users.manage']);
    const user = await addUser(c, t.tenantId);
    await assign({ userId: user.id, roleId: custom.body.id, organizationId: t.tenantId });
    const token = await userToken(c, user.id);
    const refused = await createRole('Mine', ['audit.view'], token);
    expectError(refused, 403, 'auth.permission_denied');
    assert.equal(refused.body.details.permission, 'roles.manage');
    assert.equal((await api.call('get', '/roles', { token })).status, 200, 'any role holder reads roles');
    assert.equal((await api.call('get', '/users', { token })).status, 200);
    await api.call('patch', `/roles/${custom.body.id}`, {
      token: owner,
      body: { permissions: ['audit.view'] },
    });
    expectError(await api.call('get', '/users', { token }), 403, 'auth.permission_denied');
  });

  test('ROLE-2 roles of another master org are not found (404), and nothing changes there', async () => {
    const b = await signUpTenant(c);
    const theirs = await createRole('Theirs', ['audit.view'], await userToken(c, b.user.id));
    const mine = await addUser(c, t.tenantId);
    for (const res of [
      await api.call('get', `/roles/${theirs.body.id}`, { token: owner }),
      await api.call('patch', `/roles/${theirs.body.id}`, { token: owner, body: { name: 'Ours' } }),
      await api.call('delete', `/roles/${theirs.body.id}`, { token: owner }),
      await assign({ userId: mine.id, roleId: theirs.body.id, organizationId: t.tenantId }),
    ])
      expectError(res, 404, 'role.not_found');
    expectError(await api.call('get', '/roles/not-a-uuid', { token: owner }), 404, 'role.not_found');
    const roles = await api.call('get', '/roles?limit=200', { token: owner });
    assert.ok(!idsOf(roles).includes(theirs.body.id));
    assert.equal((await c.roles.get(b.owner, b.tenantId, theirs.body.id)).name, 'Theirs');
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUILT_IN_ROLES, ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import { appToken, sessionBoundToken, userToken } from '../helpers/api.ts';
import { apiSuite } from '../helpers/api-suite.ts';
import { addBusinessGroup, addUser, PASSWORD, signUpTenant } from '../helpers/factories.ts';

const AUDIT_VIEWER = BUILT_IN_ROLES.find((r) => r.key === 'audit-viewer')!;
const USER_FIELDS = [
  'createdAt',
  'email',
  'emailVerified',
  'id',
  'local',
  'name',
  'status',
  'updatedAt',
  'username',
];

const { container: c, api, t, token: owner } = await apiSuite();

describe('admin API: users', () => {
  const fieldOf = (res: { body: { details?: { fields?: Array<{ field: string }> } } }) =>
    res.body.details?.fields?.map((f) => f.field);

  test('USR-3 users.manage holders list users page by page, with search; nothing secret leaves', async () => {
    const s = await signUpTenant(c);
    const token = await userToken(c, s.user.id);
    for (const name of ['dana', 'dave', 'erin']) await addUser(c, s.tenantId, name);
    const page = async (query: string) => {
      const { status, body } = await api.call('get', `/users?${query}`, { token });
      assert.equal(status, 200);
      return [body.items.map((u: { username: string }) => u.username), body.total, body.limit, body.offset];
    };
    assert.deepEqual(await page('search=DA&limit=1'), [['dana'], 2, 1, 0]);
    assert.deepEqual(await page('search=da&limit=1&offset=1'), [['dave'], 2, 1, 1]);
    const all = await api.call('get', '/users', { token });
    assert.deepEqual([all.body.total, all.body.limit, all.body.offset], [4, 50, 0]);
    for (const user of all.body.items) assert.deepEqual(Object.keys(user).sort(), USER_FIELDS);
    assert.doesNotMatch(JSON.stringify(all.body), /argon2|password|tenantId/i);
    // Wildcards are taken literally; past the end is an empty page that still counts.
    assert.equal((await api.call('get', '/users?search=%25', { token })).body.total, 0);
    assert.deepEqual(await page('offset=10'), [[], 4, 50, 10]);
  });

  test('USR-3 bad paging or search input is a 400 naming the field', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=abc', 'limit'],
      ['offset=-1', 'offset'],
      ['limit=1.5', 'limit'],
      [`search=${'x'.repeat(256)}`, 'search'],
      ['search=a&search=b', 'search'],
    ]) {
      const res = await api.call('get', `/users?${query}`, { token: owner });
      assert.equal(res.status, 400, query);
      assert.equal(res.body.code, 'request.invalid_input');
      assert.deepEqual(fieldOf(res), [field], query);
    }
  });

  test('USR-3 the profile is read and edited; bad input is a 400 naming the field and changes nothing', async () => {
    const user = await addUser(c, t.tenantId);
    const read = await api.call('get', `/users/${user.id}`, { token: owner });
    assert.deepEqual([read.status, read.body.username, read.body.local], [200, user.username, true]);
    const changed = await api.call('patch', `/users/${user.id}`, {
      token: owner,
      body: { name: '  Dana Doe ', email: 'dana@example.test' },
    });
    assert.equal(changed.status, 200);
    assert.deepEqual([changed.body.name, changed.body.email], ['Dana Doe', 'dana@example.test']);
    for (const [body, field] of [
      [{ email: 'not-an-email' }, 'email'],
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(256) }, 'name'],
    ] as const) {
      const bad = await api.call('patch', `/users/${user.id}`, { token: owner, body });
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.deepEqual(fieldOf(bad), [field]);
    }
    for (const body of [{}, { username: 'renamed' }, { password: 'x'.repeat(20) }]) {
      const bad = await api.call('patch', `/users/${user.id}`, { token: owner, body });
      assert.equal(bad.status, 400, JSON.stringify(body));
    }
    const after = await api.call('get', `/users/${user.id}`, { token: owner });
    assert.deepEqual(
      [after.body.username, after.body.name, after.body.email],
      [user.username, 'Dana Doe', 'dana@example.test'],
    );
  });

  test("USR-3 disabling ends the user's API access at once; enabling needs a new token", async () => {
    const user = await addUser(c, t.tenantId);
    const plain = await userToken(c, user.id);
    const bound = await sessionBoundToken(c, user.id);
    for (const token of [plain, bound])
      assert.equal((await api.call('get', `/users/${user.id}`, { token })).status, 200);

    const disabled = await api.call('post', `/users/${user.id}/disable`, { token: owner });
    assert.equal(disabled.status, 200);
    assert.equal(disabled.body.status, 'disabled');
    for (const token of [plain, bound]) {
      assert.equal((await api.call('get', `/users/${user.id}`, { token })).status, 401);
      assert.equal((await api.call('get', '/me', { token })).status, 401);
    }
    assert.equal((await api.call('get', '/me', { token: await userToken(c, user.id) })).status, 401);

    const enabled = await api.call('post', `/users/${user.id}/enable`, { token: owner });
    assert.equal(enabled.status, 200);
    assert.equal(enabled.body.status, 'active');
    // The session that was ended stays ended; a new token works.
    assert.equal((await api.call('get', '/me', { token: bound })).status, 401);
    assert.equal((await api.call('get', '/me', { token: await sessionBoundToken(c, user.id) })).status, 200);
  });

  test('USR-3 deletion is soft: the user is kept, listed no more, and their token is dead', async () => {
    const user = await addUser(c, t.tenantId);
    const token = await sessionBoundToken(c, user.id);
    assert.equal((await api.call('delete', `/users/${user.id}`, { token: owner })).status, 204);
    assert.equal((await api.call('get', '/me', { token })).status, 401);
    const kept = await api.call('get', `/users/${user.id}`, { token: owner });
    assert.equal(kept.body.status, 'deleted');
    const listed = await api.call('get', `/users?search=${user.username}`, { token: owner });
    assert.equal(listed.body.total, 0);
    // A deleted user is not edited, enabled or deleted again.
    for (const [method, path] of [
      ['patch', `/users/${user.id}`],
      ['post', `/users/${user.id}/enable`],
      ['delete', `/users/${user.id}`],
    ] as const) {
      const res = await api.call(method, path, { token: owner, body: { name: 'Back' } });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.body.code, 'user.not_found');
    }
  });

  test('ORG-5 the owner of a node cannot be disabled or deleted over the API (409)', async () => {
    for (const method of ['post', 'delete'] as const) {
      const path = method === 'post' ? `/users/${t.user.id}/disable` : `/users/${t.user.id}`;
      const res = await api.call(method, path, { token: owner });
      assert.equal(res.status, 409);
      assert.equal(res.body.code, 'organization.owner_protected');
      assert.ok(res.body.details.ownedOrganizationIds.includes(t.tenantId));
    }
    assert.equal((await api.call('get', '/me', { token: owner })).status, 200, 'the owner is still active');
  });

  test('USR-3 without users.manage on the master: 403 naming the permission, and nothing changes', async () => {
    const group = await addBusinessGroup(c, t, t.tenantId);
    const groupAdmin = await addUser(c, t.tenantId);
    await c.assignments.assign(t.owner, t.tenantId, {
      userId: groupAdmin.id,
      roleId: ORGANIZATION_ADMINISTRATORS.id,
      organizationId: group.id,
    });
    const token = await userToken(c, groupAdmin.id);
    const target = await addUser(c, t.tenantId);
    for (const [method, path] of [
      ['get', '/users'],
      ['get', `/users/${target.id}`],
      ['patch', `/users/${target.id}`],
      ['post', `/users/${target.id}/disable`],
      ['post', `/users/${target.id}/enable`],
      ['post', `/users/${target.id}/unlock`],
      ['delete', `/users/${target.id}`],
    ] as const) {
      const res = await api.call(method, path, { token, body: { name: 'Changed' } });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.code, 'auth.permission_denied');
      assert.equal(res.body.details.permission, 'users.manage');
      assert.equal(res.body.details.organizationId, t.tenantId);
    }
    const unchanged = await api.call('get', `/users/${target.id}`, { token: owner });
    assert.deepEqual([unchanged.body.name, unchanged.body.status], [target.name, 'active']);
  });

  test('USR-4 a user with no role reads their own user and nothing else (403)', async () => {
    await addBusinessGroup(c, t, t.tenantId);
    const nobody = await addUser(c, t.tenantId);
    const token = await userToken(c, nobody.id);
    assert.equal((await api.call('get', `/users/${nobody.id}`, { token })).body.id, nobody.id);
    const own = await api.call('get', `/users/${nobody.id}/role-assignments`, { token });
    assert.deepEqual([own.status, own.body.total], [200, 0]);
    for (const [method, path, body] of [
      ['get', '/users', undefined],
      ['get', `/users/${t.user.id}`, undefined],
      ['get', `/users/${t.user.id}/role-assignments`, undefined],
      ['get', '/users/00000000-0000-4000-8000-00000000dead/role-assignments', undefined],
      ['patch', `/users/${nobody.id}`, { name: 'Me' }],
      ['post', `/users/${nobody.id}/disable`, undefined],
      ['post', `/users/${nobody.id}/unlock`, undefined],
      ['get', '/roles', undefined],
      ['get', `/roles/${ORGANIZATION_ADMINISTRATORS.id}`, undefined],
      ['get', `/organizations/${t.tenantId}`, undefined],
      ['get', `/organizations/${t.tenantId}/role-assignments`, undefined],
      [
        'post',
        '/role-assignments',
        { userId: nobody.id, roleId: AUDIT_VIEWER.id, organizationId: t.tenantId },
      ],
    ] as const) {
      const res = await api.call(method, path, { token, body });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.code, 'auth.permission_denied');
    }
  });

  test('USR-1 ids of another master org are not found (404), and nothing changes there', async () => {
    const other = await signUpTenant(c);
    const theirs = await addUser(c, other.tenantId);
    for (const [method, path] of [
      ['get', `/users/${theirs.id}`],
      ['patch', `/users/${theirs.id}`],
      ['post', `/users/${theirs.id}/disable`],
      ['post', `/users/${theirs.id}/enable`],
      ['post', `/users/${theirs.id}/unlock`],
      ['delete', `/users/${theirs.id}`],
      ['get', '/users/not-a-uuid'],
      ['post', '/users/not-a-uuid/unlock'],
    ] as const) {
      const res = await api.call(method, path, { token: owner, body: { name: 'Mine now' } });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.body.code, 'user.not_found');
    }
    const listed = await api.call('get', `/users?search=${theirs.username}`, { token: owner });
    assert.equal(listed.body.total, 0);
    const intact = await c.users.get(other.owner, other.tenantId, theirs.id);
    assert.deepEqual([intact.name, intact.status], [theirs.name, 'active']);
  });

  test('SEC-6 users.manage holders lift a sign-in lockout: 204, the user signs in again at once, and it is audited', async () => {
    const locked = await addUser(c, t.tenantId);
    const from = { tenantId: t.tenantId, username: locked.username, ip: '198.51.100.66' };
    const anonymous = () => ({ actor: { kind: 'anonymous' as const }, requestId: 'req-sign-in' });
    for (let i = 0; i < 5; i++) await c.signIn.authenticate(anonymous(), { ...from, password: `wrong ${i}` });
    const refused = await c.signIn.authenticate(anonymous(), { ...from, password: PASSWORD });
    assert.equal(refused.ok ? 'ok' : refused.reason, 'throttled');

    const res = await api.call('post', `/users/${locked.id}/unlock`, { token: owner });
    assert.equal(res.status, 204);
    const again = await c.signIn.authenticate(anonymous(), { ...from, password: PASSWORD });
    assert.equal(again.ok && again.userId, locked.id);
    // Nothing locked: the same 204, recorded all the same.
    assert.equal((await api.call('post', `/users/${locked.id}/unlock`, { token: owner })).status, 204);
    const rows = await c.audit.list(t.tenantId, { action: 'user.unlock', limit: 10 });
    assert.deepEqual(
      rows.filter((r) => r.targetId === locked.id).map((r) => [r.actorId, r.after]),
      [
        [t.user.id, { username: locked.username, lockoutsLifted: 0 }],
        [t.user.id, { username: locked.username, lockoutsLifted: 1 }],
      ],
    );
    // A deleted user is gone for this purpose too.
    await c.users.delete(t.owner, t.tenantId, locked.id);
    const gone = await api.call('post', `/users/${locked.id}/unlock`, { token: owner });
    assert.deepEqual([gone.status, gone.body.code], [404, 'user.not_found']);
  });

  test('APP-1 USR-3 a service app lists users with the users.manage scope, and not with another', async () => {
    const { app } = await c.apps.create(t.owner, t.tenantId, {
      name: 'Directory sync',
      kind: 'service',
      grants: [{ organizationId: t.tenantId, permissions: ['users.manage', 'audit.view'] }],
    });
    const allowed = await api.call('get', '/users?limit=1', {
      token: await appToken(c, app.clientId, 'users.manage'),
    });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.body.items.length, 1);
    const refused = await api.call('get', '/users', { token: await appToken(c, app.clientId, 'audit.view') });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.details.permission, 'users.manage');
  });
});

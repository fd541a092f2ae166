import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import { verifyPassword } from '../../src/platform/crypto/password.ts';
import { rejectsWith } from '../helpers/assertions.ts';
import { addBusinessGroup, addUser, PASSWORD, signUpTenant, userCtx } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

describe('users', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  test('USR-1 usernames are unique within a master org regardless of case; other orgs and shared emails are fine', async () => {
    const c = env.container;
    const a = await signUpTenant(c, { username: 'alice' });
    const b = await signUpTenant(c, { username: 'alice' });
    assert.notEqual(a.user.id, b.user.id);
    await rejectsWith(addUser(c, a.tenantId, 'ALICE'), 'user.username_taken');
    const bob = await addUser(c, a.tenantId, 'bob');
    const bob2 = await addUser(c, a.tenantId, 'bob.two');
    assert.notEqual(bob.id, bob2.id);
    // Two accounts may share one email address.
    await c.users.updateProfile(a.owner, a.tenantId, bob2.id, { email: bob.email });
    assert.equal((await c.users.get(a.owner, a.tenantId, bob2.id)).email, bob.email);
  });

  test('USR-2 local users have an argon2id password hash, never the password', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const row = await c.database.knex('users').where({ id: t.user.id }).first('password_hash');
    assert.match(row.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.ok(!row.password_hash.includes(PASSWORD));
    assert.equal(await verifyPassword(row.password_hash, PASSWORD), true);
    assert.equal(await verifyPassword(row.password_hash, `${PASSWORD}!`), false);
    assert.equal(t.user.local, true);
  });

  test('USR-3 users.manage on the master edits profiles and disables, enables and deletes users', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const u = await addUser(c, t.tenantId, 'carol');
    const updated = await c.users.updateProfile(t.owner, t.tenantId, u.id, {
      name: 'Carol C',
      email: 'carol@new.test',
    });
    assert.deepEqual([updated.name, updated.email], ['Carol C', 'carol@new.test']);
    await rejectsWith(
      c.users.updateProfile(t.owner, t.tenantId, u.id, { email: 'not-an-email' }),
      'request.invalid_input',
    );
    await rejectsWith(c.users.updateProfile(t.owner, t.tenantId, u.id, {}), 'request.invalid_input');

    // An administrator of a business group only is not a user manager.
    const bg = await addBusinessGroup(c, t, t.tenantId);
    const bgAdmin = await addUser(c, t.tenantId);
    await c.assignments.assign(t.owner, t.tenantId, {
      userId: bgAdmin.id,
      roleId: ORGANIZATION_ADMINISTRATORS.id,
      organizationId: bg.id,
    });
    await rejectsWith(
      c.users.disable(userCtx(t.tenantId, bgAdmin.id), t.tenantId, u.id),
      'auth.permission_denied',
    );

    assert.equal((await c.users.disable(t.owner, t.tenantId, u.id)).status, 'disabled');
    assert.equal((await c.users.enable(t.owner, t.tenantId, u.id)).status, 'active');
    assert.equal((await c.users.delete(t.owner, t.tenantId, u.id)).status, 'deleted');
    // Deletion is soft: the row stays for audit and the username stays taken.
    const row = await c.database.knex('users').where({ id: u.id }).first();
    assert.equal(row.status, 'deleted');
    assert.ok(row.deleted_at instanceof Date);
    await rejectsWith(addUser(c, t.tenantId, 'Carol'), 'user.username_taken');
    await rejectsWith(c.users.enable(t.owner, t.tenantId, u.id), 'user.not_found');
  });

  test('USR-3 a disabled or deleted user holds no permission from the moment the call returns', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const admin = await addUser(c, t.tenantId);
    await c.assignments.assign(t.owner, t.tenantId, {
      userId: admin.id,
      roleId: ORGANIZATION_ADMINISTRATORS.id,
      organizationId: t.tenantId,
    });
    const adminCtx = userCtx(t.tenantId, admin.id);
    await addBusinessGroup(c, t, t.tenantId); // loads the index while the admin is active
    assert.equal((await c.directory.forTenant(t.tenantId)).can(admin.id, 'users.manage', t.tenantId), true);
    await c.users.disable(t.owner, t.tenantId, admin.id);
    assert.equal((await c.directory.forTenant(t.tenantId)).can(admin.id, 'users.manage', t.tenantId), false);
    await rejectsWith(
      c.businessGroups.create(adminCtx, t.tenantId, t.tenantId, { name: 'x' }),
      'auth.unauthenticated',
    );
    await c.users.enable(t.owner, t.tenantId, admin.id);
    assert.ok(await c.businessGroups.create(adminCtx, t.tenantId, t.tenantId, { name: 'back' }));
  });

  test('USR-4 a user without roles sees only their own profile', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    await addBusinessGroup(c, t, t.tenantId);
    const nobody = await addUser(c, t.tenantId);
    const ctx = userCtx(t.tenantId, nobody.id);
    assert.equal((await c.users.get(ctx, t.tenantId, nobody.id)).id, nobody.id);
    assert.deepEqual(await c.organizations.hierarchy(ctx, t.tenantId), []);
    assert.deepEqual(await c.assignments.listForUser(ctx, t.tenantId, nobody.id), []);
    await rejectsWith(c.users.get(ctx, t.tenantId, t.user.id), 'auth.permission_denied');
    await rejectsWith(c.users.list(ctx, t.tenantId, { limit: 10, offset: 0 }), 'auth.permission_denied');
    await rejectsWith(c.organizations.get(ctx, t.tenantId, t.tenantId), 'auth.permission_denied');
    await rejectsWith(c.environments.list(ctx, t.tenantId, t.tenantId), 'auth.permission_denied');
  });

  test('USR-3 users are listed with search and paging for users.manage holders', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    for (const name of ['dana', 'dave', 'erin']) await addUser(c, t.tenantId, name);
    const page = await c.users.list(t.owner, t.tenantId, { search: 'da', limit: 1, offset: 0 });
    assert.equal(page.total, 2);
    assert.deepEqual(
      page.users.map((u) => u.username),
      ['dana'],
    );
    const next = await c.users.list(t.owner, t.tenantId, { search: 'da', limit: 1, offset: 1 });
    assert.deepEqual(
      next.users.map((u) => u.username),
      ['dave'],
    );
    // Wildcards in the search are literal.
    assert.equal((await c.users.list(t.owner, t.tenantId, { search: '%', limit: 10, offset: 0 })).total, 0);
  });
});

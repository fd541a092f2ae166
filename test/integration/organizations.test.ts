import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import { invalidFields, rejectsWith } from '../helpers/assertions.ts';
import { addBusinessGroup, addUser, signUpTenant, type Tenant, userCtx } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

describe('organization settings and ownership', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  const grantAdmin = (t: Tenant, userId: string, organizationId: string) =>
    env.container.assignments.assign(t.owner, t.tenantId, {
      userId,
      roleId: ORGANIZATION_ADMINISTRATORS.id,
      organizationId,
    });

  test('ORG-2 a node is renamed by holders of orgs.settings.manage; names need not be unique and keep 1–255 characters', async () => {
    const c = env.container;
    const a = await signUpTenant(c, { companyName: 'Same Name' });
    const b = await signUpTenant(c, { companyName: 'Same Name' });
    assert.equal(a.organization.name, b.organization.name);
    const renamed = await c.organizations.updateSettings(a.owner, a.tenantId, a.tenantId, {
      name: 'Renamed Inc',
    });
    assert.equal(renamed.name, 'Renamed Inc');
    const bg = await addBusinessGroup(c, a, a.tenantId, 'Europe');
    assert.equal(
      (await c.organizations.updateSettings(a.owner, a.tenantId, bg.id, { name: 'EMEA' })).name,
      'EMEA',
    );
    assert.equal((await c.directory.forTenant(a.tenantId)).node(bg.id)?.name, 'EMEA');

    const err = await rejectsWith(
      c.organizations.updateSettings(a.owner, a.tenantId, a.tenantId, { name: 'x'.repeat(256) }),
      'request.invalid_input',
    );
    assert.deepEqual(invalidFields(err), ['name']);
    await rejectsWith(
      c.organizations.updateSettings(a.owner, a.tenantId, a.tenantId, { name: '   ' }),
      'request.invalid_input',
    );

    const stranger = await addUser(c, a.tenantId);
    await rejectsWith(
      c.organizations.updateSettings(userCtx(a.tenantId, stranger.id), a.tenantId, a.tenantId, {
        name: 'Mine',
      }),
      'auth.permission_denied',
    );
    assert.equal((await c.organizations.get(a.owner, a.tenantId, a.tenantId)).name, 'Renamed Inc');
  });

  test('ORG-3 the domain is unique regardless of case, well-formed, master-only, and the old one stops resolving', async () => {
    const c = env.container;
    const a = await signUpTenant(c, { domain: 'umbrella-corp' });
    const b = await signUpTenant(c, { domain: 'wayne' });
    assert.equal((await c.organizations.findByDomain('UMBRELLA-CORP'))?.id, a.tenantId);

    await rejectsWith(
      c.organizations.updateSettings(b.owner, b.tenantId, b.tenantId, { domain: 'Umbrella-Corp' }),
      'organization.domain_taken',
    );
    for (const bad of ['ab', 'x'.repeat(64), '-lead', 'trail-', 'under_score', 'dot.ted', 'sp ace']) {
      const err = await rejectsWith(
        c.organizations.updateSettings(a.owner, a.tenantId, a.tenantId, { domain: bad }),
        'request.invalid_input',
      );
      assert.deepEqual(invalidFields(err), ['domain'], bad);
    }
    const updated = await c.organizations.updateSettings(a.owner, a.tenantId, a.tenantId, {
      domain: 'Umbrella2',
    });
    assert.equal(updated.domain, 'umbrella2');
    assert.equal(await c.organizations.findByDomain('umbrella-corp'), undefined);
    assert.equal((await c.organizations.findByDomain('umbrella2'))?.id, a.tenantId);

    const bg = await addBusinessGroup(c, a, a.tenantId);
    await rejectsWith(
      c.organizations.updateSettings(a.owner, a.tenantId, bg.id, { domain: 'bg-domain' }),
      'organization.not_master',
    );
    const bgAdmin = await addUser(c, a.tenantId);
    await grantAdmin(a, bgAdmin.id, bg.id);
    await rejectsWith(
      c.organizations.updateSettings(userCtx(a.tenantId, bgAdmin.id), a.tenantId, a.tenantId, {
        domain: 'taken-over',
      }),
      'auth.permission_denied',
    );
  });

  test('ORG-4 ownership passes only to an active user of the same master org holding Organization Administrators there', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const other = await signUpTenant(c);
    const plain = await addUser(c, t.tenantId);
    const admin = await addUser(c, t.tenantId);
    await grantAdmin(t, admin.id, t.tenantId);

    await rejectsWith(
      c.organizations.transferOwnership(t.owner, t.tenantId, t.tenantId, { ownerUserId: plain.id }),
      'organization.owner_not_eligible',
    );
    await rejectsWith(
      c.organizations.transferOwnership(t.owner, t.tenantId, t.tenantId, { ownerUserId: other.user.id }),
      'organization.owner_not_eligible',
    );
    await rejectsWith(
      c.organizations.transferOwnership(userCtx(t.tenantId, plain.id), t.tenantId, t.tenantId, {
        ownerUserId: plain.id,
      }),
      'auth.permission_denied',
    );
    const moved = await c.organizations.transferOwnership(t.owner, t.tenantId, t.tenantId, {
      ownerUserId: admin.id,
    });
    assert.equal(moved.ownerUserId, admin.id);

    // Inherited administration makes a user eligible on a business group too.
    const bg = await addBusinessGroup(c, t, t.tenantId);
    const onBg = await c.organizations.transferOwnership(t.owner, t.tenantId, bg.id, {
      ownerUserId: admin.id,
    });
    assert.equal(onBg.ownerUserId, admin.id);

    // A disabled administrator is not eligible.
    const sleeper = await addUser(c, t.tenantId);
    await grantAdmin(t, sleeper.id, t.tenantId);
    await c.users.disable(t.owner, t.tenantId, sleeper.id);
    await rejectsWith(
      c.organizations.transferOwnership(t.owner, t.tenantId, bg.id, { ownerUserId: sleeper.id }),
      'organization.owner_not_eligible',
    );
  });

  test('ORG-5 the owner keeps Organization Administrators and cannot be disabled or deleted until ownership moves', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const [ownerGrant] = await c.assignments.listForUser(t.owner, t.tenantId, t.user.id);
    const successor = await addUser(c, t.tenantId);
    const successorGrant = await grantAdmin(t, successor.id, t.tenantId);
    const successorCtx = userCtx(t.tenantId, successor.id);

    await rejectsWith(
      c.assignments.remove(successorCtx, t.tenantId, ownerGrant!.id),
      'organization.owner_protected',
    );
    await rejectsWith(c.users.disable(successorCtx, t.tenantId, t.user.id), 'organization.owner_protected');
    await rejectsWith(c.users.delete(successorCtx, t.tenantId, t.user.id), 'organization.owner_protected');
    assert.equal((await c.directory.forTenant(t.tenantId)).isAdministrator(t.user.id, t.tenantId), true);

    await c.organizations.transferOwnership(t.owner, t.tenantId, t.tenantId, { ownerUserId: successor.id });
    // The former owner keeps the role until it is removed explicitly.
    assert.equal((await c.directory.forTenant(t.tenantId)).isAdministrator(t.user.id, t.tenantId), true);
    await c.assignments.remove(successorCtx, t.tenantId, ownerGrant!.id);
    assert.equal((await c.directory.forTenant(t.tenantId)).isAdministrator(t.user.id, t.tenantId), false);
    // Now the successor owns the master and is protected in turn.
    await rejectsWith(
      c.assignments.remove(successorCtx, t.tenantId, successorGrant.id),
      'organization.owner_protected',
    );
  });

  test('ORG-5 an owner whose administration comes from a second grant may lose the first one', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const bg = await addBusinessGroup(c, t, t.tenantId);
    const lead = await addUser(c, t.tenantId);
    const bgGrant = await grantAdmin(t, lead.id, bg.id);
    await c.organizations.transferOwnership(t.owner, t.tenantId, bg.id, { ownerUserId: lead.id });
    await rejectsWith(c.assignments.remove(t.owner, t.tenantId, bgGrant.id), 'organization.owner_protected');
    await grantAdmin(t, lead.id, t.tenantId); // administration of the master reaches the group too
    await c.assignments.remove(t.owner, t.tenantId, bgGrant.id);
    assert.equal((await c.directory.forTenant(t.tenantId)).isAdministrator(lead.id, bg.id), true);
  });

  test('ORG-11 the session timeout is whole minutes from 15 to 180, default 60, refused (never clamped) outside', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    assert.equal(t.organization.sessionTimeoutMinutes, 60);
    for (const bad of [14, 181, 0, -5, 200, 60.5, '60', null]) {
      const err = await rejectsWith(
        c.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, { sessionTimeoutMinutes: bad }),
        'request.invalid_input',
      );
      assert.deepEqual(invalidFields(err), ['sessionTimeoutMinutes'], String(bad));
      assert.match(err.message, /15 to 180/);
    }
    assert.equal((await c.organizations.get(t.owner, t.tenantId, t.tenantId)).sessionTimeoutMinutes, 60);
    for (const ok of [15, 180, 90]) {
      const org = await c.organizations.updateSettings(t.owner, t.tenantId, t.tenantId, {
        sessionTimeoutMinutes: ok,
      });
      assert.equal(org.sessionTimeoutMinutes, ok);
    }
    const bg = await addBusinessGroup(c, t, t.tenantId);
    assert.equal(bg.sessionTimeoutMinutes, null);
    await rejectsWith(
      c.organizations.updateSettings(t.owner, t.tenantId, bg.id, { sessionTimeoutMinutes: 30 }),
      'organization.not_master',
    );
    // The database refuses it too, whatever path a write takes.
    await assert.rejects(
      c.database.knex('organizations').where({ id: t.tenantId }).update({ session_timeout_minutes: 181 }),
      /check/i,
    );
  });
});

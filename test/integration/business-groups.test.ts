import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUILT_IN_ROLES, ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import { invalidFields, rejectsWith } from '../helpers/assertions.ts';
import { addBusinessGroup, addUser, signUpTenant, type Tenant, userCtx } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

const AUDIT_VIEWER = BUILT_IN_ROLES.find((r) => r.key === 'audit-viewer')!;

describe('business groups', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv({ config: { organizations: { maxBusinessGroups: 5 } } });
  });
  after(() => env.close());

  const grant = (
    t: Tenant,
    userId: string,
    organizationId: string,
    roleId = ORGANIZATION_ADMINISTRATORS.id,
    inherit?: boolean,
  ) => env.container.assignments.assign(t.owner, t.tenantId, { userId, roleId, organizationId, inherit });

  test('ORG-6 creating a group needs orgs.create on the parent and its createSubOrgs entitlement; sibling names are unique', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const eu = await c.businessGroups.create(t.owner, t.tenantId, t.tenantId, { name: 'Europe' });
    assert.equal(eu.parentId, t.tenantId);
    assert.equal(eu.ownerUserId, t.user.id, 'the owner defaults to the creator');
    assert.deepEqual(eu.entitlements, { createSubOrgs: false, createEnvironments: false });

    await rejectsWith(
      c.businessGroups.create(t.owner, t.tenantId, t.tenantId, { name: 'EUROPE' }),
      'business_group.name_taken',
    );
    await rejectsWith(
      c.businessGroups.create(t.owner, t.tenantId, eu.id, { name: 'France' }),
      'business_group.not_entitled',
    );
    const err = await rejectsWith(
      c.businessGroups.create(t.owner, t.tenantId, t.tenantId, { name: '' }),
      'request.invalid_input',
    );
    assert.deepEqual(invalidFields(err), ['name']);

    const viewer = await addUser(c, t.tenantId);
    await grant(t, viewer.id, t.tenantId, AUDIT_VIEWER.id);
    await rejectsWith(
      c.businessGroups.create(userCtx(t.tenantId, viewer.id), t.tenantId, t.tenantId, { name: 'Asia' }),
      'auth.permission_denied',
    );
    // The same name under another parent is fine.
    await c.businessGroups.setEntitlements(t.owner, t.tenantId, eu.id, { createSubOrgs: true });
    const nested = await c.businessGroups.create(t.owner, t.tenantId, eu.id, { name: 'Europe' });
    assert.equal(nested.parentId, eu.id);
  });

  test('ORG-6 the owner may be named, must be eligible, and becomes an administrator of the new group', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const lead = await addUser(c, t.tenantId);
    const bg = await c.businessGroups.create(t.owner, t.tenantId, t.tenantId, {
      name: 'Labs',
      ownerUserId: lead.id,
    });
    assert.equal(bg.ownerUserId, lead.id);
    const index = await c.directory.forTenant(t.tenantId);
    assert.equal(index.isAdministrator(lead.id, bg.id), true);
    assert.equal(index.isAdministrator(lead.id, t.tenantId), false);

    const other = await signUpTenant(c);
    await rejectsWith(
      c.businessGroups.create(t.owner, t.tenantId, t.tenantId, {
        name: 'Foreign',
        ownerUserId: other.user.id,
      }),
      'organization.owner_not_eligible',
    );
    // A creator who is not an administrator of the parent cannot make someone else one.
    const creator = await addUser(c, t.tenantId);
    const custom = await c.roles.create(t.owner, t.tenantId, {
      name: 'Group Maker',
      permissions: ['orgs.create'],
    });
    await grant(t, creator.id, t.tenantId, custom.id);
    const bystander = await addUser(c, t.tenantId);
    await rejectsWith(
      c.businessGroups.create(userCtx(t.tenantId, creator.id), t.tenantId, t.tenantId, {
        name: 'Sneaky',
        ownerUserId: bystander.id,
      }),
      'organization.owner_not_eligible',
    );
    // …but may name an existing administrator of the parent.
    const ok = await c.businessGroups.create(userCtx(t.tenantId, creator.id), t.tenantId, t.tenantId, {
      name: 'Fine',
      ownerUserId: t.user.id,
    });
    assert.equal(ok.ownerUserId, t.user.id);
  });

  test('ORG-6 a master org holds at most the configured number of business groups', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    for (let i = 0; i < 5; i++) await addBusinessGroup(c, t, t.tenantId, `group-${i}`);
    const err = await rejectsWith(
      addBusinessGroup(c, t, t.tenantId, 'one-too-many'),
      'business_group.limit_reached',
    );
    assert.equal(err.details?.limit, 5);
  });

  test('ORG-7 entitlements are set from the parent, never beyond it, and turning one off reaches every group below', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const a = await addBusinessGroup(c, t, t.tenantId, 'A');
    const b = await addBusinessGroup(c, t, a.id, 'B');
    const cc = await addBusinessGroup(c, t, b.id, 'C');
    assert.deepEqual(cc.entitlements, { createSubOrgs: true, createEnvironments: true });

    // An administrator of A only cannot change A's own entitlements (that takes the parent's authority).
    const aAdmin = await addUser(c, t.tenantId);
    await grant(t, aAdmin.id, a.id);
    await rejectsWith(
      c.businessGroups.setEntitlements(userCtx(t.tenantId, aAdmin.id), t.tenantId, a.id, {
        createSubOrgs: true,
      }),
      'auth.permission_denied',
    );
    await c.businessGroups.setEntitlements(t.owner, t.tenantId, a.id, { createSubOrgs: false });
    const index = await c.directory.forTenant(t.tenantId);
    assert.equal(index.node(b.id)?.createSubOrgs, false);
    assert.equal(index.node(cc.id)?.createSubOrgs, false);
    assert.equal(index.node(cc.id)?.createEnvironments, true);
    await rejectsWith(
      c.businessGroups.setEntitlements(t.owner, t.tenantId, b.id, { createSubOrgs: true }),
      'business_group.entitlement_not_on_parent',
    );
    await rejectsWith(
      c.businessGroups.create(t.owner, t.tenantId, a.id, {
        name: 'D',
        entitlements: { createSubOrgs: true },
      }),
      'business_group.not_entitled',
    );
    await rejectsWith(
      c.businessGroups.setEntitlements(t.owner, t.tenantId, t.tenantId, {}),
      'organization.not_master',
    );
  });

  test('ORG-7 properties: at most 50 keys, values up to 1 KiB, editable with orgs.properties.manage', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const bg = await addBusinessGroup(c, t, t.tenantId);
    const props = { costCenter: 'CC-42', region: { name: 'eu', tier: 2 }, flags: [1, 2, 3] };
    assert.deepEqual(
      (await c.organizations.setProperties(t.owner, t.tenantId, bg.id, props)).properties,
      props,
    );

    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]));
    await rejectsWith(
      c.organizations.setProperties(t.owner, t.tenantId, bg.id, tooMany),
      'request.invalid_input',
    );
    const tooBig = await rejectsWith(
      c.organizations.setProperties(t.owner, t.tenantId, bg.id, { blob: 'x'.repeat(1100) }),
      'request.invalid_input',
    );
    assert.deepEqual(invalidFields(tooBig), ['blob']);
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'.repeat(1000)]));
    assert.equal(
      Object.keys((await c.organizations.setProperties(t.owner, t.tenantId, bg.id, fifty)).properties).length,
      50,
    );

    const viewer = await addUser(c, t.tenantId);
    await grant(t, viewer.id, bg.id, AUDIT_VIEWER.id);
    await rejectsWith(
      c.organizations.setProperties(userCtx(t.tenantId, viewer.id), t.tenantId, bg.id, {}),
      'auth.permission_denied',
    );
  });

  test('ORG-8 only a childless group is deleted, with its environments, credentials and role assignments; never the master', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const parent = await addBusinessGroup(c, t, t.tenantId);
    const child = await addBusinessGroup(c, t, parent.id);
    const env1 = await c.environments.create(t.owner, t.tenantId, child.id, {
      name: 'Prod',
      type: 'production',
    });
    const member = await addUser(c, t.tenantId);
    await grant(t, member.id, child.id, AUDIT_VIEWER.id);

    await rejectsWith(c.businessGroups.remove(t.owner, t.tenantId, parent.id), 'business_group.has_children');
    await rejectsWith(
      c.businessGroups.remove(t.owner, t.tenantId, t.tenantId),
      'organization.master_not_deletable',
    );
    const outsider = await addUser(c, t.tenantId);
    await rejectsWith(
      c.businessGroups.remove(userCtx(t.tenantId, outsider.id), t.tenantId, child.id),
      'auth.permission_denied',
    );

    await c.businessGroups.remove(t.owner, t.tenantId, child.id);
    const k = c.database.knex;
    assert.equal((await k('organizations').where({ id: child.id })).length, 0);
    assert.equal((await k('environments').where({ id: env1.id })).length, 0);
    assert.equal((await k('client_credentials').where({ org_id: child.id })).length, 0);
    assert.equal((await k('role_assignments').where({ org_id: child.id })).length, 0);
    assert.equal((await c.directory.forTenant(t.tenantId)).node(child.id), undefined);
    await c.businessGroups.remove(t.owner, t.tenantId, parent.id);
  });

  test('ORG-9 administrators of a node administer every descendant, including later ones; nothing flows up or sideways', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const eu = await addBusinessGroup(c, t, t.tenantId, 'EU');
    const us = await addBusinessGroup(c, t, t.tenantId, 'US');
    const euAdmin = await addUser(c, t.tenantId);
    await grant(t, euAdmin.id, eu.id);
    const euCtx = userCtx(t.tenantId, euAdmin.id);
    const later = await c.businessGroups.create(euCtx, t.tenantId, eu.id, { name: 'France' });
    const index = await c.directory.forTenant(t.tenantId);
    assert.equal(index.isAdministrator(euAdmin.id, later.id), true);
    assert.equal(index.isAdministrator(t.user.id, later.id), true);

    await rejectsWith(c.organizations.get(euCtx, t.tenantId, t.tenantId), 'auth.permission_denied');
    await rejectsWith(c.organizations.get(euCtx, t.tenantId, us.id), 'auth.permission_denied');
    await rejectsWith(
      c.credentials.read(euCtx, t.tenantId, { orgId: t.tenantId, environmentId: null }),
      'auth.permission_denied',
    );
    await rejectsWith(
      c.organizations.updateSettings(euCtx, t.tenantId, us.id, { name: 'Mine' }),
      'auth.permission_denied',
    );
    await rejectsWith(c.assignments.listForNode(euCtx, t.tenantId, t.tenantId), 'auth.permission_denied');
    assert.equal(
      (await c.credentials.read(euCtx, t.tenantId, { orgId: later.id, environmentId: null })).organizationId,
      later.id,
    );
  });

  test('ORG-10 the hierarchy shows nodes where the user holds a role, plus name-only ancestors', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const a = await addBusinessGroup(c, t, t.tenantId, 'A');
    const a1 = await addBusinessGroup(c, t, a.id, 'A1');
    const a1x = await addBusinessGroup(c, t, a1.id, 'A1x');
    await addBusinessGroup(c, t, t.tenantId, 'B');
    const user = await addUser(c, t.tenantId);
    await grant(t, user.id, a1.id, AUDIT_VIEWER.id, true);

    const view = await c.organizations.hierarchy(userCtx(t.tenantId, user.id), t.tenantId);
    assert.deepEqual(
      view.map((n) => [n.name, n.access, n.permissions]),
      [
        [t.organization.name, 'ancestor', []],
        ['A', 'ancestor', []],
        ['A1', 'member', ['audit.view']],
        ['A1x', 'member', ['audit.view']],
      ],
    );
    assert.equal(view[3]!.id, a1x.id);
    assert.equal(view[3]!.parentId, a1.id);
    const ownerView = await c.organizations.hierarchy(t.owner, t.tenantId);
    assert.equal(ownerView.length, 5);
    assert.ok(ownerView.every((n) => n.access === 'member' && n.permissions.length === 18));
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAuditRepository } from '../../src/modules/audit/audit.repository.ts';
import { createCredentialRepository } from '../../src/modules/environments/credential.repository.ts';
import { createEnvironmentRepository } from '../../src/modules/environments/environment.repository.ts';
import { createOrganizationRepository } from '../../src/modules/organizations/organization.repository.ts';
import {
  createAssignmentRepository,
  ownedNodeIds,
  userStatus,
} from '../../src/modules/roles/assignment.repository.ts';
import { createSnapshotRepository } from '../../src/modules/roles/directory/snapshot.repository.ts';
import { ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import { createRoleRepository } from '../../src/modules/roles/role.repository.ts';
import { createUserRepository } from '../../src/modules/users/user.repository.ts';
import { rejectsWith } from '../helpers/assertions.ts';
import { addBusinessGroup, addUser, operator, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

/**
 * Two tenants side by side: every repository call scoped to tenant A, given ids of tenant B's rows,
 * reads nothing and changes nothing (ARCHITECTURE §3 rule 4).
 */
describe('tenant isolation in the data layer', () => {
  let env: TestEnv;
  let a: Tenant;
  let b: Tenant;
  let bRows: Record<string, unknown[]>;
  const ids: Record<string, string> = {};

  before(async () => {
    env = await createTestEnv();
    const c = env.container;
    a = await signUpTenant(c, { companyName: 'Tenant A' });
    b = await signUpTenant(c, { companyName: 'Tenant B' });
    const bg = await addBusinessGroup(c, b, b.tenantId, 'B group');
    const user = await addUser(c, b.tenantId, 'b-user');
    const role = await c.roles.create(b.owner, b.tenantId, { name: 'B role', permissions: ['audit.view'] });
    const grant = await c.assignments.assign(b.owner, b.tenantId, {
      userId: user.id,
      roleId: role.id,
      organizationId: bg.id,
    });
    const environment = await c.environments.create(b.owner, b.tenantId, bg.id, {
      name: 'B env',
      type: 'sandbox',
    });
    Object.assign(ids, {
      bg: bg.id,
      user: user.id,
      role: role.id,
      grant: grant.id,
      env: environment.id,
      client: environment.clientId,
    });
    bRows = await snapshotOf(b.tenantId);
  });
  after(() => env.close());

  async function snapshotOf(tenantId: string) {
    const k = env.container.database.knex;
    const rows: Record<string, unknown[]> = {};
    for (const table of [
      'organizations',
      'users',
      'roles',
      'role_assignments',
      'environments',
      'client_credentials',
    ]) {
      rows[table] = await k(table).where({ tenant_id: tenantId }).orderBy('created_at').select();
    }
    return rows;
  }

  test('ORG-9 reads scoped to tenant A never return tenant B rows', async () => {
    const k = env.container.database.knex;
    const A = a.tenantId;
    const orgs = createOrganizationRepository(k);
    assert.equal(await orgs.findById(A, b.tenantId), undefined);
    assert.equal(await orgs.findById(A, ids.bg!), undefined);
    assert.equal(await orgs.countChildren(A, b.tenantId), 0);
    assert.ok((await orgs.listWithOwners(A)).every((n) => n.id !== ids.bg && n.id !== b.tenantId));
    const users = createUserRepository(k);
    assert.equal(await users.findById(A, ids.user!), undefined);
    assert.equal(await users.findByUsername(A, 'b-user'), undefined);
    assert.deepEqual(await users.ownedNodeIds(A, b.user.id), []);
    assert.ok((await users.list(A, { limit: 100, offset: 0 })).users.every((u) => u.tenantId === A));
    const roles = createRoleRepository(k);
    assert.equal(await roles.findById(A, ids.role!), undefined);
    assert.ok((await roles.list(A)).every((r) => r.id !== ids.role));
    assert.equal(await roles.assignmentCount(A, ids.role!), 0);
    const grants = createAssignmentRepository(k);
    assert.equal(await grants.findById(A, ids.grant!), undefined);
    assert.deepEqual(await grants.listForUser(A, ids.user!), []);
    assert.deepEqual(await grants.listForNode(A, ids.bg!), []);
    assert.equal((await grants.administeredAmong(A, b.user.id, [b.tenantId, ids.bg!])).size, 0);
    assert.equal(await userStatus(k, A, ids.user!), undefined);
    assert.deepEqual(await ownedNodeIds(k, A, b.user.id), []);
    const envs = createEnvironmentRepository(k);
    assert.equal(await envs.findById(A, ids.env!), undefined);
    assert.deepEqual(await envs.listForOrg(A, ids.bg!), []);
    assert.equal(await envs.mayHaveEnvironments(A, ids.bg!), undefined);
    const creds = createCredentialRepository(k);
    assert.equal(await creds.findFor(A, { orgId: ids.bg!, environmentId: null }), undefined);
    assert.equal(await creds.findFor(A, { orgId: ids.bg!, environmentId: ids.env! }), undefined);
    assert.ok((await createAuditRepository(k).list(A, { limit: 500 })).every((e) => e.tenantId === A));
    const snapshot = await createSnapshotRepository(k).load(A);
    assert.ok(snapshot.nodes.every((n) => n.id !== ids.bg));
    assert.ok(snapshot.assignments.every((x) => x.userId !== ids.user));
    assert.ok(!snapshot.roleMasks.has(ids.role!));
  });

  test('ORG-9 writes scoped to tenant A never touch tenant B rows', async () => {
    const k = env.container.database.knex;
    const A = a.tenantId;
    const at = new Date();
    await createOrganizationRepository(k).update(A, ids.bg!, {
      name: 'hijacked',
      ownerUserId: a.user.id,
      at,
    });
    await createOrganizationRepository(k).revokeEntitlementBelow(A, b.tenantId, 'create_environments', at);
    await createOrganizationRepository(k)
      .delete(A, ids.bg!)
      .catch(() => {});
    await createUserRepository(k).update(A, ids.user!, { name: 'hijacked', status: 'disabled', at });
    await createRoleRepository(k).update(A, ids.role!, {
      name: 'hijacked',
      permissions: ['users.manage'],
      at,
    });
    await createRoleRepository(k)
      .delete(A, ids.role!)
      .catch(() => {});
    await createAssignmentRepository(k).delete(A, ids.grant!);
    await createEnvironmentRepository(k).rename(A, ids.env!, 'hijacked', at);
    await createEnvironmentRepository(k).delete(A, ids.env!);
    await createCredentialRepository(k).replaceSecret(A, ids.client!, {
      secretSealed: 'v1.x.x.x.x',
      previousSecretSealed: null,
      previousSecretExpiresAt: null,
      at,
    });
    assert.deepEqual(await snapshotOf(b.tenantId), bRows);
  });

  test('ORG-9 services refuse a caller of another master org as if the object did not exist', async () => {
    const c = env.container;
    const A = a.owner;
    await rejectsWith(c.organizations.get(A, b.tenantId, b.tenantId), 'organization.not_found');
    await rejectsWith(
      c.businessGroups.create(A, b.tenantId, b.tenantId, { name: 'x' }),
      'organization.not_found',
    );
    await rejectsWith(c.businessGroups.remove(A, b.tenantId, ids.bg!), 'organization.not_found');
    await rejectsWith(c.users.disable(A, b.tenantId, ids.user!), 'organization.not_found');
    await rejectsWith(
      c.credentials.read(A, b.tenantId, { orgId: b.tenantId, environmentId: null }),
      'organization.not_found',
    );
    await rejectsWith(c.environments.get(A, b.tenantId, ids.env!), 'organization.not_found');
    await rejectsWith(c.roles.get(A, b.tenantId, ids.role!), 'organization.not_found');
    // Naming B's objects inside A's own tenant finds nothing either.
    await rejectsWith(c.organizations.get(A, a.tenantId, ids.bg!), 'organization.not_found');
    await rejectsWith(c.users.get(A, a.tenantId, ids.user!), 'user.not_found');
    await rejectsWith(c.environments.get(A, a.tenantId, ids.env!), 'environment.not_found');
    await rejectsWith(c.assignments.remove(A, a.tenantId, ids.grant!), 'role_assignment.not_found');
    await rejectsWith(
      c.assignments.assign(A, a.tenantId, {
        userId: ids.user!,
        roleId: ORGANIZATION_ADMINISTRATORS.id,
        organizationId: a.tenantId,
      }),
      'user.not_found',
    );
    await rejectsWith(
      c.assignments.assign(A, a.tenantId, {
        userId: a.user.id,
        roleId: ids.role!,
        organizationId: a.tenantId,
      }),
      'role.not_found',
    );
    assert.deepEqual(await snapshotOf(b.tenantId), bRows);
  });

  test('ORG-9 ids that are not even UUIDs name nothing: not found, never a database error', async () => {
    const c = env.container;
    const A = a.owner;
    for (const bad of ['nope', '', "1' or '1'='1", '00000000-0000-0000-0000-00000000000g']) {
      await rejectsWith(c.organizations.get(A, a.tenantId, bad), 'organization.not_found');
      await rejectsWith(c.organizations.get(A, bad, bad), 'organization.not_found');
      await rejectsWith(c.organizations.locate(operator(), bad), 'organization.not_found');
      await rejectsWith(c.users.get(A, a.tenantId, bad), 'user.not_found');
      await rejectsWith(c.users.disable(A, a.tenantId, bad), 'user.not_found');
      await rejectsWith(c.roles.get(A, a.tenantId, bad), 'role.not_found');
      await rejectsWith(c.assignments.remove(A, a.tenantId, bad), 'role_assignment.not_found');
      await rejectsWith(c.assignments.listForUser(A, a.tenantId, bad), 'user.not_found');
      await rejectsWith(c.environments.get(A, a.tenantId, bad), 'environment.not_found');
      await rejectsWith(
        c.credentials.read(A, a.tenantId, { orgId: a.tenantId, environmentId: bad }),
        'environment.not_found',
      );
      await rejectsWith(c.credentials.resetOrgSecret(operator(), a.tenantId, bad), 'organization.not_found');
      await rejectsWith(c.businessGroups.remove(A, a.tenantId, bad), 'organization.not_found');
    }
  });
});

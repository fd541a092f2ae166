import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { migrationSource } from '../../migrations/index.ts';
import { type Container, createContainer } from '../../src/container.ts';
import { mappingSource } from '../../src/modules/identity-providers/index.ts';
import { ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import { type Database, openDatabase } from '../../src/platform/db/database.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { builtInRoleId } from '../helpers/api-world.ts';
import { eventually } from '../helpers/eventually.ts';
import {
  addBusinessGroup,
  addUser,
  insertAssignmentRow,
  signUpTenant,
  type Tenant,
} from '../helpers/factories.ts';
import { samlProvider } from '../helpers/idp-fixtures.ts';
import { createTestEnv, type TestEnv, testConfig } from '../helpers/test-container.ts';
import { backend } from '../helpers/test-database.ts';

// REL-6: a delete cleans what refers to the deleted thing, in its own transaction: a business
// group leaves no service-app grant behind, an identity provider no assignment its mappings made.

const REDIS_URL = process.env.REDIS_URL;

describe(`REL-6 deletes clean their references (${backend})`, () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  const c = () => env.container;
  const knex = () => env.container.database.knex;
  const storedGrants = async (appId: string) =>
    (
      (await knex()('apps').where({ id: appId }).first('grants')).grants as Array<{ organizationId: string }>
    ).map((g) => g.organizationId);

  async function serviceAppOn(t: Tenant, orgIds: string[]) {
    const { app } = await c().apps.create(t.owner, t.tenantId, {
      name: `svc-${randomUUID()}`,
      kind: 'service',
      grants: orgIds.map((organizationId) => ({ organizationId, permissions: ['audit.view'] })),
    });
    return app;
  }

  test('REL-6 deleting a business group takes it out of every service app’s grants, audited', async () => {
    const t = await signUpTenant(c());
    const doomed = await addBusinessGroup(c(), t, t.tenantId);
    const sibling = await addBusinessGroup(c(), t, t.tenantId);
    const both = await serviceAppOn(t, [t.tenantId, doomed.id, sibling.id]);
    const only = await serviceAppOn(t, [doomed.id]);
    const untouched = await serviceAppOn(t, [sibling.id]);
    const other = await signUpTenant(c());
    const elsewhere = await serviceAppOn(other, [other.tenantId]);
    const before = await knex()('apps').whereIn('id', [untouched.id, elsewhere.id]).orderBy('id');

    await c().businessGroups.remove(t.owner, t.tenantId, doomed.id);

    assert.deepEqual(await storedGrants(both.id), [t.tenantId, sibling.id]);
    assert.deepEqual(await storedGrants(only.id), []);
    assert.deepEqual(await knex()('apps').whereIn('id', [untouched.id, elsewhere.id]).orderBy('id'), before);
    const entries = await knex()('audit_log')
      .where({ tenant_id: t.tenantId, action: 'app.update' })
      .whereIn('target_id', [both.id, only.id, untouched.id]);
    assert.deepEqual(entries.map((e) => e.target_id).sort(), [both.id, only.id].sort());
    const entry = entries.find((e) => e.target_id === both.id)!;
    assert.deepEqual(
      entry.after.grants.map((g: { organizationId: string }) => g.organizationId),
      [t.tenantId, sibling.id],
    );
    assert.deepEqual(entry.after.cause, { deletedOrganizations: [doomed.id] });
    const deleted = await knex()('audit_log').where({
      action: 'business_group.delete',
      target_id: doomed.id,
    });
    assert.equal(deleted.length, 1);
    assert.equal(entry.request_id, deleted[0].request_id, 'one request, one transaction');
    // The app reads the same as before for what it kept, and can be changed again.
    assert.deepEqual(
      (await c().apps.get(t.owner, t.tenantId, both.id)).grants.map((g) => g.organizationId),
      [t.tenantId, sibling.id],
    );
  });

  test('REL-6 when the grants cannot be cleaned, the business group is not deleted either', async () => {
    const t = await signUpTenant(c());
    const group = await addBusinessGroup(c(), t, t.tenantId);
    const app = await serviceAppOn(t, [t.tenantId, group.id]);
    const fn = `refuse_grants_${randomUUID().replaceAll('-', '')}`;
    await knex().raw(`create function ${fn}() returns trigger language plpgsql as $$
      begin raise exception 'REL-6 test: grants may not change'; end $$`);
    await knex().raw(
      `create trigger ${fn} before update of grants on apps for each row execute function ${fn}()`,
    );
    try {
      await assert.rejects(c().businessGroups.remove(t.owner, t.tenantId, group.id), /grants may not change/);
    } finally {
      await knex().raw(`drop trigger ${fn} on apps`);
      await knex().raw(`drop function ${fn}()`);
    }
    assert.ok(await knex()('organizations').where({ id: group.id }).first(), 'the group is still there');
    assert.deepEqual(await storedGrants(app.id), [t.tenantId, group.id]);
    assert.equal(
      (await knex()('audit_log').where({ action: 'business_group.delete', target_id: group.id })).length,
      0,
    );
    assert.ok((await c().directory.forTenant(t.tenantId)).node(group.id), 'and still in the authorizer');
  });

  /** A provider with a mapping granting Audit Viewer on `orgId`, and `user` signed in through it. */
  async function mappedUser(node: Container, t: Tenant, orgId: string) {
    const provider = await node.identityProviders.create(
      t.owner,
      t.tenantId,
      samlProvider(`idp-${randomUUID()}`),
    );
    await node.groupMappings.create(t.owner, t.tenantId, provider.id, {
      group: 'auditors',
      roleId: builtInRoleId('audit-viewer'),
      organizationId: orgId,
    });
    const userId = await node.federatedSignIn.signInFederated(
      { actor: { kind: 'anonymous' }, requestId: `req-${randomUUID()}` },
      t.tenantId,
      provider.id,
      { subject: `s-${randomUUID()}`, username: `fed${randomUUID().slice(0, 8)}`, groups: ['auditors'] },
    );
    return { provider, userId };
  }

  test('REL-6 ROLE-6 deleting an identity provider removes what its mappings granted: the user loses the role at once', async () => {
    const t = await signUpTenant(c());
    const group = await addBusinessGroup(c(), t, t.tenantId);
    const { provider, userId } = await mappedUser(c(), t, group.id);
    const assignments = await knex()('role_assignments').where({ user_id: userId });
    assert.deepEqual(
      assignments.map((a) => a.source),
      [mappingSource(provider.id)],
    );
    assert.equal((await c().directory.forTenant(t.tenantId)).can(userId, 'audit.view', group.id), true);

    await c().identityProviders.remove(t.owner, t.tenantId, provider.id);

    assert.equal((await c().directory.forTenant(t.tenantId)).can(userId, 'audit.view', group.id), false);
    assert.deepEqual(await knex()('role_assignments').where({ user_id: userId }), []);
    const left = await knex()('role_assignments').where({ source: mappingSource(provider.id) });
    assert.deepEqual(left, [], 'nothing names the deleted provider');
    const audited = await knex()('audit_log').where({
      action: 'role_assignment.delete',
      target_id: assignments[0].id,
    });
    assert.equal(audited.length, 1);
  });

  test('REL-6 ORG-5 an owner’s Organization Administrators made by a deleted provider stays, as manual, audited', async () => {
    const t = await signUpTenant(c());
    const group = await addBusinessGroup(c(), t, t.tenantId);
    const provider = await c().identityProviders.create(
      t.owner,
      t.tenantId,
      samlProvider(`idp-${randomUUID()}`),
    );
    const sam = await addUser(c(), t.tenantId);
    const admin = await insertAssignmentRow(c(), t.tenantId, {
      userId: sam.id,
      roleId: ORGANIZATION_ADMINISTRATORS.id,
      organizationId: group.id,
      source: mappingSource(provider.id),
    });
    await c().organizations.transferOwnership(t.owner, t.tenantId, group.id, { ownerUserId: sam.id });

    await c().identityProviders.remove(t.owner, t.tenantId, provider.id);

    const kept = await knex()('role_assignments').where({ id: admin.id }).first();
    assert.equal(kept.source, 'manual');
    const entry = await knex()('audit_log')
      .where({ action: 'role_assignment.update', target_id: admin.id })
      .first();
    assert.equal(entry.before.source, mappingSource(provider.id));
    assert.equal(entry.after.source, 'manual');
    assert.equal(entry.after.reason, 'owner_protected');
    assert.equal((await c().directory.forTenant(t.tenantId)).can(sam.id, 'users.manage', group.id), true);
  });

  test('REL-6 ROLE-6 another node’s index loses the mapped role too', {
    skip: REDIS_URL
      ? false
      : 'REDIS_URL is not set: nodes share no signal bus, so there is no second node to tell',
  }, async () => {
    let second: Database | undefined;
    let nodeB: Container | undefined;
    try {
      if (backend === 'postgres') {
        const { rows } = await knex().raw('select current_schema() as schema');
        second = await openDatabase({
          databaseUrl: process.env.DATABASE_URL!,
          dataDir: '',
          poolMax: 3,
          searchPath: rows[0].schema,
        });
      }
      const shared = { knex: knex(), kind: c().database.kind, close: async () => {} } as Database;
      const config = testConfig({ storage: { ...c().config.storage } });
      nodeB = await createContainer(config, {
        database: second ?? shared,
        clock: env.clock,
        logger: createLogger('warn'),
      });
      const t = await signUpTenant(c());
      const { provider, userId } = await mappedUser(c(), t, t.tenantId);
      const b = nodeB;
      assert.equal((await b.directory.forTenant(t.tenantId)).can(userId, 'audit.view', t.tenantId), true);
      await c().identityProviders.remove(t.owner, t.tenantId, provider.id);
      assert.ok(
        await eventually(
          async () => !(await b.directory.forTenant(t.tenantId)).can(userId, 'audit.view', t.tenantId),
        ),
        'node B still grants the role of a deleted provider',
      );
    } finally {
      await nodeB?.close();
    }
  });

  test('REL-6 the migration cleans references left by deletes made before it', async () => {
    const t = await signUpTenant(c());
    const group = await addBusinessGroup(c(), t, t.tenantId);
    const app = await serviceAppOn(t, [t.tenantId, group.id]);
    const gone = randomUUID();
    // What deletes used to leave: a grant on a group deleted since, assignments of a provider deleted since.
    await knex()('apps')
      .where({ id: app.id })
      .update({
        grants: JSON.stringify([
          { organizationId: t.tenantId, permissions: ['audit.view'] },
          { organizationId: gone, permissions: ['audit.view'] },
          { organizationId: group.id, permissions: ['audit.view'] },
        ]),
      });
    const ghost = `idp:${randomUUID()}`;
    const viewer = await addUser(c(), t.tenantId);
    const owner = await addUser(c(), t.tenantId);
    const grant = (userId: string, roleId: string, source: string) =>
      insertAssignmentRow(c(), t.tenantId, { userId, roleId, organizationId: group.id, source });
    const dangling = await grant(viewer.id, builtInRoleId('audit-viewer'), ghost);
    const byHand = await grant(viewer.id, builtInRoleId('analytics-viewer'), 'manual');
    const ownerAdmin = await grant(owner.id, ORGANIZATION_ADMINISTRATORS.id, ghost);
    await c().organizations.transferOwnership(t.owner, t.tenantId, group.id, { ownerUserId: owner.id });
    const version = async () =>
      Number((await knex()('authz_versions').where({ tenant_id: t.tenantId }).first()).version);
    const versionBefore = await version();

    const name = '20261207000700_housekeeping';
    await knex().migrate.down({ migrationSource, name });
    await knex().migrate.up({ migrationSource, name });

    assert.deepEqual(await storedGrants(app.id), [t.tenantId, group.id]);
    const left = await knex()('role_assignments').whereIn('id', [dangling.id, byHand.id, ownerAdmin.id]);
    assert.deepEqual(
      left.map((a) => [a.id, a.source]).sort(),
      [
        [byHand.id, 'manual'],
        [ownerAdmin.id, 'manual'],
      ].sort(),
    );
    const entries = await knex()('audit_log')
      .where({ actor_type: 'system', actor_id: `migration:${name}` })
      .whereIn('target_id', [app.id, dangling.id, ownerAdmin.id]);
    assert.deepEqual(
      entries.map((e) => [e.target_id, e.action]).sort(),
      [
        [app.id, 'app.update'],
        [dangling.id, 'role_assignment.delete'],
        [ownerAdmin.id, 'role_assignment.update'],
      ].sort(),
    );
    assert.ok((await version()) > versionBefore, 'the tenant’s authorizer version moved');
  });
});

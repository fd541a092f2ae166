import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type { Container } from '../../src/container.ts';
import { BUILT_IN_ROLES, ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/built-in-roles.ts';
import { TenantIndex } from '../../src/modules/roles/directory/tenant-index.ts';
import { ALL_PERMISSIONS } from '../../src/modules/roles/permissions.ts';
import type { CheckedPassword, PasswordHash } from '../../src/modules/users/index.ts';
import { AppError } from '../../src/platform/errors/index.ts';
import { addBusinessGroup, operator, PASSWORD, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { assertMatchesReference, type ReferenceWorld } from '../helpers/reference-authz.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

// The authorizer against a real database, through the real services: after any change returns,
// the index answers exactly what the rows in SQL say (ARCHITECTURE §4, ROLE-6).

/** What SQL says about one tenant, in a stable order (the clock moves before every command). */
interface TenantRows {
  world: ReferenceWorld;
  version: number;
  userIds: string[];
  assignmentIds: string[];
}

async function readRows(c: Container, tenantId: string): Promise<TenantRows> {
  const knex = c.database.knex;
  const nodes = await knex('organizations')
    .where({ tenant_id: tenantId })
    .orderBy(['created_at', 'name'])
    .select('id', 'parent_id', 'name');
  const environments = await knex('environments')
    .where({ tenant_id: tenantId })
    .orderBy(['created_at', 'name'])
    .select('id', 'org_id');
  const roles = await knex('roles')
    .where((q) => q.whereNull('tenant_id').orWhere({ tenant_id: tenantId }))
    .orderBy(['created_at', 'name'])
    .select('id', 'permissions');
  const assignments = await knex('role_assignments')
    .where({ tenant_id: tenantId })
    .orderBy(['created_at', 'id'])
    .select('id', 'user_id', 'role_id', 'org_id', 'environment_id', 'inherit');
  const users = await knex('users')
    .where({ tenant_id: tenantId })
    .orderBy(['created_at', 'username'])
    .select('id', 'status');
  const version = await knex('authz_versions').where({ tenant_id: tenantId }).first('version');
  return {
    world: {
      nodes: nodes.map((n) => ({ id: n.id, parentId: n.parent_id, name: n.name })),
      environments: environments.map((e) => ({ id: e.id, orgId: e.org_id })),
      roles: new Map(roles.map((r) => [r.id, r.permissions as string[]])),
      assignments: assignments.map((a) => ({
        userId: a.user_id,
        roleId: a.role_id,
        orgId: a.org_id,
        environmentId: a.environment_id,
        inherit: a.inherit,
      })),
      inactiveUserIds: new Set(users.filter((u) => u.status !== 'active').map((u) => u.id)),
    },
    version: Number(version.version),
    userIds: users.map((u) => u.id),
    assignmentIds: assignments.map((a) => a.id),
  };
}

const permissionSet = fc.subarray([...ALL_PERMISSIONS], { minLength: 1 });
const pick = fc.nat();
const assign = fc.record({
  kind: fc.constant('assign' as const),
  user: pick,
  role: pick,
  node: pick,
  mode: fc.constantFrom('node' as const, 'inherit' as const, 'environment' as const),
  environment: pick,
});
const command = fc.oneof(
  { weight: 5, arbitrary: assign },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unassign' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('addGroup' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('removeGroup' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('renameNode' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('addEnvironment' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('removeEnvironment' as const), pick }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('setStatus' as const),
      pick,
      status: fc.constantFrom('disabled' as const, 'active' as const, 'deleted' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('createRole' as const), permissions: permissionSet }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('updateRole' as const), pick, permissions: permissionSet }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeRole' as const), pick }) },
);
type Command = typeof command extends fc.Arbitrary<infer T> ? T : never;

/** A run: a custom role, a few groups and grants to work with, then random commands. All go through the services. */
const scenario = fc
  .record({
    role: permissionSet,
    groups: fc.array(pick, { minLength: 1, maxLength: 4, size: 'max' }),
    grants: fc.array(assign, { minLength: 1, maxLength: 3, size: 'max' }),
    commands: fc.array(command, { minLength: 1, maxLength: 8, size: 'max' }),
  })
  .map((s): Command[] => [
    { kind: 'createRole', permissions: s.role },
    ...s.groups.map((p) => ({ kind: 'addGroup' as const, pick: p })),
    ...s.grants,
    ...s.commands,
    // A fixed tail, so every run exercises these kinds whatever the random part drew.
    { kind: 'updateRole', pick: 0, permissions: s.role },
    { kind: 'unassign', pick: 0 },
    { kind: 'setStatus', pick: 0, status: 'disabled' },
  ]);

/** What `run` returns when there was nothing to act on (no group, environment or assignment). */
const SKIPPED = Symbol('skipped');

const at = <T>(list: readonly T[], n: number): T | undefined =>
  list.length > 0 ? list[n % list.length] : undefined;
/** Like `at`, counting from the newest: small picks (fast-check's favourites) hit what the run made. */
const recent = <T>(list: readonly T[], n: number): T | undefined => at([...list].reverse(), n);

/** Runs one command through the services as the operator; picks are resolved against the current rows. */
async function run(c: Container, t: Tenant, rows: TenantRows, cmd: Command, seq: number): Promise<unknown> {
  const op = operator();
  const { tenantId } = t;
  const { world } = rows;
  const groups = world.nodes.filter((n) => n.parentId !== null);
  const roleIds = [...world.roles.keys()];
  const builtIn = new Set(BUILT_IN_ROLES.map((r) => r.id));
  // Mostly the tenant's own roles; now and then a built-in one, which must be refused (ROLE-2).
  const custom = roleIds.filter((id) => !builtIn.has(id));
  const changeable = (n: number) => recent(n % 4 === 3 || custom.length === 0 ? roleIds : custom, n)!;
  switch (cmd.kind) {
    case 'assign': {
      const node = at(world.nodes, cmd.node)!;
      const environments = world.environments.filter((e) => e.orgId === node.id);
      const environmentId = cmd.mode === 'environment' ? at(environments, cmd.environment)?.id : undefined;
      return c.assignments.assign(op, tenantId, {
        userId: at(rows.userIds, cmd.user),
        roleId: at(roleIds, cmd.role),
        organizationId: node.id,
        ...(environmentId ? { environmentId } : { inherit: cmd.mode === 'inherit' }),
      });
    }
    case 'unassign': {
      const id = recent(rows.assignmentIds, cmd.pick);
      return id ? c.assignments.remove(op, tenantId, id) : SKIPPED;
    }
    case 'addGroup':
      return c.businessGroups.create(op, tenantId, at(world.nodes, cmd.pick)!.id, {
        name: `Group ${seq}`,
        ownerUserId: t.user.id,
        entitlements: { createSubOrgs: true, createEnvironments: true },
      });
    case 'removeGroup': {
      const group = recent(groups, cmd.pick);
      return group ? c.businessGroups.remove(op, tenantId, group.id) : SKIPPED;
    }
    case 'renameNode':
      return c.organizations.updateSettings(op, tenantId, at(world.nodes, cmd.pick)!.id, {
        name: `Renamed ${seq}`,
      });
    case 'addEnvironment':
      return c.environments.create(op, tenantId, at(world.nodes, cmd.pick)!.id, {
        name: `Env ${seq}`,
        type: 'production',
      });
    case 'removeEnvironment': {
      const environment = at(world.environments, cmd.pick);
      return environment ? c.environments.remove(op, tenantId, environment.id) : SKIPPED;
    }
    case 'setStatus': {
      // Mostly users other than the owner (whom ORG-5 keeps enabled); now and then the owner, to be refused.
      const others = rows.userIds.filter((id) => id !== t.user.id);
      const userId = (cmd.pick % 5 === 4 || others.length === 0 ? t.user.id : at(others, cmd.pick))!;
      if (cmd.status === 'disabled') return c.users.disable(op, tenantId, userId);
      if (cmd.status === 'deleted') return c.users.delete(op, tenantId, userId);
      return c.users.enable(op, tenantId, userId);
    }
    case 'createRole':
      return c.roles.create(op, tenantId, { name: `Role ${seq}`, permissions: cmd.permissions });
    case 'updateRole':
      return c.roles.update(op, tenantId, changeable(cmd.pick), { permissions: cmd.permissions });
    case 'removeRole':
      return c.roles.remove(op, tenantId, changeable(cmd.pick));
  }
}

/** The index the authorizer serves right now is the current version and agrees with the rows. */
async function assertIndexMatchesRows(c: Container, tenantId: string): Promise<TenantRows> {
  const index = await c.directory.forTenant(tenantId);
  const rows = await readRows(c, tenantId);
  assert.equal(index.version, rows.version, 'the index serves the version SQL holds');
  assertMatchesReference(index, rows.world, [...rows.userIds, 'no-such-user']);
  return rows;
}

describe('authorizer on the database', () => {
  let env: TestEnv;
  let passwordHash: PasswordHash;
  before(async () => {
    env = await createTestEnv();
    ({ passwordHash } = await env.container.users.prepareLocalUser({
      username: 'template',
      email: 'template@acme.test',
      name: 'Template',
      password: PASSWORD as CheckedPassword, // PASSWORD passes the policy (sign-up checks it)
    }));
  });
  after(() => env.close());

  /** Users without argon2 per user: one prepared hash serves them all. */
  async function addUsers(tenantId: string, count: number): Promise<string[]> {
    const c = env.container;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      env.clock.advance(1000);
      const user = await c.database.knex.transaction((tx) =>
        c.users.insertLocalUser(tx, tenantId, {
          username: `person${i}`,
          email: `person${i}@acme.test`,
          name: `Person ${i}`,
          passwordHash,
        }),
      );
      ids.push(user.id);
    }
    return ids;
  }

  test('ROLE-3 ROLE-4 ROLE-6 after every change through the services, the index matches the rows in SQL', async (ctx) => {
    const c = env.container;
    const succeeded = new Map<Command['kind'], number>();
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (commands) => {
        const t = await signUpTenant(c);
        await addUsers(t.tenantId, 3);
        let rows = await assertIndexMatchesRows(c, t.tenantId);
        for (const [seq, cmd] of commands.entries()) {
          env.clock.advance(1000);
          let ok = true;
          try {
            if ((await run(c, t, rows, cmd, seq)) === SKIPPED) continue;
          } catch (err) {
            if (!(err instanceof AppError)) throw err;
            ok = false;
            refused++;
          }
          const previous = rows.version;
          rows = await assertIndexMatchesRows(c, t.tenantId);
          if (!ok) assert.equal(rows.version, previous, `a refused ${cmd.kind} leaves the version alone`);
          if (ok && cmd.kind !== 'createRole')
            assert.ok(rows.version > previous, `${cmd.kind} moved the version`);
          if (ok) succeeded.set(cmd.kind, (succeeded.get(cmd.kind) ?? 0) + 1);
        }
      }),
      { numRuns: 15 },
    );
    ctx.diagnostic(`succeeded:  ${JSON.stringify(Object.fromEntries(succeeded))}, refused: ${refused}`);
    for (const kind of ['assign', 'unassign', 'addGroup', 'setStatus', 'updateRole'] as const)
      assert.ok((succeeded.get(kind) ?? 0) > 0, `some ${kind} succeeded: ${JSON.stringify([...succeeded])}`);
    assert.ok(refused > 0, 'some commands were refused, and left the index alone');
  });

  test('ROLE-6 each change moves the version; an unchanged tenant keeps its index object', async () => {
    const c = env.container;
    const op = operator();
    const t = await signUpTenant(c);
    const other = await signUpTenant(c);
    const [userId] = await addUsers(t.tenantId, 1);
    const otherIndex = await c.directory.forTenant(other.tenantId);
    let index = await c.directory.forTenant(t.tenantId);
    assert.equal(await c.directory.forTenant(t.tenantId), index, 'no reload without a change');

    /** Runs a change, then: a new index of a higher version, served twice as the same object. */
    const expectNewVersion = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
      const result = await work();
      const next = await c.directory.forTenant(t.tenantId);
      assert.ok(next.version > index.version, `${label} moved the version past ${index.version}`);
      assert.notEqual(next, index, `${label} replaced the index`);
      assert.equal(await c.directory.forTenant(t.tenantId), next, `after ${label}, the new index is kept`);
      index = next;
      return result;
    };
    const group = await expectNewVersion('business group creation', () => addBusinessGroup(c, t, t.tenantId));
    const environment = await expectNewVersion('environment creation', () =>
      c.environments.create(op, t.tenantId, group.id, { name: 'Prod', type: 'production' }),
    );
    const role = await c.roles.create(op, t.tenantId, { name: 'Readers', permissions: ['credentials.view'] });
    const grant = await expectNewVersion('an assignment', () =>
      c.assignments.assign(op, t.tenantId, {
        userId: userId!,
        roleId: role.id,
        organizationId: group.id,
        environmentId: environment.id,
      }),
    );
    assert.equal(index.can(userId!, 'credentials.view', group.id, environment.id), true);
    await expectNewVersion('a role change', () =>
      c.roles.update(op, t.tenantId, role.id, { permissions: ['credentials.view', 'analytics.view'] }),
    );
    assert.equal(index.can(userId!, 'analytics.view', group.id, environment.id), true);
    await expectNewVersion('disabling', () => c.users.disable(op, t.tenantId, userId!));
    assert.equal(index.mask(userId!, group.id, environment.id), 0);
    await expectNewVersion('enabling', () => c.users.enable(op, t.tenantId, userId!));
    await expectNewVersion('removing the assignment', () => c.assignments.remove(op, t.tenantId, grant.id));
    await expectNewVersion('removing the environment', () =>
      c.environments.remove(op, t.tenantId, environment.id),
    );
    await expectNewVersion('removing the group', () => c.businessGroups.remove(op, t.tenantId, group.id));
    assert.equal(index.node(group.id), undefined);
    assert.equal(await c.directory.forTenant(other.tenantId), otherIndex, 'another tenant was not reloaded');
  });

  test('ROLE-6 a refused change leaves the version and the index in place', async () => {
    const c = env.container;
    const op = operator();
    const t = await signUpTenant(c);
    const parent = await addBusinessGroup(c, t, t.tenantId);
    await addBusinessGroup(c, t, parent.id);
    const index = await c.directory.forTenant(t.tenantId);
    await assert.rejects(
      c.businessGroups.remove(op, t.tenantId, parent.id),
      (err: AppError) => err.code === 'business_group.has_children',
    );
    await assert.rejects(
      c.users.disable(op, t.tenantId, t.user.id),
      (err: AppError) => err.code === 'organization.owner_protected',
    );
    await assert.rejects(
      c.assignments.assign(op, t.tenantId, {
        userId: t.user.id,
        roleId: ORGANIZATION_ADMINISTRATORS.id,
        organizationId: t.tenantId,
      }),
      (err: AppError) => err.code === 'role_assignment.exists',
    );
    assert.equal(await c.directory.forTenant(t.tenantId), index);
    assert.ok(index instanceof TenantIndex);
    await assertIndexMatchesRows(c, t.tenantId);
  });

  test('ROLE-6 a load racing with a change never serves the older version once the change has returned', async () => {
    const c = env.container;
    const t = await signUpTenant(c);
    const [userId] = await addUsers(t.tenantId, 1);
    for (let round = 0; round < 24; round++) {
      const active = round % 2 === 1;
      let racing: Promise<TenantIndex> | undefined;
      await c.directory.change(t.tenantId, 'everything', async () => {}); // empties the cache: the next read loads
      // That load starts while the change is uncommitted, and may finish before or after the commit.
      const version = await c.directory.change(t.tenantId, 'everything', async (tx) => {
        await tx('users')
          .where({ id: userId })
          .update({ status: active ? 'active' : 'disabled' });
        racing = c.directory.forTenant(t.tenantId);
        await sleep(round % 6);
        const row = await tx('authz_versions').where({ tenant_id: t.tenantId }).first('version');
        return Number(row.version);
      });
      const index = await c.directory.forTenant(t.tenantId);
      assert.equal(index.version, version, `round ${round}: the version the change committed`);
      assert.equal(index.isActive(userId!), active, `round ${round}`);
      await racing;
    }
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type ExternalProfile, SignInRefused } from '../../src/federation/index.ts';
import { mappingSource } from '../../src/modules/identity-providers/index.ts';
import { ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import type { RequestContext } from '../../src/platform/context.ts';
import { addBusinessGroup, addUser, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { oidcProvider } from '../helpers/idp-fixtures.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

const anonymous = (): RequestContext => ({ actor: { kind: 'anonymous' }, requestId: `req-${randomUUID()}` });

describe('federated sign-in: the account step (FED-3, FED-4, ORG-5)', () => {
  let env: TestEnv;
  let t: Tenant;
  let providerId: string;
  before(async () => {
    env = await createTestEnv();
    t = await signUpTenant(env.container);
    providerId = (await env.container.identityProviders.create(t.owner, t.tenantId, oidcProvider('Okta'))).id;
  });
  after(() => env.close());

  const signIn = (profile: ExternalProfile, provider = providerId) =>
    env.container.federatedSignIn.signInFederated(anonymous(), t.tenantId, provider, profile);
  const userRow = (id: string) => env.container.database.knex('users').where({ id }).first();
  const assignmentsOf = (userId: string) =>
    env.container.database.knex('role_assignments').where({ user_id: userId }).orderBy('created_at');
  const auditOf = (action: string, targetId: string) =>
    env.container.database.knex('audit_log').where({ action, target_id: targetId });

  test('FED-3 first sign-in creates a user without password, keyed by (provider, subject); later ones refresh the profile', async () => {
    const profile = { subject: 'sub-1', username: 'ann', email: 'ann@corp.test', name: 'Ann', groups: [] };
    const id = await signIn(profile);
    const row = await userRow(id);
    assert.equal(row.tenant_id, t.tenantId);
    assert.equal(row.username, 'ann');
    assert.equal(row.password_hash, null, 'USR-2: federated users have no password');
    assert.equal((await auditOf('user.create', id)).length, 1);
    assert.equal((await auditOf('federated_identity.link', id)).length, 1);
    const again = await signIn({ ...profile, email: 'ann@new.test', name: 'Ann B' });
    assert.equal(again, id, 'the same subject is the same user');
    const refreshed = await userRow(id);
    assert.deepEqual([refreshed.email, refreshed.name], ['ann@new.test', 'Ann B']);
    const signIns = await env.container.database
      .knex('audit_log')
      .where({ action: 'session.sign_in', target_id: id, outcome: 'success' });
    assert.equal(signIns.length, 2, 'AUD-1: every sign-in is audited');
  });

  test("FED-3 never by email: an email equal to a local user's, or the same subject at another provider, is another user", async () => {
    const local = await addUser(env.container, t.tenantId);
    const other = await env.container.identityProviders.create(t.owner, t.tenantId, oidcProvider('Entra'));
    const byEmail = await signIn({
      subject: 'sub-2',
      username: local.username,
      email: local.email,
      groups: [],
    });
    assert.notEqual(byEmail, local.id);
    const row = await userRow(byEmail);
    assert.equal(row.username, `${local.username}-2`, 'the username is made unique with a suffix');
    assert.equal((await userRow(local.id)).password_hash !== null, true, 'the local user is untouched');
    const elsewhere = await signIn({ subject: 'sub-2', groups: [] }, other.id);
    assert.notEqual(elsewhere, byEmail, 'same subject at another provider: another user');
  });

  test('FED-3 usernames from odd values fit the rules; missing email and name have safe fallbacks', async () => {
    const id = await signIn({ subject: 'x|ü 1', groups: [] });
    const row = await userRow(id);
    assert.match(row.username, /^[A-Za-z0-9][A-Za-z0-9._@+-]{2,}$/);
    assert.equal(row.email, '');
    assert.equal(row.name, row.username);
  });

  test('FED-3 a disabled user is refused and nothing changes', async () => {
    const id = await signIn({ subject: 'sub-3', username: 'dora', groups: [] });
    await env.container.users.disable(t.owner, t.tenantId, id);
    await assert.rejects(
      signIn({ subject: 'sub-3', username: 'dora', name: 'Changed', groups: [] }),
      (err: unknown) => err instanceof SignInRefused && err.reason === 'user_inactive',
    );
    assert.notEqual((await userRow(id)).name, 'Changed');
  });

  test('FED-4 group mappings are reconciled at every sign-in; hand-made assignments are left alone', async () => {
    const c = env.container;
    const bg = await addBusinessGroup(c, t, t.tenantId);
    const viewer = await c.roles.create(t.owner, t.tenantId, {
      name: 'Viewers',
      permissions: ['audit.view'],
    });
    const helper = await c.roles.create(t.owner, t.tenantId, {
      name: 'Helpers',
      permissions: ['users.invite'],
    });
    const manual = await c.roles.create(t.owner, t.tenantId, {
      name: 'Manual',
      permissions: ['analytics.view'],
    });
    const add = (group: string, roleId: string, organizationId: string) =>
      c.groupMappings.create(t.owner, t.tenantId, providerId, { group, roleId, organizationId });
    await add('eng', viewer.id, bg.id);
    await add('ops', helper.id, t.tenantId);
    const id = await signIn({ subject: 'sub-4', groups: ['eng', 'ops', 'unmapped'] });
    let held = await assignmentsOf(id);
    assert.deepEqual(held.map((a) => a.role_id).sort(), [viewer.id, helper.id].sort());
    assert.ok(held.every((a) => a.source === mappingSource(providerId)));
    await c.assignments.assign(t.owner, t.tenantId, { userId: id, roleId: manual.id, organizationId: bg.id });
    // Already held by hand: the mapping does not take the assignment over, and it is never removed.
    await c.assignments.assign(t.owner, t.tenantId, {
      userId: id,
      roleId: viewer.id,
      organizationId: t.tenantId,
    });
    await add('eng', viewer.id, t.tenantId);
    await signIn({ subject: 'sub-4', groups: ['eng'] });
    held = await assignmentsOf(id);
    const summary = held.map((a) => `${a.role_id}@${a.org_id}:${a.source}`).sort();
    assert.deepEqual(
      summary,
      [
        `${viewer.id}@${bg.id}:${mappingSource(providerId)}`,
        `${viewer.id}@${t.tenantId}:manual`,
        `${manual.id}@${bg.id}:manual`,
      ].sort(),
    );
    assert.equal(
      (await c.database.knex('audit_log').where({ action: 'role_assignment.delete' })).length >= 1,
      true,
    );
    await signIn({ subject: 'sub-4', groups: [] });
    assert.deepEqual(
      (await assignmentsOf(id)).map((a) => a.source),
      ['manual', 'manual'],
      'no groups: every mapping-made assignment goes',
    );
    // ROLE-6: the authorizer's index agrees at once.
    const index = await c.directory.forTenant(t.tenantId);
    assert.equal(index.assignmentsOf(id).length, 2);
  });

  test('FED-4 ORG-5 an owner keeps Organization Administrators their groups no longer grant (audited)', async () => {
    const c = env.container;
    const bg = await addBusinessGroup(c, t, t.tenantId);
    await c.groupMappings.create(t.owner, t.tenantId, providerId, {
      group: 'bg-admins',
      roleId: ORGANIZATION_ADMINISTRATORS.id,
      organizationId: bg.id,
    });
    const id = await signIn({ subject: 'sub-5', groups: ['bg-admins'] });
    await c.organizations.transferOwnership(t.owner, t.tenantId, bg.id, { ownerUserId: id });
    await signIn({ subject: 'sub-5', groups: [] });
    const held = await assignmentsOf(id);
    assert.deepEqual(
      held.map((a) => a.role_id),
      [ORGANIZATION_ADMINISTRATORS.id],
    );
    assert.equal((await auditOf('role_assignment.keep', held[0].id)).length, 1);
  });
});

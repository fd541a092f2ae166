import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Container } from '../../src/container.ts';
import { ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import type { RequestContext } from '../../src/platform/context.ts';
import type { AppError } from '../../src/platform/errors/index.ts';
import { addBusinessGroup, addUser, type Tenant, userCtx } from '../helpers/factories.ts';
import { tokenOf } from '../helpers/invitation-mail.ts';
import { type InvitationWorld, invitationWorld, rejects, roleId } from '../helpers/invitation-world.ts';

// INV-3 at the service: the link creates one account in the master org with the invited roles,
// once; ROLE-5 is checked again when it is used; ORG-8 takes invitations with their group; AUD-1.
// The same through a browser and a real SMTP server: test/web/invitation-roundtrip.test.ts.

let w: InvitationWorld;
let c: Container;
let t: Tenant;
let bg: { id: string };
let delegate: RequestContext;
before(async () => {
  w = await invitationWorld();
  ({ c, t, bg, delegate } = w);
});
after(() => w.close());

const newMails = () => w.newMails();
const inviteOne = (ctx: RequestContext, orgId: string, roles: unknown[] = []) =>
  w.inviteOne(ctx, orgId, roles);
const accept = (token: string, username?: string) => w.accept(token, username);
const usersWithEmail = (email: string) => w.usersWithEmail(email);

describe('INV-3 acceptance', () => {
  test('INV-3 USR-1 the link creates one account in the master org, with the invited email and roles', async () => {
    const roles = [
      { roleId: roleId('Audit Viewer'), organizationId: bg.id },
      { roleId: roleId('Audit Viewer'), organizationId: bg.id, inherit: false },
    ];
    const { invitation, email, token } = await inviteOne(delegate, bg.id, roles);
    assert.equal(invitation.roles.length, 1, 'the same grant twice is one grant');
    const summary = await c.invitations.describe(token);
    assert.deepEqual(
      { email: summary.email, org: summary.organizationName, group: summary.groupName },
      {
        email,
        org: t.organization.name,
        group: (await c.organizations.get(t.owner, t.tenantId, bg.id)).name,
      },
    );
    await rejects(accept(token, 'FOUNDER'), 'user.username_taken');
    await rejects(
      c.invitations.accept(token, { username: 'ok-name', name: '', password: 'short' }, 'req'),
      'request.invalid_input',
    );
    const done = await accept(token, 'ivy.invitee');
    assert.equal(done.user.tenantId, t.tenantId);
    assert.equal(done.user.email, email);
    assert.equal(done.organization.domain, t.organization.domain);
    const held = await c.assignments.listForUser(t.owner, t.tenantId, done.user.id);
    assert.deepEqual(
      held.map((a) => ({
        roleId: a.roleId,
        org: a.organizationId,
        env: a.environmentId,
        inherit: a.inherit,
      })),
      [{ roleId: roleId('Audit Viewer'), org: bg.id, env: null, inherit: false }],
    );
    const index = await c.directory.forTenant(t.tenantId);
    assert.ok(index.can(done.user.id, 'audit.view', bg.id), 'in force at once');
    await rejects(accept(token), 'invitation.used');
    const [row] = await c.invitations
      .list(t.owner, t.tenantId, { status: 'accepted', orgId: bg.id, limit: 200, offset: 0 })
      .then((p) => p.invitations.filter((i) => i.id === invitation.id));
    assert.equal(row?.acceptedUserId, done.user.id);
    assert.equal(await usersWithEmail(email), 1);
  });

  test('INV-3 concurrent acceptances of one link create exactly one account', async () => {
    const { email, token } = await inviteOne(t.owner, t.tenantId, [
      { roleId: roleId('Analytics Viewer'), organizationId: t.tenantId },
    ]);
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => accept(token)));
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1, 'exactly one acceptance wins');
    for (const r of results) {
      if (r.status === 'rejected') assert.equal((r.reason as AppError).code, 'invitation.used');
    }
    assert.equal(await usersWithEmail(email), 1);
  });

  test('ROLE-5 INV-3 a grant the inviter can no longer make is not granted at acceptance', async () => {
    const inviter = await addUser(c, t.tenantId);
    const grant = await c.assignments.assign(t.owner, t.tenantId, {
      userId: inviter.id,
      roleId: ORGANIZATION_ADMINISTRATORS.id,
      organizationId: bg.id,
    });
    const ctx = userCtx(t.tenantId, inviter.id);
    const { token } = await inviteOne(ctx, bg.id, [
      { roleId: roleId('Audit Viewer'), organizationId: bg.id },
    ]);
    await c.assignments.remove(t.owner, t.tenantId, grant.id);
    const done = await accept(token);
    assert.deepEqual(done.roles, []);
    assert.equal(done.droppedRoles.length, 1);
    assert.deepEqual(await c.assignments.listForUser(t.owner, t.tenantId, done.user.id), []);
  });

  test('ORG-8 deleting a business group removes its pending invitations with it', async () => {
    const group = await addBusinessGroup(c, t, t.tenantId);
    const { invitation, token } = await inviteOne(t.owner, group.id);
    await c.businessGroups.remove(t.owner, t.tenantId, group.id);
    assert.equal(await c.database.knex('invitations').where({ id: invitation.id }).first(), undefined);
    await rejects(c.invitations.describe(token), 'invitation.not_found');
  });

  test('AUD-1 invitation.create, resend, cancel and accept are audited, by whom, never with the token', async () => {
    const a = await inviteOne(t.owner, t.tenantId);
    await c.invitations.resend(delegate, t.tenantId, (await inviteOne(delegate, bg.id)).invitation.id);
    const resentToken = newMails()[0]!.link;
    await c.invitations.cancel(t.owner, t.tenantId, (await inviteOne(t.owner, t.tenantId)).invitation.id);
    const done = await accept(a.token);
    const rows = await c.database
      .knex('audit_log')
      .where({ tenant_id: t.tenantId })
      .whereIn('action', [
        'invitation.create',
        'invitation.resend',
        'invitation.cancel',
        'invitation.accept',
      ]);
    const actions = new Set(rows.map((r) => `${r.action}:${r.actor_type}`));
    for (const expected of ['invitation.create:user', 'invitation.resend:user', 'invitation.cancel:user']) {
      assert.ok(actions.has(expected), expected);
    }
    const accepted = rows.find((r) => r.action === 'invitation.accept' && r.target_id === a.invitation.id);
    assert.equal(accepted?.actor_id, done.user.id, 'the new user accepted it');
    const text = JSON.stringify(await c.database.knex('audit_log').select('*'));
    assert.ok(!text.includes(a.token) && !text.includes(tokenOf(resentToken)));
  });
});

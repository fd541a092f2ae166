import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Container } from '../../src/container.ts';
import { ORGANIZATION_ADMINISTRATORS } from '../../src/modules/roles/index.ts';
import type { RequestContext } from '../../src/platform/context.ts';
import { signUpTenant, type Tenant } from '../helpers/factories.ts';
import { unreachableSmtpUrl } from '../helpers/invitation-mail.ts';
import { type InvitationWorld, invitationWorld, rejects, roleId } from '../helpers/invitation-world.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

// INV-1, INV-2, INV-4 at the service: who may invite what, the token at rest, expiry, resend,
// cancel, listing and delivery. No SMTP here: mail goes to DATA_DIR/outbox/, where the tests read
// the links. Acceptance (INV-3) is in invitations-acceptance.test.ts.

const DAY = 86_400_000;

let w: InvitationWorld;
let env: TestEnv;
let c: Container;
let t: Tenant;
let bg: { id: string };
let delegate: RequestContext;
let nobody: RequestContext;
before(async () => {
  w = await invitationWorld();
  ({ env, c, t, bg, delegate, nobody } = w);
});
after(() => w.close());

const address = () => w.address();
const newMails = () => w.newMails();
const tokenMailedTo = (email: string) => w.tokenMailedTo(email);
const inviteOne = (ctx: RequestContext, orgId: string, roles: unknown[] = []) =>
  w.inviteOne(ctx, orgId, roles);
const accept = (token: string, username?: string) => w.accept(token, username);
const usersWithEmail = (email: string) => w.usersWithEmail(email);

describe('INV-1 who may invite, with which roles', () => {
  test('INV-1 a holder of users.invite invites several addresses, one invitation (and mail) each', async () => {
    const emails = [address(), address()];
    const sent = await c.invitations.invite(delegate, t.tenantId, bg.id, {
      emails: [...emails, emails[0]!.toUpperCase()],
    });
    assert.deepEqual(sent.map((i) => i.email).sort(), [...emails].sort());
    assert.ok(sent.every((i) => i.status === 'pending' && i.organizationId === bg.id));
    assert.deepEqual(
      newMails()
        .map((m) => m.to)
        .sort(),
      [...emails].sort(),
    );
  });

  test('INV-1 without users.invite on the node: refused, and another tenant learns nothing (404)', async () => {
    await rejects(
      c.invitations.invite(nobody, t.tenantId, bg.id, { emails: [address()] }),
      'auth.permission_denied',
    );
    await rejects(
      c.invitations.invite(delegate, t.tenantId, t.tenantId, { emails: [address()] }),
      'auth.permission_denied',
    );
    const other = await signUpTenant(c);
    await rejects(
      c.invitations.invite(other.owner, t.tenantId, bg.id, { emails: [address()] }),
      'organization.not_found',
    );
    assert.deepEqual(newMails(), []);
  });

  test('ROLE-5 INV-1 roles need roles.assign on their node and every permission they grant', async () => {
    const ok = await inviteOne(delegate, bg.id, [{ roleId: roleId('Audit Viewer'), organizationId: bg.id }]);
    assert.deepEqual(ok.invitation.roles, [
      { roleId: roleId('Audit Viewer'), organizationId: bg.id, environmentId: null, inherit: false },
    ]);
    const before = await c.database.knex('invitations').count({ n: '*' });
    const admin = { roleId: ORGANIZATION_ADMINISTRATORS.id, organizationId: bg.id };
    await rejects(
      c.invitations.invite(delegate, t.tenantId, bg.id, { emails: [address()], roles: [admin] }),
      'role_assignment.privilege_escalation',
    );
    const onMaster = { roleId: roleId('Audit Viewer'), organizationId: t.tenantId };
    await rejects(
      c.invitations.invite(delegate, t.tenantId, bg.id, { emails: [address()], roles: [onMaster] }),
      'auth.permission_denied',
    );
    assert.deepEqual(await c.database.knex('invitations').count({ n: '*' }), before, 'nothing created');
    assert.deepEqual(newMails(), [], 'nothing mailed');
  });

  test('INV-4 a master org with local accounts turned off sends no invitations, and its links stop working', async () => {
    const live = await inviteOne(t.owner, t.tenantId);
    const knex = c.database.knex;
    await knex('organizations').where({ id: t.tenantId }).update({ local_accounts_enabled: false });
    try {
      await rejects(
        c.invitations.invite(t.owner, t.tenantId, t.tenantId, { emails: [address()] }),
        'invitation.local_accounts_disabled',
      );
      await rejects(
        c.invitations.resend(t.owner, t.tenantId, live.invitation.id),
        'invitation.local_accounts_disabled',
      );
      await rejects(accept(live.token), 'invitation.local_accounts_disabled');
      assert.equal(await usersWithEmail(live.email), 0);
    } finally {
      await knex('organizations').where({ id: t.tenantId }).update({ local_accounts_enabled: true });
    }
    assert.deepEqual(newMails(), []);
  });
});

describe('INV-2 tokens, expiry, resend, cancel, listing', () => {
  test('INV-2 AUD-1 the token is stored only as its SHA-256; neither token nor link reaches the audit log', async () => {
    const { invitation, token } = await inviteOne(t.owner, t.tenantId);
    assert.ok(Buffer.from(token, 'base64url').length >= 16, 'at least 128 random bits');
    const row = await c.database.knex('invitations').where({ id: invitation.id }).first();
    assert.equal(row.token_hash, createHash('sha256').update(token).digest('hex'));
    const table = JSON.stringify(await c.database.knex('invitations').select('*'));
    assert.ok(!table.includes(token), 'no token in the invitations table');
    const audit = JSON.stringify(await c.database.knex('audit_log').select('*'));
    assert.ok(
      !audit.includes(token) && !audit.includes('/invitations/'),
      'no token or link in the audit log',
    );
    const mode = statSync(path.join(w.outbox, readdirSync(w.outbox)[0]!)).mode;
    assert.equal(mode & 0o777, 0o600, 'outbox files are readable by their owner only');
  });

  test('INV-2 INV-3 an invitation expires after the configured days; resending revives it with a new link', async () => {
    const { invitation, email, token } = await inviteOne(t.owner, t.tenantId);
    assert.equal(
      invitation.expiresAt.getTime() - invitation.createdAt.getTime(),
      c.config.invitations.ttlDays * DAY,
    );
    env.clock.advance(c.config.invitations.ttlDays * DAY);
    await rejects(c.invitations.describe(token), 'invitation.expired');
    await rejects(accept(token), 'invitation.expired');
    assert.equal(await usersWithEmail(email), 0, 'an expired link creates nothing');
    const expired = await c.invitations.list(t.owner, t.tenantId, {
      status: 'expired',
      limit: 200,
      offset: 0,
    });
    assert.ok(expired.invitations.some((i) => i.id === invitation.id));

    const resent = await c.invitations.resend(t.owner, t.tenantId, invitation.id);
    assert.equal(resent.status, 'pending');
    assert.ok(resent.expiresAt > env.clock.now());
    const fresh = tokenMailedTo(email);
    assert.notEqual(fresh, token);
    await rejects(accept(token), 'invitation.not_found');
    const done = await accept(fresh);
    assert.equal(done.user.email, email);
  });

  test('INV-2 resending kills the old link; inviting the address again replaces the invitation', async () => {
    const { invitation, email, token } = await inviteOne(t.owner, bg.id);
    await c.invitations.resend(delegate, t.tenantId, invitation.id);
    const second = tokenMailedTo(email);
    await rejects(c.invitations.describe(token), 'invitation.not_found');
    const [again] = await c.invitations.invite(t.owner, t.tenantId, bg.id, { emails: [email] });
    const third = tokenMailedTo(email);
    await rejects(c.invitations.describe(second), 'invitation.cancelled');
    assert.equal((await c.invitations.describe(third)).email, email);
    const pending = await c.invitations.list(t.owner, t.tenantId, { orgId: bg.id, limit: 200, offset: 0 });
    assert.deepEqual(
      pending.invitations.filter((i) => i.email === email).map((i) => i.id),
      [again!.id],
      'one pending invitation per node and address',
    );
  });

  test('INV-2 the same address invited twice at once: one pending invitation, and its link works', async () => {
    const email = address();
    const sent = await Promise.all(
      [1, 2, 3].map(() => c.invitations.invite(t.owner, t.tenantId, bg.id, { emails: [email] })),
    );
    assert.equal(sent.flat().length, 3);
    const listed = await c.invitations.list(t.owner, t.tenantId, { orgId: bg.id, limit: 200, offset: 0 });
    assert.equal(listed.invitations.filter((i) => i.email === email).length, 1, 'one pending');
    const live = newMails().filter((m) => m.to === email);
    assert.equal(live.length, 3);
    const usable = [];
    for (const m of live) {
      const token = m.link.slice(m.link.lastIndexOf('/') + 1);
      usable.push(
        await c.invitations.describe(token).then(
          () => token,
          () => null,
        ),
      );
    }
    assert.equal(usable.filter(Boolean).length, 1, 'only the last link lives');
  });

  test('INV-2 INV-3 a cancelled invitation creates nothing; it cannot be cancelled or resent again', async () => {
    const { invitation, email, token } = await inviteOne(t.owner, t.tenantId);
    await rejects(c.invitations.cancel(nobody, t.tenantId, invitation.id), 'auth.permission_denied');
    await c.invitations.cancel(t.owner, t.tenantId, invitation.id);
    await rejects(c.invitations.describe(token), 'invitation.cancelled');
    await rejects(accept(token), 'invitation.cancelled');
    assert.equal(await usersWithEmail(email), 0);
    await rejects(c.invitations.cancel(t.owner, t.tenantId, invitation.id), 'invitation.not_pending');
    await rejects(c.invitations.resend(t.owner, t.tenantId, invitation.id), 'invitation.not_pending');
    const other = await signUpTenant(c);
    await rejects(c.invitations.cancel(other.owner, other.tenantId, invitation.id), 'invitation.not_found');
  });

  test('INV-2 listing: per node or every node the caller may invite on, filtered by status, paged', async () => {
    const mine = await c.invitations.list(delegate, t.tenantId, { limit: 200, offset: 0 });
    assert.ok(
      mine.total > 0 && mine.invitations.every((i) => i.organizationId === bg.id && i.status === 'pending'),
    );
    const all = await c.invitations.list(t.owner, t.tenantId, { status: 'all', limit: 2, offset: 0 });
    assert.equal(all.invitations.length, 2);
    assert.ok(all.total > mine.total);
    const next = await c.invitations.list(t.owner, t.tenantId, { status: 'all', limit: 2, offset: 2 });
    assert.ok(next.invitations.every((i) => !all.invitations.some((j) => j.id === i.id)));
    await rejects(c.invitations.list(nobody, t.tenantId, { limit: 50, offset: 0 }), 'auth.permission_denied');
    await rejects(
      c.invitations.list(delegate, t.tenantId, { orgId: t.tenantId, limit: 50, offset: 0 }),
      'auth.permission_denied',
    );
  });
});

describe('INV-2 delivery', () => {
  test('INV-2 a mail that cannot be sent: the invitation stands, reported as failed, to be resent', async () => {
    const broken = await createTestEnv({ config: { mail: { smtpUrl: await unreachableSmtpUrl() } } });
    try {
      const bt = await signUpTenant(broken.container);
      const [sent] = await broken.container.invitations.invite(bt.owner, bt.tenantId, bt.tenantId, {
        emails: [address()],
      });
      assert.equal(sent?.delivery, 'failed');
      const listed = await broken.container.invitations.list(bt.owner, bt.tenantId, { limit: 10, offset: 0 });
      assert.deepEqual(
        listed.invitations.map((i) => i.id),
        [sent.id],
      );
    } finally {
      await broken.close();
    }
  });
});

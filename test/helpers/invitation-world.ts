import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Container } from '../../src/container.ts';
import type { SentInvitation } from '../../src/modules/invitations/index.ts';
import { INVITATION_SUBJECT } from '../../src/modules/invitations/invitation.mail.ts';
import { BUILT_IN_ROLES } from '../../src/modules/roles/index.ts';
import type { RequestContext } from '../../src/platform/context.ts';
import { AppError, type ErrorCode } from '../../src/platform/errors/index.ts';
import { addBusinessGroup, addUser, PASSWORD, signUpTenant, type Tenant, userCtx } from './factories.ts';
import { headerOf, invitationLinkIn, tokenOf } from './invitation-mail.ts';
import { createTestEnv, type TestEnv } from './test-container.ts';

export const roleId = (name: string): string => BUILT_IN_ROLES.find((r) => r.name === name)!.id;

/** Fails unless the promise rejects with an AppError of this code. */
export async function rejects(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.code, code);
    return true;
  });
}

let n = 0;

/**
 * A tenant for invitation tests, with mail going to DATA_DIR/outbox/ (no SMTP): a business group,
 * a delegated administrator of it (users.invite, roles.assign and audit.view there) and a user
 * with no role. Links are read from the outbox files as they appear.
 */
export async function invitationWorld() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'canopy-invitations-'));
  const env: TestEnv = await createTestEnv({ config: { storage: { dataDir } } });
  const c: Container = env.container;
  const t: Tenant = await signUpTenant(c);
  const bg = await addBusinessGroup(c, t, t.tenantId);
  const inviters = await c.roles.create(t.owner, t.tenantId, {
    name: 'Group inviters',
    permissions: ['users.invite', 'roles.assign', 'audit.view'],
  });
  const d = await addUser(c, t.tenantId);
  await c.assignments.assign(t.owner, t.tenantId, {
    userId: d.id,
    roleId: inviters.id,
    organizationId: bg.id,
  });
  const delegate: RequestContext = userCtx(t.tenantId, d.id);
  const nobody: RequestContext = userCtx(t.tenantId, (await addUser(c, t.tenantId)).id);
  const seen = new Set<string>();
  const outbox = path.join(dataDir, 'outbox');

  /** The invitation mails written since the last call: each file's recipient and link. */
  function newMails(): { to: string; link: string; file: string }[] {
    const files = readdirSync(outbox).filter((f) => !seen.has(f));
    return files.flatMap((f) => {
      seen.add(f);
      const raw = readFileSync(path.join(outbox, f), 'utf8');
      // The founder's email verification mail (ACC-3) is not one of them.
      if (headerOf(raw, 'Subject') !== INVITATION_SUBJECT) return [];
      return [{ to: headerOf(raw, 'To')!, link: invitationLinkIn(raw), file: path.join(outbox, f) }];
    });
  }

  /** The token of the one new mail to `email`. */
  function tokenMailedTo(email: string): string {
    const mails = newMails().filter((m) => m.to === email);
    assert.equal(mails.length, 1, `one new mail to ${email}`);
    return tokenOf(mails[0]!.link);
  }

  const address = () => `invitee${process.pid}x${++n}@example.test`;

  return {
    env,
    c,
    t,
    bg,
    delegate,
    nobody,
    outbox,
    newMails,
    tokenMailedTo,
    address,
    /** Invites one new address to `orgId` and reads its token from the mail. */
    async inviteOne(
      ctx: RequestContext,
      orgId: string,
      roles: unknown[] = [],
    ): Promise<{ invitation: SentInvitation; email: string; token: string }> {
      const email = address();
      const [sent] = await c.invitations.invite(ctx, t.tenantId, orgId, { emails: [email], roles });
      assert.equal(sent?.delivery, 'sent');
      return { invitation: sent, email, token: tokenMailedTo(email) };
    },
    accept: (token: string, username = `u${process.pid}x${++n}`) =>
      c.invitations.accept(token, { username, name: 'Ivy Invitee', password: PASSWORD }, `req-${++n}`),
    usersWithEmail: async (email: string): Promise<number> =>
      Number((await c.database.knex('users').where({ email }).count({ n: '*' }))[0]!.n),
    async close(): Promise<void> {
      await env.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type InvitationWorld = Awaited<ReturnType<typeof invitationWorld>>;

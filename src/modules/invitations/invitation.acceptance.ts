import { operatorContext, type RequestContext } from '../../platform/context.ts';
import { newId } from '../../platform/crypto/random.ts';
import { AppError, assertThat, parseInput } from '../../platform/errors/index.ts';
import type { PasswordRules } from '../accounts/index.ts';
import { newLocalUserSchema, type User } from '../users/index.ts';
import { invitationTarget } from './invitation.issuing.ts';
import { createInvitationRepository } from './invitation.repository.ts';
import type { Invitation, InvitedRole } from './invitation.schema.ts';
import { hashInvitationToken, isInvitationToken } from './invitation.token.ts';
import type { InvitationServiceDeps } from './invitation.types.ts';

/** What the acceptance page shows about a live link. */
export interface InvitationSummary {
  email: string;
  organizationName: string;
  /** The business group invited to, when it is not the master org itself. */
  groupName: string | null;
  domain: string;
  expiresAt: Date;
  /** ACC-4: the org's password rules, shown before the invitee chooses one. */
  passwordRules: PasswordRules;
}

export interface AcceptedInvitation {
  user: User;
  organization: { name: string; domain: string };
  roles: InvitedRole[];
  /** Roles the inviter could no longer grant when the link was used (ROLE-5): not granted. */
  droppedRoles: InvitedRole[];
}

/** What the invitee typed; anything not a valid string is refused field by field. */
export interface AcceptanceInput {
  username: unknown;
  name: unknown;
  password: unknown;
}

/** INV-3: a dead link says why, and names nothing else. */
function assertUsable(invitation: Invitation | undefined): asserts invitation is Invitation {
  assertThat(invitation, 'invitation.not_found');
  if (invitation.status === 'accepted') throw new AppError('invitation.used');
  if (invitation.status === 'cancelled') throw new AppError('invitation.cancelled');
  if (invitation.status === 'expired') throw new AppError('invitation.expired');
}

/** The inviter acting again, to check that they may still make the grants (none for an app). */
function inviterContext(invitation: Invitation, requestId: string): RequestContext | undefined {
  const { type, id } = invitation.invitedBy;
  if (type === 'user')
    return { actor: { kind: 'user', tenantId: invitation.tenantId, userId: id }, requestId };
  if (type === 'operator') return operatorContext(requestId, id);
  return undefined;
}

/** The link's side of invitations: the page's summary, and the acceptance that creates the account. */
export function createAcceptance(deps: InvitationServiceDeps) {
  const { db, clock, directory, users, assignments } = deps;
  const { audited } = deps.audit;
  const invitations = createInvitationRepository(db);

  async function open(token: unknown) {
    if (!isInvitationToken(token)) throw new AppError('invitation.not_found');
    const tokenHash = hashInvitationToken(token);
    const invitation = await invitations.findByTokenHash(tokenHash, clock.now());
    assertUsable(invitation);
    const master = await invitations.master(invitation.tenantId);
    assertThat(master, 'invitation.not_found');
    assertThat(master.localAccountsEnabled, 'invitation.local_accounts_disabled');
    return { invitation, master, tokenHash };
  }

  async function describe(token: unknown): Promise<InvitationSummary> {
    const { invitation, master } = await open(token);
    const groupName =
      invitation.organizationId === invitation.tenantId
        ? null
        : ((await invitations.nodeName(invitation.tenantId, invitation.organizationId)) ?? null);
    return {
      email: invitation.email,
      organizationName: master.name,
      groupName,
      domain: master.domain,
      expiresAt: invitation.expiresAt,
      passwordRules: await deps.passwordPolicy.rules(invitation.tenantId),
    };
  }

  /**
   * The grants as the inviter made them, each checked again against what the inviter may grant
   * now (ROLE-5): a link must not carry more authority than the one who issued it still has.
   * Grants whose node, environment or role is gone fail the same check.
   */
  async function stillGrantable(invitation: Invitation, requestId: string) {
    const roles: InvitedRole[] = [];
    const droppedRoles: InvitedRole[] = [];
    const inviter = inviterContext(invitation, requestId);
    for (const role of invitation.roles) {
      try {
        if (!inviter) throw new AppError('auth.permission_denied');
        await assignments.authorizeGrant(inviter, invitation.tenantId, role);
        roles.push(role);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        droppedRoles.push(role);
      }
    }
    return { roles, droppedRoles };
  }

  /**
   * INV-3: creates the account in the invitation's master org (email = the invited address) and
   * grants the invitation's roles, in the transaction whose first statement consumes the link.
   * Of two concurrent acceptances exactly one finds the invitation pending; the other, and any
   * acceptance of an expired, used or cancelled link, creates nothing.
   */
  async function accept(
    token: unknown,
    input: AcceptanceInput,
    requestId: string,
  ): Promise<AcceptedInvitation> {
    const { invitation, master, tokenHash } = await open(token);
    // The fields first, then the password policy (ACC-4), then the slow part (argon2), before any lock.
    const valid = parseInput(newLocalUserSchema, {
      username: input.username,
      email: invitation.email,
      name: input.name,
      password: input.password,
    });
    const { username, email, name } = valid;
    const password = await deps.passwordPolicy.check(invitation.tenantId, valid.password, {
      username,
      email,
      name,
    });
    const prepared = await users.prepareLocalUser({ ...valid, password }); // ACC-4: the policy's answer only
    const { roles, droppedRoles } = await stillGrantable(invitation, requestId);
    const tenantId = invitation.tenantId;
    const userId = newId();
    const ctx: RequestContext = { actor: { kind: 'user', tenantId, userId }, requestId };

    const user = await directory.change(tenantId, { users: [userId] }, async (tx) => {
      const repo = createInvitationRepository(tx);
      const now = clock.now();
      const consumed = await repo.consume(tenantId, tokenHash, userId, now);
      if (!consumed) {
        assertUsable(await repo.findByTokenHash(tokenHash, now));
        throw new AppError('invitation.used');
      }
      const current = await repo.master(tenantId);
      assertThat(current?.localAccountsEnabled, 'invitation.local_accounts_disabled');
      // ACC-3: the account's address is the invited one, and following the link proved the mailbox.
      const created = await users.insertLocalUser(tx, tenantId, { ...prepared, emailVerified: true }, userId);
      await audited(tx, ctx, 'user.create', { tenantId, type: 'user', id: userId }, null, created);
      // ROLE-5 was checked above, against what the inviter may grant now (stillGrantable).
      for (const role of roles) {
        await assignments.grantAndAuditInTx(tx, ctx, tenantId, { ...role, userId, source: 'invitation' });
      }
      const target = invitationTarget(tenantId, consumed.organizationId, consumed.id);
      const after = { status: 'accepted', userId, roles, droppedRoles };
      await audited(tx, ctx, 'invitation.accept', target, { status: 'pending' }, after);
      return created;
    });
    return { user, organization: { name: master.name, domain: master.domain }, roles, droppedRoles };
  }

  return { describe, accept };
}

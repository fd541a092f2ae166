import type { RequestContext } from '../../platform/context.ts';
import { assertId, assertThat } from '../../platform/errors/index.ts';
import { createIssuing, invitationTarget, inviterOf, refundOnFailure } from './invitation.issuing.ts';
import { createInvitationRepository } from './invitation.repository.ts';
import type { Invitation, SentInvitation } from './invitation.schema.ts';
import { newInvitationToken } from './invitation.token.ts';
import type { InvitationServiceDeps } from './invitation.types.ts';

/** What an inviter does with an invitation sent and not yet accepted: send it again, or cancel it. */
export function createManagement(deps: InvitationServiceDeps) {
  const { db, clock, access, quota } = deps;
  const { audited } = deps.audit;
  const invitations = createInvitationRepository(db);
  const issuing = createIssuing(deps);

  /** An invitation of the tenant the caller may manage (`users.invite` on its node), or 404/403. */
  async function manageable(
    ctx: RequestContext,
    tenantId: string,
    invitationId: string,
  ): Promise<Invitation> {
    await access.tenantIndexFor(ctx, tenantId);
    assertId(invitationId, 'invitation.not_found');
    const invitation = await invitations.findById(tenantId, invitationId, clock.now());
    assertThat(invitation, 'invitation.not_found');
    await access.require(ctx, tenantId, 'users.invite', invitation.organizationId);
    const open = invitation.status === 'pending' || invitation.status === 'expired';
    assertThat(open, 'invitation.not_pending', { status: invitation.status });
    return invitation;
  }

  /**
   * INV-2: a new link and a new expiry; the old link dies with its hash. The resender vouches for
   * the invitation's roles from now on, so ROLE-5 applies to them as it did to the inviter.
   */
  async function resend(
    ctx: RequestContext,
    tenantId: string,
    invitationId: string,
  ): Promise<SentInvitation> {
    const current = await manageable(ctx, tenantId, invitationId);
    const master = await issuing.masterAcceptingLocalAccounts(tenantId);
    await issuing.authorizeRoles(ctx, tenantId, current.roles);
    const now = clock.now();
    const { token, tokenHash } = newInvitationToken();
    const ticket = await quota.take(tenantId, 1);
    const resent = await refundOnFailure(ticket, () =>
      db.transaction(async (tx) => {
        const updated = await createInvitationRepository(tx).replaceToken(tenantId, invitationId, {
          tokenHash,
          expiresAt: issuing.expiryFrom(now),
          inviter: inviterOf(ctx),
          at: now,
        });
        assertThat(updated, 'invitation.not_pending');
        const target = invitationTarget(tenantId, updated.organizationId, invitationId);
        const before = { expiresAt: current.expiresAt, invitedBy: current.invitedBy };
        const after = { expiresAt: updated.expiresAt, invitedBy: updated.invitedBy };
        await audited(tx, ctx, 'invitation.resend', target, before, after);
        return updated;
      }),
    );
    const sent = await issuing.deliver(ctx, resent, token, master);
    await issuing.refundUndelivered(ticket, [sent]);
    return sent;
  }

  async function cancel(ctx: RequestContext, tenantId: string, invitationId: string): Promise<void> {
    const current = await manageable(ctx, tenantId, invitationId);
    await db.transaction(async (tx) => {
      const cancelled = await createInvitationRepository(tx).cancel(tenantId, invitationId, clock.now());
      assertThat(cancelled, 'invitation.not_pending');
      const target = invitationTarget(tenantId, current.organizationId, invitationId);
      const before = { status: current.status };
      await audited(tx, ctx, 'invitation.cancel', target, before, { status: 'cancelled' });
    });
  }

  return { resend, cancel };
}

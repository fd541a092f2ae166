import type { RequestContext } from '../../platform/context.ts';
import { invitationMessage } from './invitation.mail.ts';
import { createInvitationRepository } from './invitation.repository.ts';
import type { Invitation, SentInvitation } from './invitation.schema.ts';
import type { InvitationServiceDeps } from './invitation.types.ts';

/**
 * Mails an invitation's link, after the commit that stored its hash. The invitation stands either
 * way: a failed delivery is logged (without the link) and reported, so it can be resent.
 */
export function createDelivery(
  deps: Pick<InvitationServiceDeps, 'db' | 'users' | 'mailer' | 'logger' | 'publicUrl'>,
) {
  const { users, mailer, logger } = deps;
  const invitations = createInvitationRepository(deps.db);

  return async function deliver(
    ctx: RequestContext,
    invitation: Invitation,
    token: string,
    master: { name: string },
  ): Promise<SentInvitation> {
    const { actor } = ctx;
    const inviter =
      actor.kind === 'user' ? await users.profileOf(invitation.tenantId, actor.userId) : undefined;
    const groupName =
      invitation.organizationId === invitation.tenantId
        ? null
        : ((await invitations.nodeName(invitation.tenantId, invitation.organizationId)) ?? null);
    const message = invitationMessage({
      to: invitation.email,
      link: `${deps.publicUrl}/invitations/${token}`,
      organizationName: master.name,
      groupName,
      inviterName: inviter?.name ?? null,
      expiresAt: invitation.expiresAt,
    });
    try {
      await mailer.send(message);
      return { ...invitation, delivery: 'sent' };
    } catch (err) {
      logger.error(
        { err: (err as Error).message, invitationId: invitation.id, requestId: ctx.requestId },
        'invitation mail could not be sent; resend it once mail works',
      );
      return { ...invitation, delivery: 'failed' };
    }
  };
}

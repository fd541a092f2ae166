import type { RequestContext } from '../../platform/context.ts';
import { AppError, assertThat } from '../../platform/errors/index.ts';
import type { AuditTarget } from '../audit/index.ts';
import type { AssignmentService } from '../roles/index.ts';
import { createDelivery } from './invitation.delivery.ts';
import type { QuotaTicket } from './invitation.quota.ts';
import { createInvitationRepository, type Inviter } from './invitation.repository.ts';
import type { InvitedRole, SentInvitation } from './invitation.schema.ts';
import type { InvitationServiceDeps } from './invitation.types.ts';

const DAY_MS = 86_400_000;

type RoleRequest = Parameters<AssignmentService['authorizeGrant']>[2];

/** Invitations that were not made send no mail: their share of the quota goes back. */
export async function refundOnFailure<T>(ticket: QuotaTicket, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    await ticket.refund();
    throw err;
  }
}

/** An invitation as the audit log names it: on the node it invites to. */
export const invitationTarget = (tenantId: string, orgId: string, id: string): AuditTarget => ({
  tenantId,
  orgId,
  type: 'invitation',
  id,
});

/** Who vouches for an invitation: whoever sent it, or sent it again. */
export function inviterOf(ctx: RequestContext): Inviter {
  const { actor } = ctx;
  if (actor.kind === 'user') return { type: 'user', id: actor.userId };
  if (actor.kind === 'app') return { type: 'app', id: actor.clientId };
  if (actor.kind === 'operator') return { type: 'operator', id: actor.name };
  throw new AppError('auth.unauthenticated');
}

/** The steps that sending an invitation, and sending it again, share. */
export function createIssuing(deps: InvitationServiceDeps) {
  const invitations = createInvitationRepository(deps.db);
  const deliver = createDelivery(deps);

  /** INV-2: a link lives INVITATION_TTL_DAYS from when it is sent. */
  const expiryFrom = (now: Date): Date => new Date(now.getTime() + deps.ttlDays * DAY_MS);

  /** A mail that did not go out is not counted; the answer stands if the refund itself fails. */
  async function refundUndelivered(ticket: QuotaTicket, sent: readonly SentInvitation[]) {
    const failed = sent.filter((s) => s.delivery === 'failed').length;
    if (failed === 0) return;
    await ticket
      .refund(failed)
      .catch((err: Error) =>
        deps.logger.warn(
          { err: err.message },
          'invitations: giving back the quota of undelivered mails failed',
        ),
      );
  }

  /** INV-4 (FED-5): a master org that turned off local accounts sends no invitations. */
  async function masterAcceptingLocalAccounts(tenantId: string) {
    const master = await invitations.master(tenantId);
    assertThat(master, 'organization.not_found');
    assertThat(master.localAccountsEnabled, 'invitation.local_accounts_disabled');
    return master;
  }

  /** ROLE-5 for every grant, against the acting inviter; duplicates collapse into one. */
  async function authorizeRoles(
    ctx: RequestContext,
    tenantId: string,
    requested: readonly RoleRequest[],
  ): Promise<InvitedRole[]> {
    const grants = new Map<string, InvitedRole>();
    for (const role of requested) {
      const g = await deps.assignments.authorizeGrant(ctx, tenantId, role);
      const grant: InvitedRole = {
        roleId: g.roleId,
        organizationId: g.organizationId,
        environmentId: g.environmentId,
        inherit: g.inherit,
      };
      grants.set(`${grant.roleId}|${grant.organizationId}|${grant.environmentId ?? ''}`, grant);
    }
    return [...grants.values()];
  }

  return { expiryFrom, deliver, refundUndelivered, masterAcceptingLocalAccounts, authorizeRoles };
}

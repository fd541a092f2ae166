import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import { newId } from '../../platform/crypto/random.ts';
import type { Db } from '../../platform/db/database.ts';
import { AppError, assertId, assertThat, parseInput } from '../../platform/errors/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Mailer } from '../../platform/mail.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access, AssignmentService, TenantDirectory } from '../roles/index.ts';
import type { UserService } from '../users/index.ts';
import { createAcceptance } from './invitation.acceptance.ts';
import { createDelivery } from './invitation.delivery.ts';
import { createListing } from './invitation.listing.ts';
import type { InvitationQuota, QuotaTicket } from './invitation.quota.ts';
import { createInvitationRepository, type Inviter } from './invitation.repository.ts';
import {
  type Invitation,
  type InvitedRole,
  newInvitationsSchema,
  type SentInvitation,
} from './invitation.schema.ts';
import { newInvitationToken } from './invitation.token.ts';

const DAY_MS = 86_400_000;

type RoleRequest = Parameters<AssignmentService['authorizeGrant']>[2];

export interface InvitationServiceDeps {
  db: Db;
  clock: Clock;
  directory: TenantDirectory;
  access: Access;
  audit: AuditService;
  users: Pick<UserService, 'prepareLocalUser' | 'insertLocalUser' | 'profileOf'>;
  assignments: Pick<AssignmentService, 'authorizeGrant' | 'grantInTx'>;
  mailer: Mailer;
  /** SEC-9: invitation mails per master org and day. */
  quota: InvitationQuota;
  logger: Logger;
  /** PUBLIC_URL: invitation links are `${publicUrl}/invitations/<token>`. */
  publicUrl: string;
  /** INVITATION_TTL_DAYS (INV-2). */
  ttlDays: number;
}

/** Invitations that were not made send no mail: their share of the quota goes back. */
async function refundOnFailure<T>(ticket: QuotaTicket, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    await ticket.refund();
    throw err;
  }
}

function inviterOf(ctx: RequestContext): Inviter {
  const { actor } = ctx;
  if (actor.kind === 'user') return { type: 'user', id: actor.userId };
  if (actor.kind === 'app') return { type: 'app', id: actor.clientId };
  if (actor.kind === 'operator') return { type: 'operator', id: actor.name };
  throw new AppError('auth.unauthenticated');
}

/**
 * Invitations by email (INV-1…INV-4): invite, list, resend, cancel — and acceptance through the
 * link (see invitation.acceptance.ts). Tokens exist in memory and in the mail only.
 */
export function createInvitationService(deps: InvitationServiceDeps) {
  const { db, clock, access, audit, assignments, quota } = deps;
  const invitations = createInvitationRepository(db);
  const deliver = createDelivery(deps);

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
      const g = await assignments.authorizeGrant(ctx, tenantId, role);
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

  /** INV-1, INV-2: one invitation per distinct address, each mailed with its own single-use link. */
  async function invite(
    ctx: RequestContext,
    tenantId: string,
    orgId: string,
    input: unknown,
  ): Promise<SentInvitation[]> {
    const valid = parseInput(newInvitationsSchema, input);
    await access.require(ctx, tenantId, 'users.invite', orgId);
    const master = await masterAcceptingLocalAccounts(tenantId);
    const roles = await authorizeRoles(ctx, tenantId, valid.roles);
    const emails = valid.emails.filter(
      (e, i) => valid.emails.findIndex((f) => f.toLowerCase() === e.toLowerCase()) === i,
    );
    const inviter = inviterOf(ctx);
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + deps.ttlDays * DAY_MS);

    // SEC-9: one mail per address, all within today's quota or none at all.
    const ticket = await quota.take(tenantId, emails.length);
    const created = await refundOnFailure(ticket, () =>
      db.transaction(async (tx) => {
        const repo = createInvitationRepository(tx);
        // Invitations of one address to one node happen one after another: each replaces the last.
        await repo.lockAddresses(tenantId, orgId, emails);
        const out: { invitation: Invitation; token: string }[] = [];
        for (const email of emails) {
          for (const replaced of await repo.cancelPendingFor(tenantId, orgId, email, now)) {
            await audit.record(tx, ctx, {
              tenantId,
              orgId,
              action: 'invitation.cancel',
              target: { type: 'invitation', id: replaced.id },
              before: { status: 'pending' },
              after: { status: 'cancelled', reason: 'replaced by a new invitation' },
            });
          }
          const { token, tokenHash } = newInvitationToken();
          const invitation = await repo.insert(tenantId, {
            id: newId(),
            orgId,
            email,
            roles,
            tokenHash,
            expiresAt,
            inviter,
            at: now,
          });
          await audit.record(tx, ctx, {
            tenantId,
            orgId,
            action: 'invitation.create',
            target: { type: 'invitation', id: invitation.id },
            after: { email, organizationId: orgId, roles, expiresAt },
          });
          out.push({ invitation, token });
        }
        return out;
      }),
    );
    const sent: SentInvitation[] = [];
    for (const { invitation, token } of created) sent.push(await deliver(ctx, invitation, token, master));
    await refundUndelivered(ticket, sent);
    return sent;
  }

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
    const master = await masterAcceptingLocalAccounts(tenantId);
    await authorizeRoles(ctx, tenantId, current.roles);
    const now = clock.now();
    const { token, tokenHash } = newInvitationToken();
    const ticket = await quota.take(tenantId, 1);
    const resent = await refundOnFailure(ticket, () =>
      db.transaction(async (tx) => {
        const updated = await createInvitationRepository(tx).replaceToken(tenantId, invitationId, {
          tokenHash,
          expiresAt: new Date(now.getTime() + deps.ttlDays * DAY_MS),
          inviter: inviterOf(ctx),
          at: now,
        });
        assertThat(updated, 'invitation.not_pending');
        await audit.record(tx, ctx, {
          tenantId,
          orgId: updated.organizationId,
          action: 'invitation.resend',
          target: { type: 'invitation', id: invitationId },
          before: { expiresAt: current.expiresAt, invitedBy: current.invitedBy },
          after: { expiresAt: updated.expiresAt, invitedBy: updated.invitedBy },
        });
        return updated;
      }),
    );
    const sent = await deliver(ctx, resent, token, master);
    await refundUndelivered(ticket, [sent]);
    return sent;
  }

  async function cancel(ctx: RequestContext, tenantId: string, invitationId: string): Promise<void> {
    const current = await manageable(ctx, tenantId, invitationId);
    await db.transaction(async (tx) => {
      const cancelled = await createInvitationRepository(tx).cancel(tenantId, invitationId, clock.now());
      assertThat(cancelled, 'invitation.not_pending');
      await audit.record(tx, ctx, {
        tenantId,
        orgId: current.organizationId,
        action: 'invitation.cancel',
        target: { type: 'invitation', id: invitationId },
        before: { status: current.status },
        after: { status: 'cancelled' },
      });
    });
  }

  return { invite, list: createListing(deps), resend, cancel, ...createAcceptance(deps) };
}

export type InvitationService = ReturnType<typeof createInvitationService>;

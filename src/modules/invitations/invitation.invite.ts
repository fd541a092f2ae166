import type { RequestContext } from '../../platform/context.ts';
import { newId } from '../../platform/crypto/random.ts';
import type { Tx } from '../../platform/db/database.ts';
import { parseInput } from '../../platform/errors/index.ts';
import { createIssuing, invitationTarget, inviterOf, refundOnFailure } from './invitation.issuing.ts';
import { createInvitationRepository, type Inviter } from './invitation.repository.ts';
import {
  type Invitation,
  type InvitedRole,
  newInvitationsSchema,
  type SentInvitation,
} from './invitation.schema.ts';
import { newInvitationToken } from './invitation.token.ts';
import type { InvitationServiceDeps } from './invitation.types.ts';

/** The addresses once each, whatever their case; the first spelling stays. */
const distinctAddresses = (emails: readonly string[]) =>
  emails.filter((e, i) => emails.findIndex((f) => f.toLowerCase() === e.toLowerCase()) === i);

/** INV-1, INV-2: one invitation per distinct address, each mailed with its own single-use link. */
export function createInvite(deps: InvitationServiceDeps) {
  const { db, clock, access, quota } = deps;
  const { audited } = deps.audit;
  const issuing = createIssuing(deps);

  /** The invitations, each replacing the address's pending one on the node; their links in memory only. */
  async function storeInTx(
    tx: Tx,
    ctx: RequestContext,
    tenantId: string,
    orgId: string,
    request: { emails: readonly string[]; roles: InvitedRole[]; inviter: Inviter; now: Date },
  ): Promise<{ invitation: Invitation; token: string }[]> {
    const { emails, roles, inviter, now } = request;
    const repo = createInvitationRepository(tx);
    const expiresAt = issuing.expiryFrom(now);
    // Invitations of one address to one node happen one after another: each replaces the last.
    await repo.lockAddresses(tenantId, orgId, emails);
    const out: { invitation: Invitation; token: string }[] = [];
    for (const email of emails) {
      for (const replaced of await repo.cancelPendingFor(tenantId, orgId, email, now)) {
        const after = { status: 'cancelled', reason: 'replaced by a new invitation' };
        const target = invitationTarget(tenantId, orgId, replaced.id);
        await audited(tx, ctx, 'invitation.cancel', target, { status: 'pending' }, after);
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
      const target = invitationTarget(tenantId, orgId, invitation.id);
      const after = { email, organizationId: orgId, roles, expiresAt };
      await audited(tx, ctx, 'invitation.create', target, null, after);
      out.push({ invitation, token });
    }
    return out;
  }

  return async function invite(
    ctx: RequestContext,
    tenantId: string,
    orgId: string,
    input: unknown,
  ): Promise<SentInvitation[]> {
    const valid = parseInput(newInvitationsSchema, input);
    await access.require(ctx, tenantId, 'users.invite', orgId);
    const master = await issuing.masterAcceptingLocalAccounts(tenantId);
    const roles = await issuing.authorizeRoles(ctx, tenantId, valid.roles);
    const emails = distinctAddresses(valid.emails);
    const inviter = inviterOf(ctx);
    const now = clock.now();
    // SEC-9: one mail per address, all within today's quota or none at all.
    const ticket = await quota.take(tenantId, emails.length);
    const created = await refundOnFailure(ticket, () =>
      db.transaction((tx) => storeInTx(tx, ctx, tenantId, orgId, { emails, roles, inviter, now })),
    );
    const sent: SentInvitation[] = [];
    for (const { invitation, token } of created)
      sent.push(await issuing.deliver(ctx, invitation, token, master));
    await issuing.refundUndelivered(ticket, sent);
    return sent;
  };
}

import type { RequestContext } from '../../platform/context.ts';
import { AppError } from '../../platform/errors/index.ts';
import { maskOf, type TenantIndex } from '../roles/index.ts';
import { createInvitationRepository } from './invitation.repository.ts';
import type { Invitation, InvitationState } from './invitation.schema.ts';
import type { InvitationServiceDeps } from './invitation.types.ts';

const INVITE_BIT = maskOf(['users.invite']);

export interface InvitationQuery {
  orgId?: string;
  /** `pending` when absent: live links only. */
  status?: InvitationState | 'all';
  limit: number;
  offset: number;
}

/** INV-2: invitations of one node, or of every node where the caller holds `users.invite`; newest first. */
export function createListing(deps: Pick<InvitationServiceDeps, 'db' | 'clock' | 'access'>) {
  const { clock, access } = deps;
  const invitations = createInvitationRepository(deps.db);

  /** The nodes where the caller may manage invitations; undefined for the operator (all of them). */
  function invitableNodes(ctx: RequestContext, index: TenantIndex): string[] | undefined {
    if (ctx.actor.kind === 'operator') return undefined;
    const ids: string[] = [];
    const stack = [index.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      const mask = access.maskOf(ctx, index, node.id);
      if (mask === 'all' || (mask & INVITE_BIT) !== 0) ids.push(node.id);
      stack.push(...node.children);
    }
    return ids;
  }

  return async function list(
    ctx: RequestContext,
    tenantId: string,
    query: InvitationQuery,
  ): Promise<{ invitations: Invitation[]; total: number }> {
    let orgIds: string[] | undefined;
    if (query.orgId !== undefined) {
      await access.require(ctx, tenantId, 'users.invite', query.orgId);
      orgIds = [query.orgId];
    } else {
      orgIds = invitableNodes(ctx, await access.tenantIndexFor(ctx, tenantId));
      if (orgIds?.length === 0) throw new AppError('auth.permission_denied', { permission: 'users.invite' });
    }
    const state = query.status === 'all' ? undefined : (query.status ?? 'pending');
    return invitations.list(
      tenantId,
      { ...(orgIds ? { orgIds } : {}), ...(state ? { state } : {}), now: clock.now() },
      query,
    );
  };
}

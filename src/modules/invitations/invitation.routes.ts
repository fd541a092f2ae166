import type { Response } from 'express';
import { z } from 'zod';
import { tenantOf } from '../../platform/context.ts';
import { AppError } from '../../platform/errors/index.ts';
import { defineRoute } from '../../platform/http/route.ts';
import { orgParams } from '../organizations/index.ts';
import {
  invitationListQuery,
  invitationPageDto,
  invitationParams,
  sentInvitationDto,
} from './invitation.dto.ts';
import { newInvitationsSchema } from './invitation.schema.ts';
import type { InvitationService } from './invitation.service.ts';

const tag = 'Invitations';

const QUOTA =
  'Each master organization sends at most INVITATIONS_PER_ORGANIZATION_PER_DAY invitation mails a UTC ' +
  "day (new and resent, one per address), and INVITATIONS_PER_UNVERIFIED_ORGANIZATION_PER_DAY while its founder's " +
  'email address is unverified; beyond it, 429 with Retry-After, and nothing is sent (SEC-9).';

/** SEC-9: a refusal by the daily quota tells the client when to come back. */
async function retryAfterQuota<T>(res: Response, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof AppError && err.code === 'invitation.quota_exceeded') {
      res.setHeader('Retry-After', String(err.details?.retryAfterSeconds ?? 3600));
    }
    throw err;
  }
}

/** Invitations on the admin API (INV-1, INV-2, INV-4). The link goes by mail only, never in a response. */
export function invitationRoutes(deps: { invitations: InvitationService }) {
  const { invitations } = deps;
  return [
    defineRoute({
      method: 'post',
      path: '/organizations/:orgId/invitations',
      tag,
      summary: 'Invite people by email to this org node, optionally with roles (INV-1)',
      description:
        'One invitation per distinct address, each mailed with a single-use link that expires after ' +
        'INVITATION_TTL_DAYS (INV-2). Inviting an address again replaces its pending invitation. ' +
        'Each role needs `roles.assign` on its node and every permission it grants (ROLE-5). ' +
        QUOTA,
      permission: 'users.invite',
      params: orgParams,
      body: newInvitationsSchema,
      status: 201,
      response: z.object({ items: z.array(sentInvitationDto) }),
      errors: [
        'invitation.local_accounts_disabled',
        'role.not_found',
        'environment.not_found',
        'role_assignment.not_environment_scopable',
        'role_assignment.privilege_escalation',
        'invitation.quota_exceeded',
      ],
      handler: async ({ ctx, params, body, res }) => ({
        items: await retryAfterQuota(res, invitations.invite(ctx, tenantOf(ctx), params.orgId, body)),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/invitations',
      tag,
      summary: 'List invitations, page by page, newest first',
      description: 'Without `orgId`: those of every node where you hold `users.invite`.',
      permission: 'users.invite',
      query: invitationListQuery,
      status: 200,
      response: invitationPageDto,
      handler: async ({ ctx, query }) => {
        const { invitations: items, total } = await invitations.list(ctx, tenantOf(ctx), query);
        return { items, total, limit: query.limit, offset: query.offset };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/invitations/:invitationId/resend',
      tag,
      summary: 'Mail a pending or expired invitation again, with a new link and expiry (INV-2)',
      description: `The previous link stops working at once. ${QUOTA}`,
      permission: 'users.invite on its node (and ROLE-5 for its roles)',
      params: invitationParams,
      status: 200,
      response: sentInvitationDto,
      errors: [
        'invitation.not_found',
        'invitation.not_pending',
        'invitation.local_accounts_disabled',
        'role_assignment.privilege_escalation',
        'invitation.quota_exceeded',
      ],
      handler: ({ ctx, params, res }) =>
        retryAfterQuota(res, invitations.resend(ctx, tenantOf(ctx), params.invitationId)),
    }),
    defineRoute({
      method: 'delete',
      path: '/invitations/:invitationId',
      tag,
      summary: 'Cancel a pending invitation: its link stops working (INV-2)',
      permission: 'users.invite on its node',
      params: invitationParams,
      status: 204,
      errors: ['invitation.not_found', 'invitation.not_pending'],
      handler: ({ ctx, params }) => invitations.cancel(ctx, tenantOf(ctx), params.invitationId),
    }),
  ];
}

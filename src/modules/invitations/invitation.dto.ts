import { z } from 'zod';
import { pageOf, pageQuery } from '../../platform/http/paging.ts';
import { idParam } from '../../platform/http/route.ts';
import { INVITATION_STATES } from './invitation.schema.ts';

// What the admin API answers about invitations. Never the token or the link: they are in the mail only.
export const invitedRoleDto = z.object({
  roleId: z.uuid(),
  organizationId: z.uuid(),
  environmentId: z.uuid().nullable(),
  inherit: z.boolean(),
});

export const invitationDto = z.object({
  id: z.uuid(),
  organizationId: z.uuid().describe('The org node invited to'),
  email: z.string(),
  roles: z.array(invitedRoleDto).describe('Granted to the new account on acceptance'),
  status: z
    .enum(INVITATION_STATES)
    .describe('`expired`: never accepted, past its expiry; resending revives it with a new link'),
  expiresAt: z.iso.datetime(),
  invitedBy: z.object({
    type: z.enum(['user', 'app', 'operator']),
    id: z.string().describe('A user id, an app client ID or an operator name'),
  }),
  acceptedUserId: z.uuid().nullable().describe('The account the invitation created'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const sentInvitationDto = invitationDto.extend({
  delivery: z
    .enum(['sent', 'failed'])
    .describe('Whether the mail went out; after `failed`, resend the invitation once mail works'),
});

export const invitationParams = z.object({
  invitationId: idParam.describe('Id of an invitation of your organization'),
});

export const invitationListQuery = pageQuery.extend({
  orgId: idParam.optional().describe('Only the invitations to this org node'),
  status: z
    .enum([...INVITATION_STATES, 'all'])
    .default('pending')
    .describe('`pending` (the default): live links only'),
});

export const invitationPageDto = pageOf(invitationDto, 'Invitations matching the filters, over all pages');

import { z } from 'zod';
import { emailSchema } from '../users/index.ts';

const uuid = z.uuid('must be a UUID');

/** A role assignment an invitation carries, as the inviter asks for it (ROLE-3). */
export const invitedRoleSchema = z.strictObject({
  roleId: uuid,
  organizationId: uuid,
  environmentId: uuid.nullish(),
  inherit: z.boolean().optional(),
});

export const newInvitationsSchema = z.strictObject({
  emails: z
    .array(emailSchema)
    .min(1, 'must name at least one address')
    .max(50, 'must name at most 50 addresses')
    .describe('One invitation per distinct address (case-insensitive)'),
  roles: z
    .array(invitedRoleSchema)
    .max(20, 'must name at most 20 role assignments')
    .default([])
    .describe('Granted to the new account when the invitation is accepted (ROLE-5 applies to the inviter)'),
});

export const INVITATION_STATES = ['pending', 'expired', 'accepted', 'cancelled'] as const;
export type InvitationState = (typeof INVITATION_STATES)[number];

/** A grant as stored: normalized against its role when the invitation was made. */
export interface InvitedRole {
  roleId: string;
  organizationId: string;
  environmentId: string | null;
  inherit: boolean;
}

export interface Invitation {
  id: string;
  tenantId: string;
  organizationId: string;
  email: string;
  roles: InvitedRole[];
  /** `expired`: still pending in storage, but past its expiry. */
  status: InvitationState;
  expiresAt: Date;
  invitedBy: { type: 'user' | 'app' | 'operator'; id: string };
  acceptedUserId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** An invitation just sent (created or resent): whether its mail went out. */
export interface SentInvitation extends Invitation {
  delivery: 'sent' | 'failed';
}

import { createAcceptance } from './invitation.acceptance.ts';
import { createInvite } from './invitation.invite.ts';
import { createListing } from './invitation.listing.ts';
import { createManagement } from './invitation.management.ts';
import type { InvitationServiceDeps } from './invitation.types.ts';

export type { InvitationServiceDeps } from './invitation.types.ts';

/**
 * Invitations by email (INV-1…INV-4), one operation a file: invite (invitation.invite.ts), list
 * (invitation.listing.ts), resend and cancel (invitation.management.ts), and acceptance through the
 * link (invitation.acceptance.ts). Tokens exist in memory and in the mail only.
 */
export function createInvitationService(deps: InvitationServiceDeps) {
  return {
    invite: createInvite(deps),
    list: createListing(deps),
    ...createManagement(deps),
    ...createAcceptance(deps),
  };
}

export type InvitationService = ReturnType<typeof createInvitationService>;

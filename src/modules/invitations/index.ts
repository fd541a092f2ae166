export type { AcceptanceInput, AcceptedInvitation, InvitationSummary } from './invitation.acceptance.ts';
export { invitationDto, sentInvitationDto } from './invitation.dto.ts';
export {
  createInvitationQuota,
  founderEmailVerified,
  type InvitationQuota,
} from './invitation.quota.ts';
export { sweepFinishedInvitations } from './invitation.retention.ts';
export { invitationRoutes } from './invitation.routes.ts';
export type { Invitation, InvitationState, InvitedRole, SentInvitation } from './invitation.schema.ts';
export {
  createInvitationService,
  type InvitationService,
  type InvitationServiceDeps,
} from './invitation.service.ts';

import type { Db } from '../../platform/db/database.ts';
import { createInvitationRepository } from './invitation.repository.ts';

/**
 * REL-6: invitations nobody can use any more — accepted, cancelled, or expired and not resent —
 * are history, kept as long as the audit log keeps the entries that tell it (invitation.create,
 * resend, accept, cancel), then deleted: they hold the address of someone who may never have
 * become a user. Deletes up to `limit` invitations last changed, and past their expiry, before
 * `before` (a pending one past its expiry is an expired one; resending moves both times); how many.
 */
export function sweepFinishedInvitations(db: Db, before: Date, limit: number): Promise<number> {
  return createInvitationRepository(db).deleteFinishedBefore(before, limit);
}

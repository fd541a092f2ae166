import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/database.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Mailer } from '../../platform/mail.ts';
import type { PasswordPolicy } from '../accounts/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access, AssignmentService, TenantDirectory } from '../roles/index.ts';
import type { UserService } from '../users/index.ts';
import type { InvitationQuota } from './invitation.quota.ts';

// What the invitation service and its parts (acceptance, delivery, listing) are built from, in a
// file of its own so the parts need not import the service that assembles them.

export interface InvitationServiceDeps {
  db: Db;
  clock: Clock;
  directory: TenantDirectory;
  access: Access;
  audit: AuditService;
  users: Pick<UserService, 'prepareLocalUser' | 'insertLocalUser' | 'profileOf'>;
  assignments: Pick<AssignmentService, 'authorizeGrant' | 'grantAndAuditInTx'>;
  mailer: Mailer;
  /** SEC-9: invitation mails per master org and day. */
  quota: InvitationQuota;
  logger: Logger;
  /** PUBLIC_URL: invitation links are `${publicUrl}/invitations/<token>`. */
  publicUrl: string;
  /** INVITATION_TTL_DAYS (INV-2). */
  ttlDays: number;
  /** ACC-4: the one password checker, and the rules the acceptance page shows. */
  passwordPolicy: Pick<PasswordPolicy, 'check' | 'rules'>;
}

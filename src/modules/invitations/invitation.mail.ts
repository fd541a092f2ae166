import type { MailMessage } from '../../platform/mail.ts';
import { quotedTenantText } from '../../platform/mail-text.ts';

export interface InvitationMailInput {
  to: string;
  /** `${PUBLIC_URL}/invitations/<token>`: the only place the token ever goes. */
  link: string;
  organizationName: string;
  /** The business group invited to, when it is not the master org itself. */
  groupName: string | null;
  inviterName: string | null;
  expiresAt: Date;
}

/**
 * Fixed text (SEC-9): what a tenant typed never reaches the subject, where a mail client shows it
 * as the sender's own words.
 */
export const INVITATION_SUBJECT = 'You are invited to an organization on Canopy';

/**
 * The invitation email (INV-2, SEC-9): plain text, the link on a line of its own and the only link
 * in it. Names a tenant typed appear only quoted, defanged and marked as theirs (mail-text.ts).
 */
export function invitationMessage(input: InvitationMailInput): MailMessage {
  const org = quotedTenantText(input.organizationName);
  const where = input.groupName
    ? `the business group ${quotedTenantText(input.groupName)} of the organization ${org}`
    : `the organization ${org}`;
  const who = input.inviterName ? quotedTenantText(input.inviterName) : 'An administrator';
  const expires = `${input.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return {
    to: input.to,
    subject: INVITATION_SUBJECT,
    text: [
      'Hello,',
      '',
      `${who} invited you to join ${where} on Canopy.`,
      'Names in quotes were chosen by that organization; Canopy has not checked them.',
      '',
      'To accept, open this link and create your account:',
      '',
      input.link,
      '',
      `The link works once and expires on ${expires}.`,
      'If you did not expect this invitation, ignore this message:',
      'nothing happens unless the link is opened and the form on it completed.',
      '',
    ].join('\n'),
  };
}

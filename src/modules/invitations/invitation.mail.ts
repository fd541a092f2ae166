import type { MailMessage } from '../../platform/mail.ts';

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

/** Names are free text: whatever line breaks they hold, each stays on its line. */
const flat = (name: string) => name.replace(/\s+/g, ' ').trim();

/** The invitation email (INV-2): plain text, the link on a line of its own. */
export function invitationMessage(input: InvitationMailInput): MailMessage {
  const org = flat(input.organizationName);
  const where = input.groupName ? `${org} (${flat(input.groupName)})` : org;
  const who = input.inviterName ? flat(input.inviterName) : `An administrator of ${org}`;
  const expires = `${input.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return {
    to: input.to,
    subject: `You are invited to join ${org} on Canopy`,
    text: [
      'Hello,',
      '',
      `${who} invited you to join ${where} on Canopy.`,
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

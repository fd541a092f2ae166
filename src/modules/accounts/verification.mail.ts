import type { MailMessage } from '../../platform/mail.ts';
import { accountMessage } from './account.mail.ts';

/** Fixed subject (SEC-9): nothing anyone typed, and never the link. */
export const VERIFICATION_SUBJECT = 'Verify your email address for Canopy';

/** Where a verification link leads: PUBLIC_URL and the secret, never the request's Host. */
export const verificationUrl = (publicUrl: string, secret: string) =>
  `${publicUrl.replace(/\/+$/, '')}/verify-email/${secret}`;

/**
 * ACC-3: the single-use link, to the address it verifies. It names no username: the person who
 * receives it may not be the one who typed the address, and learns nothing but the organization.
 */
export function verificationMail(input: {
  to: string;
  organizationName: string;
  url: string;
  expiresAt: Date;
}): MailMessage {
  return accountMessage({
    to: input.to,
    subject: VERIFICATION_SUBJECT,
    organizationName: input.organizationName,
    paragraphs: [
      'This address was given as the email address of an account there.',
      'Open the link below and press "Verify" to confirm that it is yours. Until then, the apps you sign ' +
        'in to are told that the address is unverified, and no password reset link is sent to it.',
    ],
    link: { label: 'Verify your email address', url: input.url, expiresAt: input.expiresAt },
    closing:
      'If you do not know this account, ignore this message: the address stays unverified, and the ' +
      'link stops working by itself.',
  });
}

import type { MailMessage } from '../../platform/mail.ts';
import { quotedTenantText } from '../../platform/mail-text.ts';
import { accountMessage } from './account.mail.ts';

/** Fixed subjects (SEC-9): nothing anyone typed, and never the link. */
export const RESET_SUBJECT = 'Reset your Canopy password';
export const FEDERATED_SUBJECT = 'About your Canopy password';

/** Where a reset link leads: PUBLIC_URL and the secret, never the request's Host. */
export const resetUrl = (publicUrl: string, secret: string) =>
  `${publicUrl.replace(/\/+$/, '')}/password-reset/${secret}`;

interface Recipient {
  email: string;
  username: string;
}

/** ACC-1: the single-use link, to the account's verified address. */
export function resetLinkMail(input: {
  to: Recipient;
  organizationName: string;
  url: string;
  expiresAt: Date;
  /** Who asked: the person themselves (the sign-in page) or an administrator of the organization (ACC-5). */
  askedBy: 'self' | 'administrator';
}): MailMessage {
  const who =
    input.askedBy === 'self'
      ? 'Someone, probably you, asked to reset the password of your account there.'
      : 'An administrator of the organization sent you this link to set a new password for your account there.';
  return accountMessage({
    to: input.to.email,
    subject: RESET_SUBJECT,
    organizationName: input.organizationName,
    paragraphs: [
      who,
      `Your username is ${quotedTenantText(input.to.username)}.`,
      'Setting a new password signs you out everywhere: every session and every app signed in as you.',
    ],
    link: { label: 'Choose a new password', url: input.url, expiresAt: input.expiresAt },
    closing:
      'If you did not ask for this, ignore this message: your password stays as it is, and the link ' +
      'stops working by itself.',
  });
}

/** ACC-1: a federated user has no password here; they are told where they sign in instead. No link. */
export function federatedNoticeMail(input: { to: Recipient; organizationName: string }): MailMessage {
  return accountMessage({
    to: input.to.email,
    subject: FEDERATED_SUBJECT,
    organizationName: input.organizationName,
    paragraphs: [
      'Someone, probably you, asked to reset the password of your account there.',
      `Your account (username ${quotedTenantText(input.to.username)}) has no password on Canopy: ` +
        "you sign in through your company's own sign-in (its identity provider).",
      "Choose your company's sign-in on the sign-in page. If you cannot sign in there, ask your " +
        "company's IT support: Canopy cannot change that password.",
    ],
    closing: 'If you did not ask for this, ignore this message: nothing was changed.',
  });
}

export const EMAIL_CHANGED_SUBJECT = 'Your Canopy email address was changed';
export const PASSWORD_CHANGED_SUBJECT = 'Your Canopy password was changed';

/**
 * ACC-5: to the address a user had before an administrator (or anyone) changed it. Without it, an
 * administrator could point the account at their own mailbox, reset the password and sign in as the
 * user unseen. No link, and the new address is not named: only that a change happened.
 */
export function emailChangedNoticeMail(input: { to: string; username: string; organizationName: string }) {
  return accountMessage({
    to: input.to,
    subject: EMAIL_CHANGED_SUBJECT,
    organizationName: input.organizationName,
    paragraphs: [
      `The email address of your account (username ${quotedTenantText(input.username)}) was changed: ` +
        'messages about it, password reset links included, now go to another address.',
    ],
    closing:
      'If you did not expect this, tell your organization’s administrators or IT support at once: ' +
      'someone else may be trying to take over your account.',
  });
}

/** ACC-1: after a reset, to the account's address: a reset nobody asked for does not go unseen. */
export function passwordChangedNoticeMail(input: { to: Recipient; organizationName: string }) {
  return accountMessage({
    to: input.to.email,
    subject: PASSWORD_CHANGED_SUBJECT,
    organizationName: input.organizationName,
    paragraphs: [
      `The password of your account (username ${quotedTenantText(input.to.username)}) was just set ` +
        'through a password reset link. Every session of the account was ended.',
    ],
    closing:
      'If this was not you, ask for a new reset link from your organization’s sign-in page at once, ' +
      'and tell its administrators.',
  });
}

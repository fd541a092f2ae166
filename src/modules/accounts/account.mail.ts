import type { MailMessage } from '../../platform/mail.ts';
import { quotedTenantText } from '../../platform/mail-text.ts';

export interface AccountMailInput {
  to: string;
  /** Fixed text: nothing a tenant or a user typed ever reaches a subject (SEC-9). */
  subject: string;
  /** The master org's name, as its tenant typed it: quoted, defanged, never a link. */
  organizationName: string;
  /** Paragraphs of fixed text (no tenant text: that goes through `organizationName`). */
  paragraphs: string[];
  /** `${PUBLIC_URL}/…`: the one link, on a line of its own; absent for a mail that only informs. */
  link?: { label: string; url: string; expiresAt: Date };
  /** What to do if the mail was not expected. */
  closing: string;
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const utcMinute = (at: Date) => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * An account mail (ACC-1, ACC-3) in two parts with the same content: plain text with the link on a
 * line of its own, and HTML with the link as its only anchor. The organization's name is quoted as
 * the tenant's own words (mail-text.ts), in both parts.
 */
export function accountMessage(input: AccountMailInput): MailMessage {
  const org = quotedTenantText(input.organizationName);
  const intro = `This message is about your account in the organization ${org} on Canopy.`;
  const caveat = 'Names in quotes were chosen by that organization; Canopy has not checked them.';
  const expiry = input.link ? `The link works once and expires on ${utcMinute(input.link.expiresAt)}.` : null;
  const text = [
    'Hello,',
    '',
    intro,
    caveat,
    '',
    ...input.paragraphs.flatMap((p) => [p, '']),
    ...(input.link ? [`${input.link.label}:`, '', input.link.url, '', expiry!, ''] : []),
    input.closing,
    '',
  ].join('\n');
  const p = (value: string) => `<p>${escapeHtml(value)}</p>`;
  const html = [
    '<!doctype html><html><body>',
    p('Hello,'),
    p(intro),
    p(caveat),
    ...input.paragraphs.map(p),
    ...(input.link
      ? [
          `<p><a href="${escapeHtml(input.link.url)}">${escapeHtml(input.link.label)}</a></p>`,
          p(`Or copy this address into your browser: ${input.link.url}`),
          p(expiry!),
        ]
      : []),
    p(input.closing),
    '</body></html>',
  ].join('\n');
  return { to: input.to, subject: input.subject, text, html };
}

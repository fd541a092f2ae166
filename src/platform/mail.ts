import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTransport } from 'nodemailer';
import type { Logger } from './logger.ts';

/**
 * One message: plain text, and optionally the same content as HTML (sent as multipart/alternative).
 * Its content may carry secrets (a one-time link): it is never logged.
 */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  /** Sends the message, or writes it to the outbox; rejects when it could do neither. */
  send(message: MailMessage): Promise<void>;
  /** Where messages go: `smtp`, or `outbox` (the embedded default). */
  readonly mode: 'smtp' | 'outbox';
}

export interface MailerOptions {
  /** `smtp://…` or `smtps://…`; without it, messages are written to `DATA_DIR/outbox/`. */
  smtpUrl: string | null;
  from: string;
  /** DATA_DIR: without SMTP, messages go to its `outbox/`, one `.eml` file each, readable by the owner only. */
  dataDir: string;
  logger: Logger;
}

// A hung SMTP server must not hang the request that sends an invitation for minutes.
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** Header values may come from input: no line break or other control character reaches a header. */
const oneLine = (value: string) => value.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim();

/**
 * Outgoing mail. Over SMTP when `SMTP_URL` is set (nodemailer); otherwise each message is written
 * as an `.eml` file to `DATA_DIR/outbox/` (mode 0600), and the log says that a message was written
 * and where — never its content, which may be a one-time link.
 */
export function createMailer(options: MailerOptions): Mailer {
  const { logger } = options;
  if (options.smtpUrl) {
    const transport = createTransport({ url: options.smtpUrl, ...SMTP_TIMEOUTS });
    return {
      mode: 'smtp',
      async send(message) {
        const info = await transport.sendMail({
          from: options.from,
          to: oneLine(message.to),
          subject: oneLine(message.subject),
          text: message.text,
          ...(message.html === undefined ? {} : { html: message.html }),
        });
        logger.debug({ messageId: info.messageId }, 'mail sent');
      },
    };
  }
  const outboxDir = path.join(options.dataDir, 'outbox');
  return {
    mode: 'outbox',
    async send(message) {
      const at = new Date();
      const raw = outboxMessage(options.from, message, at);
      await mkdir(outboxDir, { recursive: true, mode: 0o700 });
      const name = `${at.toISOString().replace(/[:.]/g, '-')}-${randomBytes(6).toString('hex')}.eml`;
      const file = path.join(outboxDir, name);
      await writeFile(file, raw, { mode: 0o600, flag: 'wx' });
      logger.info({ file }, 'no SMTP_URL configured: mail written to the outbox');
    },
  };
}

/** RFC 2047 for a header value that is not plain ASCII. */
const headerText = (value: string) =>
  /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;

/**
 * The outbox's message: 8bit text, so that a person reading the file (`cat`) sees the link whole,
 * where quoted-printable would break it across lines; mail clients open it all the same.
 */
function outboxMessage(from: string, message: MailMessage, at: Date): string {
  const headers = [
    // MAIL_FROM is the operator's `Name <address>`: written as configured.
    `From: ${oneLine(from)}`,
    `To: ${oneLine(message.to)}`,
    `Subject: ${headerText(oneLine(message.subject))}`,
    `Date: ${at.toUTCString().replace('GMT', '+0000')}`,
    'MIME-Version: 1.0',
  ];
  if (message.html === undefined) {
    return `${headers.join('\r\n')}\r\n${part('text/plain', message.text)}`;
  }
  const boundary = `canopy-${randomBytes(12).toString('hex')}`;
  return [
    `${headers.join('\r\n')}\r\nContent-Type: multipart/alternative; boundary="${boundary}"\r\n\r\n`,
    `--${boundary}\r\n${part('text/plain', message.text)}`,
    `--${boundary}\r\n${part('text/html', message.html)}`,
    `--${boundary}--\r\n`,
  ].join('');
}

/** One body part's headers and content, with CRLF line ends and a final line break. */
function part(type: 'text/plain' | 'text/html', content: string): string {
  const body = content.replace(/\r?\n/g, '\r\n');
  const headers = `Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: 8bit`;
  return `${headers}\r\n\r\n${body}${body.endsWith('\r\n') ? '' : '\r\n'}`;
}

import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';

/** One received message, as raw RFC 5322 text. */
export interface RawMail {
  raw: string;
}

/** A header's value (unfolded), or undefined. */
export function headerOf(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/** The body of a single-part text message, decoded from its transfer encoding (7bit, quoted-printable, base64). */
export function bodyOf(raw: string): string {
  const at = raw.search(/\r?\n\r?\n/);
  const body = raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const encoding = headerOf(raw, 'Content-Transfer-Encoding')?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

const LINK = /(https?:\/\/[^\s/]+\/invitations\/[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/g;

/** The one invitation link in a message. */
export function invitationLinkIn(raw: string): string {
  const links = [...bodyOf(raw).matchAll(LINK)].map((m) => m[1]!);
  assert.equal(links.length, 1, `expected one invitation link in:\n${bodyOf(raw)}`);
  return links[0]!;
}

/** The token of an invitation link. */
export const tokenOf = (link: string): string => link.slice(link.lastIndexOf('/') + 1);

/** An SMTP URL nothing listens on (a port just freed): every delivery to it fails. */
export async function unreachableSmtpUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `smtp://127.0.0.1:${port}`;
}

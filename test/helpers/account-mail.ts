import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { bodyOf, headerOf } from './invitation-mail.ts';

/** One part of a multipart/alternative message (or the whole body of a single-part one). */
export function partOf(raw: string, type: 'text/plain' | 'text/html'): string {
  const contentType = headerOf(raw, 'Content-Type') ?? '';
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) {
    assert.ok(
      contentType.startsWith(type) || type === 'text/plain',
      `no ${type} part in a ${contentType} message`,
    );
    return bodyOf(raw);
  }
  const parts = raw.split(`--${boundary}`).slice(1, -1);
  const found = parts
    .map((p) => p.replace(/^\r?\n/, ''))
    .find((p) => headerOf(p, 'Content-Type')?.startsWith(type));
  assert.ok(found, `no ${type} part in the message`);
  return bodyOf(found);
}

/** The one link to `${origin}${pathPrefix}…` in the message's text part. */
export function accountLinkIn(raw: string, pathPrefix: string): string {
  const text = partOf(raw, 'text/plain');
  const links = [...text.matchAll(/https?:\/\/\S+/g)]
    .map((m) => m[0])
    .filter((u) => new URL(u).pathname.startsWith(pathPrefix));
  assert.equal(links.length, 1, `expected one ${pathPrefix} link in:\n${text}`);
  return links[0]!;
}

/** The outbox's messages (DATA_DIR/outbox), oldest first, optionally only those to one address. */
export async function outboxMessages(dataDir: string, to?: string): Promise<string[]> {
  const dir = path.join(dataDir, 'outbox');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.eml')).sort();
  const raws = await Promise.all(names.map((n) => readFile(path.join(dir, n), 'utf8')));
  return to === undefined ? raws : raws.filter((r) => headerOf(r, 'To') === to);
}

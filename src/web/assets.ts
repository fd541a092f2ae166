import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Request, Response } from 'express';
import { baseSecurityHeaders } from './security-headers.ts';

/** The one stylesheet, read once. Its URL carries a content hash, so it can be cached for a year. */
const CSS = readFileSync(new URL('./assets/canopy.css', import.meta.url));
const CSS_HASH = createHash('sha256').update(CSS).digest('hex').slice(0, 12);

export const STYLESHEET_PATH = '/assets/canopy.css';
/** What pages link to: a new deployment with a changed stylesheet gets a new URL. */
export const STYLESHEET_HREF = `${STYLESHEET_PATH}?v=${CSS_HASH}`;

export function serveStylesheet(_req: Request, res: Response): void {
  sendImmutable(res, CSS, 'text/css; charset=utf-8', CSS_HASH);
}

/**
 * An asset whose URL carries `hash` of its content: cacheable for a year. Express's `send` answers
 * HEAD and If-None-Match (304) itself.
 */
export function sendImmutable(res: Response, body: Buffer, contentType: string, hash: string): void {
  res.set({
    ...baseSecurityHeaders(),
    'Content-Type': contentType,
    'Cache-Control': 'public, max-age=31536000, immutable',
    ETag: `"${hash}"`,
  });
  res.send(body);
}

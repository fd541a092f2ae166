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
  res.set({
    ...baseSecurityHeaders(),
    'Content-Type': 'text/css; charset=utf-8',
    'Cache-Control': 'public, max-age=31536000, immutable',
    ETag: `"${CSS_HASH}"`,
  });
  res.send(CSS); // answers HEAD and If-None-Match (304) itself
}

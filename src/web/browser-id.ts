import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { cookiePolicy, type NamedCookie, readCookies } from '../platform/http/cookie-options.ts';

/**
 * A random, meaningless per-browser value that CSRF tokens of pages without an interaction (such as
 * `/signup`) are bound to. Named and flagged by PUBLIC_URL (cookie-options.ts): httpOnly,
 * SameSite=Lax, and on https `__Host-` prefixed, so neither scripts nor sibling subdomains can read
 * or plant it.
 */
export type BrowserIdCookie = NamedCookie;

const VALUE = /^[A-Za-z0-9_-]{43}$/;

export function browserIdCookie(publicUrl: string): BrowserIdCookie {
  return cookiePolicy(publicUrl).cookie('canopy_browser');
}

/** The value of the named cookie, if the request carries one that matches `shape`. */
export function readCookie(req: Request, name: string, shape: RegExp): string | undefined {
  return readCookies(req, name, shape, 1)[0];
}

/** The browser id the request carries, if it carries a well-formed one. */
export function readBrowserId(req: Request, cookie: BrowserIdCookie): string | undefined {
  return readCookie(req, cookie.name, VALUE);
}

/** The request's browser id, or a new one set on the response. */
export function ensureBrowserId(req: Request, res: Response, cookie: BrowserIdCookie): string {
  const existing = readBrowserId(req, cookie);
  if (existing) return existing;
  const id = randomBytes(32).toString('base64url');
  res.cookie(cookie.name, id, cookie.attributes);
  return id;
}

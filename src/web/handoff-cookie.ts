import type { Request, Response } from 'express';
import { cookiePolicy, type NamedCookie } from '../platform/http/cookie-options.ts';
import { readCookie } from './browser-id.ts';

/**
 * FED-6 IdP-initiated sign-in: the id of a parked federated outcome, carried from the SAML ACS
 * (a cross-site POST, whose response may still set a SameSite=Lax cookie) to the console's login
 * interaction (a top-level GET, which sends it). Named and flagged by PUBLIC_URL (cookie-options.ts):
 * httpOnly, and `__Host-` prefixed on https, so no sibling subdomain can plant one; it lives no
 * longer than the outcome it names.
 */
export type HandoffCookie = NamedCookie;

/** As long as the parked outcome lives (flow store): a stale cookie names nothing anyway. */
export const HANDOFF_MAX_AGE_MS = 120_000;
const VALUE = /^[A-Za-z0-9_-]{43}$/;

export function handoffCookie(publicUrl: string): HandoffCookie {
  return cookiePolicy(publicUrl).cookie('canopy_handoff');
}

export function setHandoff(res: Response, cookie: HandoffCookie, id: string): void {
  res.cookie(cookie.name, id, { ...cookie.attributes, maxAge: HANDOFF_MAX_AGE_MS });
}

/** The parked outcome's id the request carries, if well formed. */
export function readHandoff(req: Request, cookie: HandoffCookie): string | undefined {
  return readCookie(req, cookie.name, VALUE);
}

export function clearHandoff(res: Response, cookie: HandoffCookie): void {
  res.clearCookie(cookie.name, cookie.attributes);
}

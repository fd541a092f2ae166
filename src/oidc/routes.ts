import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../platform/errors/index.ts';
import { checkBodyInPlace } from '../platform/http/body-in-place.ts';
import { errorPage, sendPage } from '../web/index.ts';
import { CODE_VERIFICATION_PATH, OIDC_PREFIX } from './configuration.ts';
import type { Oidc } from './provider.ts';

const DISCOVERY = '/.well-known/openid-configuration';

/** The provider's own body limit (oidc-provider's selective_body.js): ours may not be looser. */
export const PROVIDER_BODY_LIMIT = 56 * 1024;

/** Whether the provider answers this path (discovery and everything below the OIDC prefix). */
export function isProviderPath(path: string): boolean {
  return path === DISCOVERY || path.startsWith(`${OIDC_PREFIX}/`);
}

/** The provider's endpoints a person's browser visits (and their sub-paths): the rest answer clients. */
const BROWSER_ENDPOINTS = [`${OIDC_PREFIX}/auth`, `${OIDC_PREFIX}/session/end`, CODE_VERIFICATION_PATH];
const DEVICE_AUTHORIZATION = `${OIDC_PREFIX}/device/auth`;

function isBrowserEndpoint(path: string): boolean {
  if (path === DEVICE_AUTHORIZATION) return false;
  return BROWSER_ENDPOINTS.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * REL-1 on the provider's paths: a page where a browser was sent, else the OAuth error JSON
 * (RFC 6749 §5.2: `invalid_request`, uncached) with the status that says why — 400, or 413.
 */
export function refuseProviderInput(req: Request, res: Response, error: AppError): void {
  if (isBrowserEndpoint(req.path)) {
    sendPage(
      res,
      error.status,
      errorPage({ status: error.status, message: error.message, requestId: req.id }),
    );
    return;
  }
  res
    .status(error.status)
    .set('Cache-Control', 'no-store')
    .json({ error: 'invalid_request', error_description: error.message });
}

/**
 * Hands the provider's own paths to it. It parses its bodies itself, so no body parser runs
 * before it; REL-1's checks still must: a form or JSON body is checked in place (read, checked,
 * put back on the stream) and the provider then reads it as it always does. Express does not
 * strip a mount prefix from the URL the provider sees.
 */
export function providerEndpoints(oidc: Oidc) {
  return async function toProvider(req: Request, res: Response, next: NextFunction) {
    if (!isProviderPath(req.path)) {
      next();
      return;
    }
    if (req.is(['application/x-www-form-urlencoded', 'json'])) {
      try {
        await checkBodyInPlace(req, PROVIDER_BODY_LIMIT);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        refuseProviderInput(req, res, err);
        return;
      }
    }
    oidc.handle(req, res);
  };
}

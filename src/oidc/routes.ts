import type { NextFunction, Request, Response } from 'express';
import { OIDC_PREFIX } from './configuration.ts';
import type { Oidc } from './provider.ts';

const DISCOVERY = '/.well-known/openid-configuration';

/**
 * Hands the provider's own paths to it, untouched: nothing parses a body before it (it reads
 * bodies itself), and Express does not strip a mount prefix from the URL it sees.
 */
export function providerEndpoints(oidc: Oidc) {
  return function toProvider(req: Request, res: Response, next: NextFunction) {
    if (req.path === DISCOVERY || req.path.startsWith(`${OIDC_PREFIX}/`)) {
      oidc.handle(req, res);
      return;
    }
    next();
  };
}

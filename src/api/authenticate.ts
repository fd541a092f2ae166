import type { NextFunction, Request, Response } from 'express';
import type { RequestContext } from '../platform/context.ts';
import { AppError } from '../platform/errors/index.ts';

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

/** Admin API authentication: a bearer access token issued by Canopy, nothing else (issue 4 §2). */
export function authenticate(
  resolve: (token: string, requestId: string) => Promise<RequestContext | undefined>,
) {
  return async function requireBearer(req: Request, res: Response, next: NextFunction) {
    const match = BEARER.exec(req.get('authorization') ?? '');
    const ctx = match ? await resolve(match[1]!, req.id) : undefined;
    if (!ctx) {
      res.setHeader('WWW-Authenticate', `Bearer realm="canopy"${match ? ', error="invalid_token"' : ''}`);
      throw new AppError('auth.unauthenticated', undefined, {
        message: match
          ? 'The access token is not valid (expired, revoked, or not for this API)'
          : 'Send an access token: Authorization: Bearer <token>',
      });
    }
    req.ctx = ctx;
    next();
  };
}

import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors/index.ts';
import { describeUnavailable, RETRY_AFTER_SECONDS } from '../errors/unavailable.ts';
import { asInputError } from './input-guard.ts';

/** The one error envelope of the HTTP API: `{ code, message, details?, requestId }`. */
export function errorHandler() {
  return function renderError(err: unknown, req: Request, res: Response, _next: NextFunction) {
    const unavailable = describeUnavailable(err);
    const appError =
      unavailable && !(err instanceof AppError && err.code === 'service.unavailable')
        ? new AppError('service.unavailable')
        : toAppError(err);
    if (appError.code === 'service.unavailable') {
      // REL-2: the request may succeed once PostgreSQL or Redis is back; an outage is not a bug.
      res.set('Retry-After', String(RETRY_AFTER_SECONDS));
      req.log.warn({ ...unavailable }, 'request failed: a backing service is unavailable');
    } else if (appError.status === 429 && typeof appError.details?.retryAfterSeconds === 'number') {
      // Every limit and quota says when to come back, whichever route it refused.
      res.set('Retry-After', String(appError.details.retryAfterSeconds));
    } else if (appError.status >= 500) {
      req.log.error({ err: describeUnexpected(err) }, 'request failed');
    }
    res.status(appError.status).json({
      code: appError.code,
      message: appError.message,
      ...(appError.details ? { details: appError.details } : {}),
      requestId: req.id,
    });
  };
}

export function notFoundHandler() {
  return function routeNotFound(_req: Request, _res: Response, next: NextFunction) {
    next(new AppError('request.not_found'));
  };
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // REL-1: the caller's fault (a body parser's error, a path Express cannot decode), named as such.
  return asInputError(err) ?? new AppError('internal');
}

/** What an unexpected error may put in a log: never driver fields such as query parameters. */
function describeUnexpected(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { value: String(err) };
  const e = err as Error & { code?: string; constraint?: string };
  return { type: e.name, message: e.message, code: e.code, constraint: e.constraint, stack: e.stack };
}

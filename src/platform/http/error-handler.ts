import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors/index.ts';

/** The one error envelope of the HTTP API: `{ code, message, details?, requestId }`. */
export function errorHandler() {
  return function renderError(err: unknown, req: Request, res: Response, _next: NextFunction) {
    const appError = toAppError(err);
    if (appError.status >= 500) {
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
  const e = err as { type?: string; status?: number };
  // body-parser's errors: malformed or oversized bodies are the caller's fault.
  if (e?.type === 'entity.too.large') return new AppError('request.too_large');
  if (e?.type === 'entity.parse.failed' || e?.status === 400) {
    return new AppError('request.invalid_input', undefined, {
      message: 'The request body is not valid JSON',
    });
  }
  return new AppError('internal');
}

/** What an unexpected error may put in a log: never driver fields such as query parameters. */
function describeUnexpected(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { value: String(err) };
  const e = err as Error & { code?: string; constraint?: string };
  return { type: e.name, message: e.message, code: e.code, constraint: e.constraint, stack: e.stack };
}

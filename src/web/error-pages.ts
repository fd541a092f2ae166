import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../platform/errors/index.ts';
import { sendPage } from './page.ts';
import { errorPage } from './templates/error.ts';

/**
 * The error handler of the page routes: an HTML error page instead of the API's JSON envelope.
 * The page says what kind of thing went wrong and gives the request id; the details (message,
 * stack) of an unexpected error go to the log only.
 */
export function htmlErrorHandler() {
  return function renderErrorPage(err: unknown, req: Request, res: Response, next: NextFunction) {
    if (res.headersSent) {
      next(err);
      return;
    }
    const status = statusOf(err);
    if (status >= 500) req.log.error({ err: describeUnexpected(err) }, 'page request failed');
    sendPage(res, status, errorPage({ status, requestId: req.id }));
  };
}

function statusOf(err: unknown): number {
  if (err instanceof AppError) return err.status;
  // body-parser's errors (too large, bad charset, too many fields) are the caller's, and say so.
  const e = err as { type?: unknown; status?: unknown; expose?: unknown };
  if (typeof e?.type === 'string' && e.expose === true && typeof e.status === 'number') {
    if (e.status >= 400 && e.status < 500) return e.status;
  }
  return 500;
}

function describeUnexpected(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { value: String(err) };
  const e = err as Error & { code?: unknown };
  return { type: e.name, message: e.message, code: e.code, stack: e.stack };
}

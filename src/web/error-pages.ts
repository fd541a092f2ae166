import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../platform/errors/index.ts';
import { describeUnavailable, RETRY_AFTER_SECONDS } from '../platform/errors/unavailable.ts';
import { asInputError } from '../platform/http/input-guard.ts';
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
    const unavailable = describeUnavailable(err);
    const status = unavailable ? 503 : statusOf(err);
    if (unavailable) {
      // REL-2: PostgreSQL or Redis is away; the page works again once it is back.
      res.set('Retry-After', String(RETRY_AFTER_SECONDS));
      req.log.warn({ ...unavailable }, 'page request failed: a backing service is unavailable');
    } else if (status >= 500) {
      req.log.error({ err: describeUnexpected(err) }, 'page request failed');
    }
    sendPage(res, status, errorPage({ status, requestId: req.id, message: inputProblemOf(err) }));
  };
}

function statusOf(err: unknown): number {
  if (err instanceof AppError) return err.status;
  // REL-1: body-parser's errors and a path Express cannot decode are the caller's, and say so.
  return asInputError(err)?.status ?? 500;
}

/** What was wrong with the input, for the person who sent it (REL-1: 400 naming the field, or 413). */
function inputProblemOf(err: unknown): string | undefined {
  const refusal = err instanceof AppError ? err : asInputError(err);
  const shown = refusal?.code === 'request.invalid_input' || refusal?.code === 'request.too_large';
  return shown ? refusal.message : undefined;
}

function describeUnexpected(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { value: String(err) };
  const e = err as Error & { code?: unknown };
  return { type: e.name, message: e.message, code: e.code, stack: e.stack };
}

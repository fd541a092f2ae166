import type { NextFunction, Request, Response } from 'express';
import { API_PATH } from '../api/index.ts';
import { isProviderPath, refuseProviderInput } from '../oidc/routes.ts';
import { AppError } from '../platform/errors/index.ts';
import { asInputError } from '../platform/http/input-guard.ts';
import { errorPage, sendPage } from '../web/index.ts';

/**
 * REL-1: how a refused input (400 naming the field, or 413) is answered, in the form of the surface
 * the request was for: the admin API's error envelope (by the app's error handler), the provider's
 * OAuth error or page, or an HTML error page for every other path.
 */
export function refuseInput(req: Request, res: Response, next: NextFunction, error: AppError): void {
  if (isProviderPath(req.path)) {
    refuseProviderInput(req, res, error);
    return;
  }
  // Express matches routes ignoring case, so /API/v1/… reaches the API too.
  const path = req.path.toLowerCase();
  if (path === API_PATH || path.startsWith(`${API_PATH}/`)) {
    next(error);
    return;
  }
  sendPage(res, error.status, errorPage({ status: error.status, message: error.message, requestId: req.id }));
}

/**
 * The same answer for a body refused inside a router that has no error page of its own (the
 * sign-in interaction, the federation endpoints): a person's browser gets a page, not JSON.
 */
export function inputErrorHandler() {
  return function answerInputError(err: unknown, req: Request, res: Response, next: NextFunction) {
    const refusal = err instanceof AppError ? err : asInputError(err);
    const isInput = refusal?.code === 'request.invalid_input' || refusal?.code === 'request.too_large';
    if (res.headersSent || !refusal || !isInput) {
      next(err);
      return;
    }
    refuseInput(req, res, next, refusal);
  };
}

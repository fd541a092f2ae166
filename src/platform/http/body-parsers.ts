import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import {
  charsetProblem,
  decodeUtf8,
  formProblem,
  type InputProblem,
  jsonDepthProblem,
  jsonValueProblem,
} from './input-checks.ts';
import { asInputError, invalidInputError, refusalToThrow } from './input-guard.ts';

// REL-1: the only body parsers of the app. Each reads at most its limit (413 above it), refuses
// bytes that are not UTF-8 instead of replacing them, and applies the checks of input-checks.ts
// before a handler sees the body; their errors are AppErrors already (400 or 413, naming the field).

const refuse = (problem: InputProblem) => refusalToThrow(invalidInputError(problem));
const NOT_UTF8: InputProblem = { field: '(body)', problem: 'is not valid UTF-8' };

/** Whether the request carries bytes (an empty body with any Content-Type is no body). */
function carriesBytes(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
}

/**
 * Runs body-parser's `parser`, then `check` on what it parsed; every failure as an AppError. A body
 * of another type is refused, not ignored: a route would otherwise act as if it had none; and so is
 * one in another charset than UTF-8, which the parser would decode as that charset.
 */
function checked(
  type: string,
  parser: RequestHandler,
  check: (body: unknown) => InputProblem | undefined,
): RequestHandler {
  return function readCheckedBody(req: Request, res: Response, next: NextFunction) {
    if (carriesBytes(req)) {
      const problem = req.is(type)
        ? charsetProblem(req.headers['content-type'])
        : { field: '(body)', problem: `must be ${type}` };
      if (problem) {
        next(invalidInputError(problem));
        return;
      }
    }
    void parser(req, res, (err?: unknown) => {
      if (err) {
        next(asInputError(err) ?? err);
        return;
      }
      const problem = req.body === undefined ? undefined : check(req.body);
      next(problem ? invalidInputError(problem) : undefined);
    });
  };
}

/** `application/json`, objects and arrays only, UTF-8, nested at most `MAX_JSON_DEPTH` levels. */
export function jsonBody(options: { limit: string }): RequestHandler {
  const parser = express.json({
    limit: options.limit,
    strict: true,
    verify(_req, _res, bytes) {
      const text = decodeUtf8(bytes);
      if (text === undefined) throw refuse(NOT_UTF8);
      const deep = jsonDepthProblem(text);
      if (deep) throw refuse(deep);
    },
  });
  return checked('application/json', parser, (body) => jsonValueProblem(body));
}

/** `application/x-www-form-urlencoded` (flat, as the pages post it), every field clean text. */
export function formBody(options: { limit: string }): RequestHandler {
  const parser = express.urlencoded({
    extended: false,
    limit: options.limit,
    verify(_req, _res, bytes) {
      const text = decodeUtf8(bytes);
      if (text === undefined) throw refuse(NOT_UTF8);
      const problem = formProblem(text, 'form body');
      if (problem) throw refuse(problem);
    },
  });
  return checked('application/x-www-form-urlencoded', parser, () => undefined);
}

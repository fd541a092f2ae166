import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors/index.ts';
import { formProblem, type InputProblem, pathProblem } from './input-checks.ts';

// REL-1: the one place that decides whether what arrives may be read. The guard runs before every
// router (path, query string, declared body size); the body parsers (body-parsers.ts) apply the
// same checks to bodies; and every parser error becomes the same two AppErrors, so no surface maps
// them on its own (nor mistakes a bad path for bad JSON).

/** The largest body any route takes (a SAML provider's metadata): anything bigger is refused unread. */
export const MAX_BODY_BYTES = 400 * 1024;

/** How a surface answers a refused input: the API's envelope, an OAuth error, or an HTML page. */
export type InputRefusal = (req: Request, res: Response, next: NextFunction, error: AppError) => void;

export function invalidInputError(problem: InputProblem): AppError {
  return new AppError(
    'request.invalid_input',
    { fields: [problem] },
    { message: `Invalid input — ${problem.field}: ${problem.problem}` },
  );
}

export function tooLargeError(limitBytes: number): AppError {
  const limit = limitBytes % 1024 === 0 ? `${limitBytes / 1024} KiB` : `${limitBytes} bytes`;
  return new AppError(
    'request.too_large',
    { limitBytes },
    { message: `The request body is too large: at most ${limit} is accepted here` },
  );
}

/**
 * Checks the request line before any router sees it: every path segment and every query parameter
 * must percent-decode to clean text (Express would throw a URIError for a bad path parameter, and
 * hand a bad query value on with U+FFFD), and a declared body above the largest limit is refused
 * without reading it.
 */
export function inputGuard(options: { refuse: InputRefusal; maxBodyBytes?: number }) {
  const max = options.maxBodyBytes ?? MAX_BODY_BYTES;
  return function guardInput(req: Request, res: Response, next: NextFunction) {
    if (Number(req.headers['content-length']) > max) {
      options.refuse(req, res, next, tooLargeError(max));
      return;
    }
    const url = req.url;
    const q = url.indexOf('?');
    const problem =
      pathProblem(q < 0 ? url : url.slice(0, q)) ??
      (q < 0 ? undefined : formProblem(url.slice(q + 1), 'query string'));
    if (problem) {
      options.refuse(req, res, next, invalidInputError(problem));
      return;
    }
    next();
  };
}

/** What body-parser errors carry (http-errors): a type naming the failure, and a status. */
interface ParserError {
  type?: unknown;
  status?: unknown;
  refusal?: unknown;
  limit?: unknown;
}

/**
 * The AppError for a foreign error about the input, wherever it was thrown: a refusal of the checks,
 * body-parser's failures (size, syntax, charset, a body cut short), and Express's URIError for a
 * path parameter it cannot decode. Undefined for anything else, which is then not the caller's fault.
 */
export function asInputError(err: unknown): AppError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as ParserError;
  if (e.refusal instanceof AppError) return e.refusal;
  if (err instanceof URIError && e.status === 400) {
    return invalidInputError({ field: 'path', problem: 'is not valid percent-encoded UTF-8' });
  }
  switch (e.type) {
    case 'entity.too.large':
      return tooLargeError(typeof e.limit === 'number' ? e.limit : MAX_BODY_BYTES);
    case 'parameters.too.many':
      return new AppError('request.too_large', undefined, { message: 'The form has too many fields' });
    case 'entity.parse.failed':
      return invalidInputError({ field: '(body)', problem: 'is not valid JSON' });
    case 'querystring.parse.rangeError':
      return invalidInputError({ field: '(body)', problem: 'is nested too deeply' });
    case 'charset.unsupported':
      return invalidInputError({ field: '(body)', problem: 'must be UTF-8' });
    case 'encoding.unsupported':
      return invalidInputError({ field: '(body)', problem: 'has a Content-Encoding that is not supported' });
    case 'request.size.invalid':
    case 'request.aborted':
      return invalidInputError({ field: '(body)', problem: 'did not arrive whole (see Content-Length)' });
  }
  // Any other client error of a parser (http-errors marks them `expose`): still the caller's.
  const status = typeof e.status === 'number' ? e.status : 0;
  if ((err as { expose?: unknown }).expose === true && status >= 400 && status < 500) {
    if (status === 413) return new AppError('request.too_large');
    return invalidInputError({ field: '(request)', problem: 'could not be read' });
  }
  return undefined;
}

/** An error a body parser's `verify` can throw: body-parser keeps its status, `asInputError` unwraps it. */
export function refusalToThrow(refusal: AppError): Error {
  return Object.assign(new Error(refusal.message), { status: refusal.status, refusal });
}

import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { RequestContext } from '../context.ts';
import { AppError, type ErrorCode, parseInput } from '../errors/index.ts';

type AnyObject = z.ZodObject<z.ZodRawShape>;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** What a handler receives: the caller, and its input already validated against the route's schemas. */
export interface RouteInput<P, Q, B> {
  ctx: RequestContext;
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

/**
 * One admin API operation, declared once: its path, input and output schemas, statuses and the
 * errors it may answer. The same declaration validates requests, shapes responses (fields outside
 * the response schema never leave) and writes the OpenAPI document.
 */
export interface RouteSpec<
  P extends AnyObject,
  Q extends AnyObject,
  B extends z.ZodType,
  R extends z.ZodType,
> {
  method: Method;
  /** Express-style path below /api/v1, e.g. `/organizations/:orgId`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** The permission the operation needs, for the document (the service enforces it). */
  permission?: string;
  params?: P;
  query?: Q;
  body?: B;
  /** 204 has no body. */
  status: 200 | 201 | 204;
  response?: R;
  /** Error codes this operation may answer besides the ones every route can (401, 403, 404, 429, 500). */
  errors?: ErrorCode[];
  /** Served without a bearer token, to anonymous callers (sign-up); mounted before authentication. */
  public?: boolean;
  handler(
    input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>,
  ): Promise<R extends z.ZodType ? z.input<R> | unknown : void>;
}

export type AnyRoute = RouteSpec<AnyObject, AnyObject, z.ZodType, z.ZodType>;

export function defineRoute<
  P extends AnyObject = AnyObject,
  Q extends AnyObject = AnyObject,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
>(spec: RouteSpec<P, Q, B, R>): AnyRoute {
  return spec as unknown as AnyRoute;
}

/** JSON as the client will see it: dates become ISO strings, undefined members disappear. */
function asJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** A 403 a handler answered (SEC-12): who was refused, on which route, and the error that said why. */
export interface Forbidden {
  ctx: RequestContext;
  method: Method;
  /** The route's pattern where it is mounted, e.g. `/api/v1/users/:userId`: never the URL as sent. */
  route: string;
  params: Readonly<Record<string, unknown>>;
  error: AppError;
}

export interface MountOptions {
  /**
   * Where the router is mounted, as the app mounts it (e.g. `/api/v1`): the prefix of a refusal's
   * route. Never `req.baseUrl`, which is the request's own text (matching ignores case).
   */
  mountPath?: string;
  /** Told of every 403 a handler answers. Its failure is logged: the answer stays the 403. */
  onForbidden?(refusal: Forbidden): Promise<void>;
}

export function mountRoutes(router: Router, routes: readonly AnyRoute[], options: MountOptions = {}): void {
  const { mountPath = '', onForbidden } = options;
  for (const route of routes) {
    router[route.method](route.path, async (req: Request, res: Response) => {
      const ctx = req.ctx ?? (route.public ? { actor: { kind: 'anonymous' }, requestId: req.id } : undefined);
      if (!ctx) throw new AppError('auth.unauthenticated');
      const params = route.params ? parseInput(route.params, req.params) : {};
      const query = route.query ? parseInput(route.query, req.query) : {};
      const body = route.body ? parseInput(route.body, req.body ?? {}) : undefined;
      let result: unknown;
      try {
        result = await route.handler({ ctx, params, query, body, req, res });
      } catch (err) {
        if (onForbidden && err instanceof AppError && err.status === 403) {
          const refusal = {
            ctx,
            method: route.method,
            route: `${mountPath}${route.path}`,
            params,
            error: err,
          };
          await onForbidden(refusal).catch((failure: unknown) => {
            req.log.error({ err: (failure as Error)?.message }, 'could not audit a refused request');
          });
        }
        throw err;
      }
      if (route.status === 204 || !route.response) {
        res.status(route.status).end();
        return;
      }
      const shaped = route.response.safeParse(asJson(result));
      // A response outside its own schema is a bug on our side, never something to send.
      if (!shaped.success) {
        throw new AppError('internal', undefined, {
          cause: new Error(`response of ${route.method} ${route.path}: ${shaped.error.message}`),
        });
      }
      res.status(route.status).json(shaped.data);
    });
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The authenticated caller of an admin API request. */
    ctx?: RequestContext;
  }
}

/** Path parameters that are ids: not even a UUID is simply not found, like any id outside the tenant. */
export const idParam = z.string().max(64);

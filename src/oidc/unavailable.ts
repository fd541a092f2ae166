import type { Configuration, ErrorOut, KoaContextWithOIDC, Provider } from 'oidc-provider';
import {
  describeUnavailable,
  RETRY_AFTER_SECONDS,
  type Unavailability,
} from '../platform/errors/unavailable.ts';
import type { Logger } from '../platform/logger.ts';

const TEMPORARILY_UNAVAILABLE: ErrorOut = {
  error: 'temporarily_unavailable',
  error_description: 'The server cannot handle the request now: retry later',
};

/**
 * REL-2 on the provider's endpoints: a request that failed because PostgreSQL or Redis is away
 * answers 503 with Retry-After and `temporarily_unavailable` (RFC 6749 §4.1.2.1; the token,
 * introspection and revocation endpoints say the same in their JSON error), not `server_error` 500.
 *
 * Middleware added with `provider.use` runs outside the provider's per-route error handlers, which
 * turn any unexpected error into a `server_error` answer and emit 'server_error' with the error.
 * So the error is recognised there, remembered for the request, and the answer rewritten on its
 * way out; errors thrown past those handlers (e.g. by other middleware, or saving the session) are
 * caught here directly. Register it first, so that it wraps every other middleware.
 */
export function answerUnavailable(
  provider: Provider,
  deps: { logger: Logger; renderError: NonNullable<Configuration['renderError']> },
) {
  const failed = new WeakMap<object, { why: Unavailability; err: unknown }>();
  provider.on('server_error', (ctx: KoaContextWithOIDC, err: unknown) => {
    const why = describeUnavailable(err);
    if (why) failed.set(ctx, { why, err });
  });

  return async function mapUnavailable(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    try {
      await next();
    } catch (err) {
      const why = describeUnavailable(err);
      if (!why) throw err;
      failed.set(ctx, { why, err });
    }
    const failure = failed.get(ctx);
    if (!failure) return;
    deps.logger.warn(
      { ...failure.why, path: ctx.path },
      'provider request failed: a backing service is unavailable',
    );
    // What a browser was shown stays a page; what a client was sent stays JSON.
    const page = ctx.response.is('html') || (!ctx.body && ctx.accepts('json', 'html') === 'html');
    ctx.status = 503;
    ctx.remove('Location');
    ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
    ctx.set('Cache-Control', 'no-store');
    if (page) await deps.renderError(ctx, TEMPORARILY_UNAVAILABLE, failure.err as Error);
    else ctx.body = TEMPORARILY_UNAVAILABLE;
  };
}

import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../platform/logger.ts';
import type { Page } from '../web/index.ts';

// What the throttles in front of the provider (device-throttle.ts, anonymous-cap.ts) read of a
// request and how they refuse it.

/**
 * The path as the provider's router matches it: ASCII case and one trailing slash ignored. A
 * throttle matches the same way, or `/oidc/Device/` would pass uncounted (matching more only counts more).
 */
export function routedPath(path: string): string {
  return (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).toLowerCase();
}

/** The address as Express judged it (the request is Express's): the sign-in throttle's too. */
export const clientAddress = (ctx: KoaContextWithOIDC): string => (ctx.req as { ip?: string }).ip ?? ctx.ip;

/** The request's logger (it carries the request id), else the node's. */
export const requestLog = (ctx: KoaContextWithOIDC, fallback: Logger): Logger =>
  (ctx.req as { log?: Logger }).log ?? fallback;

/** The request id Express gave this request. */
export const requestIdOf = (ctx: KoaContextWithOIDC): string | undefined => (ctx.req as { id?: string }).id;

/** 429 with `Retry-After`, answered with a page. */
export function refuseWithPage(ctx: KoaContextWithOIDC, page: Page, retryAfterSeconds: number): void {
  ctx.status = 429;
  ctx.set(page.headers);
  ctx.set('Retry-After', String(retryAfterSeconds));
  ctx.body = page.html;
}

import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Page } from '../web/index.ts';

/** Answers a request inside the provider with one of Canopy's pages (and its status, when given). */
export function sendPage(ctx: KoaContextWithOIDC, page: Page, status?: number): void {
  if (status !== undefined) ctx.status = status;
  ctx.set(page.headers);
  ctx.body = page.html;
}

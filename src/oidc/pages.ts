import type { KoaContextWithOIDC } from 'oidc-provider';
import { errorPage, logoutDonePage, logoutPage, type Page } from '../web/index.ts';
import type { ConfigurationDeps } from './configuration.ts';

function send(ctx: KoaContextWithOIDC, page: Page, status?: number): void {
  if (status !== undefined) ctx.status = status;
  ctx.set(page.headers);
  ctx.body = page.html;
}

/** The request id Express gave this request (the provider runs on the same Node request object). */
function requestIdOf(ctx: KoaContextWithOIDC): string | undefined {
  return (ctx.req as { id?: string }).id;
}

/** Canopy's pages where the provider renders HTML: logout confirmation, logged out, and errors. */
export function providerPages(): ConfigurationDeps['pages'] {
  return {
    async logoutSource(ctx, form) {
      const target = ctx.oidc.params?.post_logout_redirect_uri;
      send(
        ctx,
        logoutPage({
          providerForm: form,
          appName: ctx.oidc.client?.clientName,
          formActionUrls: typeof target === 'string' ? [target] : [],
        }),
      );
    },
    async postLogoutSuccessSource(ctx) {
      send(ctx, logoutDonePage({ appName: ctx.oidc.client?.clientName }));
    },
    async renderError(ctx, out, _error) {
      // `out` holds only what the provider would tell the client (error and description): no internals.
      send(
        ctx,
        errorPage({
          status: ctx.status,
          message: out.error_description ?? out.error,
          requestId: requestIdOf(ctx),
        }),
        ctx.status,
      );
    },
  };
}

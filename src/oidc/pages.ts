import { errorPage, logoutDonePage, logoutPage } from '../web/index.ts';
import type { ConfigurationDeps } from './configuration.ts';
import { requestIdOf } from './provider-throttle.ts';
import { sendPage } from './send-page.ts';

/** Canopy's pages where the provider renders HTML: logout confirmation, logged out, and errors. */
export function providerPages(): ConfigurationDeps['pages'] {
  return {
    async logoutSource(ctx, form) {
      const target = ctx.oidc.params?.post_logout_redirect_uri;
      sendPage(
        ctx,
        logoutPage({
          providerForm: form,
          appName: ctx.oidc.client?.clientName,
          formActionUrls: typeof target === 'string' ? [target] : [],
        }),
      );
    },
    async postLogoutSuccessSource(ctx) {
      sendPage(ctx, logoutDonePage({ appName: ctx.oidc.client?.clientName }));
    },
    async renderError(ctx, out, _error) {
      // `out` holds only what the provider would tell the client (error and description): no internals.
      sendPage(
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

import express, { type Express } from 'express';
import { API_PATH, createApiRouter } from './api/index.ts';
import { inputErrorHandler, refuseInput } from './app/input-refusal.ts';
import type { Container } from './container.ts';
import { oidcCallbackRoutes, oidcStarter } from './federation/index.ts';
import { samlAcsRoutes, samlStarter } from './federation/saml/index.ts';
import { spMetadataRoutes } from './modules/identity-providers/index.ts';
import { deviceCookie } from './oidc/interactions/device-cookie.ts';
import { createFederatedLogin } from './oidc/interactions/federation.routes.ts';
import { interactionRoutes } from './oidc/interactions/interaction.routes.ts';
import { providerEndpoints } from './oidc/routes.ts';
import { createPageRoutes, invitationPageRoutes, passwordResetPageRoutes } from './pages/index.ts';
import { errorHandler, notFoundHandler } from './platform/http/error-handler.ts';
import { healthRoutes } from './platform/http/health.ts';
import { inputGuard } from './platform/http/input-guard.ts';
import { requestContext } from './platform/http/request-context.ts';
import { browserIdCookie, type Csrf, createCsrf, handoffCookie } from './web/index.ts';

/** The Express app, without listening: tests drive it in-process. */
export function createApp(container: Container, options: { isDraining?: () => boolean } = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  // A hop count, never `true`: `true` takes the leftmost X-Forwarded-For entry, which the caller writes.
  const { trustProxy, proxyHops } = container.config.server;
  app.set('trust proxy', trustProxy ? proxyHops : false);
  app.use(requestContext(container.logger, container.metrics));
  // REL-1: no router sees a path, query or declared body size that is not fit to read.
  app.use(inputGuard({ refuse: refuseInput }));
  app.use(
    healthRoutes({
      db: container.database.knex,
      redis: container.redis,
      registry: container.metrics.registry,
      isDraining: options.isDraining,
    }),
  );
  app.use(API_PATH, createApiRouter(container));
  // The provider reads its own bodies: its paths go to it before any body parser.
  app.use(providerEndpoints(container.oidc));
  const interactionCsrf = createCsrf({ key: container.webKeys, clock: container.clock });
  app.use(
    interactionRoutes({
      provider: () => container.oidc.provider,
      tenantFor: container.oidc.tenantFor,
      directory: container.directory,
      signIn: container.signIn,
      csrf: interactionCsrf,
      federation: federatedLogin(container, interactionCsrf),
      deviceCookie: deviceCookie(container.config.server.publicUrl),
      passwordReset: container.accounts.reset,
    }),
  );
  // FED-7: the redirect URI of every OIDC provider, `/federation/oidc/:providerId/callback`.
  app.use(oidcCallbackRoutes(oidcDeps(container)));
  // FED-6: the assertion consumer of every SAML provider, `/saml/:providerId/acs`.
  app.use(samlAcsRoutes(samlDeps(container)));
  app.use(
    createPageRoutes({
      config: container.config,
      logger: container.logger,
      signUp: container.signUp,
      signupThrottle: container.signupThrottle,
      organizations: container.organizations,
      emailVerification: container.accounts.emailVerification,
      csrfKey: container.webKeys,
      clock: container.clock,
    }),
  );
  // INV-3: the public invitation acceptance page, `/invitations/:token`.
  app.use(
    invitationPageRoutes({
      invitations: container.invitations,
      csrf: createCsrf({ key: container.webKeys, clock: container.clock }),
      browserCookie: browserIdCookie(container.config.server.publicUrl),
      publicUrl: container.config.server.publicUrl,
    }),
  );
  // ACC-1: the page of a mailed password reset link, `/password-reset/:secret`.
  app.use(
    passwordResetPageRoutes({
      reset: container.accounts.reset,
      csrf: createCsrf({ key: container.webKeys, clock: container.clock }),
      browserCookie: browserIdCookie(container.config.server.publicUrl),
    }),
  );
  // FED-6: public SAML service-provider metadata per provider, `/saml/:providerId/metadata`.
  app.use(spMetadataRoutes({ identityProviders: container.identityProviders }));
  app.use(notFoundHandler());
  app.use(inputErrorHandler());
  app.use(errorHandler());
  return app;
}

function oidcDeps(container: Container) {
  return {
    flows: container.federationFlows,
    finish: container.federationFinish,
    upstream: container.oidcUpstream,
    identityProviders: container.identityProviders,
    publicUrl: container.config.server.publicUrl,
    browserCookie: browserIdCookie(container.config.server.publicUrl),
  };
}

function samlDeps(container: Container) {
  return {
    saml: container.samlProtocol,
    flows: container.federationFlows,
    finish: container.federationFinish,
    identityProviders: container.identityProviders,
    handoff: handoffCookie(container.config.server.publicUrl),
  };
}

/** FED-2: identity providers on the login page, the federate step and the finish. */
function federatedLogin(container: Container, csrf: Csrf) {
  return createFederatedLogin({
    provider: () => container.oidc.provider,
    tenantFor: container.oidc.tenantFor,
    directory: container.directory,
    csrf,
    identityProviders: container.identityProviders,
    flows: container.federationFlows,
    finish: container.federationFinish,
    starters: { oidc: oidcStarter(oidcDeps(container)), saml: samlStarter(samlDeps(container)) },
    handoff: handoffCookie(container.config.server.publicUrl),
    anonymousCap: container.anonymousCap,
  });
}

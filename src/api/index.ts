import { readFileSync } from 'node:fs';
import { Router } from 'express';
import type { Container } from '../container.ts';
import {
  passwordChangeRoutes,
  passwordResetRoutes,
  profileChangeRoutes,
  verificationRoutes,
} from '../modules/accounts/index.ts';
import { analyticsRoutes } from '../modules/analytics/index.ts';
import { appRoutes } from '../modules/apps/index.ts';
import { auditRoutes } from '../modules/audit/index.ts';
import { environmentRoutes } from '../modules/environments/index.ts';
import { identityProviderRoutes } from '../modules/identity-providers/index.ts';
import { invitationRoutes } from '../modules/invitations/index.ts';
import { organizationRoutes, signupRoutes } from '../modules/organizations/index.ts';
import { assignmentRoutes, roleRoutes } from '../modules/roles/index.ts';
import { sessionRoutes } from '../modules/sessions/index.ts';
import { userRoutes } from '../modules/users/index.ts';
import { AppError } from '../platform/errors/index.ts';
import { jsonBody } from '../platform/http/body-parsers.ts';
import { openApiDocument } from '../platform/http/openapi.ts';
import { type AnyRoute, mountRoutes } from '../platform/http/route.ts';
import { authenticate } from './authenticate.ts';
import { meRoutes } from './me.routes.ts';
import { rateLimit } from './rate-limit.ts';
import { auditRefusals, createRefusalCoalescer } from './refusals.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Where the app mounts the admin API: the prefix of the routes its audit entries name. */
export const API_PATH = '/api/v1';

/** Every admin API operation, from the modules that own them. */
export function apiRoutes(c: Container): AnyRoute[] {
  return [
    ...meRoutes(c),
    ...profileChangeRoutes(c),
    ...organizationRoutes(c),
    ...userRoutes(c),
    ...passwordResetRoutes(c),
    ...passwordChangeRoutes(c),
    ...verificationRoutes(c),
    ...sessionRoutes(c),
    ...roleRoutes(c),
    ...assignmentRoutes(c),
    ...environmentRoutes(c),
    ...invitationRoutes(c),
    ...appRoutes(c),
    ...identityProviderRoutes(c),
    ...auditRoutes(c),
    ...analyticsRoutes(c),
  ];
}

/** Operations open to anyone, each with its own abuse limit: sign-up. */
export function publicApiRoutes(c: Container): AnyRoute[] {
  return signupRoutes({
    signUp: c.signUp,
    signupThrottle: c.signupThrottle,
    publicUrl: c.config.server.publicUrl,
    signupMode: c.config.organizations.signupMode,
  });
}

/**
 * `/api/v1`: JSON in and out, a bearer token on every request but the public ones, rate
 * limits per caller and address, and the one error envelope (`{ code, message, details?, requestId }`).
 */
export function createApiRouter(c: Container): Router {
  const routes = apiRoutes(c);
  const open = publicApiRoutes(c);
  const document = openApiDocument([...open, ...routes], {
    version: VERSION,
    serverUrl: c.config.server.publicUrl,
  });
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  // FED-1: a SAML provider may come with its IdP's metadata (up to 256 KiB of XML, more once
  // JSON-escaped); every other body stays under the tight default.
  router.use('/identity-providers', jsonBody({ limit: '400kb' }));
  router.use(jsonBody({ limit: '64kb' }));
  mountRoutes(router, open);
  router.use(authenticate(c.oidc.resolveBearer));
  router.use(rateLimit({ perMinute: c.config.api.rateLimitPerMinute, limiters: c.limiters }));
  // SEC-12: refusals are audited under the route's declared pattern, coalesced on this node.
  const coalescer = createRefusalCoalescer({ clock: c.clock });
  mountRoutes(router, routes, {
    mountPath: API_PATH,
    onForbidden: auditRefusals({ audit: c.audit, coalescer }),
  });
  router.use((_req, _res, next) => next(new AppError('request.not_found')));
  return router;
}

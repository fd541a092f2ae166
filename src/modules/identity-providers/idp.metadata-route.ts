import { Router } from 'express';
import type { IdpService } from './idp.service.ts';

/**
 * FED-6: `GET /saml/:providerId/metadata`, public (the IdP's administrator fetches it). Unknown,
 * disabled and OIDC providers fall through to the 404 page.
 */
export function spMetadataRoutes(deps: { identityProviders: Pick<IdpService, 'spMetadata'> }): Router {
  const router = Router();
  router.get('/saml/:providerId/metadata', async (req, res, next) => {
    const xml = await deps.identityProviders.spMetadata(req.params.providerId);
    if (xml === undefined) {
      next();
      return;
    }
    res.type('application/samlmetadata+xml').set('cache-control', 'public, max-age=300').send(xml);
  });
  return router;
}

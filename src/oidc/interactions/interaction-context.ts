import type { Request, Response } from 'express';
import { errors, type Provider } from 'oidc-provider';
import type { TenantDirectory } from '../../modules/roles/index.ts';
import { CSRF_FIELD, type Csrf, errorPage, interactionPurpose, sendPage } from '../../web/index.ts';
import type { TenantResolver } from '../tenancy.ts';

export interface InteractionContextDeps {
  provider(): Provider;
  tenantFor: TenantResolver;
  directory: TenantDirectory;
  csrf: Csrf;
}

/**
 * What every interaction page starts from: the interaction (its cookie must match the uid in the
 * path), its client, and the master org signing in (APP-2) — and the CSRF check of its forms.
 */
export function createInteractionContext(deps: InteractionContextDeps) {
  async function context(req: Request, res: Response) {
    const provider = deps.provider();
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== req.params.uid) throw new errors.SessionNotFound('interaction mismatch');
    const client = await provider.Client.find(String(details.params.client_id));
    if (!client) throw new errors.InvalidClient('unknown client');
    const tenantId = await deps.tenantFor(client, details.params);
    if (!tenantId) throw new errors.InvalidRequest('unknown organization');
    const index = await deps.directory.forTenant(tenantId);
    const org = { orgName: index.root.name, domain: index.settings.domain };
    const redirectUri = typeof details.params.redirect_uri === 'string' ? [details.params.redirect_uri] : [];
    return { provider, details, client, tenantId, index, org, redirectUri };
  }

  function checkCsrf(req: Request, res: Response, uid: string): boolean {
    const check = deps.csrf.verify(req.body?.[CSRF_FIELD], interactionPurpose(uid));
    if (check.ok) return true;
    sendPage(
      res,
      403,
      errorPage({
        status: 403,
        title: 'This form has expired',
        message: 'Go back to the app and start again.',
        requestId: req.id,
      }),
    );
    return false;
  }

  return { context, checkCsrf };
}

export type InteractionContext = Awaited<ReturnType<ReturnType<typeof createInteractionContext>['context']>>;

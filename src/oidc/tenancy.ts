import type { ClientMetadata } from 'oidc-provider';
import type { OrganizationService } from '../modules/organizations/index.ts';

/** Canopy's own console: installation-wide, so the org signing in is named by the request (`org`). */
export const CONSOLE_CLIENT_ID = 'canopy-console';

type ClientLike = { clientId?: string; [key: string]: unknown } | undefined;

/**
 * The master org an authorization request is for: the app's own (APP-2), or for the console the
 * org named by the `org` parameter (its domain, FED-2). Undefined when there is none.
 */
export function createTenantResolver(deps: { organizations: Pick<OrganizationService, 'findByDomain'> }) {
  return async function tenantFor(client: ClientLike, params: Record<string, unknown> | undefined) {
    const own = client?.canopy_tenant_id;
    if (typeof own === 'string') return own;
    if (client?.canopy_kind !== 'console') return undefined;
    const domain = params?.org;
    if (typeof domain !== 'string' || domain.length > 63) return undefined;
    return (await deps.organizations.findByDomain(domain))?.id;
  };
}

export type TenantResolver = ReturnType<typeof createTenantResolver>;

/** The console's registration: a public client (PKCE) whose pages live under `/console`. */
export function consoleClient(issuer: string): ClientMetadata {
  return {
    client_id: CONSOLE_CLIENT_ID,
    client_name: 'Canopy',
    token_endpoint_auth_method: 'none',
    application_type: 'web',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [`${issuer}/console/`],
    post_logout_redirect_uris: [`${issuer}/console/signed-out`],
    canopy_kind: 'console',
    canopy_first_party: true,
  };
}

import type { ClientMetadata } from 'oidc-provider';
import type { OrganizationService } from '../modules/organizations/index.ts';

/** Canopy's own console: installation-wide, so the org signing in is named by the request (`org`). */
export const CONSOLE_CLIENT_ID = 'canopy-console';
/** Canopy's command line (device flow, RFC 8628): installation-wide too, its org named by `org`. */
export const CLI_CLIENT_ID = 'canopy-cli';

/** The first-party clients of every org, whose requests name the org signing in. */
const ORG_NAMED_BY_REQUEST: ReadonlySet<unknown> = new Set(['console', 'cli']);

type ClientLike = { clientId?: string; [key: string]: unknown } | undefined;

const CANOPY_CLIENTS: ReadonlyMap<string, string> = new Map([
  [CONSOLE_CLIENT_ID, 'console'],
  [CLI_CLIENT_ID, 'cli'],
]);

/**
 * Canopy's own two clients, the console and the command line: the only ones whose users' tokens
 * the admin API takes (SEC-2). Apps are never these: their client ids are generated.
 */
export function isCanopyClient(client: ClientLike): boolean {
  const kind = client?.clientId === undefined ? undefined : CANOPY_CLIENTS.get(client.clientId);
  return kind !== undefined && client?.canopy_kind === kind;
}

/**
 * The master org an authorization request is for: the app's own (APP-2), or for the console and
 * the command line the org named by the `org` parameter (its domain, FED-2), from the in-memory
 * domain lookup (the sign-in pages ask at every request). Undefined when there is none.
 */
export function createTenantResolver(deps: { organizations: Pick<OrganizationService, 'masterByDomain'> }) {
  return async function tenantFor(client: ClientLike, params: Record<string, unknown> | undefined) {
    const own = client?.canopy_tenant_id;
    if (typeof own === 'string') return own;
    if (!ORG_NAMED_BY_REQUEST.has(client?.canopy_kind)) return undefined;
    const domain = params?.org;
    if (typeof domain !== 'string' || domain.length > 63) return undefined;
    return (await deps.organizations.masterByDomain(domain))?.id;
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

/**
 * The command line's registration: a public client that only polls for device codes (no redirect
 * URIs). One of Canopy's own, like the console, so its user tokens are for the admin API (SEC-2).
 */
export function cliClient(): ClientMetadata {
  return {
    client_id: CLI_CLIENT_ID,
    client_name: 'Canopy command line',
    token_endpoint_auth_method: 'none',
    // The type only governs redirect URIs, and there are none. 'native' would also make the
    // provider ask for consent at every sign-in; the device confirmation is that approval already.
    application_type: 'web',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    canopy_kind: 'cli',
    canopy_first_party: true,
  };
}

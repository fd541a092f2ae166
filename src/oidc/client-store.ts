import { randomBytes } from 'node:crypto';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { App, AppService } from '../modules/apps/index.ts';
import type { CredentialService, VerifiedClient } from '../modules/environments/index.ts';
import { isClientIdShaped } from '../platform/client-id.ts';
import type { Logger } from '../platform/logger.ts';
import { createSignalledCache } from '../platform/signalled-cache.ts';
import { CLIENTS_CHANGED, type SignalBus } from '../platform/signals.ts';

/** Custom client metadata the provider carries for Canopy (declared in `extraClientMetadata`). */
export const CLIENT_METADATA = [
  'canopy_tenant_id',
  'canopy_kind',
  'canopy_first_party',
  'canopy_org_id',
  'canopy_environment_id',
  'canopy_scopes',
  'canopy_grants',
  'canopy_refresh_reuse_seconds',
] as const;

export type ClientKind = App['kind'] | 'credentials';

// The provider insists on a secret in the metadata of confidential clients, but never compares it:
// `compareClientSecret` asks the apps and credentials instead. A per-process random value, never a secret.
const PLACEHOLDER_SECRET = randomBytes(32).toString('base64url');
const CACHE_MS = 60_000;

/**
 * Client metadata for the provider, read from connected apps and org/environment credentials,
 * cached per node and dropped when a change is signalled; not used while signals cannot be heard
 * (REL-2, see createSignalledCache). Secrets are checked by the owners.
 */
export function createClientStore(deps: {
  apps: Pick<AppService, 'findByClientId' | 'verifySecret'>;
  credentials: Pick<CredentialService, 'findClient' | 'verifySecret'>;
  signals: SignalBus;
  logger: Logger;
  now: () => number;
}) {
  const cache = createSignalledCache<AdapterPayload | undefined>({
    link: deps.signals,
    now: deps.now,
    ttlMs: CACHE_MS,
    maxEntries: 10_000,
  });

  async function lookup(clientId: string): Promise<AdapterPayload | undefined> {
    const app = await deps.apps.findByClientId(clientId);
    if (app) return appMetadata(app);
    const credentials = await deps.credentials.findClient(clientId);
    return credentials ? credentialsMetadata(credentials) : undefined;
  }

  // REL-1: the provider hands over client IDs it decoded from tokens and headers, unchecked; one
  // that cannot be a client ID is unknown, neither cached nor looked up.
  const find = async (clientId: string) =>
    isClientIdShaped(clientId) ? cache.get(clientId, () => lookup(clientId)) : undefined;

  const readOnly = async () => {
    throw new Error('clients are managed through connected apps and credentials, not by the provider');
  };

  const adapter: Adapter = {
    find,
    upsert: readOnly,
    destroy: readOnly,
    consume: readOnly,
    revokeByGrantId: readOnly,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
  };

  return {
    adapter,
    /** Subscribes to change signals; call once at start. */
    async start() {
      await deps.signals.subscribe(CLIENTS_CHANGED, (raw) => {
        const change = JSON.parse(raw) as { clientId?: string };
        if (change.clientId) cache.forget(change.clientId);
        else cache.clear();
      });
    },
    /** Client authentication: the owner of the client compares the secret (constant time, rotation grace). */
    async verifySecret(kind: ClientKind, clientId: string, secret: string): Promise<boolean> {
      if (kind === 'credentials') return (await deps.credentials.verifySecret(clientId, secret)) !== null;
      return deps.apps.verifySecret(clientId, secret);
    },
  };
}

export type ClientStore = ReturnType<typeof createClientStore>;

function appMetadata(app: App): AdapterPayload {
  const base = {
    client_id: app.clientId,
    client_name: app.name,
    canopy_tenant_id: app.tenantId,
    canopy_kind: app.kind,
    canopy_first_party: app.firstParty,
  };
  if (app.kind === 'service') {
    return {
      ...base,
      // The scopes a service app may ask for: the permissions it was granted (APP-1), and where.
      canopy_scopes: [...new Set(app.grants.flatMap((g) => g.permissions))].join(' '),
      canopy_grants: app.grants,
      client_secret: PLACEHOLDER_SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    };
  }
  const isPublic = app.kind === 'spa' || app.kind === 'native';
  return {
    ...base,
    ...(isPublic ? { token_endpoint_auth_method: 'none' } : { client_secret: PLACEHOLDER_SECRET }),
    ...(isPublic ? {} : { token_endpoint_auth_method: 'client_secret_basic' }),
    application_type: app.kind === 'native' ? 'native' : 'web',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: app.redirectUris,
    post_logout_redirect_uris: app.postLogoutRedirectUris,
    // Read by the refresh-token reuse interval (refresh-reuse.ts).
    canopy_refresh_reuse_seconds: app.refreshTokenReuseSeconds,
  };
}

function credentialsMetadata(c: VerifiedClient): AdapterPayload {
  return {
    client_id: c.clientId,
    client_secret: PLACEHOLDER_SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    canopy_tenant_id: c.tenantId,
    canopy_kind: 'credentials',
    canopy_first_party: false,
    canopy_org_id: c.organizationId,
    canopy_environment_id: c.environmentId ?? undefined,
  };
}

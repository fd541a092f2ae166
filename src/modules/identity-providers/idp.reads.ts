import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import type { Db } from '../../platform/db/database.ts';
import { isUuid } from '../../platform/errors/index.ts';
import { spMetadataXml } from './idp.metadata.ts';
import { createIdpRepository } from './idp.repository.ts';
import type { OidcConfig, SamlConfig } from './idp.schema.ts';

/** Additional data binding a sealed client secret to its provider: copied to another row, it does not open. */
export const secretContext = (providerId: string) => `identity_providers:${providerId}`;

/** What the sign-in flows read (internal only): the settings, with the client secret opened. */
export type ProviderForSignIn =
  | { id: string; tenantId: string; name: string; kind: 'saml'; config: SamlConfig }
  | { id: string; tenantId: string; name: string; kind: 'oidc'; config: OidcConfig; clientSecret: string };

/** Reads for the sign-in flows and public pages: no caller to authorize, never for the admin API. */
export function createIdpReads(deps: { db: Db; box: SecretBox; publicUrl: string }) {
  const { box, publicUrl } = deps;
  const repo = createIdpRepository(deps.db);

  /** For the sign-in flows only: an enabled provider of the tenant, its client secret opened. */
  async function providerForSignIn(tenantId: string, id: string): Promise<ProviderForSignIn | undefined> {
    if (!isUuid(tenantId) || !isUuid(id)) return undefined;
    const row = await repo.findById(tenantId, id);
    if (!row?.enabled) return undefined;
    const base = { id: row.id, tenantId: row.tenantId, name: row.name };
    if (row.kind === 'saml') return { ...base, kind: 'saml', config: row.config as SamlConfig };
    const clientSecret = box.open(row.secretSealed!, secretContext(row.id));
    return { ...base, kind: 'oidc', config: row.config as OidcConfig, clientSecret };
  }

  /**
   * FED-2: the enabled providers of a master, for home realm discovery (no settings). `signInUrl`
   * is where the browser is sent (the OIDC issuer, the SAML sign-on URL): the chooser's CSP lets
   * its forms' redirects go there.
   */
  async function enabledProviders(tenantId: string) {
    if (!isUuid(tenantId)) return [];
    return (await repo.list(tenantId))
      .filter((p) => p.enabled)
      .map(({ id, kind, name, config }) => ({
        id,
        kind,
        name,
        signInUrl: kind === 'saml' ? (config as SamlConfig).ssoUrl : (config as OidcConfig).issuer,
      }));
  }

  /** FED-2, FED-5: how a master's people sign in: its enabled providers, and whether by password. */
  async function signInMethods(tenantId: string) {
    const providers = await enabledProviders(tenantId);
    if (providers.length === 0) return { providers, password: true };
    const master = await repo.master(tenantId);
    // Existing local users keep signing in after local account creation is turned off (FED-5).
    const password = (master?.localAccountsEnabled ?? true) || (await repo.hasLocalUsers(tenantId));
    return { providers, password };
  }

  /** The public SP metadata of an enabled SAML provider, or undefined (then a 404). */
  async function spMetadata(id: string): Promise<string | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await repo.resolveProvider(id);
    if (row?.kind !== 'saml' || !row.enabled) return undefined;
    const master = await repo.master(row.tenantId);
    return spMetadataXml({
      publicUrl,
      providerId: row.id,
      providerName: row.name,
      organizationName: master?.name ?? '',
      wantAssertionsSigned: (row.config as SamlConfig).wantAssertionsSigned,
    });
  }

  /**
   * FED-6 IdP-initiated sign-in: where an unsolicited answer may land, found by the provider id
   * alone. Enabled-ness and settings are then read through `providerForSignIn`, as for any sign-in.
   */
  async function samlProviderMaster(id: string) {
    if (!isUuid(id)) return undefined;
    return repo.samlProviderMaster(id);
  }

  return { providerForSignIn, enabledProviders, signInMethods, spMetadata, samlProviderMaster };
}

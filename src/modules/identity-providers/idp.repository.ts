import type { Db, Tx } from '../../platform/db/database.ts';
import type { GroupMapping, IdpKind, OidcConfig, SamlConfig } from './idp.schema.ts';

/** A provider as stored, with its sealed secret (never leaves the module). */
export interface ProviderRow {
  id: string;
  tenantId: string;
  kind: IdpKind;
  name: string;
  enabled: boolean;
  config: SamlConfig | OidcConfig;
  secretSealed: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const toRow = (r: Record<string, unknown>): ProviderRow => ({
  id: r.id as string,
  tenantId: r.tenant_id as string,
  kind: r.kind as IdpKind,
  name: r.name as string,
  enabled: r.enabled as boolean,
  config: r.config as SamlConfig | OidcConfig,
  secretSealed: r.secret_sealed as string | null,
  createdAt: r.created_at as Date,
  updatedAt: r.updated_at as Date,
});

const toMapping = (r: Record<string, unknown>): GroupMapping => ({
  id: r.id as string,
  tenantId: r.tenant_id as string,
  providerId: r.provider_id as string,
  group: r.group_name as string,
  roleId: r.role_id as string,
  organizationId: r.org_id as string,
  environmentId: (r.environment_id as string | null) ?? null,
  inherit: r.inherit as boolean,
  createdAt: r.created_at as Date,
});

/** Identity providers, their group mappings and the master's FED-5 switch; tenant first, always. */
export function createIdpRepository(db: Db | Tx) {
  const providers = (tenantId: string) => db('identity_providers').where({ tenant_id: tenantId });
  return {
    async insert(tenantId: string, p: Omit<ProviderRow, 'tenantId' | 'updatedAt'>): Promise<void> {
      await db('identity_providers').insert({
        id: p.id,
        tenant_id: tenantId,
        kind: p.kind,
        name: p.name,
        enabled: p.enabled,
        config: JSON.stringify(p.config),
        secret_sealed: p.secretSealed,
        created_at: p.createdAt,
        updated_at: p.createdAt,
      });
    },

    async findById(tenantId: string, id: string, opts: { forUpdate?: boolean } = {}) {
      const q = providers(tenantId).where({ id });
      if (opts.forUpdate) q.forUpdate();
      const row = await q.first();
      return row ? toRow(row) : undefined;
    },

    async list(tenantId: string): Promise<ProviderRow[]> {
      return (await providers(tenantId).orderByRaw('lower(name), id')).map(toRow);
    },

    async update(
      tenantId: string,
      id: string,
      f: {
        name: string;
        enabled: boolean;
        config: SamlConfig | OidcConfig;
        secretSealed: string | null;
        at: Date;
      },
    ): Promise<void> {
      await providers(tenantId)
        .where({ id })
        .update({
          name: f.name,
          enabled: f.enabled,
          config: JSON.stringify(f.config),
          secret_sealed: f.secretSealed,
          updated_at: f.at,
        });
    },

    async delete(tenantId: string, id: string): Promise<void> {
      await providers(tenantId).where({ id }).delete();
    },

    async countEnabled(tenantId: string): Promise<number> {
      const row = await providers(tenantId).where({ enabled: true }).count<{ n: string }>('* as n').first();
      return Number(row?.n ?? 0);
    },

    /**
     * The master's name and FED-5 switch. `forUpdate` serialises every change that reads the
     * switch against the providers (turning it off, disabling or deleting a provider).
     */
    async master(tenantId: string, opts: { forUpdate?: boolean } = {}) {
      const q = db('organizations').where({ tenant_id: tenantId, id: tenantId });
      if (opts.forUpdate) q.forUpdate();
      const row = await q.first('name', 'domain', 'local_accounts_enabled');
      return row
        ? {
            name: row.name as string,
            domain: row.domain as string,
            localAccountsEnabled: row.local_accounts_enabled as boolean,
          }
        : undefined;
    },

    /** FED-5: whether any active user of the master signs in with a password. */
    async hasLocalUsers(tenantId: string): Promise<boolean> {
      const row = await db('users')
        .where({ tenant_id: tenantId, status: 'active' })
        .whereNotNull('password_hash')
        .first('id');
      return row !== undefined;
    },

    async setLocalAccounts(tenantId: string, enabled: boolean, at: Date): Promise<void> {
      await db('organizations')
        .where({ tenant_id: tenantId, id: tenantId })
        .update({ local_accounts_enabled: enabled, updated_at: at });
    },

    /**
     * The public SP metadata URL carries only a provider id: this lookup finds the tenant from it,
     * one of the few not scoped by a tenant, because it is how the tenant is found.
     */
    async resolveProvider(id: string): Promise<ProviderRow | undefined> {
      const row = await db('identity_providers').where({ id }).first();
      return row ? toRow(row) : undefined;
    },

    /**
     * FED-6: an unsolicited SAML answer names only its provider (by the ACS URL): the master that
     * owns it and that master's sign-in domain. Not scoped by a tenant: it is how the tenant is found.
     */
    async samlProviderMaster(id: string): Promise<{ tenantId: string; domain: string | null } | undefined> {
      const row = await db('identity_providers as p')
        .join('organizations as o', 'o.id', 'p.tenant_id')
        .where({ 'p.id': id, 'p.kind': 'saml' })
        .first('p.tenant_id as tenantId', 'o.domain as domain');
      return row ? { tenantId: String(row.tenantId), domain: row.domain ?? null } : undefined;
    },

    async insertMapping(tenantId: string, m: Omit<GroupMapping, 'tenantId'>): Promise<void> {
      await db('group_mappings').insert({
        id: m.id,
        tenant_id: tenantId,
        provider_id: m.providerId,
        group_name: m.group,
        role_id: m.roleId,
        org_id: m.organizationId,
        environment_id: m.environmentId,
        inherit: m.inherit,
        created_at: m.createdAt,
      });
    },

    async listMappings(tenantId: string, providerId: string): Promise<GroupMapping[]> {
      const rows = await db('group_mappings')
        .where({ tenant_id: tenantId, provider_id: providerId })
        .orderBy([{ column: 'group_name' }, { column: 'created_at' }, { column: 'id' }]);
      return rows.map(toMapping);
    },

    async findMapping(tenantId: string, providerId: string, id: string) {
      const row = await db('group_mappings')
        .where({ tenant_id: tenantId, provider_id: providerId, id })
        .first();
      return row ? toMapping(row) : undefined;
    },

    async deleteMapping(tenantId: string, id: string): Promise<void> {
      await db('group_mappings').where({ tenant_id: tenantId, id }).delete();
    },
  };
}

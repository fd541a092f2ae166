import type { Db, Tx } from '../../platform/db/database.ts';

export interface CredentialRow {
  clientId: string;
  tenantId: string;
  orgId: string;
  environmentId: string | null;
  secretSealed: string;
  previousSecretSealed: string | null;
  previousSecretExpiresAt: Date | null;
}

function toRow(r: Record<string, unknown>): CredentialRow {
  return {
    clientId: r.client_id as string,
    tenantId: r.tenant_id as string,
    orgId: r.org_id as string,
    environmentId: r.environment_id as string | null,
    secretSealed: r.secret_sealed as string,
    previousSecretSealed: r.previous_secret_sealed as string | null,
    previousSecretExpiresAt: r.previous_secret_expires_at as Date | null,
  };
}

export function createCredentialRepository(db: Db | Tx) {
  return {
    async insert(
      tenantId: string,
      c: { clientId: string; orgId: string; environmentId: string | null; secretSealed: string; at: Date },
    ): Promise<void> {
      await db('client_credentials').insert({
        client_id: c.clientId,
        tenant_id: tenantId,
        org_id: c.orgId,
        environment_id: c.environmentId,
        secret_sealed: c.secretSealed,
        created_at: c.at,
      });
    },

    /** The node's own (legacy) credentials, or an environment's. */
    async findFor(
      tenantId: string,
      target: { orgId: string; environmentId: string | null },
      options: { forUpdate?: boolean } = {},
    ): Promise<CredentialRow | undefined> {
      const q = db('client_credentials').where({ tenant_id: tenantId, org_id: target.orgId });
      if (target.environmentId) q.andWhere({ environment_id: target.environmentId });
      else q.whereNull('environment_id');
      if (options.forUpdate) q.forUpdate();
      const row = await q.first();
      return row ? toRow(row) : undefined;
    },

    /**
     * Client authentication starts from a client ID alone; the row it finds names the tenant.
     * This is one of the few lookups not scoped by a tenant, because it is how the tenant is found.
     */
    async resolveClientId(clientId: string): Promise<CredentialRow | undefined> {
      const row = await db('client_credentials').where({ client_id: clientId }).first();
      return row ? toRow(row) : undefined;
    },

    async replaceSecret(
      tenantId: string,
      clientId: string,
      s: {
        secretSealed: string;
        previousSecretSealed: string | null;
        previousSecretExpiresAt: Date | null;
        at: Date;
      },
    ): Promise<void> {
      await db('client_credentials').where({ tenant_id: tenantId, client_id: clientId }).update({
        secret_sealed: s.secretSealed,
        previous_secret_sealed: s.previousSecretSealed,
        previous_secret_expires_at: s.previousSecretExpiresAt,
        secret_rotated_at: s.at,
      });
    },
  };
}

import type { Db, Tx } from '../../platform/db/database.ts';
import { type App, type AppGrant, type AppKind, isConfidential } from './app.schema.ts';

/** An app as stored, with its sealed secrets (never leaves the module). */
export interface AppRow extends App {
  secretSealed: string | null;
  previousSecretSealed: string | null;
}

/** The fields a change may set; the kind and client ID never change. */
export interface AppFieldsRow {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  firstParty: boolean;
  grants: AppGrant[];
  refreshTokenReuseSeconds: number;
}

function toRow(r: Record<string, unknown>): AppRow {
  const kind = r.kind as AppKind;
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    clientId: r.client_id as string,
    name: r.name as string,
    kind,
    confidential: isConfidential(kind),
    redirectUris: r.redirect_uris as string[],
    postLogoutRedirectUris: r.post_logout_redirect_uris as string[],
    firstParty: r.first_party as boolean,
    grants: r.grants as AppGrant[],
    refreshTokenReuseSeconds: r.refresh_token_reuse_seconds as number,
    previousSecretExpiresAt: r.previous_secret_expires_at as Date | null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
    secretSealed: r.secret_sealed as string | null,
    previousSecretSealed: r.previous_secret_sealed as string | null,
  };
}

// jsonb columns get JSON text: the pg driver would turn a JS array into a Postgres array.
const fieldColumns = (f: AppFieldsRow) => ({
  name: f.name,
  redirect_uris: JSON.stringify(f.redirectUris),
  post_logout_redirect_uris: JSON.stringify(f.postLogoutRedirectUris),
  first_party: f.firstParty,
  grants: JSON.stringify(f.grants),
  refresh_token_reuse_seconds: f.refreshTokenReuseSeconds,
});

export function createAppRepository(db: Db | Tx) {
  return {
    async insert(
      tenantId: string,
      app: AppFieldsRow & {
        id: string;
        clientId: string;
        kind: AppKind;
        secretSealed: string | null;
        at: Date;
      },
    ): Promise<void> {
      await db('apps').insert({
        id: app.id,
        tenant_id: tenantId,
        client_id: app.clientId,
        kind: app.kind,
        ...fieldColumns(app),
        secret_sealed: app.secretSealed,
        created_at: app.at,
        updated_at: app.at,
      });
    },

    async findById(
      tenantId: string,
      id: string,
      options: { forUpdate?: boolean } = {},
    ): Promise<AppRow | undefined> {
      const q = db('apps').where({ tenant_id: tenantId, id });
      if (options.forUpdate) q.forUpdate();
      const row = await q.first();
      return row ? toRow(row) : undefined;
    },

    async list(tenantId: string): Promise<AppRow[]> {
      const rows = await db('apps').where({ tenant_id: tenantId }).orderByRaw('lower(name), id');
      return rows.map(toRow);
    },

    /**
     * Client authentication starts from a client ID alone; the row it finds names the tenant.
     * One of the few lookups not scoped by a tenant, because it is how the tenant is found.
     */
    async resolveClientId(clientId: string): Promise<AppRow | undefined> {
      const row = await db('apps').where({ client_id: clientId }).first();
      return row ? toRow(row) : undefined;
    },

    /**
     * The operator names an app by its id alone (SEC-1): like a client ID, the row names the tenant.
     * Not scoped by a tenant, so only operator paths call it.
     */
    async resolveId(id: string): Promise<AppRow | undefined> {
      const row = await db('apps').where({ id }).first();
      return row ? toRow(row) : undefined;
    },

    /** Every first-party app of every tenant, for the operator's review (SEC-1). */
    async listFirstParty(): Promise<AppRow[]> {
      const rows = await db('apps').where({ first_party: true }).orderBy(['tenant_id', 'name', 'id']);
      return rows.map(toRow);
    },

    async setFirstParty(tenantId: string, id: string, firstParty: boolean, at: Date): Promise<void> {
      await db('apps').where({ tenant_id: tenantId, id }).update({ first_party: firstParty, updated_at: at });
    },

    async update(tenantId: string, id: string, fields: AppFieldsRow, at: Date): Promise<void> {
      await db('apps')
        .where({ tenant_id: tenantId, id })
        .update({ ...fieldColumns(fields), updated_at: at });
    },

    async replaceSecret(
      tenantId: string,
      id: string,
      s: {
        secretSealed: string;
        previousSecretSealed: string | null;
        previousSecretExpiresAt: Date | null;
        at: Date;
      },
    ): Promise<void> {
      await db('apps').where({ tenant_id: tenantId, id }).update({
        secret_sealed: s.secretSealed,
        previous_secret_sealed: s.previousSecretSealed,
        previous_secret_expires_at: s.previousSecretExpiresAt,
        secret_rotated_at: s.at,
        updated_at: s.at,
      });
    },

    async delete(tenantId: string, id: string): Promise<void> {
      await db('apps').where({ tenant_id: tenantId, id }).delete();
    },

    /** Service apps whose grants name any of `orgIds` (lower-case), locked for the transaction. */
    async lockServiceAppsGrantingOn(
      tenantId: string,
      orgIds: readonly string[],
    ): Promise<Array<{ id: string; clientId: string; name: string; grants: AppGrant[] }>> {
      const rows = await db('apps')
        .where({ tenant_id: tenantId, kind: 'service' })
        .whereRaw(
          `exists (select 1 from jsonb_array_elements(grants) as g
                    where lower(g->>'organizationId') = any(cast(? as text[])))`,
          [orgIds as string[]],
        )
        .orderBy('id')
        .forUpdate()
        .select('id', 'client_id', 'name', 'grants');
      return rows.map((r: Record<string, unknown>) => ({
        id: r.id as string,
        clientId: r.client_id as string,
        name: r.name as string,
        grants: r.grants as AppGrant[],
      }));
    },

    async setGrants(tenantId: string, id: string, grants: AppGrant[], at: Date): Promise<void> {
      await db('apps')
        .where({ tenant_id: tenantId, id })
        .update({ grants: JSON.stringify(grants), updated_at: at });
    },
  };
}

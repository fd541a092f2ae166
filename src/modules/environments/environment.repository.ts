import type { Db, Tx } from '../../platform/db/database.ts';
import type { Environment, EnvironmentType } from './environment.schema.ts';

interface EnvironmentRow {
  id: string;
  org_id: string;
  name: string;
  type: EnvironmentType;
  client_id: string;
  created_at: Date;
  updated_at: Date;
}

function toEnvironment(row: EnvironmentRow): Environment {
  return {
    id: row.id,
    organizationId: row.org_id,
    name: row.name,
    type: row.type,
    isProduction: row.type === 'production',
    clientId: row.client_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function createEnvironmentRepository(db: Db | Tx) {
  const withClientId = (tenantId: string) =>
    db('environments as e')
      .join('client_credentials as c', 'c.environment_id', 'e.id')
      .where('e.tenant_id', tenantId)
      .select('e.*', 'c.client_id');

  return {
    async insert(
      tenantId: string,
      env: { id: string; orgId: string; name: string; type: EnvironmentType; at: Date },
    ): Promise<void> {
      await db('environments').insert({
        id: env.id,
        tenant_id: tenantId,
        org_id: env.orgId,
        name: env.name,
        type: env.type,
        created_at: env.at,
        updated_at: env.at,
      });
    },

    async findById(tenantId: string, id: string): Promise<Environment | undefined> {
      const row = await withClientId(tenantId).andWhere('e.id', id).first();
      return row ? toEnvironment(row) : undefined;
    },

    async listForOrg(tenantId: string, orgId: string): Promise<Environment[]> {
      const rows = await withClientId(tenantId)
        .andWhere('e.org_id', orgId)
        .orderBy([{ column: 'e.name' }]);
      return (rows as EnvironmentRow[]).map(toEnvironment);
    },

    async rename(tenantId: string, id: string, name: string, at: Date): Promise<void> {
      await db('environments').where({ tenant_id: tenantId, id }).update({ name, updated_at: at });
    },

    async delete(tenantId: string, id: string): Promise<void> {
      await db('environments').where({ tenant_id: tenantId, id }).delete();
    },

    /** The node's `createEnvironments` entitlement; the master always has it. */
    async mayHaveEnvironments(tenantId: string, orgId: string): Promise<boolean | undefined> {
      const row = await db('organizations')
        .where({ tenant_id: tenantId, id: orgId })
        .first('parent_id', 'create_environments');
      return row ? row.parent_id === null || row.create_environments : undefined;
    },
  };
}

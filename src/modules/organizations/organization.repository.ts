import type { Db, Tx } from '../../platform/db/database.ts';
import { PASSWORD_MIN_LENGTH } from '../accounts/index.ts';
import type { Entitlements, Organization } from './organization.schema.ts';

interface OrganizationRow {
  id: string;
  tenant_id: string;
  parent_id: string | null;
  name: string;
  domain: string | null;
  owner_user_id: string;
  create_sub_orgs: boolean;
  create_environments: boolean;
  properties: Record<string, unknown>;
  session_timeout_minutes: number | null;
  session_max_minutes: number | null;
  password_min_length: number | null;
  client_id: string;
  created_at: Date;
  updated_at: Date;
}

function toOrganization(row: OrganizationRow): Organization {
  const isMaster = row.parent_id === null;
  return {
    id: row.id,
    tenantId: row.tenant_id,
    parentId: row.parent_id,
    isMaster,
    name: row.name,
    domain: row.domain,
    ownerUserId: row.owner_user_id,
    // The master holds every entitlement; the columns matter for business groups only.
    entitlements: {
      createSubOrgs: isMaster || row.create_sub_orgs,
      createEnvironments: isMaster || row.create_environments,
    },
    properties: row.properties,
    sessionTimeoutMinutes: row.session_timeout_minutes,
    sessionMaxMinutes: row.session_max_minutes,
    // Null in the row means the default; the answer says which minimum is in force.
    passwordMinLength: isMaster ? (row.password_min_length ?? PASSWORD_MIN_LENGTH.default) : null,
    clientId: row.client_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface OrganizationInsert {
  id: string;
  parentId: string | null;
  name: string;
  domain: string | null;
  ownerUserId: string;
  entitlements: Entitlements;
  properties: Record<string, unknown>;
  sessionTimeoutMinutes: number | null;
  sessionMaxMinutes: number | null;
  at: Date;
}

export interface OrganizationPatch {
  name?: string;
  domain?: string;
  ownerUserId?: string;
  properties?: Record<string, unknown>;
  entitlements?: Partial<Entitlements>;
  sessionTimeoutMinutes?: number;
  sessionMaxMinutes?: number;
  /** Null: back to the default. */
  passwordMinLength?: number | null;
  at: Date;
}

export function createOrganizationRepository(db: Db | Tx) {
  const withClientId = (tenantId: string) =>
    db('organizations as o')
      .join('client_credentials as c', function joinOrgCredentials() {
        this.on('c.org_id', 'o.id').andOnNull('c.environment_id');
      })
      .where('o.tenant_id', tenantId)
      .select('o.*', 'c.client_id');

  async function findById(tenantId: string, id: string, options: { forUpdate?: boolean } = {}) {
    const q = withClientId(tenantId).andWhere('o.id', id);
    if (options.forUpdate) q.forUpdate('o');
    const row = await q.first();
    return row ? toOrganization(row) : undefined;
  }

  return {
    findById,

    async insert(tenantId: string, org: OrganizationInsert): Promise<void> {
      await db('organizations').insert({
        id: org.id,
        tenant_id: tenantId,
        parent_id: org.parentId,
        name: org.name,
        domain: org.domain,
        owner_user_id: org.ownerUserId,
        create_sub_orgs: org.entitlements.createSubOrgs,
        create_environments: org.entitlements.createEnvironments,
        properties: JSON.stringify(org.properties),
        session_timeout_minutes: org.sessionTimeoutMinutes,
        session_max_minutes: org.sessionMaxMinutes,
        created_at: org.at,
        updated_at: org.at,
      });
    },

    /** Resolves the tenant from a sign-in URL's domain: the tenant key itself, so not tenant-scoped. */
    async findMasterByDomain(domain: string): Promise<Organization | undefined> {
      const master = await db('organizations')
        .whereRaw('lower(domain) = lower(?)', [domain])
        .first('tenant_id');
      return master ? findById(master.tenant_id, master.tenant_id) : undefined;
    },

    /** Operator paths name a node by id alone; this finds its tenant. Not for requests from tenants. */
    async findTenantIdOf(orgId: string): Promise<string | undefined> {
      const row = await db('organizations').where({ id: orgId }).first('tenant_id');
      return row?.tenant_id;
    },

    /** Every node of the tenant with its owner's username, for the operator's view of a tree. */
    async listWithOwners(tenantId: string) {
      const rows = await db('organizations as o')
        .join('users as u', function joinOwner() {
          this.on('u.id', 'o.owner_user_id').andOn('u.tenant_id', 'o.tenant_id');
        })
        .where('o.tenant_id', tenantId)
        .select('o.id', 'o.parent_id', 'o.name', 'o.owner_user_id', 'u.username as owner_username');
      return rows as Array<{
        id: string;
        parent_id: string | null;
        name: string;
        owner_user_id: string;
        owner_username: string;
      }>;
    },

    async update(tenantId: string, id: string, patch: OrganizationPatch): Promise<void> {
      await db('organizations')
        .where({ tenant_id: tenantId, id })
        .update({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.domain !== undefined ? { domain: patch.domain } : {}),
          ...(patch.ownerUserId !== undefined ? { owner_user_id: patch.ownerUserId } : {}),
          ...(patch.properties !== undefined ? { properties: JSON.stringify(patch.properties) } : {}),
          ...(patch.entitlements?.createSubOrgs !== undefined
            ? { create_sub_orgs: patch.entitlements.createSubOrgs }
            : {}),
          ...(patch.entitlements?.createEnvironments !== undefined
            ? { create_environments: patch.entitlements.createEnvironments }
            : {}),
          ...(patch.sessionTimeoutMinutes !== undefined
            ? { session_timeout_minutes: patch.sessionTimeoutMinutes }
            : {}),
          ...(patch.sessionMaxMinutes !== undefined ? { session_max_minutes: patch.sessionMaxMinutes } : {}),
          ...(patch.passwordMinLength !== undefined ? { password_min_length: patch.passwordMinLength } : {}),
          updated_at: patch.at,
        });
    },

    /** Turns an entitlement off on every descendant of the node, in one statement (ORG-7). */
    async revokeEntitlementBelow(
      tenantId: string,
      orgId: string,
      column: 'create_sub_orgs' | 'create_environments',
      at: Date,
    ) {
      const result = (await db.raw(
        `with recursive below (id) as (
           select id from organizations where tenant_id = :tenantId and parent_id = :orgId
           union all
           select o.id from organizations o join below b on o.parent_id = b.id where o.tenant_id = :tenantId
         )
         update organizations set ${column} = false, updated_at = :at
          where tenant_id = :tenantId and ${column} and id in (select id from below)
          returning id`,
        { tenantId, orgId, at },
      )) as { rows: Array<{ id: string }> };
      return result.rows.map((r) => r.id);
    },

    async delete(tenantId: string, id: string): Promise<void> {
      await db('organizations').where({ tenant_id: tenantId, id }).delete();
    },

    async countChildren(tenantId: string, id: string): Promise<number> {
      const [row] = await db('organizations').where({ tenant_id: tenantId, parent_id: id }).count({ n: '*' });
      return Number(row?.n ?? 0);
    },

    async countBusinessGroups(tenantId: string): Promise<number> {
      const [row] = await db('organizations')
        .where({ tenant_id: tenantId })
        .whereNotNull('parent_id')
        .count({ n: '*' });
      return Number(row?.n ?? 0);
    },
  };
}

export type OrganizationRepository = ReturnType<typeof createOrganizationRepository>;

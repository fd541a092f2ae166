import type { Db, Tx } from '../../platform/db/database.ts';
import { ORGANIZATION_ADMINISTRATORS } from './built-in-roles.ts';
import type { RoleAssignment } from './role.schema.ts';

interface AssignmentRow {
  id: string;
  user_id: string;
  role_id: string;
  org_id: string;
  environment_id: string | null;
  inherit: boolean;
  source: string;
  created_at: Date;
}

function toAssignment(row: AssignmentRow): RoleAssignment {
  return {
    id: row.id,
    userId: row.user_id,
    roleId: row.role_id,
    organizationId: row.org_id,
    environmentId: row.environment_id,
    inherit: row.inherit,
    source: row.source,
    createdAt: row.created_at,
  };
}

// Ancestors-or-self of the given nodes, one recursive query (never one query per level).
const ANCESTRY = `
  with recursive ancestry (start_id, node_id, parent_id, depth) as (
    select id, id, parent_id, 0 from organizations where tenant_id = :tenantId and id = any(:orgIds)
    union all
    select a.start_id, o.id, o.parent_id, a.depth + 1
      from organizations o join ancestry a on o.id = a.parent_id
     where o.tenant_id = :tenantId and a.depth < 1000
  )`;

export function createAssignmentRepository(db: Db | Tx) {
  return {
    async insert(
      tenantId: string,
      a: Omit<RoleAssignment, 'createdAt' | 'source'> & { source?: string; at: Date },
    ): Promise<RoleAssignment> {
      const [row] = await db('role_assignments')
        .insert({
          id: a.id,
          tenant_id: tenantId,
          user_id: a.userId,
          role_id: a.roleId,
          org_id: a.organizationId,
          environment_id: a.environmentId,
          inherit: a.inherit,
          source: a.source ?? 'manual',
          created_at: a.at,
        })
        .returning('*');
      return toAssignment(row as AssignmentRow);
    },

    async findById(tenantId: string, id: string): Promise<RoleAssignment | undefined> {
      const row = await db('role_assignments').where({ tenant_id: tenantId, id }).first();
      return row ? toAssignment(row) : undefined;
    },

    async delete(tenantId: string, id: string): Promise<void> {
      await db('role_assignments').where({ tenant_id: tenantId, id }).delete();
    },

    /** What made the assignment: `manual`, or `idp:<providerId>` for group mappings. */
    async setSource(tenantId: string, id: string, source: string): Promise<void> {
      await db('role_assignments').where({ tenant_id: tenantId, id }).update({ source });
    },

    /** Every assignment made by one source (`idp:<providerId>` for group mappings), oldest first. */
    async listBySource(tenantId: string, source: string): Promise<RoleAssignment[]> {
      const rows = await db('role_assignments')
        .where({ tenant_id: tenantId, source })
        .orderBy([{ column: 'created_at' }, { column: 'id' }]);
      return (rows as AssignmentRow[]).map(toAssignment);
    },

    async listForUser(tenantId: string, userId: string): Promise<RoleAssignment[]> {
      const rows = await db('role_assignments')
        .where({ tenant_id: tenantId, user_id: userId })
        .orderBy([{ column: 'created_at' }, { column: 'id' }]);
      return (rows as AssignmentRow[]).map(toAssignment);
    },

    async listForNode(tenantId: string, orgId: string): Promise<RoleAssignment[]> {
      const rows = await db('role_assignments')
        .where({ tenant_id: tenantId, org_id: orgId })
        .orderBy([{ column: 'created_at' }, { column: 'id' }]);
      return (rows as AssignmentRow[]).map(toAssignment);
    },

    /** One page of the assignments on a node, and how many there are in all. */
    async pageForNode(
      tenantId: string,
      orgId: string,
      page: { limit: number; offset: number },
    ): Promise<{ assignments: RoleAssignment[]; total: number }> {
      const base = db('role_assignments').where({ tenant_id: tenantId, org_id: orgId });
      const rows = await base
        .clone()
        .orderBy([{ column: 'created_at' }, { column: 'id' }])
        .limit(page.limit)
        .offset(page.offset);
      const [counted] = await base.clone().count({ n: '*' });
      return { assignments: (rows as AssignmentRow[]).map(toAssignment), total: Number(counted?.n ?? 0) };
    },

    /**
     * Of `orgIds`, those where the user holds Organization Administrators (directly or through an
     * ancestor; it always inherits), ignoring the assignment `exceptAssignmentId`.
     */
    async administeredAmong(
      tenantId: string,
      userId: string,
      orgIds: readonly string[],
      exceptAssignmentId: string | null = null,
    ): Promise<Set<string>> {
      if (orgIds.length === 0) return new Set();
      const { rows } = (await db.raw(
        `${ANCESTRY}
         select distinct a.start_id
           from ancestry a
           join role_assignments ra on ra.org_id = a.node_id
          where ra.tenant_id = :tenantId and ra.user_id = :userId and ra.role_id = :roleId
            and ra.environment_id is null
            and (cast(:except as uuid) is null or ra.id <> cast(:except as uuid))`,
        { tenantId, userId, orgIds, roleId: ORGANIZATION_ADMINISTRATORS.id, except: exceptAssignmentId },
      )) as { rows: Array<{ start_id: string }> };
      return new Set(rows.map((r) => r.start_id));
    },
  };
}

export type AssignmentRepository = ReturnType<typeof createAssignmentRepository>;

/** Status of a user of this tenant, read by the role module without reaching into the users module. */
export async function userStatus(db: Db | Tx, tenantId: string, userId: string): Promise<string | undefined> {
  const row = await db('users').where({ tenant_id: tenantId, id: userId }).first('status');
  return row?.status;
}

/** Nodes the user owns (ORG-5). */
export async function ownedNodeIds(db: Db | Tx, tenantId: string, userId: string): Promise<string[]> {
  return db('organizations').where({ tenant_id: tenantId, owner_user_id: userId }).pluck('id');
}

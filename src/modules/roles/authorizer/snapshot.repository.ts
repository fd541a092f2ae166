import type { Db, Tx } from '../../../platform/db/database.ts';
import { maskOf } from '../permissions.ts';
import type { TenantSnapshot } from './tenant-index.ts';

// The authorizer's read model: one tenant's tree, environments, roles, assignments and inactive
// users, read in a single repeatable-read transaction so the data matches the version it carries.
export function createSnapshotRepository(db: Db) {
  return {
    load(tenantId: string): Promise<TenantSnapshot> {
      return db.transaction(
        async (tx) => {
          const versionRow = await tx('authz_versions').where({ tenant_id: tenantId }).first('version');
          if (!versionRow) throw new Error(`tenant ${tenantId} has no authorization version`);
          // One after another: a transaction is one connection, which runs one query at a time anyway.
          const nodes = await tx('organizations')
            .where({ tenant_id: tenantId })
            .select('id', 'parent_id', 'name', 'owner_user_id', 'create_sub_orgs', 'create_environments');
          const environments = await tx('environments').where({ tenant_id: tenantId }).select('id', 'org_id');
          const roles = await tx('roles')
            .where((q) => q.whereNull('tenant_id').orWhere({ tenant_id: tenantId }))
            .select('id', 'permissions');
          const assignments = await tx('role_assignments')
            .where({ tenant_id: tenantId })
            .select('user_id', 'role_id', 'org_id', 'environment_id', 'inherit');
          const inactive = await tx('users')
            .where({ tenant_id: tenantId })
            .whereNot({ status: 'active' })
            .pluck('id');
          return {
            tenantId,
            version: Number(versionRow.version),
            nodes: nodes.map((n) => ({
              id: n.id,
              parentId: n.parent_id,
              name: n.name,
              ownerUserId: n.owner_user_id,
              createSubOrgs: n.create_sub_orgs,
              createEnvironments: n.create_environments,
            })),
            environments: environments.map((e) => ({ id: e.id, orgId: e.org_id })),
            roleMasks: new Map(roles.map((r) => [r.id, maskOf(r.permissions as string[])])),
            assignments: assignments.map((a) => ({
              userId: a.user_id,
              roleId: a.role_id,
              orgId: a.org_id,
              environmentId: a.environment_id,
              inherit: a.inherit,
            })),
            inactiveUserIds: inactive as string[],
          };
        },
        { isolationLevel: 'repeatable read', readOnly: true },
      );
    },

    /** Called first in every transaction that changes what the index knows; also serializes such changes per tenant. */
    async bumpVersion(tx: Tx, tenantId: string): Promise<number> {
      const [row] = await tx('authz_versions')
        .where({ tenant_id: tenantId })
        .increment('version', 1)
        .returning('version');
      if (!row) throw new Error(`tenant ${tenantId} has no authorization version`);
      return Number(row.version);
    },

    async createVersion(tx: Tx, tenantId: string): Promise<void> {
      await tx('authz_versions').insert({ tenant_id: tenantId, version: 1 });
    },
  };
}

export type SnapshotRepository = ReturnType<typeof createSnapshotRepository>;

import type { Db, Tx } from '../../../platform/db/database.ts';
import { maskOf } from '../permissions.ts';
import type { TenantSnapshot, TreeSnapshot, UsersSnapshot } from './tenant-index.ts';
import type { AssignmentRow } from './user-grants.ts';

// The tenant directory's read model. Each load runs in one repeatable-read transaction and returns the
// version it saw with the data, so an index never claims a version its data does not reflect.
// Queries run one after another: a transaction is one connection.
export function createSnapshotRepository(db: Db) {
  function readConsistently<T>(
    tenantId: string,
    read: (tx: Tx) => Promise<T>,
  ): Promise<T & { version: number }> {
    return db.transaction(
      async (tx) => {
        const row = await tx('authz_versions').where({ tenant_id: tenantId }).first('version');
        if (!row) throw new Error(`tenant ${tenantId} has no authorization version`);
        return { ...(await read(tx)), version: Number(row.version) };
      },
      { isolationLevel: 'repeatable read', readOnly: true },
    );
  }

  async function tree(tx: Tx, tenantId: string): Promise<TreeSnapshot> {
    const nodes = await tx('organizations')
      .where({ tenant_id: tenantId })
      .select(
        'id',
        'parent_id',
        'name',
        'owner_user_id',
        'create_sub_orgs',
        'create_environments',
        'domain',
        'session_timeout_minutes',
        'session_max_minutes',
        'password_min_length',
      );
    const master = nodes.find((n) => n.parent_id === null);
    if (!master) throw new Error(`tenant ${tenantId} has no master organization`);
    const environments = await tx('environments').where({ tenant_id: tenantId }).select('id', 'org_id');
    return {
      tenantId,
      settings: {
        domain: master.domain,
        sessionTimeoutMinutes: master.session_timeout_minutes,
        sessionMaxMinutes: master.session_max_minutes,
        passwordMinLength: master.password_min_length,
      },
      nodes: nodes.map((n) => ({
        id: n.id,
        parentId: n.parent_id,
        name: n.name,
        ownerUserId: n.owner_user_id,
        createSubOrgs: n.create_sub_orgs,
        createEnvironments: n.create_environments,
      })),
      environments: environments.map((e) => ({ id: e.id, orgId: e.org_id })),
    };
  }

  async function roles(tx: Tx, tenantId: string) {
    const rows = await tx('roles')
      .where((q) => q.whereNull('tenant_id').orWhere({ tenant_id: tenantId }))
      .select('id', 'name', 'permissions');
    return {
      roleMasks: new Map<string, number>(rows.map((r) => [r.id, maskOf(r.permissions as string[])])),
      roleNames: new Map<string, string>(rows.map((r) => [r.id, r.name])),
    };
  }

  /** Assignments and inactive users of the tenant, or of some of its users. */
  async function grants(tx: Tx, tenantId: string, userIds?: readonly string[]) {
    const assignments = tx('role_assignments')
      .where({ tenant_id: tenantId })
      .select('user_id', 'role_id', 'org_id', 'environment_id', 'inherit');
    const inactive = tx('users').where({ tenant_id: tenantId }).whereNot({ status: 'active' });
    // ACC-1: users whose tokens issued before a moment (their last password reset) are dead.
    const revoked = tx('users').where({ tenant_id: tenantId }).whereNotNull('tokens_valid_after');
    if (userIds) {
      assignments.whereIn('user_id', userIds as string[]);
      inactive.whereIn('id', userIds as string[]);
      revoked.whereIn('id', userIds as string[]);
    }
    const rows = await assignments;
    return {
      assignments: rows.map(
        (a): AssignmentRow => ({
          userId: a.user_id,
          roleId: a.role_id,
          orgId: a.org_id,
          environmentId: a.environment_id,
          inherit: a.inherit,
        }),
      ),
      inactiveUserIds: (await inactive.pluck('id')) as string[],
      tokensValidAfter: (await revoked.select('id', 'tokens_valid_after')).map(
        (r: { id: string; tokens_valid_after: Date }) => ({ userId: r.id, at: r.tokens_valid_after }),
      ),
    };
  }

  return {
    /** Everything, for a first load or after a change that touched roles. */
    load(tenantId: string): Promise<TenantSnapshot> {
      return readConsistently(tenantId, async (tx) => ({
        ...(await tree(tx, tenantId)),
        ...(await roles(tx, tenantId)),
        ...(await grants(tx, tenantId)),
      }));
    },

    /** The tree and environments only: what a change to org nodes or environments touches. */
    loadTree(tenantId: string): Promise<TreeSnapshot & { version: number }> {
      return readConsistently(tenantId, (tx) => tree(tx, tenantId));
    },

    /** Some users' assignments and status: what a role assignment or a user's status change touches. */
    loadUsers(tenantId: string, userIds: readonly string[]): Promise<UsersSnapshot & { version: number }> {
      return readConsistently(tenantId, async (tx) => ({
        userIds,
        ...(await roles(tx, tenantId)),
        ...(await grants(tx, tenantId, userIds)),
      }));
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

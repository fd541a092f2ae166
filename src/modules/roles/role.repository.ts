import type { Db, Tx } from '../../platform/db/database.ts';
import type { BuiltInRole } from './built-in-roles.ts';
import type { Permission } from './permissions.ts';
import type { Role } from './role.schema.ts';

interface RoleRow {
  id: string;
  tenant_id: string | null;
  built_in_key: string | null;
  name: string;
  description: string;
  permissions: Permission[];
}

function toRole(row: RoleRow): Role {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    permissions: row.permissions,
    builtIn: row.tenant_id === null,
    key: row.built_in_key,
  };
}

export function createRoleRepository(db: Db | Tx) {
  /** Built-in roles (no tenant) and this tenant's custom roles; nothing of another tenant. */
  const visibleTo = (tenantId: string) =>
    db('roles').where((q) => q.whereNull('tenant_id').orWhere({ tenant_id: tenantId }));

  return {
    async list(tenantId: string): Promise<Role[]> {
      const rows = await visibleTo(tenantId).orderBy([
        { column: 'tenant_id', order: 'asc', nulls: 'first' },
        { column: 'name' },
      ]);
      return (rows as RoleRow[]).map(toRole);
    },

    /** One page of `list`, and how many there are in all. */
    async page(
      tenantId: string,
      page: { limit: number; offset: number },
    ): Promise<{ roles: Role[]; total: number }> {
      const rows = await visibleTo(tenantId)
        .orderBy([
          { column: 'tenant_id', order: 'asc', nulls: 'first' },
          { column: 'name' },
          { column: 'id' },
        ])
        .limit(page.limit)
        .offset(page.offset);
      const [counted] = await visibleTo(tenantId).count({ n: '*' });
      return { roles: (rows as RoleRow[]).map(toRole), total: Number(counted?.n ?? 0) };
    },

    async findById(tenantId: string, id: string): Promise<Role | undefined> {
      const row = await visibleTo(tenantId).andWhere({ id }).first();
      return row ? toRole(row) : undefined;
    },

    async insert(
      tenantId: string,
      role: { id: string; name: string; description: string; permissions: Permission[]; at: Date },
    ): Promise<Role> {
      const [row] = await db('roles')
        .insert({
          id: role.id,
          tenant_id: tenantId,
          name: role.name,
          description: role.description,
          permissions: JSON.stringify(role.permissions),
          created_at: role.at,
          updated_at: role.at,
        })
        .returning('*');
      return toRole(row as RoleRow);
    },

    async update(
      tenantId: string,
      id: string,
      patch: { name?: string; description?: string; permissions?: Permission[]; at: Date },
    ): Promise<Role | undefined> {
      const [row] = await db('roles')
        .where({ tenant_id: tenantId, id })
        .update({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.permissions !== undefined ? { permissions: JSON.stringify(patch.permissions) } : {}),
          updated_at: patch.at,
        })
        .returning('*');
      return row ? toRole(row as RoleRow) : undefined;
    },

    async delete(tenantId: string, id: string): Promise<void> {
      await db('roles').where({ tenant_id: tenantId, id }).delete();
    },

    async assignmentCount(tenantId: string, roleId: string): Promise<number> {
      const [row] = await db('role_assignments')
        .where({ tenant_id: tenantId, role_id: roleId })
        .count({ n: '*' });
      return Number(row?.n ?? 0);
    },

    /** Built-in rows belong to no tenant (installation-wide): inserted, or brought in line with `roles`. */
    async upsertBuiltIn(roles: readonly BuiltInRole[], at: Date): Promise<void> {
      for (const role of roles) {
        await db('roles')
          .insert({
            id: role.id,
            tenant_id: null,
            built_in_key: role.key,
            name: role.name,
            description: role.description,
            permissions: JSON.stringify(role.permissions),
            created_at: at,
            updated_at: at,
          })
          .onConflict('id')
          .merge(['name', 'description', 'permissions', 'updated_at']);
      }
    },
  };
}

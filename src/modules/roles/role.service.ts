import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import { newId } from '../../platform/crypto/random.ts';
import type { Db } from '../../platform/db/database.ts';
import { isUniqueViolation } from '../../platform/db/pg-errors.ts';
import { AppError, assertId, assertThat, parseInput } from '../../platform/errors/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access } from './access.ts';
import { BUILT_IN_ROLES } from './built-in-roles.ts';
import type { TenantDirectory } from './directory/tenant-directory.ts';
import { maskOf, type Permission, permissionsOf } from './permissions.ts';
import { createRoleRepository } from './role.repository.ts';
import { customRolePatchSchema, customRoleSchema, type Role } from './role.schema.ts';

const BUILT_IN_NAMES = new Set(BUILT_IN_ROLES.map((r) => r.name.toLowerCase()));

/** Installation-wide, at start (before any tenant is served): the built-in rows follow the catalogue. */
export function syncBuiltInRoles(db: Db, at: Date): Promise<void> {
  return createRoleRepository(db).upsertBuiltIn(BUILT_IN_ROLES, at);
}

/** Built-in roles are read-only; custom roles belong to one tenant and need `roles.manage` on its master (ROLE-2). */
export function createRoleService(deps: {
  db: Db;
  clock: Clock;
  directory: TenantDirectory;
  access: Access;
  audit: AuditService;
}) {
  const { db, clock, directory, access } = deps;
  const { audited } = deps.audit;
  const roles = createRoleRepository(db);

  /** Defining a role cannot hand out more than its author holds on the master. */
  async function requireRoleAuthor(
    ctx: RequestContext,
    tenantId: string,
    permissions: readonly Permission[],
  ) {
    const index = await access.require(ctx, tenantId, 'roles.manage', tenantId);
    const held = access.maskOf(ctx, index, tenantId);
    if (held === 'all') return;
    const missing = permissionsOf(maskOf(permissions) & ~held);
    assertThat(missing.length === 0, 'role_assignment.privilege_escalation', { missingPermissions: missing });
  }

  async function findOrThrow(tenantId: string, roleId: string): Promise<Role> {
    assertId(roleId, 'role.not_found');
    const role = await roles.findById(tenantId, roleId);
    assertThat(role, 'role.not_found');
    return role;
  }

  function assertNameFree(name: string): void {
    assertThat(!BUILT_IN_NAMES.has(name.toLowerCase()), 'role.name_taken');
  }

  /** Custom roles are tenant data: shown to callers holding something in the tenant, not to a user with no role (USR-4). */
  async function requireReader(ctx: RequestContext, tenantId: string): Promise<void> {
    const index = await access.tenantIndexFor(ctx, tenantId);
    const { actor } = ctx;
    const holdsSomething =
      actor.kind === 'operator' ||
      (actor.kind === 'user' && index.assignmentsOf(actor.userId).length > 0) ||
      (actor.kind === 'app' && actor.grants.length > 0);
    if (!holdsSomething) {
      throw new AppError(
        'auth.permission_denied',
        { organizationId: tenantId },
        { message: 'You hold no role in this organization' },
      );
    }
  }

  async function list(ctx: RequestContext, tenantId: string): Promise<Role[]> {
    await requireReader(ctx, tenantId);
    return roles.list(tenantId);
  }

  /** Built-in roles first, then custom ones by name, a page at a time. */
  async function page(
    ctx: RequestContext,
    tenantId: string,
    query: { limit: number; offset: number },
  ): Promise<{ roles: Role[]; total: number }> {
    await requireReader(ctx, tenantId);
    return roles.page(tenantId, query);
  }

  async function get(ctx: RequestContext, tenantId: string, roleId: string): Promise<Role> {
    await requireReader(ctx, tenantId);
    return findOrThrow(tenantId, roleId);
  }

  async function create(ctx: RequestContext, tenantId: string, input: unknown): Promise<Role> {
    const valid = parseInput(customRoleSchema, input);
    await requireRoleAuthor(ctx, tenantId, valid.permissions);
    assertNameFree(valid.name);
    try {
      return await db.transaction(async (tx) => {
        const role = await createRoleRepository(tx).insert(tenantId, {
          id: newId(),
          ...valid,
          at: clock.now(),
        });
        await audited(tx, ctx, 'role.create', { tenantId, type: 'role', id: role.id }, null, role);
        return role;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'roles_custom_name_unique')) throw new AppError('role.name_taken');
      throw err;
    }
  }

  async function update(
    ctx: RequestContext,
    tenantId: string,
    roleId: string,
    input: unknown,
  ): Promise<Role> {
    const patch = parseInput(customRolePatchSchema, input);
    const before = await findOrThrow(tenantId, roleId);
    assertThat(!before.builtIn, 'role.read_only');
    await requireRoleAuthor(ctx, tenantId, patch.permissions ?? []);
    if (patch.name !== undefined) assertNameFree(patch.name);
    try {
      // Permissions feed the tenant directory; a rename alone would not, but one path keeps it simple.
      return await directory.change(tenantId, 'everything', async (tx) => {
        const after = await createRoleRepository(tx).update(tenantId, roleId, { ...patch, at: clock.now() });
        assertThat(after, 'role.not_found');
        await audited(tx, ctx, 'role.update', { tenantId, type: 'role', id: roleId }, before, after);
        return after;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'roles_custom_name_unique')) throw new AppError('role.name_taken');
      throw err;
    }
  }

  async function remove(ctx: RequestContext, tenantId: string, roleId: string): Promise<void> {
    const before = await findOrThrow(tenantId, roleId);
    assertThat(!before.builtIn, 'role.read_only');
    await requireRoleAuthor(ctx, tenantId, []);
    // Through the tenant's change lock, so no assignment of this role can slip in meanwhile.
    await directory.change(tenantId, 'everything', async (tx) => {
      const repo = createRoleRepository(tx);
      const inUse = await repo.assignmentCount(tenantId, roleId);
      assertThat(inUse === 0, 'role.in_use', { assignments: inUse });
      await repo.delete(tenantId, roleId);
      await audited(tx, ctx, 'role.delete', { tenantId, type: 'role', id: roleId }, before);
    });
  }

  return { list, page, get, create, update, remove };
}

export type RoleService = ReturnType<typeof createRoleService>;

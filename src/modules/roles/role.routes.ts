import { z } from 'zod';
import { tenantOf } from '../../platform/context.ts';
import { pageQuery } from '../../platform/http/paging.ts';
import { defineRoute } from '../../platform/http/route.ts';
import { PERMISSION_CATALOGUE } from './permissions.ts';
import { permissionDto, roleDto, rolePageDto, roleParams } from './role.dto.ts';
import { customRolePatchSchema, customRoleSchema } from './role.schema.ts';
import type { RoleService } from './role.service.ts';

const tag = 'Roles';
const noEscalation = 'A role cannot hold a permission its author does not hold on the master.';

/** The permission catalogue (ROLE-1), built-in and custom roles (ROLE-2). */
export function roleRoutes(deps: { roles: RoleService }) {
  const { roles } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/permissions',
      tag,
      summary: 'The permission catalogue (ROLE-1)',
      description: 'Fixed and the same for every organization, so any caller may read it.',
      status: 200,
      response: z.object({ items: z.array(permissionDto) }),
      handler: async () => ({ items: PERMISSION_CATALOGUE }),
    }),
    defineRoute({
      method: 'get',
      path: '/roles',
      tag,
      summary: 'Built-in roles, then your custom roles by name, page by page',
      description: 'For anyone holding a role in the organization (USR-4).',
      query: pageQuery,
      status: 200,
      response: rolePageDto,
      handler: async ({ ctx, query }) => {
        const { roles: items, total } = await roles.page(ctx, tenantOf(ctx), query);
        return { items, total, limit: query.limit, offset: query.offset };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/roles/:roleId',
      tag,
      summary: 'Read a role',
      description: 'For anyone holding a role in the organization (USR-4).',
      params: roleParams,
      status: 200,
      response: roleDto,
      errors: ['role.not_found'],
      handler: ({ ctx, params }) => roles.get(ctx, tenantOf(ctx), params.roleId),
    }),
    defineRoute({
      method: 'post',
      path: '/roles',
      tag,
      summary: 'Define a custom role (ROLE-2)',
      description: noEscalation,
      permission: 'roles.manage on the master',
      body: customRoleSchema,
      status: 201,
      response: roleDto,
      errors: ['role.name_taken', 'role_assignment.privilege_escalation'],
      handler: ({ ctx, body }) => roles.create(ctx, tenantOf(ctx), body),
    }),
    defineRoute({
      method: 'patch',
      path: '/roles/:roleId',
      tag,
      summary: 'Change a custom role; it applies at once to everyone holding it (ROLE-6)',
      description: `Built-in roles are read-only. ${noEscalation}`,
      permission: 'roles.manage on the master',
      params: roleParams,
      body: customRolePatchSchema,
      status: 200,
      response: roleDto,
      errors: ['role.not_found', 'role.read_only', 'role.name_taken', 'role_assignment.privilege_escalation'],
      handler: ({ ctx, params, body }) => roles.update(ctx, tenantOf(ctx), params.roleId, body),
    }),
    defineRoute({
      method: 'delete',
      path: '/roles/:roleId',
      tag,
      summary: 'Delete a custom role that nobody holds any more',
      description: 'Built-in roles are read-only; a role still assigned is refused.',
      permission: 'roles.manage on the master',
      params: roleParams,
      status: 204,
      errors: ['role.not_found', 'role.read_only', 'role.in_use'],
      handler: async ({ ctx, params }) => {
        await roles.remove(ctx, tenantOf(ctx), params.roleId);
      },
    }),
  ];
}

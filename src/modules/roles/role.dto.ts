import { z } from 'zod';
import { pageOf } from '../../platform/http/paging.ts';
import { idParam } from '../../platform/http/route.ts';

// What the admin API answers about permissions, roles and role assignments.
export const permissionDto = z.object({
  name: z.string().describe('Dotted permission name, e.g. `users.invite`'),
  description: z.string(),
  environmentScopable: z
    .boolean()
    .describe('May be granted on one environment of a node rather than the whole node (ROLE-1)'),
});

export const roleDto = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  permissions: z.array(z.string()),
  builtIn: z.boolean().describe('Built-in roles are read-only (ROLE-2)'),
  key: z.string().nullable().describe('Stable key of a built-in role; null for custom roles'),
});

export const assignmentDto = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  roleId: z.uuid(),
  organizationId: z.uuid(),
  environmentId: z.uuid().nullable().describe('Set when the assignment applies to one environment only'),
  inherit: z.boolean().describe('Also applies to every business group below the node (ROLE-3)'),
  source: z.string().describe('`manual`, or what granted it (an identity provider group mapping)'),
  createdAt: z.iso.datetime(),
});

export const rolePageDto = pageOf(roleDto);
export const assignmentPageDto = pageOf(assignmentDto);

export const roleParams = z.object({ roleId: idParam.describe('Id of a built-in or custom role') });
export const assignmentParams = z.object({ assignmentId: idParam.describe('Id of a role assignment') });
export const assignmentUserParams = z.object({
  userId: idParam.describe('Id of a user of your organization'),
});
export const assignmentOrgParams = z.object({
  orgId: idParam.describe('Id of a master organization or business group'),
});

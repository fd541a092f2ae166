import { z } from 'zod';
import { isPermission, type Permission } from './permissions.ts';

export interface Role {
  id: string;
  name: string;
  description: string;
  permissions: Permission[];
  builtIn: boolean;
  /** Stable key of a built-in role. */
  key: string | null;
}

const permissionName = z.string().refine(isPermission, 'is not a permission of the catalogue');

export const customRoleSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(128),
  description: z.string().trim().max(1024).default(''),
  permissions: z
    .array(permissionName)
    .min(1, 'must name at least one permission')
    .transform((list) => [...new Set(list)] as Permission[]),
});

export const customRolePatchSchema = z
  .strictObject({
    name: customRoleSchema.shape.name.optional(),
    description: z.string().trim().max(1024).optional(),
    permissions: customRoleSchema.shape.permissions.optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'name at least one field to change');

export const uuidSchema = z.uuid('must be a UUID');

export const assignmentInputSchema = z.strictObject({
  userId: uuidSchema,
  roleId: uuidSchema,
  organizationId: uuidSchema,
  environmentId: uuidSchema.nullish(),
  inherit: z.boolean().optional(),
});

export interface RoleAssignment {
  id: string;
  userId: string;
  roleId: string;
  organizationId: string;
  environmentId: string | null;
  inherit: boolean;
  source: string;
  createdAt: Date;
}

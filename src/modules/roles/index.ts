export { type Access, createAccess, type MissingPermissions } from './access.ts';
export { assignmentTarget, type Grant } from './assignment.grant.ts';
export { assignmentRoutes } from './assignment.routes.ts';
export { type AssignmentService, createAssignmentService } from './assignment.service.ts';
export { BUILT_IN_ROLES, type BuiltInRole, ORGANIZATION_ADMINISTRATORS } from './built-in-roles.ts';
export {
  type ChangeScope,
  createTenantDirectory,
  type TenantDirectory,
} from './directory/tenant-directory.ts';
export {
  type Conferral,
  type IndexedNode,
  TenantIndex,
  type TenantSnapshot,
  type VisibleNode,
} from './directory/tenant-index.ts';
export {
  ALL_MASK,
  ALL_PERMISSIONS,
  ENVIRONMENT_SCOPABLE_MASK,
  isPermission,
  maskOf,
  PERMISSION_CATALOGUE,
  type Permission,
  permissionsOf,
} from './permissions.ts';
export { assignmentDto, permissionDto, roleDto } from './role.dto.ts';
export { roleRoutes } from './role.routes.ts';
export type { Role, RoleAssignment } from './role.schema.ts';
export { createRoleService, type RoleService, syncBuiltInRoles } from './role.service.ts';

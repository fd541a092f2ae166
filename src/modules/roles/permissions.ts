// The fixed permission catalogue (ROLE-1). Each permission owns one bit, so a role's permissions
// are a number and a union is a bitwise OR: the tenant directory's hot path never touches a string set.

export const PERMISSION_CATALOGUE = [
  { name: 'users.invite', description: 'Invite people to the organization', environmentScopable: false },
  {
    name: 'users.manage',
    description: 'Edit, disable, enable and delete users (on the master)',
    environmentScopable: false,
  },
  { name: 'roles.assign', description: 'Assign and remove roles on this node', environmentScopable: false },
  { name: 'roles.manage', description: 'Define custom roles (on the master)', environmentScopable: false },
  { name: 'orgs.create', description: 'Create business groups under this node', environmentScopable: false },
  { name: 'orgs.delete', description: 'Delete this business group', environmentScopable: false },
  {
    name: 'orgs.owner.assign',
    description: "Hand this node's ownership to another administrator",
    environmentScopable: false,
  },
  {
    name: 'orgs.settings.manage',
    description: "Change this node's name and, on the master, its settings",
    environmentScopable: false,
  },
  {
    name: 'orgs.properties.manage',
    description: 'Edit properties here and entitlements of child groups',
    environmentScopable: false,
  },
  {
    name: 'environments.manage',
    description: 'Create, rename and delete environments',
    environmentScopable: false,
  },
  { name: 'credentials.view', description: 'Read client credentials', environmentScopable: true },
  { name: 'credentials.rotate', description: 'Rotate environment client secrets', environmentScopable: true },
  {
    name: 'apps.manage',
    description: 'Register and manage connected apps (on the master)',
    environmentScopable: false,
  },
  {
    name: 'idp.manage',
    description: 'Configure identity providers (on the master)',
    environmentScopable: false,
  },
  { name: 'analytics.view', description: 'See usage analytics', environmentScopable: true },
  { name: 'audit.view', description: 'Read the audit log', environmentScopable: false },
  { name: 'api-alerts.manage', description: 'Manage API alerts', environmentScopable: true },
  { name: 'api-alerts.view', description: 'See API alerts', environmentScopable: true },
] as const;

export type Permission = (typeof PERMISSION_CATALOGUE)[number]['name'];

// Bits 0..30 keep masks in the positive int32 range; past that, masks need a second word.
if (PERMISSION_CATALOGUE.length > 31) throw new Error('permission catalogue outgrew a 31-bit mask');

const BIT = new Map<string, number>(PERMISSION_CATALOGUE.map((p, i) => [p.name, 1 << i]));

export const ALL_PERMISSIONS: readonly Permission[] = PERMISSION_CATALOGUE.map((p) => p.name);
export const ALL_MASK = maskOf(ALL_PERMISSIONS);
export const ENVIRONMENT_SCOPABLE_MASK = maskOf(
  PERMISSION_CATALOGUE.filter((p) => p.environmentScopable).map((p) => p.name),
);

export function isPermission(name: string): name is Permission {
  return BIT.has(name);
}

export function bitOf(permission: Permission): number {
  return BIT.get(permission)!;
}

export function maskOf(permissions: Iterable<string>): number {
  let mask = 0;
  for (const name of permissions) {
    const bit = BIT.get(name);
    if (bit === undefined) throw new Error(`unknown permission ${name}`);
    mask |= bit;
  }
  return mask;
}

export function permissionsOf(mask: number): Permission[] {
  return ALL_PERMISSIONS.filter((p) => (mask & bitOf(p)) !== 0);
}

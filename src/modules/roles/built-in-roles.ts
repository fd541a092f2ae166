import { ALL_PERMISSIONS, type Permission } from './permissions.ts';

// Built-in roles are data in code with fixed ids; startup upserts them so assignments can reference
// them by foreign key and a catalogue change reaches every installation (ROLE-2).
export interface BuiltInRole {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly permissions: readonly Permission[];
}

export const ORGANIZATION_ADMINISTRATORS: BuiltInRole = {
  id: '00000000-0000-4000-8000-000000000001',
  key: 'organization-administrators',
  name: 'Organization Administrators',
  description: 'Every permission on the node and, always inherited, on every business group below it',
  permissions: ALL_PERMISSIONS,
};

export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  ORGANIZATION_ADMINISTRATORS,
  {
    id: '00000000-0000-4000-8000-000000000002',
    key: 'api-alerts-manager',
    name: 'API Alerts Manager',
    description: 'Create and change API alerts',
    permissions: ['api-alerts.manage', 'api-alerts.view'],
  },
  {
    id: '00000000-0000-4000-8000-000000000003',
    key: 'api-alerts-viewer',
    name: 'API Alerts Viewer',
    description: 'See API alerts',
    permissions: ['api-alerts.view'],
  },
  {
    id: '00000000-0000-4000-8000-000000000004',
    key: 'analytics-viewer',
    name: 'Analytics Viewer',
    description: 'See usage analytics',
    permissions: ['analytics.view'],
  },
  {
    id: '00000000-0000-4000-8000-000000000005',
    key: 'audit-viewer',
    name: 'Audit Viewer',
    description: 'Read the audit log',
    permissions: ['audit.view'],
  },
];

const BY_ID = new Map(BUILT_IN_ROLES.map((r) => [r.id, r]));

export function builtInRole(id: string): BuiltInRole | undefined {
  return BY_ID.get(id);
}

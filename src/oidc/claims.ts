import { permissionsOf, type TenantIndex } from '../modules/roles/index.ts';

/** One line of `org_roles`: the roles a user holds on a node (or on one environment of it). */
export interface OrgRoleClaim {
  org: string;
  environment?: string;
  roles: string[];
  /** Node-wide assignments: whether they also apply to every business group below. */
  inherit?: boolean;
}

export interface OrgClaims {
  org_id: string;
  org_domain: string;
  org_roles: OrgRoleClaim[];
  /** Only with a node scope: the role names and permissions in force on that node. */
  roles?: string[];
  permissions?: string[];
}

const NODE_SCOPE = /^org:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** The node a scope string narrows to (`org:<node id>`), if any. */
export function nodeScopeOf(scope: string | undefined): string | undefined {
  for (const value of scope?.split(' ') ?? []) {
    const match = NODE_SCOPE.exec(value);
    if (match) return match[1]!.toLowerCase();
  }
  return undefined;
}

export function isNodeScope(value: string): boolean {
  return NODE_SCOPE.test(value);
}

/**
 * SESS-5: the master org and the user's roles per node, from the in-memory index (no SQL).
 * With a node, only the assignments in force there (its own, and inheriting ones above it), plus
 * the flat role names and permissions on that node.
 */
export function orgClaims(index: TenantIndex, userId: string, nodeId?: string): OrgClaims {
  const node = nodeId === undefined ? undefined : index.node(nodeId);
  const lines = new Map<string, OrgRoleClaim>();
  const nodeWideRoles = new Set<string>();
  for (const a of index.assignmentsOf(userId)) {
    if (!index.node(a.orgId)) continue;
    if (node) {
      const here = a.orgId === node.id;
      const inheritedFromAbove = a.inherit && a.orgId !== node.id && index.isSelfOrAncestor(a.orgId, node.id);
      if (!here && !inheritedFromAbove) continue;
    }
    const name = index.roleName(a.roleId) ?? a.roleId;
    if (a.environmentId === null && node) nodeWideRoles.add(name);
    const key = `${a.orgId}|${a.environmentId ?? ''}|${a.environmentId === null && a.inherit}`;
    let line = lines.get(key);
    if (!line) {
      line = a.environmentId
        ? { org: a.orgId, environment: a.environmentId, roles: [] }
        : { org: a.orgId, roles: [], inherit: a.inherit };
      lines.set(key, line);
    }
    line.roles.push(name);
  }
  for (const line of lines.values()) line.roles.sort();
  const claims: OrgClaims = {
    org_id: index.tenantId,
    org_domain: index.settings.domain,
    org_roles: [...lines.values()],
  };
  if (node) {
    claims.roles = [...nodeWideRoles].sort();
    claims.permissions = permissionsOf(index.mask(userId, node.id));
  }
  return claims;
}

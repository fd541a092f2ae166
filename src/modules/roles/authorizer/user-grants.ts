import { ENVIRONMENT_SCOPABLE_MASK } from '../permissions.ts';

export interface AssignmentRow {
  userId: string;
  roleId: string;
  orgId: string;
  environmentId: string | null;
  inherit: boolean;
}

/** A user's grants on one node: node-wide masks, and masks per environment of that node. */
export interface NodeGrant {
  here: number;
  inherited: number;
  environments: Map<string, number> | null;
}

/** Grants by user, then by node. Entries for nodes that no longer exist are never reached from the tree. */
export type GrantsByUser = Map<string, Map<string, NodeGrant>>;

/** Folds assignment rows into per-node masks; roles without permissions grant nothing. */
export function addGrants(
  into: GrantsByUser,
  rows: Iterable<AssignmentRow>,
  roleMasks: ReadonlyMap<string, number>,
): void {
  for (const a of rows) {
    const mask = roleMasks.get(a.roleId) ?? 0;
    if (mask === 0) continue;
    let byNode = into.get(a.userId);
    if (!byNode) {
      byNode = new Map();
      into.set(a.userId, byNode);
    }
    let grant = byNode.get(a.orgId);
    if (!grant) {
      grant = { here: 0, inherited: 0, environments: null };
      byNode.set(a.orgId, grant);
    }
    if (a.environmentId !== null) {
      grant.environments ??= new Map();
      const current = grant.environments.get(a.environmentId) ?? 0;
      grant.environments.set(a.environmentId, current | (mask & ENVIRONMENT_SCOPABLE_MASK));
    } else if (a.inherit) {
      grant.inherited |= mask;
    } else {
      grant.here |= mask;
    }
  }
}

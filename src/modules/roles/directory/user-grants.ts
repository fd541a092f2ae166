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

/** One user's grants by node, and the assignments they came from (for token claims). */
export interface UserGrants {
  byNode: Map<string, NodeGrant>;
  assignments: AssignmentRow[];
}

/** Grants by user. Entries for nodes that no longer exist are never reached from the tree. */
export type GrantsByUser = Map<string, UserGrants>;

/** Folds assignment rows into per-node masks; roles without permissions grant nothing. */
export function addGrants(
  into: GrantsByUser,
  rows: Iterable<AssignmentRow>,
  roleMasks: ReadonlyMap<string, number>,
): void {
  for (const a of rows) {
    const mask = roleMasks.get(a.roleId) ?? 0;
    if (mask === 0) continue;
    let user = into.get(a.userId);
    if (!user) {
      user = { byNode: new Map(), assignments: [] };
      into.set(a.userId, user);
    }
    user.assignments.push(a);
    let grant = user.byNode.get(a.orgId);
    if (!grant) {
      grant = { here: 0, inherited: 0, environments: null };
      user.byNode.set(a.orgId, grant);
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

/** The master org's settings the provider needs on every request (ORG-3, ORG-11, SESS-3). */
export interface TenantSettings {
  domain: string;
  sessionTimeoutMinutes: number;
  sessionMaxMinutes: number;
  /** ACC-4: the minimum password length the master chose; null: the policy's default. */
  passwordMinLength: number | null;
}

/**
 * One tenant's org tree, its settings and the node each environment belongs to, as the tenant
 * directory reads them.
 */
export interface TreeSnapshot {
  tenantId: string;
  settings: TenantSettings;
  nodes: ReadonlyArray<{
    id: string;
    parentId: string | null;
    name: string;
    ownerUserId: string;
    createSubOrgs: boolean;
    createEnvironments: boolean;
  }>;
  environments: ReadonlyArray<{ id: string; orgId: string }>;
}

export interface IndexedNode {
  readonly id: string;
  readonly parent: IndexedNode | null;
  readonly name: string;
  readonly depth: number;
  readonly children: IndexedNode[];
  readonly ownerUserId: string;
  readonly createSubOrgs: boolean;
  readonly createEnvironments: boolean;
}

export interface TenantTree {
  readonly settings: Readonly<TenantSettings>;
  readonly root: IndexedNode;
  readonly nodes: ReadonlyMap<string, IndexedNode>;
  readonly environmentOrg: ReadonlyMap<string, string>;
}

/** Links parents and children and computes depths; refuses a tree without the master or with a cycle. */
export function buildTree(snapshot: TreeSnapshot): TenantTree {
  type Mutable = { -readonly [K in keyof IndexedNode]: IndexedNode[K] };
  const pending = new Map<string, Mutable>();
  for (const n of snapshot.nodes) {
    pending.set(n.id, {
      id: n.id,
      parent: null,
      name: n.name,
      depth: 0,
      children: [],
      ownerUserId: n.ownerUserId,
      createSubOrgs: n.createSubOrgs,
      createEnvironments: n.createEnvironments,
    });
  }
  let root: Mutable | undefined;
  for (const n of snapshot.nodes) {
    const node = pending.get(n.id)!;
    if (n.parentId === null) {
      root = node;
      continue;
    }
    const parent = pending.get(n.parentId);
    if (!parent) throw new Error(`organization ${n.id} has a parent outside tenant ${snapshot.tenantId}`);
    node.parent = parent;
    parent.children.push(node);
  }
  if (!root || root.id !== snapshot.tenantId)
    throw new Error(`tenant ${snapshot.tenantId} has no master node`);
  // Depths and the node map, top-down; anything unreachable from the root is a broken tree.
  const nodes = new Map<string, IndexedNode>();
  const stack: Mutable[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    nodes.set(node.id, node);
    for (const child of node.children as Mutable[]) {
      child.depth = node.depth + 1;
      stack.push(child);
    }
  }
  if (nodes.size !== pending.size) throw new Error(`tenant ${snapshot.tenantId} has a cycle in its tree`);
  const environmentOrg = new Map(snapshot.environments.map((e) => [e.id, e.orgId]));
  return { settings: { ...snapshot.settings }, root, nodes, environmentOrg };
}

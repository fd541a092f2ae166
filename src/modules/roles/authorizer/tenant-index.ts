import { ALL_MASK, bitOf, ENVIRONMENT_SCOPABLE_MASK, type Permission } from '../permissions.ts';

/** Everything the authorizer knows about one tenant, read from SQL in one consistent snapshot. */
export interface TenantSnapshot {
  tenantId: string;
  version: number;
  nodes: ReadonlyArray<{
    id: string;
    parentId: string | null;
    name: string;
    ownerUserId: string;
    createSubOrgs: boolean;
    createEnvironments: boolean;
  }>;
  environments: ReadonlyArray<{ id: string; orgId: string }>;
  /** Permission masks of the built-in roles and this tenant's custom roles. */
  roleMasks: ReadonlyMap<string, number>;
  assignments: ReadonlyArray<{
    userId: string;
    roleId: string;
    orgId: string;
    environmentId: string | null;
    inherit: boolean;
  }>;
  /** Disabled and deleted users: they hold nothing, whatever their assignments say. */
  inactiveUserIds: ReadonlyArray<string>;
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

/** A user's grants on one node: node-wide masks, and masks per environment of that node. */
interface NodeGrant {
  here: number;
  inherited: number;
  environments: Map<string, number> | null;
}

export interface VisibleNode {
  id: string;
  parentId: string | null;
  name: string;
  /** `member`: the user holds a role here (directly or inherited); `ancestor`: shown by name only. */
  access: 'member' | 'ancestor';
  /** Node-wide permission mask; 0 for ancestors. */
  mask: number;
}

/**
 * The in-memory answer to "may U do P on N (in E)?" for one tenant version (ARCHITECTURE §4).
 * Immutable once built: a change produces a new version, which produces a new index.
 */
export class TenantIndex {
  readonly tenantId: string;
  readonly version: number;
  readonly root: IndexedNode;
  readonly #nodes = new Map<string, IndexedNode>();
  readonly #environmentOrg = new Map<string, string>();
  readonly #grants = new Map<string, Map<string, NodeGrant>>();
  readonly #inactive: ReadonlySet<string>;

  constructor(snapshot: TenantSnapshot) {
    this.tenantId = snapshot.tenantId;
    this.version = snapshot.version;
    this.#inactive = new Set(snapshot.inactiveUserIds);
    this.root = this.#buildTree(snapshot);
    for (const env of snapshot.environments) this.#environmentOrg.set(env.id, env.orgId);
    for (const a of snapshot.assignments) {
      const mask = snapshot.roleMasks.get(a.roleId) ?? 0;
      if (mask === 0 || !this.#nodes.has(a.orgId)) continue;
      let byNode = this.#grants.get(a.userId);
      if (!byNode) {
        byNode = new Map();
        this.#grants.set(a.userId, byNode);
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

  #buildTree(snapshot: TenantSnapshot): IndexedNode {
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
    const stack: Mutable[] = [root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      this.#nodes.set(node.id, node);
      for (const child of node.children as Mutable[]) {
        child.depth = node.depth + 1;
        stack.push(child);
      }
    }
    if (this.#nodes.size !== pending.size)
      throw new Error(`tenant ${snapshot.tenantId} has a cycle in its tree`);
    return root;
  }

  node(orgId: string): IndexedNode | undefined {
    return this.#nodes.get(orgId);
  }

  get nodeCount(): number {
    return this.#nodes.size;
  }

  environmentOrg(environmentId: string): string | undefined {
    return this.#environmentOrg.get(environmentId);
  }

  isActive(userId: string): boolean {
    return !this.#inactive.has(userId);
  }

  /** Does the user hold `permission` on the node (in the environment, when given)? O(depth), no allocation. */
  can(userId: string, permission: Permission, orgId: string, environmentId?: string): boolean {
    return (this.mask(userId, orgId, environmentId) & bitOf(permission)) !== 0;
  }

  /** The union of the user's permissions on the node (ROLE-4), as a mask. */
  mask(userId: string, orgId: string, environmentId?: string): number {
    if (this.#inactive.has(userId)) return 0;
    const grants = this.#grants.get(userId);
    const node = this.#nodes.get(orgId);
    if (!grants || !node) return 0;
    if (environmentId !== undefined && this.#environmentOrg.get(environmentId) !== orgId) return 0;
    let mask = 0;
    const here = grants.get(orgId);
    if (here) {
      mask = here.here | here.inherited;
      if (environmentId !== undefined && here.environments) mask |= here.environments.get(environmentId) ?? 0;
    }
    for (let up = node.parent; up !== null && mask !== ALL_MASK; up = up.parent) {
      const grant = grants.get(up.id);
      if (grant) mask |= grant.inherited;
    }
    return mask;
  }

  /** Does the user hold any role on the node, directly, inherited or on one of its environments? */
  holdsAnyRole(userId: string, orgId: string): boolean {
    if (this.mask(userId, orgId) !== 0) return true;
    const here = this.#inactive.has(userId) ? undefined : this.#grants.get(userId)?.get(orgId);
    return here?.environments !== null && here?.environments !== undefined && here.environments.size > 0;
  }

  /** The permissions the user holds on the node through inheriting assignments only (they reach every descendant). */
  inheritableMask(userId: string, orgId: string): number {
    if (this.#inactive.has(userId)) return 0;
    const grants = this.#grants.get(userId);
    let mask = 0;
    for (let n = grants ? this.#nodes.get(orgId) : undefined; n; n = n.parent ?? undefined) {
      mask |= grants!.get(n.id)?.inherited ?? 0;
    }
    return mask;
  }

  /** Holds the user every permission on the node, i.e. Organization Administrators there (ORG-4)? */
  isAdministrator(userId: string, orgId: string): boolean {
    return this.mask(userId, orgId) === ALL_MASK;
  }

  /**
   * The hierarchy as one user may see it (ORG-10): every node where they hold a role, directly or
   * inherited, plus the ancestors of those as name-only entries. Depth-first, parents before children.
   */
  visibleNodes(userId: string): VisibleNode[] {
    const grants = this.#inactive.has(userId) ? undefined : this.#grants.get(userId);
    if (!grants) return [];
    const members = new Set<string>();
    const inheritedFrom: IndexedNode[] = [];
    for (const [orgId, grant] of grants) {
      members.add(orgId);
      if (grant.inherited !== 0) inheritedFrom.push(this.#nodes.get(orgId)!);
    }
    // Expand each inherited grant's subtree once: a subtree under an already expanded one is covered.
    const expanded = new Set<string>();
    for (const top of inheritedFrom.sort((a, b) => a.depth - b.depth)) {
      let covered = false;
      for (let up = top.parent; up !== null && !covered; up = up.parent) covered = expanded.has(up.id);
      if (covered) continue;
      expanded.add(top.id);
      const stack = [...top.children];
      while (stack.length > 0) {
        const next = stack.pop()!;
        members.add(next.id);
        stack.push(...next.children);
      }
    }
    const shown = new Set(members);
    for (const orgId of members) {
      for (let up = this.#nodes.get(orgId)!.parent; up !== null && !shown.has(up.id); up = up.parent)
        shown.add(up.id);
    }
    const out: VisibleNode[] = [];
    const stack: IndexedNode[] = [this.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      const member = members.has(node.id);
      out.push({
        id: node.id,
        parentId: node.parent?.id ?? null,
        name: node.name,
        access: member ? 'member' : 'ancestor',
        mask: member ? this.mask(userId, node.id) : 0,
      });
      for (let i = node.children.length - 1; i >= 0; i--) {
        const child = node.children[i]!;
        if (shown.has(child.id)) stack.push(child);
      }
    }
    return out;
  }

  /** True when `ancestorId` is `orgId` or above it. */
  isSelfOrAncestor(ancestorId: string, orgId: string): boolean {
    for (let n = this.#nodes.get(orgId); n; n = n.parent ?? undefined) if (n.id === ancestorId) return true;
    return false;
  }
}

import { ALL_MASK, bitOf, type Permission } from '../permissions.ts';
import {
  buildTree,
  type IndexedNode,
  type TenantSettings,
  type TenantTree,
  type TreeSnapshot,
} from './tenant-tree.ts';
import { type AssignmentRow, addGrants, type GrantsByUser } from './user-grants.ts';

export type { IndexedNode, TenantSettings, TreeSnapshot } from './tenant-tree.ts';

/** Everything the tenant directory knows about one tenant, read from SQL in one consistent snapshot. */
export interface TenantSnapshot extends TreeSnapshot {
  version: number;
  /** Permission masks of the built-in roles and this tenant's custom roles. */
  roleMasks: ReadonlyMap<string, number>;
  /** Their names, for token claims. */
  roleNames: ReadonlyMap<string, string>;
  assignments: ReadonlyArray<AssignmentRow>;
  /** Disabled and deleted users: they hold nothing, whatever their assignments say. */
  inactiveUserIds: ReadonlyArray<string>;
  /** ACC-1: users whose tokens issued before `at` are dead (their password was reset). */
  tokensValidAfter?: ReadonlyArray<RevokedBefore>;
}

/** Every token of the user issued before `at` is dead (ACC-1). */
export interface RevokedBefore {
  userId: string;
  at: Date;
}

/** Some users' current assignments and status, to replace what the index holds for them. */
export interface UsersSnapshot {
  userIds: ReadonlyArray<string>;
  roleMasks: ReadonlyMap<string, number>;
  roleNames: ReadonlyMap<string, string>;
  assignments: ReadonlyArray<AssignmentRow>;
  inactiveUserIds: ReadonlyArray<string>;
  tokensValidAfter?: ReadonlyArray<RevokedBefore>;
}

export interface VisibleNode {
  id: string;
  parentId: string | null;
  name: string;
  /** `member`: the user holds a role here (directly or inherited); `ancestor`: shown by name only. */
  access: 'member' | 'ancestor';
  /** Node-wide permission mask; 0 for ancestors. */
  mask: number;
  /** Environments of the node where an environment-scoped grant adds to `mask`, each with the whole mask there. */
  environments: { id: string; mask: number }[];
}

/**
 * Permissions handed out on a node: node-wide (with `inherit`, on every node below it too) or,
 * with an environment, in that environment of the node only.
 */
export interface Conferral {
  organizationId: string;
  environmentId: string | null;
  inherit: boolean;
  mask: number;
}

const PARTS = Symbol('parts');
interface Parts {
  [PARTS]: true;
  tenantId: string;
  version: number;
  tree: TenantTree;
  grants: GrantsByUser;
  inactive: ReadonlySet<string>;
  roleNames: ReadonlyMap<string, string>;
  /** ACC-1: per user, the epoch milliseconds before which their tokens are dead. */
  validAfter: ReadonlyMap<string, number>;
}

const validAfterOf = (rows: ReadonlyArray<RevokedBefore> = []) =>
  rows.map((r) => [r.userId, r.at.getTime()] as const);

/**
 * The in-memory answer to "may U do P on N (in E)?" for one tenant version (ARCHITECTURE §4).
 * Immutable: a change yields a new index, either rebuilt from a full snapshot or derived from the
 * previous one by replacing its tree or some users' grants (the parts a change touched).
 */
export class TenantIndex {
  readonly tenantId: string;
  readonly version: number;
  readonly root: IndexedNode;
  readonly #nodes: ReadonlyMap<string, IndexedNode>;
  readonly #environmentOrg: ReadonlyMap<string, string>;
  readonly #tree: TenantTree;
  readonly #grants: GrantsByUser;
  readonly #inactive: ReadonlySet<string>;
  readonly #roleNames: ReadonlyMap<string, string>;
  readonly #validAfter: ReadonlyMap<string, number>;

  constructor(source: TenantSnapshot | Parts) {
    let parts: Parts;
    if (PARTS in source) {
      parts = source;
    } else {
      const grants: GrantsByUser = new Map();
      addGrants(grants, source.assignments, source.roleMasks);
      parts = {
        [PARTS]: true,
        tenantId: source.tenantId,
        version: source.version,
        tree: buildTree(source),
        grants,
        inactive: new Set(source.inactiveUserIds),
        roleNames: source.roleNames,
        validAfter: new Map(validAfterOf(source.tokensValidAfter)),
      };
    }
    this.tenantId = parts.tenantId;
    this.version = parts.version;
    this.#tree = parts.tree;
    this.root = parts.tree.root;
    this.#nodes = parts.tree.nodes;
    this.#environmentOrg = parts.tree.environmentOrg;
    this.#grants = parts.grants;
    this.#inactive = parts.inactive;
    this.#roleNames = parts.roleNames;
    this.#validAfter = parts.validAfter;
  }

  /** The next version after a change to the tree or environments only: the grants are shared. */
  withTree(version: number, tree: TreeSnapshot): TenantIndex {
    return new TenantIndex({ ...this.#parts(version), tree: buildTree(tree) });
  }

  /** The next version after a change to some users' assignments or status: the tree is shared. */
  withUsers(version: number, users: UsersSnapshot): TenantIndex {
    const grants: GrantsByUser = new Map(this.#grants);
    const reloaded = new Set(users.userIds);
    for (const userId of reloaded) grants.delete(userId);
    // Only the reloaded users' rows: every other user's grants are shared with the previous index.
    addGrants(
      grants,
      users.assignments.filter((a) => reloaded.has(a.userId)),
      users.roleMasks,
    );
    const inactive = new Set(this.#inactive);
    for (const userId of users.userIds) inactive.delete(userId);
    for (const userId of users.inactiveUserIds) inactive.add(userId);
    const validAfter = new Map(this.#validAfter);
    for (const userId of reloaded) validAfter.delete(userId);
    for (const [userId, at] of validAfterOf(users.tokensValidAfter))
      if (reloaded.has(userId)) validAfter.set(userId, at);
    return new TenantIndex({
      ...this.#parts(version),
      grants,
      inactive,
      roleNames: users.roleNames,
      validAfter,
    });
  }

  #parts(version: number): Parts {
    return {
      [PARTS]: true,
      tenantId: this.tenantId,
      version,
      tree: this.#tree,
      grants: this.#grants,
      inactive: this.#inactive,
      roleNames: this.#roleNames,
      validAfter: this.#validAfter,
    };
  }

  /** The master org's settings as of this version. */
  get settings(): Readonly<TenantSettings> {
    return this.#tree.settings;
  }

  /** An active user's role assignments (for token claims); none for inactive users. */
  assignmentsOf(userId: string): readonly AssignmentRow[] {
    if (this.#inactive.has(userId)) return [];
    return this.#grants.get(userId)?.assignments ?? [];
  }

  roleName(roleId: string): string | undefined {
    return this.#roleNames.get(roleId);
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

  /**
   * ACC-1: whether a token of the user issued at `issuedAt` (epoch seconds: a token's `iat`, or for
   * a refresh token its chain's first `iiat`, so rotation never outlives a reset) may still be
   * used: only if it cannot have been issued before their last password reset. `iat` has
   * whole seconds, so a token of the reset's own second is refused whichever side of it it came.
   */
  acceptsTokenIssuedAt(userId: string, issuedAt: number | undefined): boolean {
    const after = this.#validAfter.get(userId);
    return after === undefined || (typeof issuedAt === 'number' && issuedAt * 1000 >= after);
  }

  /** Does the user hold `permission` on the node (in the environment, when given)? O(depth), no allocation. */
  can(userId: string, permission: Permission, orgId: string, environmentId?: string): boolean {
    return (this.mask(userId, orgId, environmentId) & bitOf(permission)) !== 0;
  }

  /** The union of the user's permissions on the node (ROLE-4), as a mask. */
  mask(userId: string, orgId: string, environmentId?: string): number {
    if (this.#inactive.has(userId)) return 0;
    const grants = this.#grants.get(userId)?.byNode;
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
    if (!this.#nodes.has(orgId)) return false;
    if (this.mask(userId, orgId) !== 0) return true;
    const here = this.#inactive.has(userId) ? undefined : this.#grants.get(userId)?.byNode.get(orgId);
    return here?.environments !== null && here?.environments !== undefined && here.environments.size > 0;
  }

  /** The permissions the user holds on the node through inheriting assignments only (they reach every descendant). */
  inheritableMask(userId: string, orgId: string): number {
    if (this.#inactive.has(userId)) return 0;
    const grants = this.#grants.get(userId)?.byNode;
    let mask = 0;
    for (let n = grants ? this.#nodes.get(orgId) : undefined; n; n = n.parent ?? undefined) {
      mask |= grants!.get(n.id)?.inherited ?? 0;
    }
    return mask;
  }

  /**
   * What the user's assignments grant, node by node, whatever the user's status (a disabled user
   * may be enabled again): what whoever signs in as them would hold (SEC-4).
   */
  grantsOf(userId: string): Conferral[] {
    const out: Conferral[] = [];
    for (const [organizationId, g] of this.#grants.get(userId)?.byNode ?? []) {
      if (g.here !== 0) out.push({ organizationId, environmentId: null, inherit: false, mask: g.here });
      if (g.inherited !== 0)
        out.push({ organizationId, environmentId: null, inherit: true, mask: g.inherited });
      for (const [environmentId, mask] of g.environments ?? [])
        out.push({ organizationId, environmentId, inherit: false, mask });
    }
    return out;
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
    const grants = this.#inactive.has(userId) ? undefined : this.#grants.get(userId)?.byNode;
    if (!grants) return [];
    const members = new Set<string>();
    const inheritedFrom: IndexedNode[] = [];
    for (const [orgId, grant] of grants) {
      const node = this.#nodes.get(orgId);
      if (!node) continue;
      members.add(orgId);
      if (grant.inherited !== 0) inheritedFrom.push(node);
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
    // Grants can outlive their node until the next full load (a deleted group's): they show nothing.
    if (members.size === 0) return out;
    const stack: IndexedNode[] = [this.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      const member = members.has(node.id);
      const mask = member ? this.mask(userId, node.id) : 0;
      const environments: VisibleNode['environments'] = [];
      // Environment-scoped grants never inherit (ROLE-3): only this node's own can add anything.
      for (const [id, extra] of (member && grants.get(node.id)?.environments) || []) {
        if ((extra & ~mask) !== 0) environments.push({ id, mask: mask | extra });
      }
      out.push({
        id: node.id,
        parentId: node.parent?.id ?? null,
        name: node.name,
        access: member ? 'member' : 'ancestor',
        mask,
        environments,
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

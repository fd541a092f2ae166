import assert from 'node:assert/strict';
import type { TenantSnapshot } from '../../src/modules/roles/directory/tenant-index.ts';
import {
  ALL_PERMISSIONS,
  maskOf,
  PERMISSION_CATALOGUE,
  type Permission,
  permissionsOf,
} from '../../src/modules/roles/permissions.ts';

/**
 * A deliberately plain evaluation of ROLE-3/ROLE-4/ORG-9/ORG-10, used as the oracle the in-memory
 * authorizer is compared with. No bit masks, no indexes: every question walks every assignment and
 * decides whether it applies, with ancestors found by following parent ids.
 */
export interface ReferenceWorld {
  nodes: ReadonlyArray<{ id: string; parentId: string | null; name: string }>;
  environments: ReadonlyArray<{ id: string; orgId: string }>;
  /** Role id → permission names. A role missing here is unknown and grants nothing. */
  roles: ReadonlyMap<string, readonly string[]>;
  assignments: ReadonlyArray<{
    userId: string;
    roleId: string;
    orgId: string;
    environmentId: string | null;
    inherit: boolean;
  }>;
  inactiveUserIds: ReadonlySet<string>;
}

export interface ReferenceVisibleNode {
  id: string;
  parentId: string | null;
  name: string;
  access: 'member' | 'ancestor';
  permissions: string[];
}

const ENVIRONMENT_SCOPABLE = new Set<string>(
  PERMISSION_CATALOGUE.filter((p) => p.environmentScopable).map((p) => p.name),
);

// Node lookup by id, remembered per `nodes` array (the reference is asked thousands of questions per
// world). So treat a world as immutable: a change makes new arrays.
const nodeMaps = new WeakMap<ReferenceWorld['nodes'], Map<string, ReferenceWorld['nodes'][number]>>();

function findNode(world: ReferenceWorld, orgId: string) {
  let byId = nodeMaps.get(world.nodes);
  if (!byId) {
    byId = new Map(world.nodes.map((n) => [n.id, n]));
    nodeMaps.set(world.nodes, byId);
  }
  return byId.get(orgId);
}

/** Ids of the node's proper ancestors, nearest first. */
export function referenceAncestors(world: ReferenceWorld, orgId: string): string[] {
  const out: string[] = [];
  let current = findNode(world, orgId);
  while (current?.parentId) {
    if (out.includes(current.parentId)) throw new Error(`cycle above ${orgId}`);
    out.push(current.parentId);
    current = findNode(world, current.parentId);
  }
  return out;
}

function environmentBelongsTo(world: ReferenceWorld, environmentId: string, orgId: string): boolean {
  return world.environments.some((e) => e.id === environmentId && e.orgId === orgId);
}

function sorted(set: Set<string>): string[] {
  return [...set].sort();
}

/** ROLE-4: the user's permission names on the node (in the environment, when given). */
export function referencePermissions(
  world: ReferenceWorld,
  userId: string,
  orgId: string,
  environmentId?: string,
): string[] {
  const out = new Set<string>();
  if (world.inactiveUserIds.has(userId) || !findNode(world, orgId)) return [];
  if (environmentId !== undefined && !environmentBelongsTo(world, environmentId, orgId)) return [];
  const ancestors = referenceAncestors(world, orgId);
  for (const a of world.assignments) {
    if (a.userId !== userId) continue;
    const permissions = world.roles.get(a.roleId);
    if (!permissions) continue;
    if (a.orgId === orgId && a.environmentId === null) {
      for (const p of permissions) out.add(p);
    } else if (a.orgId === orgId && a.environmentId === environmentId) {
      for (const p of permissions) if (ENVIRONMENT_SCOPABLE.has(p)) out.add(p);
    } else if (a.environmentId === null && a.inherit && ancestors.includes(a.orgId)) {
      for (const p of permissions) out.add(p);
    }
  }
  return sorted(out);
}

/** Permissions reaching the node through inheriting assignments on it or above it (those reach every descendant). */
export function referenceInheritable(world: ReferenceWorld, userId: string, orgId: string): string[] {
  const out = new Set<string>();
  if (world.inactiveUserIds.has(userId) || !findNode(world, orgId)) return [];
  const selfAndAbove = [orgId, ...referenceAncestors(world, orgId)];
  for (const a of world.assignments) {
    const permissions = world.roles.get(a.roleId);
    if (a.userId !== userId || !permissions || a.environmentId !== null || !a.inherit) continue;
    if (selfAndAbove.includes(a.orgId)) for (const p of permissions) out.add(p);
  }
  return sorted(out);
}

/**
 * Does the user hold any role on the node: an assignment of a known role on it (node-wide or on
 * one of its environments), or an inheriting one on an ancestor?
 */
export function referenceHoldsAnyRole(world: ReferenceWorld, userId: string, orgId: string): boolean {
  if (world.inactiveUserIds.has(userId) || !findNode(world, orgId)) return false;
  const ancestors = referenceAncestors(world, orgId);
  return world.assignments.some((a) => {
    if (a.userId !== userId || !world.roles.has(a.roleId)) return false;
    if (a.orgId === orgId)
      return a.environmentId === null || environmentBelongsTo(world, a.environmentId, orgId);
    return a.environmentId === null && a.inherit && ancestors.includes(a.orgId);
  });
}

/** ORG-10, unordered: member nodes with their node-wide permissions, and their ancestors by name only. */
export function referenceVisibleNodes(world: ReferenceWorld, userId: string): ReferenceVisibleNode[] {
  const members = world.nodes.filter((n) => referenceHoldsAnyRole(world, userId, n.id)).map((n) => n.id);
  const shown = new Set(members);
  for (const id of members) for (const up of referenceAncestors(world, id)) shown.add(up);
  return world.nodes
    .filter((n) => shown.has(n.id))
    .map((n) => {
      const member = members.includes(n.id);
      return {
        id: n.id,
        parentId: n.parentId,
        name: n.name,
        access: member ? 'member' : 'ancestor',
        permissions: member ? referencePermissions(world, userId, n.id) : [],
      };
    });
}

/** The permission names of an index's mask, sorted like the reference's. */
function names(mask: number): string[] {
  return [...permissionsOf(mask)].sort();
}

/** The snapshot the index is built from, for a world the test made up (the root's id is the tenant id). */
export function snapshotOf(world: ReferenceWorld, version = 1): TenantSnapshot {
  const root = world.nodes.find((n) => n.parentId === null);
  if (!root) throw new Error('a world needs a root');
  return {
    tenantId: root.id,
    version,
    settings: {
      domain: 'reference',
      sessionTimeoutMinutes: 60,
      sessionMaxMinutes: 720,
      passwordMinLength: null,
    },
    nodes: world.nodes.map((n) => ({
      ...n,
      ownerUserId: 'owner',
      createSubOrgs: true,
      createEnvironments: true,
    })),
    environments: world.environments.map((e) => ({ ...e })),
    roleMasks: new Map([...world.roles].map(([id, permissions]) => [id, maskOf(permissions)])),
    roleNames: new Map([...world.roles.keys()].map((id) => [id, `Role ${id}`])),
    assignments: world.assignments.map((a) => ({ ...a })),
    inactiveUserIds: [...world.inactiveUserIds],
  };
}

/** Environment ids worth asking about on a node: none, each of its own, one of another node, and an unknown one. */
export function environmentProbes(world: ReferenceWorld, orgId: string): Array<string | undefined> {
  const own = world.environments.filter((e) => e.orgId === orgId).map((e) => e.id);
  const foreign = world.environments.find((e) => e.orgId !== orgId)?.id;
  return [undefined, ...own, ...(foreign ? [foreign] : []), 'no-such-environment'];
}

/** The parts of a TenantIndex the comparison reads. */
export interface IndexUnderTest {
  can(userId: string, permission: Permission, orgId: string, environmentId?: string): boolean;
  mask(userId: string, orgId: string, environmentId?: string): number;
  holdsAnyRole(userId: string, orgId: string): boolean;
  inheritableMask(userId: string, orgId: string): number;
  isAdministrator(userId: string, orgId: string): boolean;
  visibleNodes(userId: string): Array<{
    id: string;
    parentId: string | null;
    name: string;
    access: string;
    mask: number;
    environments: { id: string; mask: number }[];
  }>;
}

/** Everything: permissions (ROLE-3, ROLE-4) and the hierarchy view (ORG-10), for every user given. */
export function assertMatchesReference(
  index: IndexUnderTest,
  world: ReferenceWorld,
  userIds: readonly string[],
): void {
  assertPermissionsMatch(index, world, userIds);
  for (const userId of userIds) assertVisibleNodesMatch(index, world, userId);
}

/**
 * ROLE-3/ROLE-4: compares `can`, `mask`, `holdsAnyRole`, `inheritableMask` and `isAdministrator`
 * with the reference for every user, node (and an unknown one), environment probe and permission.
 */
export function assertPermissionsMatch(
  index: IndexUnderTest,
  world: ReferenceWorld,
  userIds: readonly string[],
): void {
  const nodeIds = [...world.nodes.map((n) => n.id), 'no-such-node'];
  for (const userId of userIds) {
    for (const orgId of nodeIds) {
      for (const environmentId of environmentProbes(world, orgId)) {
        const where = `user ${userId} on ${orgId}${environmentId === undefined ? '' : ` in ${environmentId}`}`;
        const expected = referencePermissions(world, userId, orgId, environmentId);
        for (const permission of ALL_PERMISSIONS) {
          assert.equal(
            index.can(userId, permission, orgId, environmentId),
            expected.includes(permission),
            `can(${permission}) for ${where}; expected permissions ${JSON.stringify(expected)}`,
          );
        }
        assert.deepEqual(names(index.mask(userId, orgId, environmentId)), expected, `mask ${where}`);
      }
      assert.equal(
        index.holdsAnyRole(userId, orgId),
        referenceHoldsAnyRole(world, userId, orgId),
        `holdsAnyRole for user ${userId} on ${orgId}`,
      );
      assert.deepEqual(
        names(index.inheritableMask(userId, orgId)),
        referenceInheritable(world, userId, orgId),
        `inheritableMask for user ${userId} on ${orgId}`,
      );
      assert.equal(
        index.isAdministrator(userId, orgId),
        referencePermissions(world, userId, orgId).length === ALL_PERMISSIONS.length,
        `isAdministrator for user ${userId} on ${orgId}`,
      );
    }
  }
}

/** ORG-10: same entries as the reference, each once, in a depth-first pre-order (parents first). */
export function assertVisibleNodesMatch(index: IndexUnderTest, world: ReferenceWorld, userId: string): void {
  const actual = index.visibleNodes(userId);
  const asEntry = (n: { id: string; parentId: string | null; name: string; access: string }) => ({
    id: n.id,
    parentId: n.parentId,
    name: n.name,
    access: n.access,
  });
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  assert.deepEqual(
    actual.map((n) => ({ ...asEntry(n), permissions: names(n.mask) })).sort(byId),
    referenceVisibleNodes(world, userId).sort(byId),
    `visibleNodes of user ${userId}`,
  );
  // An environment listed on a node carries exactly what the user holds there, and more than the node.
  for (const node of actual) {
    for (const env of node.environments) {
      assert.equal(
        env.mask,
        index.mask(userId, node.id, env.id),
        `visibleNodes of ${userId}: ${node.id}/${env.id}`,
      );
      assert.notEqual(env.mask, node.mask, `visibleNodes of ${userId}: ${node.id}/${env.id} adds nothing`);
    }
  }
  // Pre-order: every entry's parent is on the path from the root to the previous entry.
  const path: string[] = [];
  for (const [i, node] of actual.entries()) {
    if (i === 0) {
      assert.equal(node.parentId, null, `visibleNodes of ${userId} must start at the root`);
    } else {
      while (path.length > 0 && path.at(-1) !== node.parentId) path.pop();
      assert.ok(path.length > 0, `visibleNodes of ${userId}: ${node.id} is not under the path before it`);
    }
    path.push(node.id);
  }
}

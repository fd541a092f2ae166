import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  assertMatchesReference,
  assertPermissionsMatch,
  assertVisibleNodesMatch,
  type ReferenceWorld,
  referenceAncestors,
  snapshotOf,
} from '../../../../test/helpers/reference-authz.ts';
import { ALL_PERMISSIONS } from '../permissions.ts';
import { TenantIndex } from './tenant-index.ts';

// Property tests: the in-memory index against the plain reference of test/helpers/reference-authz.ts,
// on random trees and after random sequences of changes.

type Assignment = ReferenceWorld['assignments'][number];

const MAX_USERS = 5;
/** Users the index knows of, plus one it has never heard of. */
const USERS = [...Array.from({ length: MAX_USERS }, (_, i) => `u${i}`), 'stranger'];
/** Assignments may name a role that is not in the snapshot: it grants nothing. */
const UNKNOWN_ROLE = 'ghost';

const permissionSet = fc.subarray([...ALL_PERMISSIONS], { minLength: 1 });

/** An assignment in terms of picks, resolved against the world when applied (so it always fits). */
const assignmentPick = fc.record({
  user: fc.nat(),
  role: fc.nat(),
  node: fc.nat(),
  mode: fc.constantFrom('node' as const, 'inherit' as const, 'environment' as const),
  environment: fc.nat(),
});
type AssignmentPick = typeof assignmentPick extends fc.Arbitrary<infer T> ? T : never;

/**
 * Trees of 1…maxNodes nodes: the first `chain` nodes form a chain (so depths of 10 and more are
 * common), the rest hang under their predecessor or under a random earlier node.
 */
const worldSpec = (maxNodes: number) =>
  fc.record({
    size: fc.integer({ min: 1, max: maxNodes }),
    chain: fc.integer({ min: 0, max: 25 }),
    parents: fc.array(fc.nat(), { minLength: maxNodes, maxLength: maxNodes }),
    order: fc.array(fc.nat(), { minLength: maxNodes, maxLength: maxNodes }),
    environments: fc.array(fc.nat(), { maxLength: 15, size: 'max' }),
    roles: fc.array(permissionSet, { minLength: 1, maxLength: 6, size: 'max' }),
    inactive: fc.array(fc.boolean(), { minLength: MAX_USERS, maxLength: MAX_USERS }),
    assignments: fc.array(assignmentPick, { maxLength: 40, size: 'max' }),
  });
type WorldSpec = typeof worldSpec extends (n: number) => fc.Arbitrary<infer T> ? T : never;

function resolveAssignment(world: ReferenceWorld, pick: AssignmentPick): Assignment {
  const roleIds = [...world.roles.keys(), UNKNOWN_ROLE];
  const node = world.nodes[pick.node % world.nodes.length]!;
  const environments = world.environments.filter((e) => e.orgId === node.id);
  const base = {
    userId: `u${pick.user % MAX_USERS}`,
    roleId: roleIds[pick.role % roleIds.length]!,
    orgId: node.id,
  };
  if (pick.mode === 'environment' && environments.length > 0) {
    const environmentId = environments[pick.environment % environments.length]!.id;
    return { ...base, environmentId, inherit: false };
  }
  return { ...base, environmentId: null, inherit: pick.mode === 'inherit' };
}

/** The database allows one assignment per (user, role, node, environment). */
function withAssignment(world: ReferenceWorld, a: Assignment): ReferenceWorld {
  const key = (x: Assignment) => [x.userId, x.roleId, x.orgId, x.environmentId].join('|');
  if (world.assignments.some((x) => key(x) === key(a))) return world;
  return { ...world, assignments: [...world.assignments, a] };
}

function buildWorld(spec: WorldSpec): ReferenceWorld {
  const nodes = Array.from({ length: spec.size }, (_, i) => {
    const pick = spec.parents[i]!;
    const parent = i === 0 ? null : i < spec.chain || pick % 3 === 0 ? i - 1 : pick % i;
    return { id: `n${i}`, parentId: parent === null ? null : `n${parent}`, name: `Node ${i}` };
  });
  // SQL returns rows in no particular order: neither may the snapshot.
  const shuffled = nodes
    .map((node, i) => ({ node, key: spec.order[i]! }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.node);
  let world: ReferenceWorld = {
    nodes: shuffled,
    environments: spec.environments.map((pick, k) => ({ id: `e${k}`, orgId: `n${pick % spec.size}` })),
    roles: new Map(spec.roles.map((permissions, k) => [`r${k}`, permissions])),
    assignments: [],
    inactiveUserIds: new Set(USERS.filter((_, k) => spec.inactive[k] === true)),
  };
  for (const pick of spec.assignments) world = withAssignment(world, resolveAssignment(world, pick));
  return world;
}

function maxDepth(world: ReferenceWorld): number {
  return Math.max(...world.nodes.map((n) => referenceAncestors(world, n.id).length));
}

const change = fc.oneof(
  fc.record({ kind: fc.constant('assign' as const), pick: assignmentPick }),
  fc.record({ kind: fc.constant('unassign' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('addLeaf' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('deleteLeaf' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('addEnvironment' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('removeEnvironment' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('toggleUser' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('setRole' as const), pick: fc.nat(), permissions: permissionSet }),
);
type Change = typeof change extends fc.Arbitrary<infer T> ? T : never;

/** Applies one change the way the services do to SQL (a deleted node takes its environments and assignments along). */
function applyChange(world: ReferenceWorld, c: Change, step: number): ReferenceWorld {
  const at = <T>(list: readonly T[], pick: number) =>
    list.length > 0 ? list[pick % list.length] : undefined;
  switch (c.kind) {
    case 'assign':
      return withAssignment(world, resolveAssignment(world, c.pick));
    case 'unassign': {
      const gone = at(world.assignments, c.pick);
      return { ...world, assignments: world.assignments.filter((a) => a !== gone) };
    }
    case 'addLeaf': {
      const parent = at(world.nodes, c.pick)!;
      const node = { id: `x${step}`, parentId: parent.id, name: `Added ${step}` };
      return { ...world, nodes: [...world.nodes, node] };
    }
    case 'deleteLeaf': {
      const leaves = world.nodes.filter(
        (n) => n.parentId !== null && !world.nodes.some((child) => child.parentId === n.id),
      );
      const gone = at(leaves, c.pick);
      if (!gone) return world;
      return {
        ...world,
        nodes: world.nodes.filter((n) => n !== gone),
        environments: world.environments.filter((e) => e.orgId !== gone.id),
        assignments: world.assignments.filter((a) => a.orgId !== gone.id),
      };
    }
    case 'addEnvironment': {
      const environment = { id: `x${step}`, orgId: at(world.nodes, c.pick)!.id };
      return { ...world, environments: [...world.environments, environment] };
    }
    case 'removeEnvironment': {
      const gone = at(world.environments, c.pick);
      if (!gone) return world;
      return {
        ...world,
        environments: world.environments.filter((e) => e !== gone),
        assignments: world.assignments.filter((a) => a.environmentId !== gone.id),
      };
    }
    case 'toggleUser': {
      const userId = `u${c.pick % MAX_USERS}`;
      const inactive = new Set(world.inactiveUserIds);
      if (!inactive.delete(userId)) inactive.add(userId);
      return { ...world, inactiveUserIds: inactive };
    }
    case 'setRole': {
      const roleId = at([...world.roles.keys()], c.pick)!;
      return { ...world, roles: new Map([...world.roles, [roleId, c.permissions]]) };
    }
  }
}

describe('TenantIndex properties', () => {
  test('ROLE-3 ROLE-4 ORG-9 effective permissions match a plain evaluation on random trees', () => {
    let deepTrees = 0;
    fc.assert(
      fc.property(worldSpec(60), (spec) => {
        const world = buildWorld(spec);
        if (maxDepth(world) >= 10) deepTrees++;
        assertPermissionsMatch(new TenantIndex(snapshotOf(world)), world, USERS);
      }),
      { numRuns: 150 },
    );
    assert.ok(deepTrees >= 20, `only ${deepTrees} of 150 trees were 10 or more levels deep`);
  });

  test('ORG-10 the hierarchy view matches a plain evaluation on random trees', () => {
    fc.assert(
      fc.property(worldSpec(60), (spec) => {
        const world = buildWorld(spec);
        const index = new TenantIndex(snapshotOf(world));
        for (const userId of USERS) assertVisibleNodesMatch(index, world, userId);
      }),
      { numRuns: 150 },
    );
  });

  test('ROLE-3 ROLE-4 ORG-10 a rebuilt index matches a plain evaluation after every random change', () => {
    const seen = new Set<Change['kind']>();
    fc.assert(
      fc.property(
        worldSpec(60),
        fc.array(change, { minLength: 1, maxLength: 25, size: 'max' }),
        (spec, changes) => {
          let world = buildWorld(spec);
          for (const [step, c] of changes.entries()) {
            world = applyChange(world, c, step);
            seen.add(c.kind);
            const index = new TenantIndex(snapshotOf(world, step + 2));
            assert.equal(index.version, step + 2);
            assertMatchesReference(index, world, USERS);
          }
        },
      ),
      { numRuns: 60 },
    );
    assert.equal(seen.size, 8, `every kind of change was tried: ${[...seen].join(', ')}`);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertMatchesReference,
  type ReferenceWorld,
  snapshotOf,
} from '../../../../test/helpers/reference-authz.ts';
import { ALL_PERMISSIONS, type Permission, permissionsOf } from '../permissions.ts';
import { TenantIndex } from './tenant-index.ts';

// Hand-built cases for the tenant directory's in-memory index; tenant-index.property.test.ts covers
// random trees.
//
//   m ── a ── a1 ── a11
//   │    └─── a2
//   └─── b
const NODES: ReferenceWorld['nodes'] = [
  { id: 'm', parentId: null, name: 'Master' },
  { id: 'a', parentId: 'm', name: 'A' },
  { id: 'a1', parentId: 'a', name: 'A1' },
  { id: 'a11', parentId: 'a1', name: 'A11' },
  { id: 'a2', parentId: 'a', name: 'A2' },
  { id: 'b', parentId: 'm', name: 'B' },
];
const ENVIRONMENTS: ReferenceWorld['environments'] = [
  { id: 'm-prod', orgId: 'm' },
  { id: 'a-prod', orgId: 'a' },
  { id: 'a-sbx', orgId: 'a' },
  { id: 'a1-prod', orgId: 'a1' },
  { id: 'b-prod', orgId: 'b' },
];
const ROLES = new Map<string, readonly Permission[]>([
  ['admin', ALL_PERMISSIONS],
  ['viewer', ['audit.view', 'analytics.view']],
  ['creds', ['credentials.view', 'credentials.rotate', 'users.invite']],
  ['alerts', ['api-alerts.view']],
]);

type Grant = ReferenceWorld['assignments'][number];
const grant = (userId: string, roleId: string, orgId: string, more: Partial<Grant> = {}): Grant => ({
  userId,
  roleId,
  orgId,
  environmentId: null,
  inherit: false,
  ...more,
});

function world(assignments: Grant[], inactive: string[] = []): ReferenceWorld {
  return {
    nodes: NODES,
    environments: ENVIRONMENTS,
    roles: ROLES,
    assignments,
    inactiveUserIds: new Set(inactive),
  };
}

/** Builds the index and also checks it against the plain reference for every question. */
function indexOf(w: ReferenceWorld): TenantIndex {
  const index = new TenantIndex(snapshotOf(w));
  assertMatchesReference(index, w, [...new Set(w.assignments.map((a) => a.userId)), 'nobody']);
  return index;
}

const nodesWhere = (test: (orgId: string) => boolean) => NODES.map((n) => n.id).filter(test);

describe('TenantIndex', () => {
  test('ROLE-3 a non-inheriting assignment applies on its node only, in all its environments', () => {
    const index = indexOf(world([grant('u', 'viewer', 'a')]));
    assert.deepEqual(
      nodesWhere((n) => index.can('u', 'audit.view', n)),
      ['a'],
    );
    assert.equal(index.can('u', 'audit.view', 'a', 'a-prod'), true);
    assert.equal(index.can('u', 'audit.view', 'a', 'a-sbx'), true);
    assert.equal(index.can('u', 'users.invite', 'a'), false);
  });

  test('ROLE-3 ORG-9 an inheriting assignment reaches every descendant, never upward or sideways', () => {
    const index = indexOf(world([grant('u', 'admin', 'a', { inherit: true })]));
    assert.deepEqual(
      nodesWhere((n) => index.isAdministrator('u', n)),
      ['a', 'a1', 'a11', 'a2'],
    );
    assert.deepEqual(
      nodesWhere((n) => index.holdsAnyRole('u', n)),
      ['a', 'a1', 'a11', 'a2'],
    );
    assert.equal(
      index.can('u', 'credentials.view', 'a11', 'a1-prod'),
      false,
      'a1-prod is not an environment of a11',
    );
    assert.equal(index.can('u', 'credentials.view', 'a1', 'a1-prod'), true);
    assert.equal(index.mask('u', 'm'), 0);
    assert.equal(index.mask('u', 'b', 'b-prod'), 0);
  });

  test('ROLE-3 an environment-scoped assignment grants only its scopable permissions, only in that environment', () => {
    const index = indexOf(world([grant('u', 'creds', 'a', { environmentId: 'a-prod' })]));
    assert.deepEqual(permissionsOf(index.mask('u', 'a', 'a-prod')), [
      'credentials.view',
      'credentials.rotate',
    ]);
    assert.equal(
      index.can('u', 'users.invite', 'a', 'a-prod'),
      false,
      'users.invite is not environment-scopable',
    );
    assert.equal(index.mask('u', 'a'), 0, 'nothing node-wide');
    assert.equal(index.mask('u', 'a', 'a-sbx'), 0, 'nothing in another environment of the node');
    assert.equal(index.mask('u', 'a1', 'a1-prod'), 0, 'environment grants never inherit');
    assert.equal(index.holdsAnyRole('u', 'a'), true);
    assert.equal(index.holdsAnyRole('u', 'a1'), false);
  });

  test('ROLE-4 effective permissions are the union of the node, its environment and inheriting ancestors', () => {
    const index = indexOf(
      world([
        grant('u', 'viewer', 'm', { inherit: true }),
        grant('u', 'creds', 'a'), // not inheriting: stays on a
        grant('u', 'alerts', 'a1', { environmentId: 'a1-prod' }),
      ]),
    );
    assert.deepEqual(permissionsOf(index.mask('u', 'a1', 'a1-prod')), [
      'analytics.view',
      'audit.view',
      'api-alerts.view',
    ]);
    assert.deepEqual(permissionsOf(index.mask('u', 'a1')), ['analytics.view', 'audit.view']);
    assert.deepEqual(permissionsOf(index.mask('u', 'a', 'a-prod')), [
      'users.invite',
      'credentials.view',
      'credentials.rotate',
      'analytics.view',
      'audit.view',
    ]);
    assert.deepEqual(permissionsOf(index.inheritableMask('u', 'a11')), ['analytics.view', 'audit.view']);
  });

  test('ROLE-4 an environment of another node, or an unknown one, yields nothing', () => {
    const index = indexOf(world([grant('u', 'admin', 'm', { inherit: true })]));
    assert.equal(index.isAdministrator('u', 'a'), true);
    assert.equal(index.mask('u', 'a', 'b-prod'), 0);
    assert.equal(index.mask('u', 'a', 'a1-prod'), 0);
    assert.equal(index.mask('u', 'a', 'nowhere'), 0);
    assert.equal(index.mask('u', 'nowhere'), 0);
  });

  test('ROLE-4 inactive users hold nothing and unknown roles grant nothing', () => {
    const index = indexOf(
      world(
        [grant('off', 'admin', 'm', { inherit: true }), grant('u', 'ghost', 'a', { inherit: true })],
        ['off'],
      ),
    );
    for (const n of NODES) {
      assert.equal(index.mask('off', n.id), 0);
      assert.equal(index.holdsAnyRole('off', n.id), false);
      assert.equal(index.mask('u', n.id), 0);
      assert.equal(index.holdsAnyRole('u', n.id), false);
    }
    assert.deepEqual(index.visibleNodes('off'), []);
    assert.deepEqual(index.visibleNodes('u'), []);
    assert.equal(index.isActive('off'), false);
  });

  test('ORG-10 the hierarchy shows member nodes and their ancestors by name only, parents first', () => {
    const index = indexOf(
      world([
        grant('u', 'viewer', 'a1', { inherit: true }),
        grant('u', 'alerts', 'b', { environmentId: 'b-prod' }),
      ]),
    );
    const viewer = permissionsOf(index.mask('u', 'a1'));
    assert.deepEqual(
      index.visibleNodes('u').map((n) => [n.id, n.access, permissionsOf(n.mask)]),
      [
        ['m', 'ancestor', []],
        ['a', 'ancestor', []],
        ['a1', 'member', viewer],
        ['a11', 'member', viewer],
        ['b', 'member', []],
      ],
    );
    // ROLE-3: an environment-scoped grant shows on its node's environment, with all held there.
    assert.deepEqual(
      index.visibleNodes('u').map((n) => [n.id, n.environments.map((e) => [e.id, permissionsOf(e.mask)])]),
      [
        ['m', []],
        ['a', []],
        ['a1', []],
        ['a11', []],
        ['b', [['b-prod', permissionsOf(index.mask('u', 'b', 'b-prod'))]]],
      ],
    );
    assert.ok(index.mask('u', 'b', 'b-prod') !== 0);
    assert.deepEqual(
      index.visibleNodes('u').map((n) => [n.name, n.parentId]),
      [
        ['Master', null],
        ['A', 'm'],
        ['A1', 'a'],
        ['A11', 'a1'],
        ['B', 'm'],
      ],
    );
  });

  test('ORG-10 overlapping inheriting grants list each node once', () => {
    const index = indexOf(
      world([
        grant('u', 'viewer', 'a', { inherit: true }),
        grant('u', 'alerts', 'a1', { inherit: true }),
        grant('u', 'creds', 'a11'),
      ]),
    );
    assert.deepEqual(
      index.visibleNodes('u').map((n) => [n.id, n.access]),
      [
        ['m', 'ancestor'],
        ['a', 'member'],
        ['a1', 'member'],
        ['a11', 'member'],
        ['a2', 'member'],
      ],
    );
  });

  test('ROLE-3 the tree builds whatever order the snapshot lists nodes in, and refuses a broken one', () => {
    const w = world([grant('u', 'viewer', 'a', { inherit: true })]);
    const reversed = new TenantIndex({ ...snapshotOf(w), nodes: [...snapshotOf(w).nodes].reverse() });
    assert.equal(reversed.node('a11')?.depth, 3);
    assert.equal(reversed.can('u', 'audit.view', 'a11'), true);
    const orphan = { ...snapshotOf(w).nodes[1]!, id: 'x', parentId: 'elsewhere' };
    assert.throws(() => new TenantIndex({ ...snapshotOf(w), nodes: [...snapshotOf(w).nodes, orphan] }));
    const loop = [
      { ...orphan, id: 'p', parentId: 'q' },
      { ...orphan, id: 'q', parentId: 'p' },
    ];
    assert.throws(() => new TenantIndex({ ...snapshotOf(w), nodes: [...snapshotOf(w).nodes, ...loop] }));
  });
});

// Does a derived index answer as a full rebuild would? One change of each scope is written straight
// to SQL (no version bump: the snapshot and index methods are called directly), the index is brought
// forward the way authorizer.change() does it, and its answers are compared with a new index built
// from a full snapshot. The rows are deleted again at the end.
import type { Knex } from 'knex';
import type { SnapshotRepository } from '../../src/modules/roles/directory/snapshot.repository.ts';
import {
  ALL_PERMISSIONS,
  type Permission,
  TenantIndex,
  type VisibleNode,
} from '../../src/modules/roles/index.ts';
import { formatCount, type Random, seededRandom } from '../stats.ts';
import { type Dataset, subtreeOf } from './dataset.ts';
import { CHECK_QUERIES, SEED, UPDATE_CHECK_QUERIES, UPDATE_CHECK_VISIBLE_USERS } from './parameters.ts';
import type { Queries } from './queries.ts';

interface Query {
  user: string;
  permission: Permission;
  node: string;
  env: string | undefined;
}

export interface ChangeCheck {
  /** The row that was inserted, in words. */
  change: string;
  derivedWith: 'withUsers' | 'withTree';
  queries: number;
  visibleUsers: number;
  /** Sampled answers the change altered (previous index against the rebuild): the sample must see it. */
  changedAnswers: number;
  changedTrees: number;
  problems: string[];
}

interface Context {
  knex: Knex;
  snapshots: SnapshotRepository;
  data: Dataset;
  q: Queries;
  random: Random;
  at: string;
  /** Users holding at least one assignment. */
  holders: number[];
}

/** The user change, then the tree change on top of it, each checked against a full rebuild. */
export async function checkUpdates(
  knex: Knex,
  snapshots: SnapshotRepository,
  data: Dataset,
  index: TenantIndex,
  q: Queries,
  user: number,
): Promise<ChangeCheck[]> {
  const random = seededRandom(SEED + 3);
  const holders = data.nodesOfUser.flatMap((nodes, u) => (nodes.length > 0 ? [u] : []));
  const context: Context = { knex, snapshots, data, q, random, at: new Date().toISOString(), holders };
  const inserted = { assignment: random.uuid(), node: random.uuid() };
  try {
    const users = await checkUserChange(context, index, user, inserted.assignment);
    const tree = await checkTreeChange(context, users.derived, inserted.node);
    return [users.check, tree];
  } finally {
    await knex('role_assignments').where({ id: inserted.assignment }).delete();
    await knex('organizations').where({ id: inserted.node }).delete();
  }
}

/** One inheriting assignment, two levels below the master, of the largest custom role the user lacks there. */
async function checkUserChange(
  { knex, snapshots, data, q, random, at, holders }: Context,
  index: TenantIndex,
  user: number,
  id: string,
): Promise<{ check: ChangeCheck; derived: TenantIndex }> {
  const { role, node } = newGrant(data, user);
  const subtree = subtreeOf(data, node);
  const userId = data.userIds[user]!;
  await knex('role_assignments').insert({
    id,
    tenant_id: data.tenantId,
    user_id: userId,
    role_id: data.roles[role]!.id,
    org_id: data.nodeIds[node]!,
    environment_id: null,
    inherit: true,
    created_at: at,
  });
  const derived = index.withUsers(index.version + 1, await snapshots.loadUsers(data.tenantId, [userId]));
  const half = UPDATE_CHECK_QUERIES / 2;
  const sample = [
    ...Array.from({ length: half }, () => queryFor(random, data, user, subtree)),
    ...fromWorkload(q, half, 0),
  ];
  // The user's visible tree, and a few others' that must not move.
  const others = Array.from({ length: 19 }, () => data.userIds[random.pick(holders)]!);
  const rebuilt = new TenantIndex(await snapshots.load(data.tenantId));
  const r = data.roles[role]!;
  return {
    derived,
    check: {
      ...compare('user change', sample, [userId, ...others], index, derived, rebuilt),
      derivedWith: 'withUsers',
      change:
        `assignment: user ${user} gets "${r.row!.name}" (${popCount(r.mask)} permissions), inheriting, ` +
        `on Group ${node} (depth ${data.depthOf[node]}, ${formatCount(subtree.length)} nodes in its subtree)`,
    },
  };
}

/** One business group, a leaf under a leaf that several users' inheriting grants reach. */
async function checkTreeChange(
  { knex, snapshots, data, q, random, at, holders }: Context,
  index: TenantIndex,
  id: string,
): Promise<ChangeCheck> {
  const parent = leafBelow(data, inheritedNode(data));
  const chain = new Set<number>();
  for (let n = parent; n >= 0; n = data.parentOf[n]!) chain.add(n);
  const inheritors = new Set<number>();
  const a = data.assignments;
  for (let i = 0; i < a.user.length; i++)
    if (a.inherit[i] === 1 && chain.has(a.node[i]!)) inheritors.add(a.user[i]!);
  const heirs = [...inheritors];
  await knex('organizations').insert({
    id,
    tenant_id: data.tenantId,
    parent_id: data.nodeIds[parent]!,
    name: 'Incremental check',
    owner_user_id: data.userIds[0]!,
    create_sub_orgs: false,
    create_environments: false,
    created_at: at,
    updated_at: at,
  });
  const derived = index.withTree(index.version + 1, await snapshots.loadTree(data.tenantId));
  const half = UPDATE_CHECK_QUERIES / 2;
  const sample = [
    ...Array.from({ length: half }, () => ({
      user: data.userIds[random.chance(0.7) ? random.pick(heirs) : random.pick(holders)]!,
      permission: random.pick(ALL_PERMISSIONS),
      node: id,
      env: random.chance(0.02) ? random.pick(data.envIds) : undefined,
    })),
    ...fromWorkload(q, half, 1),
  ];
  // Everyone the new node is visible to, the visible-tree user among them, and others to fill up.
  const visibleUsers = new Set([data.userIds[data.visibleUser]!, ...heirs.map((u) => data.userIds[u]!)]);
  while (visibleUsers.size < Math.max(UPDATE_CHECK_VISIBLE_USERS, heirs.length + 1))
    visibleUsers.add(data.userIds[random.pick(holders)]!);
  const rebuilt = new TenantIndex(await snapshots.load(data.tenantId));
  return {
    ...compare('tree change', sample, [...visibleUsers], index, derived, rebuilt),
    derivedWith: 'withTree',
    change:
      `business group: a leaf under Group ${parent} (depth ${data.depthOf[parent]}), ` +
      `reached by ${formatCount(heirs.length)} users' inheriting grants`,
  };
}

/** A depth-2 node and the largest custom role the user does not already hold there, inheriting. */
function newGrant(data: Dataset, user: number): { role: number; node: number } {
  const held = new Set<string>();
  const a = data.assignments;
  for (let i = 0; i < a.user.length; i++)
    if (a.user[i] === user && a.env[i] === -1) held.add(`${a.role[i]}:${a.node[i]}`);
  const customs = data.roles.flatMap((r, i) => (r.row ? [i] : []));
  customs.sort((x, y) => popCount(data.roles[y]!.mask) - popCount(data.roles[x]!.mask));
  for (let node = 0; node < data.nodeIds.length; node++) {
    if (data.depthOf[node] !== 2) continue;
    for (const role of customs) if (!held.has(`${role}:${node}`)) return { role, node };
  }
  throw new Error(`user ${user} already holds every custom role on every depth-2 node`);
}

/** A node where the visible-tree user holds an inheriting grant. */
function inheritedNode(data: Dataset): number {
  const a = data.assignments;
  for (let i = 0; i < a.user.length; i++)
    if (a.user[i] === data.visibleUser && a.inherit[i] === 1) return a.node[i]!;
  throw new Error('the visible-tree user holds no inheriting grant');
}

function leafBelow(data: Dataset, node: number): number {
  let leaf = node;
  while (data.childrenOf[leaf]!.length > 0) leaf = data.childrenOf[leaf]![0]!;
  return leaf;
}

/** A query for the user: half in the subtree of the new grant, a quarter near a node they hold, a quarter anywhere. */
function queryFor(random: Random, data: Dataset, user: number, subtree: readonly number[]): Query {
  const held = data.nodesOfUser[user]!;
  const x = random.float();
  let node =
    x < 0.5
      ? random.pick(subtree)
      : x < 0.75 && held.length > 0
        ? random.pick(held)
        : random.int(data.nodeIds.length);
  if (x >= 0.5 && x < 0.75)
    for (let steps = random.int(4); steps > 0 && data.childrenOf[node]!.length > 0; steps--)
      node = random.pick(data.childrenOf[node]!);
  const envs = data.envsOfNode[node]!;
  const env =
    envs.length > 0 && random.chance(0.3)
      ? random.pick(envs)
      : random.chance(0.01)
        ? random.int(data.envIds.length)
        : -1;
  return {
    user: data.userIds[user]!,
    permission: random.pick(ALL_PERMISSIONS),
    node: data.nodeIds[node]!,
    env: env < 0 ? undefined : data.envIds[env]!,
  };
}

/** `count` queries of the check workload, spread evenly over it, starting at `offset`. */
function fromWorkload(q: Queries, count: number, offset: number): Query[] {
  const step = Math.floor(CHECK_QUERIES / count);
  return Array.from({ length: count }, (_, k) => {
    const i = k * step + offset;
    return { user: q.user[i]!, permission: q.permission[i]!, node: q.node[i]!, env: q.env[i] };
  });
}

/** Answers of the derived index against the rebuilt one; `before` shows whether the sample sees the change. */
function compare(
  label: string,
  sample: readonly Query[],
  visibleUsers: readonly string[],
  before: TenantIndex,
  derived: TenantIndex,
  rebuilt: TenantIndex,
): Omit<ChangeCheck, 'change' | 'derivedWith'> {
  const problems: string[] = [];
  if (derived.nodeCount !== rebuilt.nodeCount)
    problems.push(`${label}: derived index has ${derived.nodeCount} nodes, rebuilt ${rebuilt.nodeCount}`);
  let changedAnswers = 0;
  sample.forEach(({ user, permission, node, env }, i) => {
    const got = derived.can(user, permission, node, env);
    const want = rebuilt.can(user, permission, node, env);
    if (before.can(user, permission, node, env) !== want) changedAnswers++;
    if (got !== want)
      problems.push(
        `${label}: query #${i}: user ${user} ${permission} on node ${node}${env ? ` env ${env}` : ''}: ` +
          `derived ${got} (mask ${derived.mask(user, node, env)}), rebuilt ${want} (mask ${rebuilt.mask(user, node, env)})`,
      );
  });
  let changedTrees = 0;
  for (const userId of visibleUsers) {
    const want = rebuilt.visibleNodes(userId);
    if (visibleDifferences(before.visibleNodes(userId), want).length > 0) changedTrees++;
    for (const line of visibleDifferences(derived.visibleNodes(userId), want))
      problems.push(`${label}: visibleNodes(${userId}): ${line}`);
  }
  if (changedAnswers + changedTrees === 0)
    problems.push(
      `${label}: no sampled answer differs from the previous index, so the sample cannot see the change`,
    );
  return {
    queries: sample.length,
    visibleUsers: visibleUsers.length,
    changedAnswers,
    changedTrees,
    problems,
  };
}

/** Differences between two visible trees, node by node (the order of siblings is not compared). */
function visibleDifferences(got: readonly VisibleNode[], want: readonly VisibleNode[]): string[] {
  const problems: string[] = [];
  const wanted = new Map(want.map((n) => [n.id, n]));
  for (const n of got) {
    const w = wanted.get(n.id);
    wanted.delete(n.id);
    if (!w) problems.push(`node ${n.id} (${n.name}) only in the derived index`);
    else if (w.parentId !== n.parentId || w.name !== n.name || w.access !== n.access || w.mask !== n.mask)
      problems.push(
        `node ${n.id} (${n.name}): derived ${n.access} mask ${n.mask}, rebuilt ${w.access} mask ${w.mask}`,
      );
  }
  for (const w of wanted.values()) problems.push(`node ${w.id} (${w.name}) only in the rebuilt index`);
  return problems;
}

function popCount(mask: number): number {
  let count = 0;
  for (let m = mask; m !== 0; m &= m - 1) count++;
  return count;
}

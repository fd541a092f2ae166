// The permission-check workload: queries generated in advance from the data set, so the timed loops
// do nothing but call the index.
import { ALL_PERMISSIONS, type Permission } from '../../src/modules/roles/index.ts';
import { formatCount, type Random } from '../stats.ts';
import type { Dataset } from './dataset.ts';
import { CHECK_QUERIES, USERS } from './parameters.ts';

export interface Queries {
  user: string[];
  permission: Permission[];
  node: string[];
  env: (string | undefined)[];
  /** For reports: the node's depth, and the query's position in the data set. */
  depth: Uint8Array;
}

/** 80 % users holding assignments, 20 % any user; half the time a node where (or under which) the user holds a role. */
export function buildQueries(random: Random, data: Dataset, count: number): Queries {
  const holders = data.nodesOfUser.flatMap((nodes, u) => (nodes.length > 0 ? [u] : []));
  const q: Queries = {
    user: new Array(count),
    permission: new Array(count),
    node: new Array(count),
    env: new Array(count),
    depth: new Uint8Array(count),
  };
  for (let i = 0; i < count; i++) {
    const u = random.chance(0.8) ? random.pick(holders) : random.int(USERS);
    const held = data.nodesOfUser[u]!;
    let node: number;
    if (held.length > 0 && random.chance(0.5)) {
      node = random.pick(held);
      for (let steps = random.int(4); steps > 0 && data.childrenOf[node]!.length > 0; steps--)
        node = random.pick(data.childrenOf[node]!);
    } else {
      node = random.int(data.nodeIds.length);
    }
    let env: number | undefined;
    const envs = data.envsOfNode[node]!;
    if (envs.length > 0 && random.chance(0.5)) env = random.pick(envs);
    else if (random.chance(0.01)) env = random.int(data.envIds.length); // mostly another node's: denied
    q.user[i] = data.userIds[u]!;
    q.permission[i] = random.pick(ALL_PERMISSIONS);
    q.node[i] = data.nodeIds[node]!;
    q.env[i] = env === undefined ? undefined : data.envIds[env];
    q.depth[i] = data.depthOf[node]!;
  }
  return q;
}

/** One paragraph on the workload: who, where, how deep, how many allowed. */
export function describeQueries(q: Queries, allowed: number): string {
  let deep = 0;
  let withEnv = 0;
  let depthTotal = 0;
  for (let i = 0; i < CHECK_QUERIES; i++) {
    if (q.depth[i]! >= 8) deep++;
    if (q.env[i] !== undefined) withEnv++;
    depthTotal += q.depth[i]!;
  }
  const pct = (n: number, digits = 0) => `${((n / CHECK_QUERIES) * 100).toFixed(digits)} %`;
  return (
    `${formatCount(CHECK_QUERIES)} pre-generated queries: 80 % users holding assignments, 20 % any user; ` +
    'half on a node the user holds a role on (or up to 3 levels below), half on a random node; ' +
    `mean depth ${(depthTotal / CHECK_QUERIES).toFixed(1)}, ${pct(deep)} at depth ≥ 8, ` +
    `${pct(withEnv)} with an environment; ${pct(allowed, 1)} allowed.`
  );
}

// The directory benchmark's data set: one tenant built in memory from a seeded random source, so two
// runs insert the same rows. Seeding it into the database is in seed.ts.
import {
  ALL_PERMISSIONS,
  BUILT_IN_ROLES,
  ENVIRONMENT_SCOPABLE_MASK,
  maskOf,
  ORGANIZATION_ADMINISTRATORS,
  type Permission,
} from '../../src/modules/roles/index.ts';
import { formatCount, type Random } from '../stats.ts';
import {
  ADMINISTRATORS_SHARE,
  ASSIGNMENTS,
  BUSINESS_GROUPS,
  CUSTOM_ROLES,
  ENVIRONMENT_SCOPED_SHARE,
  FAN_OUT,
  INHERIT_SHARE,
  NODES_WITH_ENVIRONMENTS,
  OTHER_BUILT_IN_SHARE,
  USERS,
  USERS_WITH_ROLES,
  VISIBLE_USER_INHERITING,
  VISIBLE_USER_NODES,
} from './parameters.ts';

export interface RoleDef {
  id: string;
  mask: number;
  /** Custom roles only: the row to insert. */
  row?: { name: string; permissions: Permission[] };
}

export interface Dataset {
  tenantId: string;
  nodeIds: string[];
  parentOf: Int32Array;
  depthOf: Uint8Array;
  childrenOf: number[][];
  envIds: string[];
  envNode: Int32Array;
  envsOfNode: number[][];
  userIds: string[];
  roles: RoleDef[];
  assignments: {
    user: Int32Array;
    role: Int32Array;
    node: Int32Array;
    env: Int32Array;
    inherit: Uint8Array;
  };
  nodesOfUser: number[][];
  visibleUser: number;
}

export function buildDataset(random: Random): Dataset {
  const nodeCount = BUSINESS_GROUPS + 1;
  const nodeIds = Array.from({ length: nodeCount }, () => random.uuid());
  const parentOf = new Int32Array(nodeCount);
  const depthOf = new Uint8Array(nodeCount);
  const childrenOf: number[][] = Array.from({ length: nodeCount }, () => []);
  parentOf[0] = -1;
  for (let k = 1; k < nodeCount; k++) {
    const parent = Math.floor((k - 1) / FAN_OUT);
    parentOf[k] = parent;
    depthOf[k] = depthOf[parent]! + 1;
    childrenOf[parent]!.push(k);
  }

  const envIds: string[] = [];
  const envNodeList: number[] = [];
  const envsOfNode: number[][] = Array.from({ length: nodeCount }, () => []);
  for (let node = 0; node < nodeCount; node++) {
    if (!random.chance(NODES_WITH_ENVIRONMENTS)) continue;
    const count = 1 + random.int(3);
    for (let i = 0; i < count; i++) {
      envsOfNode[node]!.push(envIds.length);
      envNodeList.push(node);
      envIds.push(random.uuid());
    }
  }

  const userIds = Array.from({ length: USERS }, () => random.uuid());

  const roles: RoleDef[] = BUILT_IN_ROLES.map((r) => ({ id: r.id, mask: maskOf(r.permissions) }));
  for (let i = 0; i < CUSTOM_ROLES; i++) {
    const size = 1 + random.int(8);
    const permissions = new Set<Permission>();
    while (permissions.size < size) permissions.add(random.pick(ALL_PERMISSIONS));
    roles.push({
      id: random.uuid(),
      mask: maskOf(permissions),
      row: { name: `Custom role ${String(i + 1).padStart(2, '0')}`, permissions: [...permissions] },
    });
  }
  const administrators = roles.findIndex((r) => r.id === ORGANIZATION_ADMINISTRATORS.id);
  const otherBuiltIns = roles.flatMap((r, i) => (r.row || i === administrators ? [] : [i]));
  const customs = roles.flatMap((r, i) => (r.row ? [i] : []));
  const environmentRoles = roles.flatMap((r, i) =>
    i !== administrators && (r.mask & ENVIRONMENT_SCOPABLE_MASK) !== 0 ? [i] : [],
  );

  const user = new Int32Array(ASSIGNMENTS);
  const role = new Int32Array(ASSIGNMENTS);
  const node = new Int32Array(ASSIGNMENTS);
  const env = new Int32Array(ASSIGNMENTS);
  const inherit = new Uint8Array(ASSIGNMENTS);
  const nodesOfUser: number[][] = Array.from({ length: USERS }, () => []);
  const taken = new Set<string>();
  let count = 0;
  const add = (u: number, r: number, n: number, e: number, inh: boolean): boolean => {
    const key = `${u}:${r}:${n}:${e}`;
    if (taken.has(key)) return false;
    taken.add(key);
    user[count] = u;
    role[count] = r;
    node[count] = n;
    env[count] = e;
    inherit[count] = inh ? 1 : 0;
    nodesOfUser[u]!.push(n);
    count++;
    return true;
  };

  // The visible-tree user: one role in each of exactly VISIBLE_USER_NODES distinct nodes.
  const visibleUser = USERS - 1;
  const visibleNodes = new Set<number>();
  while (visibleNodes.size < VISIBLE_USER_NODES) visibleNodes.add(random.int(nodeCount));
  let inheriting = 0;
  for (const n of visibleNodes) {
    const envs = envsOfNode[n]!;
    if (inheriting < VISIBLE_USER_INHERITING) {
      add(visibleUser, random.pick(customs), n, -1, true);
      inheriting++;
    } else if (envs.length > 0 && random.chance(0.3)) {
      add(visibleUser, random.pick(environmentRoles), n, random.pick(envs), false);
    } else {
      add(visibleUser, random.pick([...otherBuiltIns, ...customs]), n, -1, false);
    }
  }

  // Everyone else: a mild skew, so a few users hold hundreds of assignments and most hold a handful.
  while (count < ASSIGNMENTS) {
    const u = Math.floor(USERS_WITH_ROLES * random.float() ** 1.5);
    if (random.chance(ENVIRONMENT_SCOPED_SHARE)) {
      const e = random.int(envIds.length);
      add(u, random.pick(environmentRoles), envNodeList[e]!, e, false);
      continue;
    }
    const x = random.float();
    const r =
      x < ADMINISTRATORS_SHARE
        ? administrators
        : x < ADMINISTRATORS_SHARE + OTHER_BUILT_IN_SHARE
          ? random.pick(otherBuiltIns)
          : random.pick(customs);
    add(u, r, random.int(nodeCount), -1, r === administrators || random.chance(INHERIT_SHARE));
  }

  return {
    tenantId: nodeIds[0]!,
    nodeIds,
    parentOf,
    depthOf,
    childrenOf,
    envIds,
    envNode: Int32Array.from(envNodeList),
    envsOfNode,
    userIds,
    roles,
    assignments: { user, role, node, env, inherit },
    nodesOfUser,
    visibleUser,
  };
}

/** One paragraph on the shape of the data set: depths, environments, assignments. */
export function describeDataset(data: Dataset): string {
  const depths = new Map<number, number>();
  for (const d of data.depthOf) depths.set(d, (depths.get(d) ?? 0) + 1);
  const a = data.assignments;
  let inheriting = 0;
  let scoped = 0;
  for (let i = 0; i < ASSIGNMENTS; i++) {
    inheriting += a.inherit[i]!;
    if (a.env[i]! >= 0) scoped++;
  }
  const perDepth = [...depths.entries()].map(([d, n]) => `${d}:${n}`).join(' ');
  return (
    `tree: max depth ${Math.max(...depths.keys())}; nodes per depth ${perDepth}; ` +
    `${formatCount(data.envIds.length)} environments on ` +
    `${formatCount(data.envsOfNode.filter((e) => e.length > 0).length)} nodes\n` +
    `assignments: ${formatCount(inheriting)} inheriting, ${formatCount(scoped)} environment-scoped, ` +
    `held by ${formatCount(data.nodesOfUser.filter((n) => n.length > 0).length)} users ` +
    `(max ${formatCount(Math.max(...data.nodesOfUser.map((n) => n.length)))} for one user)`
  );
}

/** The user holding the most assignments (the first of them, if several tie). */
export function busiestUser(data: Dataset): number {
  let busiest = 0;
  data.nodesOfUser.forEach((nodes, u) => {
    if (nodes.length > data.nodesOfUser[busiest]!.length) busiest = u;
  });
  return busiest;
}

/** The node and every node below it. */
export function subtreeOf(data: Dataset, node: number): number[] {
  const nodes = [node];
  for (let i = 0; i < nodes.length; i++) nodes.push(...data.childrenOf[nodes[i]!]!);
  return nodes;
}

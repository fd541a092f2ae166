// `npm run bench -- authz`: the in-memory authorizer (ARCHITECTURE §4) on one large tenant, against
// the same questions answered by recursive SQL in the same run, with every SQL answer checked
// against the index.
import { PGlite } from '@electric-sql/pglite';
import type { Knex } from 'knex';
import type { SnapshotRepository } from '../src/modules/roles/authorizer/snapshot.repository.ts';
import {
  ALL_PERMISSIONS,
  BUILT_IN_ROLES,
  createSnapshotRepository,
  ENVIRONMENT_SCOPABLE_MASK,
  maskOf,
  ORGANIZATION_ADMINISTRATORS,
  type Permission,
  syncBuiltInRoles,
  TenantIndex,
  type VisibleNode,
} from '../src/modules/roles/index.ts';
import { type Database, embeddedDatabase, openDatabase } from '../src/platform/db/database.ts';
import { migrateToLatest } from '../src/platform/db/migrate.ts';
import {
  formatBytes,
  formatCount,
  formatMs,
  formatNs,
  formatRatio,
  machine,
  type Random,
  type Summary,
  seededRandom,
  summarize,
  table,
  timed,
} from './stats.ts';

// --- The data set -------------------------------------------------------------------------------

const SEED = 20_261_128;
const BUSINESS_GROUPS = 10_000;
/** Business group k (1-based, breadth-first) hangs under node floor((k - 1) / FAN_OUT): depth 9. */
const FAN_OUT = 3;
const USERS = 20_000;
/** Users 0 … USERS_WITH_ROLES-1 receive the random assignments; the rest hold nothing (bar one). */
const USERS_WITH_ROLES = 16_000;
const ASSIGNMENTS = 200_000;
const CUSTOM_ROLES = 20;
/** Share of nodes that have environments (1 to 3 each). */
const NODES_WITH_ENVIRONMENTS = 0.3;
const ENVIRONMENT_SCOPED_SHARE = 0.1;
const ADMINISTRATORS_SHARE = 0.03;
const OTHER_BUILT_IN_SHARE = 0.2;
const INHERIT_SHARE = 0.25;
/** The user whose visible tree is measured holds one role in each of this many nodes. */
const VISIBLE_USER_NODES = 100;
const VISIBLE_USER_INHERITING = 15;

// --- The measurements ---------------------------------------------------------------------------

const CHECK_QUERIES = 1_000_000;
const BATCH = 100;
const WARMUP_CHECKS = 200_000;
const THROUGHPUT_PASSES = 3;
const VISIBLE_RUNS = 500;
const SQL_CHECKS = 2_000;
const SQL_WARMUP = 100;
const SQL_VISIBLE_RUNS = 50;
const INSERT_BATCH = 5_000;
const TARGET_CHECK_P99_NS = 50_000;

const ENVIRONMENT_TYPES = ['production', 'sandbox', 'design'] as const;

interface RoleDef {
  id: string;
  mask: number;
  /** Custom roles only: the row to insert. */
  row?: { name: string; permissions: Permission[] };
}

interface Dataset {
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

function buildDataset(random: Random): Dataset {
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

// --- Seeding ------------------------------------------------------------------------------------

type SqlValue = string | number | boolean | null;

function literal(value: SqlValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  return String(value);
}

/** Multi-row INSERTs with literal values (generated here, never user input): the fastest path on both backends. */
async function insertRows(
  tx: Knex.Transaction,
  tableName: string,
  columns: readonly string[],
  count: number,
  row: (i: number) => SqlValue[],
): Promise<void> {
  for (let start = 0; start < count; start += INSERT_BATCH) {
    const values: string[] = [];
    for (let i = start; i < Math.min(count, start + INSERT_BATCH); i++)
      values.push(`(${row(i).map(literal).join(',')})`);
    await tx.raw(`insert into ${tableName} (${columns.join(',')}) values ${values.join(',')}`);
  }
}

async function seed(knex: Knex, data: Dataset): Promise<Array<[string, string, number]>> {
  const at = new Date().toISOString();
  const phases: Array<[string, string, number]> = [];
  const phase = async (label: string, rows: number, work: () => Promise<void>) => {
    const { ms } = await timed(work);
    phases.push([label, formatCount(rows), ms]);
  };
  const { tenantId, nodeIds, userIds, envIds, roles } = data;
  await knex.transaction(async (tx) => {
    // The master's owner is user 0, inserted next: that foreign key is deferred to the commit.
    await phase('master organization + authz version', 2, async () => {
      await insertRows(
        tx,
        'organizations',
        [
          'id',
          'tenant_id',
          'parent_id',
          'name',
          'domain',
          'owner_user_id',
          'create_sub_orgs',
          'create_environments',
          'session_timeout_minutes',
          'session_max_minutes',
          'created_at',
          'updated_at',
        ],
        1,
        () => [
          tenantId,
          tenantId,
          null,
          'Bench Corp',
          'bench-corp',
          userIds[0]!,
          true,
          true,
          60,
          720,
          at,
          at,
        ],
      );
      await tx.raw(`insert into authz_versions (tenant_id, version) values (${literal(tenantId)}, 1)`);
    });
    await phase('users', userIds.length, () =>
      insertRows(
        tx,
        'users',
        ['id', 'tenant_id', 'username', 'email', 'name', 'status', 'created_at', 'updated_at'],
        userIds.length,
        (i) => [userIds[i]!, tenantId, `user${i}`, `user${i}@bench.example`, `User ${i}`, 'active', at, at],
      ),
    );
    await phase('business groups', nodeIds.length - 1, () =>
      insertRows(
        tx,
        'organizations',
        [
          'id',
          'tenant_id',
          'parent_id',
          'name',
          'owner_user_id',
          'create_sub_orgs',
          'create_environments',
          'created_at',
          'updated_at',
        ],
        nodeIds.length - 1,
        (i) => {
          const k = i + 1;
          return [
            nodeIds[k]!,
            tenantId,
            nodeIds[data.parentOf[k]!]!,
            `Group ${k}`,
            userIds[k % USERS_WITH_ROLES]!,
            true,
            data.envsOfNode[k]!.length > 0,
            at,
            at,
          ];
        },
      ),
    );
    await phase('environments', envIds.length, () =>
      insertRows(
        tx,
        'environments',
        ['id', 'tenant_id', 'org_id', 'name', 'type', 'created_at', 'updated_at'],
        envIds.length,
        (i) => [
          envIds[i]!,
          tenantId,
          nodeIds[data.envNode[i]!]!,
          `env-${i}`,
          ENVIRONMENT_TYPES[i % ENVIRONMENT_TYPES.length]!,
          at,
          at,
        ],
      ),
    );
    const custom = roles.filter((r) => r.row);
    await phase('custom roles', custom.length, () =>
      insertRows(
        tx,
        'roles',
        ['id', 'tenant_id', 'name', 'permissions', 'created_at', 'updated_at'],
        custom.length,
        (i) => [
          custom[i]!.id,
          tenantId,
          custom[i]!.row!.name,
          JSON.stringify(custom[i]!.row!.permissions),
          at,
          at,
        ],
      ),
    );
    const a = data.assignments;
    const random = seededRandom(SEED + 1);
    await phase('role assignments', ASSIGNMENTS, () =>
      insertRows(
        tx,
        'role_assignments',
        ['id', 'tenant_id', 'user_id', 'role_id', 'org_id', 'environment_id', 'inherit', 'created_at'],
        ASSIGNMENTS,
        (i) => [
          random.uuid(),
          tenantId,
          userIds[a.user[i]!]!,
          roles[a.role[i]!]!.id,
          nodeIds[a.node[i]!]!,
          a.env[i]! >= 0 ? envIds[a.env[i]!]! : null,
          a.inherit[i] === 1,
          at,
        ],
      ),
    );
  });
  await phase('analyze', 0, async () => {
    await knex.raw('analyze');
  });
  return phases;
}

// --- Queries ------------------------------------------------------------------------------------

interface Queries {
  user: string[];
  permission: Permission[];
  node: string[];
  env: (string | undefined)[];
  /** For reports: the node's depth, and the query's position in the data set. */
  depth: Uint8Array;
}

/** 80 % users holding assignments, 20 % any user; half the time a node where (or under which) the user holds a role. */
function buildQueries(random: Random, data: Dataset, count: number): Queries {
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

// --- In-memory measurements ---------------------------------------------------------------------

function checkAll(index: TenantIndex, q: Queries, from: number, to: number): number {
  let allowed = 0;
  for (let i = from; i < to; i++)
    if (index.can(q.user[i]!, q.permission[i]!, q.node[i]!, q.env[i])) allowed++;
  return allowed;
}

/** Per-call latency as the mean of batches of BATCH calls: little timer overhead, but smooths outliers. */
function batchLatencies(index: TenantIndex, q: Queries, count: number): Float64Array {
  const samples = new Float64Array(Math.floor(count / BATCH));
  let sink = 0;
  for (let b = 0; b < samples.length; b++) {
    const started = process.hrtime.bigint();
    sink += checkAll(index, q, b * BATCH, (b + 1) * BATCH);
    samples[b] = Number(process.hrtime.bigint() - started) / BATCH;
  }
  if (sink < 0) console.log(sink);
  return samples;
}

/** Every call timed on its own: each sample includes one timer read (measured separately). */
function singleLatencies(index: TenantIndex, q: Queries, count: number): Float64Array {
  const samples = new Float64Array(count);
  let sink = 0;
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    if (index.can(q.user[i]!, q.permission[i]!, q.node[i]!, q.env[i])) sink++;
    samples[i] = Number(process.hrtime.bigint() - started);
  }
  if (sink < 0) console.log(sink);
  return samples;
}

function timerOverhead(): number {
  const samples = new Float64Array(200_000);
  for (let i = 0; i < samples.length; i++) {
    const started = process.hrtime.bigint();
    samples[i] = Number(process.hrtime.bigint() - started);
  }
  return summarize(samples).p50;
}

function collectGarbage(): void {
  globalThis.gc?.();
  globalThis.gc?.();
}

async function timeIndexBuilds(
  snapshots: SnapshotRepository,
  tenantId: string,
): Promise<{ loads: number[]; builds: number[] }> {
  const loads: number[] = [];
  const builds: number[] = [];
  for (let i = 0; i < 3; i++) {
    const load = await timed(() => snapshots.load(tenantId));
    loads.push(load.ms);
    const started = performance.now();
    const built = new TenantIndex(load.result);
    builds.push(performance.now() - started);
    if (built.nodeCount !== BUSINESS_GROUPS + 1) throw new Error(`index has ${built.nodeCount} nodes`);
  }
  return { loads, builds };
}

/** Heap growth after forced collections: snapshot alone, then the index alone once the snapshot is gone. */
async function measureIndexHeap(
  snapshots: SnapshotRepository,
  tenantId: string,
): Promise<{ index: TenantIndex; indexBytes: number; snapshotBytes: number }> {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  let withSnapshot = 0;
  // The snapshot lives only in this closure's frame, which is gone once it returns.
  const index = await (async () => {
    const snapshot = await snapshots.load(tenantId);
    collectGarbage();
    withSnapshot = process.memoryUsage().heapUsed;
    return new TenantIndex(snapshot);
  })();
  collectGarbage();
  return {
    index,
    indexBytes: process.memoryUsage().heapUsed - before,
    snapshotBytes: withSnapshot - before,
  };
}

// --- The SQL baseline ---------------------------------------------------------------------------

/**
 * One permission check as one statement: the node's ancestor chain by recursive CTE, joined to the
 * user's assignments and their roles. Same rules as the index: node-wide grants on the node itself,
 * inheriting grants on strict ancestors, environment grants only for that environment of the node
 * and only for environment-scopable permissions; disabled or deleted users and foreign environments get nothing
 * (every user of this data set is active: the user clause is there so the query has its real shape).
 */
const CHECK_SQL = `
with recursive chain (id, parent_id, lvl) as (
  select o.id, o.parent_id, 0
    from organizations o
   where o.id = :org and o.tenant_id = :tenant
  union all
  select p.id, p.parent_id, c.lvl + 1
    from chain c
    join organizations p on p.id = c.parent_id
)
select exists (
         select 1
           from chain c
           join role_assignments a on a.org_id = c.id
           join roles r on r.id = a.role_id
          where a.user_id = :user
            and a.tenant_id = :tenant
            and (r.tenant_id is null or r.tenant_id = :tenant)
            and r.permissions @> jsonb_build_array(cast(:permission as text))
            and (   (c.lvl = 0 and a.environment_id is null)
                 or (c.lvl > 0 and a.inherit)
                 or (c.lvl = 0 and a.environment_id = cast(:env as uuid) and cast(:scopable as boolean)))
       )
       and exists (select 1 from users u where u.id = :user and u.tenant_id = :tenant and u.status = 'active')
       and (cast(:env as uuid) is null
            or exists (select 1 from environments e where e.id = cast(:env as uuid) and e.org_id = :org))
       as allowed`;

/**
 * The hierarchy one user sees (ORG-10) as one statement: the nodes they hold a role on, the subtrees
 * of their inheriting grants, each such member's node-wide permissions, and the ancestors of all.
 */
const VISIBLE_SQL = `
with recursive
grants as (
  select a.org_id, a.environment_id, a.inherit, r.permissions
    from role_assignments a
    join roles r on r.id = a.role_id
   where a.tenant_id = :tenant and a.user_id = :user
     and (r.tenant_id is null or r.tenant_id = :tenant)
     and jsonb_array_length(r.permissions) > 0
     and exists (select 1 from users u where u.id = :user and u.tenant_id = :tenant and u.status = 'active')
),
below (id) as (
  select org_id from grants where inherit
  union
  select o.id from below b join organizations o on o.parent_id = b.id
),
members (id) as (
  select org_id from grants
  union
  select id from below
),
chain (member_id, id, parent_id, lvl) as (
  select o.id, o.id, o.parent_id, 0 from members m join organizations o on o.id = m.id
  union all
  select c.member_id, p.id, p.parent_id, c.lvl + 1 from chain c join organizations p on p.id = c.parent_id
),
held as (
  select c.member_id as id, array_agg(distinct perm.name) as permissions
    from chain c
    join grants g on g.org_id = c.id
                 and ((c.lvl = 0 and g.environment_id is null) or (c.lvl > 0 and g.inherit))
    cross join lateral jsonb_array_elements_text(g.permissions) as perm (name)
   group by c.member_id
)
select o.id, o.parent_id, o.name, (m.id is not null) as member,
       coalesce(h.permissions, array[]::text[]) as permissions
  from (select distinct id from chain) s
  join organizations o on o.id = s.id
  left join members m on m.id = s.id
  left join held h on h.id = s.id`;

const SCOPABLE = new Set<string>(
  ALL_PERMISSIONS.filter((p) => (maskOf([p]) & ENVIRONMENT_SCOPABLE_MASK) !== 0),
);

async function sqlCheck(knex: Knex, tenantId: string, q: Queries, i: number): Promise<boolean> {
  const result = await knex.raw(CHECK_SQL, {
    org: q.node[i]!,
    tenant: tenantId,
    user: q.user[i]!,
    permission: q.permission[i]!,
    env: q.env[i] ?? null,
    scopable: SCOPABLE.has(q.permission[i]!),
  });
  return (result.rows as Array<{ allowed: boolean }>)[0]!.allowed;
}

interface VisibleRow {
  id: string;
  parent_id: string | null;
  name: string;
  member: boolean;
  permissions: string[];
}

/**
 * PostgreSQL estimates recursive CTEs at hundreds of thousands of rows, far above jit_above_cost, and
 * then spends ~60 ms compiling a query that runs in ~10 ms: the baseline turns JIT off for its
 * statement, as any real deployment of such a query would.
 */
async function sqlVisible(knex: Knex, tenantId: string, userId: string): Promise<VisibleRow[]> {
  return knex.transaction(async (tx) => {
    await tx.raw('set local jit = off');
    const result = await tx.raw(VISIBLE_SQL, { tenant: tenantId, user: userId });
    return result.rows as VisibleRow[];
  });
}

/** Differences between the index's visible tree and the SQL one, as readable lines. */
function compareVisible(fromIndex: VisibleNode[], fromSql: VisibleRow[]): string[] {
  const problems: string[] = [];
  const sqlById = new Map(fromSql.map((r) => [r.id, r]));
  if (fromIndex.length !== fromSql.length)
    problems.push(`index returns ${fromIndex.length} nodes, SQL ${fromSql.length}`);
  for (const n of fromIndex) {
    const row = sqlById.get(n.id);
    if (!row) {
      problems.push(`node ${n.id} (${n.name}) only in the index (${n.access})`);
      continue;
    }
    sqlById.delete(n.id);
    const access = row.member ? 'member' : 'ancestor';
    const mask = maskOf(row.permissions);
    if (access !== n.access || mask !== n.mask || row.parent_id !== n.parentId || row.name !== n.name)
      problems.push(
        `node ${n.id} (${n.name}): index ${n.access} mask ${n.mask}, SQL ${access} mask ${mask}` +
          (row.parent_id !== n.parentId ? `, parent ${n.parentId} vs ${row.parent_id}` : ''),
      );
  }
  for (const row of sqlById.values()) problems.push(`node ${row.id} (${row.name}) only in SQL`);
  return problems;
}

// --- Database -----------------------------------------------------------------------------------

async function openBenchDatabase(): Promise<{ db: Database; label: string }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const db = embeddedDatabase(await PGlite.create());
    return { db, label: 'embedded PGlite, in memory' };
  }
  // A throw-away schema, as the tests do, so the benchmark never touches anyone's tables.
  const schema = `canopy_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = await openDatabase({ databaseUrl: url, dataDir: '', poolMax: 1 });
  await admin.knex.raw(`create schema ${schema}`);
  await admin.close();
  const db = await openDatabase({ databaseUrl: url, dataDir: '', poolMax: 2, searchPath: schema });
  const { hostname, port } = new URL(url);
  return {
    db: {
      knex: db.knex,
      kind: db.kind,
      async close() {
        await db.knex.raw(`drop schema ${schema} cascade`);
        await db.close();
      },
    },
    label: `PostgreSQL at ${hostname}:${port || 5432}, schema ${schema} (dropped at the end)`,
  };
}

// --- The run ------------------------------------------------------------------------------------

function latencyRow(label: string, s: Summary): string[] {
  return [label, formatCount(s.count), formatNs(s.p50), formatNs(s.p90), formatNs(s.p99), formatNs(s.max)];
}

const LATENCY_HEADER = ['method', 'samples', 'p50', 'p90', 'p99', 'max'];

function describeDataset(data: Dataset): string {
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

function describeQueries(q: Queries, allowed: number): string {
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

function measureChecks(index: TenantIndex, q: Queries) {
  checkAll(index, q, 0, WARMUP_CHECKS);
  const passes: number[] = [];
  let allowed = 0;
  for (let pass = 0; pass < THROUGHPUT_PASSES; pass++) {
    const started = process.hrtime.bigint();
    allowed = checkAll(index, q, 0, CHECK_QUERIES);
    passes.push(Number(process.hrtime.bigint() - started));
  }
  const medianPass = [...passes].sort((x, y) => x - y)[Math.floor(passes.length / 2)]!;
  return {
    passes,
    medianPass,
    throughput: CHECK_QUERIES / (medianPass / 1e9),
    allowed,
    batches: summarize(batchLatencies(index, q, CHECK_QUERIES)),
    singles: summarize(singleLatencies(index, q, CHECK_QUERIES)),
    timer: timerOverhead(),
  };
}

function measureVisible(index: TenantIndex, userId: string) {
  const visible = index.visibleNodes(userId);
  for (let i = 0; i < 20; i++) index.visibleNodes(userId);
  const samples = new Float64Array(VISIBLE_RUNS);
  for (let i = 0; i < VISIBLE_RUNS; i++) {
    const started = process.hrtime.bigint();
    index.visibleNodes(userId);
    samples[i] = Number(process.hrtime.bigint() - started);
  }
  return { visible, stats: summarize(samples) };
}

/** SQL_CHECKS timed checks (after SQL_WARMUP untimed ones), every answer compared with the index. */
async function measureSqlChecks(knex: Knex, tenantId: string, q: Queries, index: TenantIndex) {
  const step = Math.floor(CHECK_QUERIES / (SQL_CHECKS + SQL_WARMUP));
  const mismatches: string[] = [];
  let allowed = 0;
  const verify = (i: number, answer: boolean) => {
    if (answer) allowed++;
    const expected = index.can(q.user[i]!, q.permission[i]!, q.node[i]!, q.env[i]);
    if (answer === expected) return;
    const mask = index.mask(q.user[i]!, q.node[i]!, q.env[i]);
    mismatches.push(
      `query #${i}: user ${q.user[i]} ${q.permission[i]} on node ${q.node[i]} (depth ${q.depth[i]})` +
        `${q.env[i] ? ` env ${q.env[i]}` : ''}: index ${expected} (mask ${mask}), SQL ${answer}`,
    );
  };
  for (let k = 0; k < SQL_WARMUP; k++) {
    const i = (SQL_CHECKS + k) * step;
    verify(i, await sqlCheck(knex, tenantId, q, i));
  }
  const samples = new Float64Array(SQL_CHECKS);
  for (let k = 0; k < SQL_CHECKS; k++) {
    const i = k * step;
    const started = process.hrtime.bigint();
    const answer = await sqlCheck(knex, tenantId, q, i);
    samples[k] = Number(process.hrtime.bigint() - started);
    verify(i, answer);
  }
  return { stats: summarize(samples), mismatches, allowedShare: allowed / (SQL_CHECKS + SQL_WARMUP) };
}

async function measureSqlVisible(knex: Knex, tenantId: string, userId: string) {
  const first = await sqlVisible(knex, tenantId, userId);
  for (let i = 0; i < 2; i++) await sqlVisible(knex, tenantId, userId);
  const samples = new Float64Array(SQL_VISIBLE_RUNS);
  for (let i = 0; i < SQL_VISIBLE_RUNS; i++) {
    const started = process.hrtime.bigint();
    await sqlVisible(knex, tenantId, userId);
    samples[i] = Number(process.hrtime.bigint() - started);
  }
  return { first, stats: summarize(samples) };
}

export async function run(_args: string[]): Promise<void> {
  const started = performance.now();
  const m = machine();
  const { db, label } = await openBenchDatabase();
  const knex = db.knex;
  try {
    const version = ((await knex.raw('show server_version')).rows as Array<{ server_version: string }>)[0]!
      .server_version;
    console.log('# canopy bench: authz\n');
    console.log(
      `machine:  ${m.cpus} CPUs, ${m.cpuModel}, ${m.ram} RAM, Node ${m.node}; load average ${m.load} ` +
        '(other work on the machine skews every figure)',
    );
    console.log(`database: ${label}, server version ${version}`);
    console.log(
      `data set: seed ${SEED}; 1 master + ${formatCount(BUSINESS_GROUPS)} business groups (fan-out ${FAN_OUT}), ` +
        `${formatCount(USERS)} users, ${formatCount(ASSIGNMENTS)} role assignments, ` +
        `${BUILT_IN_ROLES.length} built-in + ${CUSTOM_ROLES} custom roles`,
    );
    console.log(
      `heap:     ${globalThis.gc ? 'figures after forced GC (--expose-gc)' : 'no --expose-gc: rough'}\n`,
    );

    // 1. Schema and data.
    const setup: Array<[string, string, number]> = [];
    setup.push(['migrate', '', (await timed(() => migrateToLatest(knex))).ms]);
    const synced = await timed(() => syncBuiltInRoles(knex, new Date()));
    setup.push(['sync built-in roles', String(BUILT_IN_ROLES.length), synced.ms]);
    const generated = await timed(async () => buildDataset(seededRandom(SEED)));
    const data = generated.result;
    setup.push(['generate data set (JavaScript)', '', generated.ms]);
    setup.push(...(await seed(knex, data)));
    console.log('## Setup\n');
    console.log(
      table(
        ['phase', 'rows', 'time'],
        setup.map(([phase, rows, ms]) => [phase, rows, formatMs(ms)]),
      ),
    );
    console.log(`\n${describeDataset(data)}\n`);

    // 2. Index build.
    const snapshots = createSnapshotRepository(knex);
    const { loads, builds } = await timeIndexBuilds(snapshots, data.tenantId);
    const { index, indexBytes, snapshotBytes } = await measureIndexHeap(snapshots, data.tenantId);
    console.log('## Index build\n');
    console.log(
      table(
        ['step', 'best of 3', 'all runs'],
        [
          [
            'snapshot load (5 queries, repeatable read)',
            formatMs(Math.min(...loads)),
            loads.map(formatMs).join(', '),
          ],
          ['new TenantIndex(snapshot)', formatMs(Math.min(...builds)), builds.map(formatMs).join(', ')],
          ['heap retained by the index', formatBytes(indexBytes), 'heapUsed after GC, snapshot dropped'],
          ['heap of the snapshot (transient)', formatBytes(snapshotBytes), 'heapUsed after GC'],
        ],
      ),
    );

    // 3. Permission checks in memory.
    const q = buildQueries(seededRandom(SEED + 2), data, CHECK_QUERIES);
    const checks = measureChecks(index, q);
    console.log('\n## Permission checks: index.can(user, permission, node, environment?)\n');
    console.log(`${describeQueries(q, checks.allowed)}\n`);
    console.log(
      table(LATENCY_HEADER, [
        latencyRow(`mean per call over batches of ${BATCH}`, checks.batches),
        latencyRow(`single call (incl. ~${formatNs(checks.timer)} timer read)`, checks.singles),
      ]),
    );
    console.log(
      `\nthroughput: ${formatCount(checks.throughput)} checks/s on one core ` +
        `(one untimed loop over all ${formatCount(CHECK_QUERIES)} queries, median of ${THROUGHPUT_PASSES}: ` +
        `${checks.passes.map(formatNs).join(', ')}; ${formatNs(checks.medianPass / CHECK_QUERIES)} per call)`,
    );
    console.log(
      `method: after a warm-up of ${formatCount(WARMUP_CHECKS)} calls, (a) each sample is one hrtime.bigint() ` +
        `pair around ${BATCH} consecutive calls divided by ${BATCH}: almost no timer overhead, but outliers ` +
        'are averaged away; (b) each sample is one call between two hrtime.bigint() reads: it includes the ' +
        'timer cost, so it is an upper bound. The target and the ratios use (b).',
    );

    // 4. The visible tree.
    const visibleUserId = data.userIds[data.visibleUser]!;
    const tree = measureVisible(index, visibleUserId);
    const members = tree.visible.filter((n) => n.access === 'member').length;
    console.log('\n## Visible tree: index.visibleNodes(user)\n');
    console.log(
      `user with one role in each of ${VISIBLE_USER_NODES} nodes (${VISIBLE_USER_INHERITING} of them ` +
        `inheriting): ${formatCount(tree.visible.length)} nodes returned (${formatCount(members)} member, ` +
        `${formatCount(tree.visible.length - members)} ancestor-only)\n`,
    );
    console.log(table(LATENCY_HEADER, [latencyRow('each call timed', tree.stats)]));

    // 5. The SQL baseline, checked against the index.
    const sql = await measureSqlChecks(knex, data.tenantId, q, index);
    const sqlTree = await measureSqlVisible(knex, data.tenantId, visibleUserId);
    const treeProblems = compareVisible(tree.visible, sqlTree.first);
    console.log('\n## Baseline: the same questions as recursive SQL (through Knex, awaited one at a time)\n');
    console.log(
      table(
        ['question', ...LATENCY_HEADER.slice(1)],
        [
          latencyRow('permission check, one recursive CTE', sql.stats),
          latencyRow(
            `visible tree (${formatCount(sqlTree.first.length)} rows), one recursive CTE, JIT off`,
            sqlTree.stats,
          ),
        ],
      ),
    );
    console.log(
      `\nSQL sample: ${formatCount(SQL_CHECKS)} timed + ${SQL_WARMUP} warm-up queries spread evenly over the ` +
        `in-memory query list; ${(sql.allowedShare * 100).toFixed(1)} % allowed.`,
    );

    const { singles, throughput } = checks;
    const sqlPerSecond = 1e9 / sql.stats.mean;
    const compare = (question: string, memory: number, baseline: number) => [
      question,
      formatNs(memory),
      formatNs(baseline),
      formatRatio(baseline / memory),
    ];
    console.log('\n## In-memory against SQL\n');
    console.log(
      table(
        ['question', 'in-memory', 'SQL', 'in-memory is N× faster'],
        [
          compare('permission check p50', singles.p50, sql.stats.p50),
          compare('permission check p99', singles.p99, sql.stats.p99),
          [
            'permission checks per second',
            formatCount(throughput),
            formatCount(sqlPerSecond),
            formatRatio(throughput / sqlPerSecond),
          ],
          compare('visible tree p50', tree.stats.p50, sqlTree.stats.p50),
          compare('visible tree p99', tree.stats.p99, sqlTree.stats.p99),
        ],
      ),
    );
    console.log(
      '\n(in-memory check figures are the single-call ones, timer read included, so the ratios understate ' +
        'the gap; SQL per second = 1 / mean latency, one query at a time)',
    );

    console.log('\n## Correctness\n');
    const { mismatches } = sql;
    console.log(
      `permission checks: ${formatCount(SQL_CHECKS + SQL_WARMUP)} SQL answers compared with index.can(): ` +
        `${mismatches.length === 0 ? 'all equal' : `${mismatches.length} MISMATCHES`}`,
    );
    for (const line of mismatches.slice(0, 20)) console.log(`  ${line}`);
    console.log(
      `visible tree: ${
        treeProblems.length === 0
          ? 'index and SQL agree on every node, its parent, access and permissions'
          : `${treeProblems.length} DIFFERENCES`
      }`,
    );
    for (const line of treeProblems.slice(0, 20)) console.log(`  ${line}`);

    console.log('\n## Targets\n');
    const fast = singles.p99 <= TARGET_CHECK_P99_NS;
    const correct = mismatches.length === 0 && treeProblems.length === 0;
    console.log(
      table(
        ['target', 'measured', 'result'],
        [
          [
            `permission check p99 ≤ ${formatNs(TARGET_CHECK_P99_NS)} in-process`,
            `${formatNs(singles.p99)} (single call)`,
            fast ? 'PASS' : 'FAIL',
          ],
          [
            'SQL and index agree',
            `${mismatches.length + treeProblems.length} differences`,
            correct ? 'PASS' : 'FAIL',
          ],
        ],
      ),
    );
    console.log(`\ntotal run time: ${formatMs(performance.now() - started)}`);
    if (!fast || !correct) process.exitCode = 1;
  } finally {
    await db.close();
  }
}

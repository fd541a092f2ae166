// The baseline: the index's questions answered by recursive SQL, one statement per question, timed
// through Knex one at a time, and every answer compared with the index.
import type { Knex } from 'knex';
import {
  ALL_PERMISSIONS,
  ENVIRONMENT_SCOPABLE_MASK,
  maskOf,
  type TenantIndex,
  type VisibleNode,
} from '../../src/modules/roles/index.ts';
import { summarize } from '../stats.ts';
import { CHECK_QUERIES, SQL_CHECKS, SQL_VISIBLE_RUNS, SQL_WARMUP } from './parameters.ts';
import type { Queries } from './queries.ts';

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
export function compareVisible(fromIndex: VisibleNode[], fromSql: VisibleRow[]): string[] {
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

/** SQL_CHECKS timed checks (after SQL_WARMUP untimed ones), every answer compared with the index. */
export async function measureSqlChecks(knex: Knex, tenantId: string, q: Queries, index: TenantIndex) {
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

export async function measureSqlVisible(knex: Knex, tenantId: string, userId: string) {
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

export type SqlCheckMeasurement = Awaited<ReturnType<typeof measureSqlChecks>>;
export type SqlVisibleMeasurement = Awaited<ReturnType<typeof measureSqlVisible>>;

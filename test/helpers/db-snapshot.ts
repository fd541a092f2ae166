import type { Knex } from 'knex';

/**
 * A cheap but complete picture of the database: for every table, per tenant (the `tenant_id`
 * column, where there is one), the row count and the sum of a 64-bit hash of each row's text (no
 * sorting, no concatenation: the cost grows with the rows, not faster). Comparing two of them
 * tells whether a request wrote anything at all, and where. Tables are discovered from the
 * database's catalogue, so tables added by later migrations are covered without anyone listing them.
 */
export type Snapshot = Map<string, { rows: number; hash: string }>;

/** Bookkeeping of the migration tool: never touched by a request. */
const SKIPPED = new Set(['knex_migrations', 'knex_migrations_lock']);

interface TableInfo {
  table: string;
  tenantScoped: boolean;
}

async function tablesOf(knex: Knex): Promise<TableInfo[]> {
  const { rows } = (await knex.raw(`
    select t.table_name as table,
           exists (select 1 from information_schema.columns c
                   where c.table_schema = t.table_schema and c.table_name = t.table_name
                     and c.column_name = 'tenant_id') as "tenantScoped"
      from information_schema.tables t
     where t.table_schema = current_schema() and t.table_type = 'BASE TABLE'
     order by t.table_name`)) as { rows: TableInfo[] };
  return rows.filter((r) => !SKIPPED.has(r.table));
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The snapshot query of a database, built once (its tables are fixed once it is migrated). */
const queries = new WeakMap<Knex, Promise<string>>();

async function snapshotQuery(knex: Knex): Promise<string> {
  const tables = await tablesOf(knex);
  const parts = tables.map(({ table, tenantScoped }) => {
    const group = tenantScoped ? `coalesce(x.tenant_id::text, 'none')` : `'*'`;
    return `select '${table.replaceAll("'", "''")}'::text as "table", ${group} as "group",
                   count(*)::int as "rows",
                   coalesce(sum(hashtextextended(x::text, 0)), 0)::text as "hash"
              from ${quote(table)} x group by 2`;
  });
  return parts.join('\nunion all\n');
}

export async function snapshot(knex: Knex): Promise<Snapshot> {
  if (!queries.has(knex)) queries.set(knex, snapshotQuery(knex));
  const { rows } = (await knex.raw(await queries.get(knex)!)) as {
    rows: { table: string; group: string; rows: number; hash: string }[];
  };
  return new Map(rows.map((r) => [`${r.table}[${r.group}]`, { rows: r.rows, hash: r.hash }]));
}

/**
 * What changed between two snapshots, one line per table and tenant ("" when nothing did).
 * `ignoreGroups`: tenants whose own rows may legitimately change (a caller acting in its own tenant).
 */
export function changes(before: Snapshot, after: Snapshot, ignoreGroups: readonly string[] = []): string {
  const lines: string[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    if (ignoreGroups.some((g) => key.endsWith(`[${g}]`))) continue;
    const a = before.get(key);
    const b = after.get(key);
    if (a?.hash === b?.hash) continue;
    lines.push(
      `${key}: ${a?.rows ?? 0} rows -> ${b?.rows ?? 0} rows${a?.rows === b?.rows ? ' (changed)' : ''}`,
    );
  }
  return lines.join('; ');
}

/** Runs `act`; returns its result and what it changed in the database. */
export async function watchWrites<T>(
  knex: Knex,
  act: () => Promise<T>,
  ignoreGroups: readonly string[] = [],
): Promise<{ result: T; changed: string }> {
  const before = await snapshot(knex);
  const result = await act();
  return { result, changed: changes(before, await snapshot(knex), ignoreGroups) };
}

/** A refusal's coalescing key (src/api/refusals.ts): who was refused, where, and why. */
export interface RefusalKey {
  /** The caller's tenant, where the entry goes. */
  tenantId: string;
  /** The user's id or the app's client ID. */
  actorId: string;
  method: string;
  /** The route's pattern as mounted, e.g. `/api/v1/users/:userId`. */
  route: string;
  code: string;
}

/**
 * SEC-12: a request refused with a 403 is audited as `access.denied` in the caller's tenant, and
 * nothing else is written. Refusals are coalesced per tenant, actor, route and code: the first of
 * a key writes one entry naming it; later ones inside the window write nothing, and the tests'
 * clock stands still, so every later one is inside it (the count they leave is checked in
 * access-denied.api.test.ts). The ledger remembers the keys seen, as the server's coalescer does,
 * for one app: use one ledger per ApiClient. `besides` says what `changed` holds besides the
 * refusal's entry, or that the entry is missing, wrong, or should not be there.
 */
export function refusalLedger(knex: Knex) {
  const seen = new Set<string>();
  const keyOf = (k: Partial<RefusalKey>) =>
    JSON.stringify([k.tenantId, k.actorId, k.method, k.route, k.code]);
  return async function besides(changed: string, refusal: RefusalKey): Promise<string> {
    const key = keyOf(refusal);
    if (seen.has(key)) return changed; // coalesced: any write at all is one too many
    seen.add(key);
    const table = `audit_log[${refusal.tenantId}]`;
    const lines = changed ? changed.split('; ') : [];
    const mine = lines.find((line) => line.startsWith(`${table}: `));
    const counts = mine ? /: (\d+) rows -> (\d+) rows$/.exec(mine) : null;
    const newest = await knex('audit_log')
      .where({ tenant_id: refusal.tenantId })
      .orderBy('id', 'desc')
      .first('action', 'actor_id', 'after');
    const after = newest?.after ?? {};
    const written = { tenantId: refusal.tenantId, actorId: newest?.actor_id, ...after };
    if (
      !counts ||
      Number(counts[2]) !== Number(counts[1]) + 1 ||
      newest?.action !== 'access.denied' ||
      keyOf(written) !== key ||
      'suppressed' in after
    ) {
      const missing = `no access.denied entry ${key} in ${table} (newest: ${JSON.stringify(newest)})`;
      return [...lines, missing].join('; ');
    }
    return lines.filter((line) => line !== mine).join('; ');
  };
}

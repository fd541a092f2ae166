// The test files of a group share one process (test/runner), and most of them open a test database,
// use it, and close it. Making one costs a start of PGlite from the migrated image (about half a
// second of CPU) or a schema migrated from nothing on PostgreSQL; emptying one that a closed test
// database leaves behind costs a few milliseconds. So what a closed test database leaves (a PGlite
// instance, a PostgreSQL schema) is emptied and kept here, and the next test database of the process
// starts from it — only when its schema (tables, columns, indexes, constraints, functions, triggers
// and whether they fire, the migrations applied) is still exactly that of a fresh one; whatever a test
// changed the schema of (a migration down and up again, say) is thrown away instead.

/** Runs SQL on a database that has the test schema first in its search path. */
export interface SqlRunner {
  rows<T>(sql: string): Promise<T[]>;
  /** Several statements in one string, no parameters. */
  exec(sql: string): Promise<void>;
}

/** The schema's shape, as one hash: what emptying cannot undo, so what reuse needs unchanged. */
const SHAPE = `
  select md5(string_agg(replace(item, current_schema() || '.', ''), E'\\n' order by item)) as shape from (
    select 'rel ' || relname || ' ' || relkind::text as item from pg_class
     where relnamespace = current_schema()::regnamespace
    union all
    select 'col ' || attrelid::regclass || '.' || attname || ' ' || format_type(atttypid, atttypmod)
           || ' ' || attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
      from pg_attribute a join pg_class c on c.oid = a.attrelid
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where c.relnamespace = current_schema()::regnamespace and a.attnum > 0 and not a.attisdropped
    union all
    select 'con ' || conrelid::regclass || ' ' || pg_get_constraintdef(oid) from pg_constraint
     where connamespace = current_schema()::regnamespace
    union all
    select 'idx ' || pg_get_indexdef(indexrelid) from pg_index i join pg_class c on c.oid = i.indrelid
     where c.relnamespace = current_schema()::regnamespace
    union all
    select 'fn ' || proname || ' ' || md5(prosrc) from pg_proc where pronamespace = current_schema()::regnamespace
    union all
    select 'mig ' || id || ' ' || name from knex_migrations
    union all
    select 'trg ' || tgrelid::regclass || ' ' || tgname || ' ' || tgenabled::text
      from pg_trigger t join pg_class c on c.oid = t.tgrelid
     where c.relnamespace = current_schema()::regnamespace and not t.tgisinternal
  ) items`;

/** The shape of a fresh test database, read from the first one this process made. */
let freshShape: string | undefined;

async function shapeOf(sql: SqlRunner): Promise<string> {
  const [row] = await sql.rows<{ shape: string }>(SHAPE);
  return row!.shape;
}

/** Notes the shape of a fresh test database: the one every reused one must have. */
export async function rememberFreshShape(sql: SqlRunner): Promise<void> {
  freshShape ??= await shapeOf(sql);
}

/** Whether `sql`'s schema is still that of a fresh test database; if so, empties it. */
export async function emptyIfUnchanged(sql: SqlRunner): Promise<boolean> {
  if (freshShape === undefined || (await shapeOf(sql)) !== freshShape) return false;
  await empty(sql);
  return true;
}

/**
 * Every row deleted and every sequence restarted, but the migration tool's. DELETE, not TRUNCATE: a
 * test leaves a few rows, and TRUNCATE gives every table and index new files (PostgreSQL syncs
 * each one at commit). As a replica session, so that foreign keys do not order the deletes; triggers
 * that fire even then (the audit log's, SEC-12) are disabled for it and enabled again as they were:
 * the shape compares how each one fires.
 */
async function empty(sql: SqlRunner): Promise<void> {
  const tables = await sql.rows<{ name: string }>(
    `select quote_ident(tablename) as name from pg_tables
      where schemaname = current_schema() and tablename not like 'knex\\_migrations%'`,
  );
  const sequences = await sql.rows<{ name: string }>(
    `select quote_ident(sequencename) as name from pg_sequences
      where schemaname = current_schema() and sequencename not like 'knex\\_migrations%'`,
  );
  const always = await sql.rows<{ tbl: string; name: string }>(
    `select quote_ident(c.relname) as tbl, quote_ident(t.tgname) as name
       from pg_trigger t join pg_class c on c.oid = t.tgrelid
      where c.relnamespace = current_schema()::regnamespace and not t.tgisinternal and t.tgenabled = 'A'`,
  );
  await sql.exec(
    [
      'begin',
      'set local session_replication_role = replica',
      ...always.map((g) => `alter table ${g.tbl} disable trigger ${g.name}`),
      ...tables.map((t) => `delete from ${t.name}`),
      ...sequences.map((q) => `alter sequence ${q.name} restart`),
      ...always.map((g) => `alter table ${g.tbl} enable always trigger ${g.name}`),
      'commit',
    ].join(';\n'),
  );
}

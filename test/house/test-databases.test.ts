import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Knex } from 'knex';
import { migrationSource } from '../../migrations/index.ts';
import { backend, idleTestDatabases, openTestDatabase } from '../helpers/test-database.ts';

// The test suite's own machinery: a closed test database is emptied and reused by the next one of
// its process (test/helpers/test-db-pool.ts). What every test relies on: the next one is as fresh
// as a new one — no rows, sequences from the start, the audit log as append-only as ever — and one
// whose schema a test changed is never reused.

const APPEND_ONLY = /the audit log is append-only/;

async function rowCounts(knex: Knex): Promise<Record<string, number>> {
  const { rows } = (await knex.raw(
    `select tablename as name from pg_tables
      where schemaname = current_schema() and tablename not like 'knex\\_migrations%'`,
  )) as { rows: { name: string }[] };
  const counts: Record<string, number> = {};
  for (const { name } of rows) {
    const [row] = await knex(name).count<{ n: string | number }[]>('* as n');
    if (Number(row!.n) > 0) counts[name] = Number(row!.n);
  }
  return counts;
}

const insertAudit = (knex: Knex, action: string) =>
  knex('audit_log')
    .insert({ occurred_at: new Date(), actor_type: 'operator', actor_id: 'test', action })
    .returning('id')
    .then(([row]) => Number(row.id));

describe(`test databases: a closed one is emptied and reused (${backend})`, () => {
  test('the reused database holds no rows, restarts its sequences and keeps the audit log append-only', async () => {
    const first = await openTestDatabase();
    const firstId = await insertAudit(first.knex, 'test.first');
    await insertAudit(first.knex, 'test.second');
    const idleBefore = idleTestDatabases();
    await first.close();
    assert.equal(idleTestDatabases(), idleBefore + 1, 'the closed database waits for reuse');

    const second = await openTestDatabase();
    try {
      assert.equal(idleTestDatabases(), idleBefore, 'the next database is the one closed');
      assert.deepEqual(await rowCounts(second.knex), {});
      assert.equal(await insertAudit(second.knex, 'test.again'), firstId, 'identity restarts from the start');
      await assert.rejects(second.knex('audit_log').update({ action: 'x' }), APPEND_ONLY);
      await assert.rejects(second.knex('audit_log').delete(), APPEND_ONLY);
      await assert.rejects(second.knex.raw('truncate audit_log'), APPEND_ONLY);
    } finally {
      await second.close();
    }
  });

  test('a database whose schema a test changed is thrown away, not reused', async () => {
    const changed = await openTestDatabase();
    await changed.knex.raw('create table planted (a int)');
    const idleBefore = idleTestDatabases();
    await changed.close();
    assert.equal(idleTestDatabases(), idleBefore);

    const next = await openTestDatabase();
    try {
      const { rows } = (await next.knex.raw(
        `select count(*)::int as n from pg_tables where schemaname = current_schema() and tablename = 'planted'`,
      )) as { rows: { n: number }[] };
      assert.equal(rows[0]!.n, 0);
    } finally {
      await next.close();
    }
  });

  test('so is one whose migrations went down and up again (the migration table changed)', async () => {
    const db = await openTestDatabase();
    // One whose down and up are proven elsewhere (signing-key-revocation.test.ts): the schema is the
    // same afterwards, only its row in knex_migrations is new.
    const name = '20261207000200_signing_key_revocation';
    await db.knex.migrate.down({ migrationSource, name });
    await db.knex.migrate.up({ migrationSource, name });
    const idleBefore = idleTestDatabases();
    await db.close();
    assert.equal(idleTestDatabases(), idleBefore);
  });
});

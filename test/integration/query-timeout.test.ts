import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Database, openDatabase, withoutQueryTimeout } from '../../src/platform/db/database.ts';
import { databaseUnavailableReason } from '../../src/platform/db/pg-errors.ts';
import { openSharedDatabase, type SharedDatabase } from '../helpers/outage-node.ts';
import { eventually } from '../helpers/outage-requests.ts';

// REL-2: a serving node's PostgreSQL queries have a time limit (15 s; 300 ms here). A query past it
// fails as "database unavailable" (503), its connection is never used again (it may still be
// running, in a transaction), and the migrations at start, which may rightly take long, run
// without the limit.

const needsPostgres = process.env.DATABASE_URL ? false : 'DATABASE_URL is not set: pg query timeouts';

describe('REL-2 the PostgreSQL query timeout', { skip: needsPostgres }, () => {
  let shared: SharedDatabase;
  let timed: Database;

  before(async () => {
    shared = await openSharedDatabase();
    await shared.database.knex.raw('create table query_timeout_probe (v int)');
    timed = await openDatabase({
      databaseUrl: process.env.DATABASE_URL!,
      dataDir: '',
      poolMax: 1, // one connection: a timed-out one, were it kept, would serve the next query
      searchPath: shared.schema,
      queryTimeoutMs: 300,
      warn: () => {}, // knex reports the dropped connection; expected here
    });
  });
  after(async () => {
    await timed?.close();
    await shared?.close();
  });

  const count = async (db: Database) =>
    ((await db.knex.raw('select count(*)::int as n from query_timeout_probe')) as { rows: { n: number }[] })
      .rows[0]!.n;

  test('REL-2 a query past the timeout fails as unavailable; its connection, mid-transaction, serves nothing more', async () => {
    const err = await timed.knex
      .transaction(async (tx) => {
        await tx('query_timeout_probe').insert({ v: 1 });
        await tx.raw('select pg_sleep(1.5)');
      })
      .then(
        () => assert.fail('a query past the timeout'),
        (e: unknown) => e,
      );
    assert.ok(databaseUnavailableReason(err), `classified as unavailable: ${String(err)}`);
    // The next query runs on a new connection, outside the abandoned transaction: its insert is not
    // seen, now or once the server has finished the slow query (and aborted the transaction).
    assert.equal(await count(timed), 0);
    await eventually(
      'the abandoned transaction ends',
      async () =>
        (
          (await shared.database.knex.raw(
            "select count(*)::int as n from pg_stat_activity where query like 'select pg_sleep(1.5)%'",
          )) as { rows: { n: number }[] }
        ).rows[0]!.n === 0,
      5_000,
    );
    assert.equal(await count(timed), 0, 'on the pool');
    assert.equal(await count(shared.database), 0, 'committed by nobody');
  });

  test('REL-2 withoutQueryTimeout: work that may take long (migrations at start) is not cut short', async () => {
    await assert.rejects(timed.knex.raw('select pg_sleep(0.6)'), /Query read timeout/);
    const { rows } = (await withoutQueryTimeout(timed, (knex) =>
      knex.raw("select pg_sleep(0.6), 'done' as outcome"),
    )) as { rows: { outcome: string }[] };
    assert.equal(rows[0]!.outcome, 'done');
  });
});

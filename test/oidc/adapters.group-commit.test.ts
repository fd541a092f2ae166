import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import { createGroupCommit } from '../../src/oidc/adapters/group-commit.ts';
import { createSqlRecord, type SqlRecord } from '../../src/oidc/adapters/sql-record.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

// REL-3: the record's writes are grouped. Concurrent upserts go out as one multi-row statement
// (bounded), and each caller hears back only when the statement carrying its row has committed.

const id = () => randomUUID().replaceAll('-', '');

describe('REL-3 group commit of the record', () => {
  let env: TestEnv;
  let db: Knex;
  let record: SqlRecord;
  let statements: string[];
  const onQuery = (query: { sql: string }) => {
    if (/^\s*insert into oidc_models/i.test(query.sql)) statements.push(query.sql);
  };
  before(async () => {
    env = await createTestEnv();
    db = env.container.database.knex;
    record = createSqlRecord({ db, clock: env.clock });
    db.on('query', onQuery);
  });
  after(async () => {
    db.off('query', onQuery);
    await env.close();
  });

  test('REL-3 group commit: 450 concurrent upserts all land, in a few statements, each acknowledged only once readable', async () => {
    statements = [];
    const keys = Array.from({ length: 450 }, id);
    const unreadable: string[] = [];
    await Promise.all(
      keys.map(async (key, n) => {
        const { version } = await record.upsert('AccessToken', key, { kind: 'AccessToken', n }, 600);
        assert.ok(version > 0);
        // Acknowledged: the row must be there for anyone who looks, now.
        const row = await db('oidc_models').where({ model: 'AccessToken', id: key }).first();
        if (row?.payload?.n !== n) unreadable.push(key);
      }),
    );
    assert.deepEqual(unreadable, [], 'every acknowledged row is readable at once');
    const landed = await db('oidc_models').whereIn('id', keys).count({ n: '*' }).first();
    assert.equal(Number(landed?.n), keys.length);
    assert.ok(statements.length >= 3, `at most 200 rows a statement (${statements.length} statements)`);
    assert.ok(statements.length <= 10, `grouped, not one statement per row (${statements.length})`);
  });

  test('REL-3 group commit: two writes of one artefact in one turn land in order, the later wins', async () => {
    const key = id();
    const [first, second] = await Promise.all([
      record.upsert('Session', key, { kind: 'Session', n: 1 }, 600),
      record.upsert('Session', key, { kind: 'Session', n: 2 }, 600),
    ]);
    assert.ok(second.version > first.version, 'versions grow with each write');
    assert.equal(first.replaced, false);
    assert.equal(second.replaced, true, 'the second replaced the first');
    assert.equal((await record.find('Session', key))?.n, 2);
  });

  test('REL-3 group commit: a row the database refuses fails its own caller only', async () => {
    const [good, bad, alsoGood] = [id(), id(), id()];
    // PostgreSQL's jsonb refuses the NUL character: that statement fails, not its neighbours.
    const outcomes = await Promise.allSettled([
      record.upsert('Grant', good, { kind: 'Grant' }, 600),
      record.upsert('Grant', bad, { kind: 'Grant', note: 'nul \u0000 inside' }, 600),
      record.upsert('Grant', alsoGood, { kind: 'Grant' }, 600),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.ok(await record.find('Grant', good));
    assert.ok(await record.find('Grant', alsoGood));
    assert.equal(await record.find('Grant', bad), undefined);
  });

  test('REL-3 group commit: a batch waits for the one in flight, and a database that is away fails the whole batch', async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const write = createGroupCommit<number, number>({
      maxBatch: 3,
      keyOf: String,
      async write(items) {
        batches.push(items);
        if (items.includes(0)) await gate; // the first statement is slow
        if (items.includes(99))
          throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return items.map((n) => n * 10);
      },
    });
    const first = write(0);
    await new Promise((resolve) => setImmediate(resolve));
    const queued = [1, 2, 3, 4].map(write); // while the first is in flight
    release();
    assert.deepEqual(await Promise.all([first, ...queued]), [0, 10, 20, 30, 40]);
    assert.deepEqual(
      batches,
      [[0], [1, 2, 3], [4]],
      'queued behind the one in flight, at most 3 a statement',
    );

    batches.length = 0;
    const away = await Promise.allSettled([write(98), write(99)]);
    assert.deepEqual(
      away.map((o) => o.status),
      ['rejected', 'rejected'],
    );
    assert.deepEqual(batches, [[98, 99]], 'not retried row by row: the database is not there');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import { up } from '../../migrations/20261128001700_saml_replay.ts';
import {
  createSqlSamlCache,
  type SamlCache,
  sweepSamlCache,
} from '../../src/modules/federation/saml/index.ts';
import { createTestClock, type TestClock } from '../../src/platform/clock.ts';
import type { Database } from '../../src/platform/db/database.ts';
import { openTestDatabase } from '../helpers/test-database.ts';

// FED-6 without Redis: the SAML caches in SQL keep the same contract as Redis (saml-cache.test.ts).

describe('SAML cache contract (SQL)', () => {
  let database: Database;
  let db: Knex;
  let clock: TestClock;
  let cache: SamlCache;
  before(async () => {
    database = await openTestDatabase();
    db = database.knex;
    // Until the migration is listed in migrations/index.ts the image lacks the table.
    if (!(await db.schema.hasTable('saml_cache'))) await up(db);
    clock = createTestClock();
    cache = createSqlSamlCache({ db, clock });
  });
  after(() => database.close());

  test('FED-6 saveIfAbsent: the first writer wins; get reads; remove wins once', async () => {
    assert.equal(await cache.saveIfAbsent('k1', 'a', 60_000), true);
    assert.equal(await cache.saveIfAbsent('k1', 'b', 60_000), false);
    assert.equal(await cache.get('k1'), 'a');
    assert.equal(await cache.remove('k1'), true);
    assert.equal(await cache.remove('k1'), false);
    assert.equal(await cache.get('k1'), null);
  });

  test('FED-6 concurrent writers and removers: exactly one of each succeeds', async () => {
    const saves = await Promise.all(
      Array.from({ length: 10 }, (_, i) => cache.saveIfAbsent('k2', `v${i}`, 60_000)),
    );
    assert.equal(saves.filter(Boolean).length, 1);
    const removes = await Promise.all(Array.from({ length: 10 }, () => cache.remove('k2')));
    assert.equal(removes.filter(Boolean).length, 1);
  });

  test('FED-6 an expired row is invisible, can be written over, and is swept', async () => {
    await cache.saveIfAbsent('k3', 'old', 1000);
    await cache.saveIfAbsent('k4', 'old', 1000);
    clock.advance(1000);
    assert.equal(await cache.get('k3'), null);
    assert.equal(await cache.remove('k3'), false);
    assert.equal(await cache.saveIfAbsent('k3', 'new', 1000), true);
    assert.equal(await cache.get('k3'), 'new');
    assert.equal(await sweepSamlCache(db, clock), 1, 'k4 only');
    assert.equal(await cache.saveIfAbsent('x'.repeat(601), 'v', 1000), false);
  });
});

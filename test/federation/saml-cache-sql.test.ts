import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import { createSqlSamlCache, type SamlCache, sweepSamlCache } from '../../src/federation/saml/index.ts';
import { createTestClock, type TestClock } from '../../src/platform/clock.ts';
import type { Database } from '../../src/platform/db/database.ts';
import { openTestDatabase } from '../helpers/test-database.ts';

// FED-6 without Redis: what only the SQL cache has — expiry by the injected clock, and the sweep.
// The contract it shares with the other caches is in saml-cache.test.ts.

describe('SAML cache in SQL: expiry and sweep', () => {
  let database: Database;
  let db: Knex;
  let clock: TestClock;
  let cache: SamlCache;
  before(async () => {
    database = await openTestDatabase();
    db = database.knex;
    clock = createTestClock();
    cache = createSqlSamlCache({ db, clock });
  });
  after(() => database.close());

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

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createMemorySamlCache,
  createSqlSamlCache,
  type SamlCache,
} from '../../src/federation/saml/index.ts';
import { createTestClock, type TestClock } from '../../src/platform/clock.ts';
import { cacheBackends } from '../helpers/saml-world.ts';
import { openTestDatabase } from '../helpers/test-database.ts';

// FED-6: the request-id and assertion-id caches. First writer wins and only one remover wins, also
// under concurrency, so no answer is accepted twice across nodes sharing the store.

// Without Redis the caches live in SQL (saml-cache-sql.test.ts covers its expiry and sweep).
const sqlBackend = {
  name: 'SQL',
  async make(clock: TestClock) {
    const database = await openTestDatabase();
    return { cache: createSqlSamlCache({ db: database.knex, clock }), close: () => database.close() };
  },
};

for (const backend of [...cacheBackends, sqlBackend]) {
  describe(`SAML cache contract (${backend.name})`, () => {
    let cache: SamlCache;
    let close: () => Promise<void>;
    before(async () => {
      ({ cache, close } = await backend.make(createTestClock()));
    });
    after(() => close());

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
        Array.from({ length: 20 }, (_, i) => cache.saveIfAbsent('k2', `v${i}`, 60_000)),
      );
      assert.equal(saves.filter(Boolean).length, 1);
      const removes = await Promise.all(Array.from({ length: 20 }, () => cache.remove('k2')));
      assert.equal(removes.filter(Boolean).length, 1);
    });
  });
}

describe('SAML memory cache', () => {
  let clock: TestClock;
  before(() => {
    clock = createTestClock();
  });

  test('FED-6 entries expire by the injected clock; a full cache refuses rather than evicts', async () => {
    const cache = createMemorySamlCache({ clock, maxEntries: 2 });
    await cache.saveIfAbsent('a', '1', 1000);
    await cache.saveIfAbsent('b', '1', 5000);
    assert.equal(await cache.saveIfAbsent('c', '1', 1000), false, 'full of live entries');
    clock.advance(1000);
    assert.equal(await cache.get('a'), null);
    assert.equal(await cache.remove('a'), false);
    assert.equal(await cache.saveIfAbsent('c', '1', 1000), true, 'the expired entry was swept');
    assert.equal(await cache.saveIfAbsent('b', '2', 1000), false, 'b still live');
  });
});

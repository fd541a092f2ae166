import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { SqlRecord } from '../../src/oidc/adapters/sql-record.ts';
import {
  openWriteThrough,
  type WriteThroughWorld,
  waitOutBlackout,
  wipePrefix,
} from './adapters.cache-helpers.ts';

// REL-3 at the adapter: the SQL record behind the Redis cache, on a real Redis under a prefix of
// the test's own. What a flush does is done by deleting that prefix's keys.

const id = () => randomUUID().replaceAll('-', '');
const now = () => Math.floor(Date.now() / 1000);

/** A payload shaped like the provider's for `model`. */
function payloadFor(model: string, extra: Partial<AdapterPayload> = {}): AdapterPayload {
  const base = { iat: now(), exp: now() + 600, jti: id(), kind: model, ...extra };
  if (model === 'Session') return { uid: id(), accountId: randomUUID(), loginTs: now(), ...base };
  if (model === 'Grant') return { accountId: randomUUID(), clientId: 'client-a', ...base };
  return { accountId: randomUUID(), clientId: 'client-a', grantId: id(), scope: 'openid', ...base };
}

async function copyOf(w: WriteThroughWorld, model: string, key: string) {
  const payload = await w.redis.hget((await w.keys()).artefact(model, key), 'payload');
  return payload === null ? undefined : (JSON.parse(payload) as AdapterPayload);
}

/** After a flush the namespace is new again: the next write re-creates it, then its blackout passes. */
async function settleAfterFlush(w: WriteThroughWorld): Promise<void> {
  await new w.Adapter('Interaction').upsert(id(), payloadFor('Interaction'), 60);
  await waitOutBlackout(w.redis, w.prefix);
}

const redisUrl = process.env.REDIS_URL;
describe('REL-3 write-through adapter', {
  skip: redisUrl ? false : 'REDIS_URL is not set: not tested',
}, () => {
  let w: WriteThroughWorld;
  /** The record's upserts of payloads marked `slow` wait this long first, as a slow database would. */
  const SLOW_MS = 2_000;
  before(async () => {
    w = await openWriteThrough({
      record: (real: SqlRecord): SqlRecord => ({
        ...real,
        async upsert(model, key, payload, expiresIn) {
          if (payload.slow) await sleep(SLOW_MS);
          return real.upsert(model, key, payload, expiresIn);
        },
      }),
    });
    await waitOutBlackout(w.redis, w.prefix);
  });
  after(() => w.close());
  const adapter = (model: string) => new w.Adapter(model);

  test('REL-3 after a flush every artefact is still found (by id, uid and user code), from the record', async () => {
    const models = [
      'Session',
      'Grant',
      'RefreshToken',
      'AccessToken',
      'ClientCredentials',
      'AuthorizationCode',
    ];
    const saved = new Map<string, { key: string; payload: AdapterPayload }>();
    for (const model of models) {
      const entry = { key: id(), payload: payloadFor(model) };
      await adapter(model).upsert(entry.key, entry.payload, 600);
      assert.ok(await copyOf(w, model, entry.key), `${model} was cached`);
      saved.set(model, entry);
    }
    const device = { key: id(), payload: payloadFor('DeviceCode', { userCode: `UC-${id()}` }) };
    await adapter('DeviceCode').upsert(device.key, device.payload, 600);

    assert.ok((await wipePrefix(w.redis, w.prefix)) > models.length, 'the flush removed the copies');
    for (const [model, { key, payload }] of saved)
      assert.deepEqual(await adapter(model).find(key), payload, model);
    const session = saved.get('Session')!;
    assert.deepEqual(await adapter('Session').findByUid(session.payload.uid!), session.payload);
    assert.deepEqual(await adapter('DeviceCode').findByUserCode(device.payload.userCode!), device.payload);
    assert.equal(await copyOf(w, 'Session', session.key), undefined, 'a read does not fill the cache');
    await settleAfterFlush(w);
  });

  test('REL-3 a destroyed or revoked artefact stays gone after a flush', async () => {
    const [session, grantId, refresh, access] = [id(), id(), id(), id()];
    await adapter('Session').upsert(session, payloadFor('Session'), 600);
    await adapter('RefreshToken').upsert(refresh, payloadFor('RefreshToken', { grantId }), 600);
    await adapter('AccessToken').upsert(access, payloadFor('AccessToken', { grantId }), 600);
    await adapter('Session').destroy(session);
    await adapter('RefreshToken').revokeByGrantId(grantId);
    for (const flush of [false, true]) {
      if (flush) await wipePrefix(w.redis, w.prefix);
      assert.equal(await adapter('Session').find(session), undefined, `session, flushed: ${flush}`);
      assert.equal(
        await adapter('RefreshToken').find(refresh),
        undefined,
        `refresh token, flushed: ${flush}`,
      );
      assert.equal(await adapter('AccessToken').find(access), undefined, `access token, flushed: ${flush}`);
    }
    await settleAfterFlush(w);
  });

  test('REL-3 a refill arriving after a destroy or a revocation is refused: nothing destroyed is cached again', async () => {
    const key = id();
    const ticket = await w.cache.begin('Session', key);
    const row = await w.record.upsert('Session', key, payloadFor('Session'), 600);
    await adapter('Session').destroy(key); // between the write's record and its refill
    assert.equal(await w.cache.refill(ticket, row, w.env.clock.now()), false, 'the late refill is refused');
    assert.equal(await copyOf(w, 'Session', key), undefined);
    assert.equal(await adapter('Session').find(key), undefined);

    const [grantId, token] = [id(), id()];
    const first = w.cache.beginFirst()!; // a token is written once: no invalidation
    const issued = await w.record.upsert('AccessToken', token, payloadFor('AccessToken', { grantId }), 600);
    await adapter('AccessToken').revokeByGrantId(grantId);
    assert.equal(await w.cache.refill(first, issued, w.env.clock.now()), false, 'refused: grant revoked');
    assert.equal(await adapter('AccessToken').find(token), undefined);
  });

  test('REL-3 of two writes in flight, the older refill never lands in place of the newer record', async () => {
    const key = id();
    await adapter('Grant').upsert(key, payloadFor('Grant', { n: 0 }), 600);
    const t1 = await w.cache.begin('Grant', key);
    await w.cache.begin('Grant', key); // a second write, whose refill will be lost
    const r1 = await w.record.upsert('Grant', key, payloadFor('Grant', { n: 1 }), 600);
    await w.record.upsert('Grant', key, payloadFor('Grant', { n: 2 }), 600);
    // The newer write's refill is lost; the older one's arrives: refused while the newer is in flight.
    assert.equal(await w.cache.refill(t1, r1, w.env.clock.now()), false);
    assert.equal(await copyOf(w, 'Grant', key), undefined);
    assert.equal((await adapter('Grant').find(key))?.n, 2, 'the record answers');

    // Both refills arrive, the older first: it is refused (the newer is in flight), the newer lands,
    // and a replay of the older is refused by its version.
    const other = id();
    const [t5, t6] = [await w.cache.begin('Grant', other), await w.cache.begin('Grant', other)];
    const r5 = await w.record.upsert('Grant', other, payloadFor('Grant', { n: 5 }), 600);
    const r6 = await w.record.upsert('Grant', other, payloadFor('Grant', { n: 6 }), 600);
    assert.equal(await w.cache.refill(t5, r5, w.env.clock.now()), false);
    assert.equal(await w.cache.refill(t6, r6, w.env.clock.now()), true);
    assert.equal(await w.cache.refill(t5, r5, w.env.clock.now()), false, 'a replay of the older refill');
    assert.equal((await copyOf(w, 'Grant', other))?.n, 6);
  });

  test('REL-3 a write that reaches the record after its window drops any copy that landed meanwhile', async () => {
    const key = id();
    await adapter('Session').upsert(key, payloadFor('Session', { n: 0 }), 600);
    const slow = adapter('Session').upsert(key, payloadFor('Session', { n: 1, slow: true }), 600);
    await sleep(SLOW_MS / 2); // past the slow write's window: its hold on refills has lapsed
    await adapter('Session').upsert(key, payloadFor('Session', { n: 2 }), 600);
    assert.equal((await copyOf(w, 'Session', key))?.n, 2, 'a copy of the faster write landed');
    await slow; // committed last: the record is n = 1, and the copy it would contradict is dropped
    assert.equal((await adapter('Session').find(key))?.n, 1);
    assert.equal(await copyOf(w, 'Session', key), undefined);
  });

  test('REL-3 concurrent consumes of one artefact on two nodes: exactly one wins (20 rounds)', async () => {
    const other = await openWriteThrough({ env: w.env, prefix: w.prefix });
    try {
      for (let round = 0; round < 20; round++) {
        const [code, token] = [id(), id()];
        await adapter('AuthorizationCode').upsert(code, payloadFor('AuthorizationCode'), 600);
        const outcomes = await Promise.allSettled([
          adapter('AuthorizationCode').consume(code),
          new other.Adapter('AuthorizationCode').consume(code),
        ]);
        assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, `round ${round}`);
        const lost = outcomes.find((o) => o.status === 'rejected');
        assert.ok(lost?.reason instanceof errors.InvalidGrant, `round ${round}: invalid_grant`);
        for (const node of [w, other])
          assert.equal(typeof (await new node.Adapter('AuthorizationCode').find(code))?.consumed, 'number');

        await adapter('RefreshToken').upsert(token, payloadFor('RefreshToken'), 600);
        const won = await Promise.all([
          adapter('RefreshToken').tryConsume(token),
          new other.Adapter('RefreshToken').tryConsume(token),
          adapter('RefreshToken').tryConsume(token),
        ]);
        assert.deepEqual(won.sort(), [false, false, true], `round ${round}: tryConsume`);
      }
    } finally {
      await other.close();
    }
  });

  test('REL-3 under concurrent writes, destroys and consumes on two nodes, a copy is only ever the record', async () => {
    const other = await openWriteThrough({ env: w.env, prefix: w.prefix });
    try {
      const nodes = [w, other];
      for (let round = 0; round < 30; round++) {
        const key = id();
        await adapter('RefreshToken').upsert(key, payloadFor('RefreshToken', { n: 0 }), 600);
        const act = (i: number) => {
          const a = new nodes[i % 2]!.Adapter('RefreshToken');
          if (i % 5 === 4 && round % 3 === 0) return a.destroy(key);
          if (i % 3 === 2) return a.tryConsume(key);
          return a.upsert(key, payloadFor('RefreshToken', { n: i }), 600);
        };
        await Promise.allSettled(Array.from({ length: 6 }, (_, i) => act(i)));
        const copy = await w.cache.find('RefreshToken', key);
        const recorded = await w.record.find('RefreshToken', key);
        if (copy) {
          assert.ok(recorded, `round ${round}: a copy of a destroyed artefact`);
          assert.deepEqual(copy, recorded, `round ${round}: the copy differs from the record`);
        }
        assert.deepEqual(await adapter('RefreshToken').find(key), recorded, `round ${round}: reads`);
      }
    } finally {
      await other.close();
    }
  });
});

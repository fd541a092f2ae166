import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import { createAdapterFactory } from '../../src/oidc/adapters/adapter-factory.ts';
import { type CacheKeys, cacheKeys } from '../../src/oidc/adapters/cache-namespace.ts';
import { createSqlAdapterClass, sweepExpired } from '../../src/oidc/adapters/sql-adapter.ts';
import type { TestClock } from '../../src/platform/clock.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import {
  type CacheRedis,
  openCacheRedis,
  runIdOf,
  SHORT_CACHE_TIMING,
  waitOutBlackout,
} from './adapters.cache-helpers.ts';

// What is particular to each store, beside the shared contract (adapters.contract.test.ts).
const id = () => randomUUID().replaceAll('-', '');
const token = (grantId: string) => ({ jti: id(), kind: 'AccessToken', grantId, clientId: 'client-a' });

describe('SQL adapter store', () => {
  let env: TestEnv;
  let db: Knex;
  let clock: TestClock;
  before(async () => {
    env = await createTestEnv();
    db = env.container.database.knex;
    clock = env.clock;
  });
  after(() => env.close());

  test('adapter sweep: deletes expired rows, in batches, and nothing else', { timeout: 20_000 }, async () => {
    const Adapter = createSqlAdapterClass({ db, clock });
    const grantId = id();
    for (let i = 0; i < 5; i++) await new Adapter('AccessToken').upsert(id(), token(grantId), 60);
    await new Adapter('Session').upsert(id(), { uid: id(), kind: 'Session' }, 60);
    const lasting = id();
    const forever = id();
    await new Adapter('AccessToken').upsert(lasting, token(grantId), 61);
    await new Adapter('Grant').upsert(forever, { kind: 'Grant' });
    const before = Number((await db('oidc_models').count({ n: '*' }).first())?.n);

    clock.advance(60_000); // the 60 s rows expire exactly now; the 61 s one has a second left
    assert.equal(await sweepExpired(db, clock, { batchSize: 2 }), 6, '5 tokens and the session, 2 at a time');
    assert.equal(Number((await db('oidc_models').count({ n: '*' }).first())?.n), before - 6);
    assert.ok(await new Adapter('AccessToken').find(lasting));
    assert.ok(await new Adapter('Grant').find(forever));
    assert.equal(await sweepExpired(db, clock, { batchSize: 2 }), 0, 'nothing left to sweep');
    await assert.rejects(sweepExpired(db, clock, { batchSize: 0 }), RangeError);
  });

  test('adapter SQL: consume stamps consumed_at from the injected clock, in the row itself', async () => {
    const Adapter = createSqlAdapterClass({ db, clock });
    const code = id();
    await new Adapter('AuthorizationCode').upsert(code, { jti: code, kind: 'AuthorizationCode' }, 60);
    await new Adapter('AuthorizationCode').consume(code);
    const row = await db('oidc_models').where({ model: 'AuthorizationCode', id: code }).first();
    assert.equal(new Date(row.consumed_at).getTime(), clock.now().getTime());
    assert.equal(row.payload.consumed, undefined, 'the payload as saved is left alone');
  });

  test('adapter factory: without Redis, artefacts go to SQL; Client is never stored', async () => {
    const Adapter = createAdapterFactory({ db, clock, logger: env.container.logger, prefix: 'unused:' });
    const session = id();
    await new Adapter('Session').upsert(session, { uid: id(), kind: 'Session' }, 60);
    assert.ok(await db('oidc_models').where({ model: 'Session', id: session }).first());
    assert.throws(() => new Adapter('Client'), /Client model is not stored/);
  });
});

const redisUrl = process.env.REDIS_URL;
describe('REL-3 write-through cache in Redis', {
  skip: redisUrl ? false : 'REDIS_URL is not set: not tested',
}, () => {
  let env: TestEnv;
  let db: Knex;
  let cache: CacheRedis;
  let keys: CacheKeys;
  let Adapter: ReturnType<typeof createAdapterFactory>;
  before(async () => {
    env = await createTestEnv();
    db = env.container.database.knex;
    cache = await openCacheRedis();
    Adapter = createAdapterFactory({
      db,
      clock: env.clock,
      logger: env.container.logger,
      redis: cache.redis,
      prefix: cache.prefix,
      cacheTiming: SHORT_CACHE_TIMING,
    });
    keys = cacheKeys(cache.prefix, await runIdOf(cache.redis));
    await waitOutBlackout(cache.redis, cache.prefix);
  });
  after(async () => {
    await cache.close();
    await env.close();
  });

  test('REL-3 every write lands in SQL, the record, and a copy in Redis; reads are served from the copy', async () => {
    const session = { key: id(), uid: id() };
    await new Adapter('Session').upsert(session.key, { uid: session.uid, kind: 'Session' }, 300);
    const row = await db('oidc_models').where({ model: 'Session', id: session.key }).first();
    assert.equal(row?.uid, session.uid, 'the record');
    assert.equal(
      (await cache.redis.hget(keys.artefact('Session', session.key), 'payload')) !== null,
      true,
      'the copy',
    );
    // Behind the adapter's back, the record is removed: what is still found comes from the copy.
    await db('oidc_models').where({ model: 'Session', id: session.key }).delete();
    assert.equal(
      (await new Adapter('Session').findByUid(session.uid))?.uid,
      session.uid,
      'served from Redis',
    );
    assert.throws(() => new Adapter('Client'), /Client model is not stored/);
  });

  test('REL-3 copies and their indexes carry the artefact TTL; the grant set lasts as long as its longest member', async () => {
    const session = { key: id(), uid: id() };
    await new Adapter('Session').upsert(session.key, { uid: session.uid, kind: 'Session' }, 300);
    const artefactTtl = await cache.redis.pttl(keys.artefact('Session', session.key));
    assert.ok(artefactTtl > 299_000 && artefactTtl <= 300_000, `artefact TTL ${artefactTtl}`);
    assert.ok((await cache.redis.pttl(keys.uid('Session', session.uid))) > 299_000, 'uid index TTL');

    const grantId = id();
    await new Adapter('RefreshToken').upsert(id(), token(grantId), 900);
    await new Adapter('AccessToken').upsert(id(), token(grantId), 60);
    assert.ok(
      (await cache.redis.pttl(keys.grant(grantId))) > 899_000,
      'a shorter member does not shorten it',
    );

    const forever = id();
    await new Adapter('Grant').upsert(forever, { kind: 'Grant' });
    const capped = await cache.redis.pttl(keys.artefact('Grant', forever));
    assert.ok(capped > 0 && capped <= 24 * 3_600_000, `no expiresIn: the copy is still bounded (${capped})`);
    assert.equal(
      (await db('oidc_models').where({ id: forever }).first())?.expires_at,
      null,
      'the record is not',
    );
  });

  test('REL-3 destroy and revoke leave no copy or index behind, only short-lived marks', async () => {
    const grantId = id();
    const [device, accessToken, session, sessionUid] = [id(), id(), id(), id()];
    await new Adapter('DeviceCode').upsert(device, { ...token(grantId), userCode: `UC-${device}` }, 60);
    await new Adapter('AccessToken').upsert(accessToken, token(grantId), 60);
    await new Adapter('Session').upsert(session, { uid: sessionUid, kind: 'Session' }, 60);
    const indexes = [
      keys.uid('Session', sessionUid),
      keys.userCode('DeviceCode', `UC-${device}`),
      keys.grant(grantId),
    ];
    assert.equal(await cache.redis.exists(...indexes), 3, 'indexed while cached');

    await new Adapter('Session').destroy(session);
    await new Adapter('AccessToken').revokeByGrantId(grantId);
    assert.equal(await cache.redis.exists(...indexes), 0, 'no index is left');
    const artefacts = [
      keys.artefact('DeviceCode', device),
      keys.artefact('AccessToken', accessToken),
      keys.artefact('Session', session),
    ];
    for (const key of artefacts) {
      assert.equal(await cache.redis.hget(key, 'payload'), null, `no copy is left: ${key}`);
      assert.equal(await cache.redis.hget(key, 'floor'), 'inf', 'a destroyed mark');
      const ttl = await cache.redis.pttl(key);
      assert.ok(ttl > 0 && ttl <= SHORT_CACHE_TIMING.tombstoneMs, `the mark expires (${ttl})`);
    }
    assert.equal(await cache.redis.exists(keys.grantRevoked(grantId)), 1, 'the grant is marked revoked');
    const ids = [device, accessToken, session];
    assert.equal(await db('oidc_models').whereIn('id', ids).first(), undefined, 'the record too');
  });
});

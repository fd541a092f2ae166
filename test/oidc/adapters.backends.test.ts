import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { createAdapterFactory } from '../../src/oidc/adapters/adapter-factory.ts';
import { createRedisAdapterClass, redisKeyLayout } from '../../src/oidc/adapters/redis-adapter.ts';
import { createSqlAdapterClass, sweepExpired } from '../../src/oidc/adapters/sql-adapter.ts';
import type { TestClock } from '../../src/platform/clock.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

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
    const Adapter = createAdapterFactory({ db, clock, prefix: 'unused:' });
    const session = id();
    await new Adapter('Session').upsert(session, { uid: id(), kind: 'Session' }, 60);
    assert.ok(await db('oidc_models').where({ model: 'Session', id: session }).first());
    assert.throws(() => new Adapter('Client'), /Client model is not stored/);
  });
});

const redisUrl = process.env.REDIS_URL;
describe('Redis adapter store', { skip: redisUrl ? false : 'REDIS_URL is not set: not tested' }, () => {
  let redis: Redis;
  const prefix = `canopy-test:${randomUUID()}:`;
  const keys = redisKeyLayout(prefix);
  const ours = () => redis.keys(`${prefix}*`);
  before(() => {
    redis = new Redis(redisUrl!);
  });
  after(async () => {
    const leftovers = await ours();
    if (leftovers.length > 0) await redis.del(...leftovers);
    await redis.quit();
  });

  test('adapter Redis: artefact and index keys carry the TTL; the grant set lasts as long as its longest member', async () => {
    const Adapter = createRedisAdapterClass({ redis, prefix });
    const session = { key: id(), uid: id() };
    await new Adapter('Session').upsert(session.key, { uid: session.uid, kind: 'Session' }, 300);
    const artefactTtl = await redis.pttl(keys.artefact('Session', session.key));
    assert.ok(artefactTtl > 299_000 && artefactTtl <= 300_000, `artefact TTL ${artefactTtl}`);
    assert.ok((await redis.pttl(keys.uid('Session', session.uid))) > 299_000, 'uid index TTL');

    const grantId = id();
    await new Adapter('RefreshToken').upsert(id(), token(grantId), 900);
    await new Adapter('AccessToken').upsert(id(), token(grantId), 60);
    assert.ok((await redis.pttl(keys.grant(grantId))) > 899_000, 'a shorter member does not shorten it');

    const forever = id();
    await new Adapter('Grant').upsert(forever, { kind: 'Grant' });
    assert.equal(await redis.pttl(keys.artefact('Grant', forever)), -1, 'no expiresIn: no TTL');
  });

  test('adapter Redis: destroy and revoke leave no key behind', async () => {
    const Adapter = createRedisAdapterClass({ redis, prefix });
    for (const key of await ours()) await redis.del(key);
    const grantId = id();
    const device = id();
    await new Adapter('DeviceCode').upsert(device, { ...token(grantId), userCode: 'ABCD-EFGH' }, 60);
    await new Adapter('AccessToken').upsert(id(), token(grantId), 60);
    const session = id();
    await new Adapter('Session').upsert(session, { uid: id(), kind: 'Session' }, 60);
    assert.equal((await ours()).length, 6, 'two tokens, a session, their uid, user code and grant indexes');

    await new Adapter('Session').destroy(session);
    await new Adapter('AccessToken').revokeByGrantId(grantId);
    assert.deepEqual(await ours(), []);
  });

  test('adapter factory: with Redis, artefacts go to Redis under the prefix; Client is never stored', async () => {
    const env = await createTestEnv();
    try {
      const db = env.container.database.knex;
      const Adapter = createAdapterFactory({ db, clock: env.clock, redis, prefix });
      const session = id();
      await new Adapter('Session').upsert(session, { uid: id(), kind: 'Session' }, 60);
      assert.equal(await redis.exists(`${prefix}oidc:Session:${session}`), 1);
      assert.equal(await db('oidc_models').where({ id: session }).first(), undefined);
      assert.throws(() => new Adapter('Client'), /Client model is not stored/);
    } finally {
      await env.close();
    }
  });
});

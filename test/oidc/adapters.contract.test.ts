import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { ArtefactAdapterClass } from '../../src/oidc/adapters/adapter-contract.ts';
import { createAdapterFactory } from '../../src/oidc/adapters/adapter-factory.ts';
import { createSqlAdapterClass } from '../../src/oidc/adapters/sql-adapter.ts';
import { createTestEnv } from '../helpers/test-container.ts';
import { openCacheRedis, SHORT_CACHE_TIMING, waitOutBlackout } from './adapters.cache-helpers.ts';

// One contract, two stores: SQL alone, and SQL as the record behind the Redis write-through cache
// (REL-3). Expiry differs by nature: SQL judges it by the injected clock, which the test moves;
// Redis expires copies by their TTL in real time, so the write-through run also really waits
// just over a second (once, for all of them).
interface Store {
  Adapter: ArtefactAdapterClass;
  letTimePass(ms: number): Promise<void>;
  /** The store's own idea of now, in epoch seconds. */
  epochNow(): number;
  close(): Promise<void>;
}

async function openSqlStore(): Promise<Store> {
  const env = await createTestEnv();
  return {
    Adapter: createSqlAdapterClass({ db: env.container.database.knex, clock: env.clock }),
    letTimePass: async (ms) => env.clock.advance(ms),
    epochNow: () => Math.floor(env.clock.now().getTime() / 1000),
    close: () => env.close(),
  };
}

async function openWriteThroughStore(): Promise<Store> {
  const env = await createTestEnv();
  const cache = await openCacheRedis();
  const Adapter = createAdapterFactory({
    db: env.container.database.knex,
    clock: env.clock,
    logger: env.container.logger,
    redis: cache.redis,
    prefix: cache.prefix,
    cacheTiming: SHORT_CACHE_TIMING,
  });
  await waitOutBlackout(cache.redis, cache.prefix);
  return {
    Adapter,
    async letTimePass(ms) {
      env.clock.advance(ms);
      await sleep(ms);
    },
    epochNow: () => Math.floor(env.clock.now().getTime() / 1000),
    async close() {
      await cache.close();
      await env.close();
    },
  };
}

const now = () => Math.floor(Date.now() / 1000);
const id = () => randomUUID().replaceAll('-', '');

/** Payloads shaped like the ones oidc-provider saves for each model. */
function payloadFor(model: string, extra: Partial<AdapterPayload> = {}): AdapterPayload {
  const base = { iat: now(), exp: now() + 600, jti: id(), kind: model, ...extra };
  switch (model) {
    case 'Session':
      return {
        uid: id(),
        accountId: randomUUID(),
        loginTs: now(),
        authorizations: { 'client-a': { sid: id(), grantId: id(), persistsLogout: false } },
        ...base,
      };
    case 'Grant':
      return { accountId: randomUUID(), clientId: 'client-a', openid: { scope: 'openid email' }, ...base };
    case 'Interaction':
      return {
        uid: base.jti,
        params: { client_id: 'client-a', scope: 'openid' },
        prompt: { name: 'login', reasons: ['no_session'], details: {} },
        ...base,
      };
    default:
      return { accountId: randomUUID(), clientId: 'client-a', grantId: id(), scope: 'openid', ...base };
  }
}

const MODELS = ['Session', 'AccessToken', 'AuthorizationCode', 'RefreshToken', 'Grant', 'Interaction'];

function adapterContract(label: string, open: () => Promise<Store>) {
  describe(`adapter contract: ${label}`, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(() => store.close());
    const adapter = (model: string) => new store.Adapter(model);

    test('adapter contract: upsert then find returns the payload, per model, for each model', async () => {
      for (const model of MODELS) {
        const key = id();
        const payload = payloadFor(model);
        await adapter(model).upsert(key, payload, 600);
        assert.deepEqual(await adapter(model).find(key), payload, model);
        assert.equal(await adapter(model).find(id()), undefined, `${model}: unknown id`);
      }
      const shared = id();
      await adapter('AccessToken').upsert(shared, payloadFor('AccessToken'), 600);
      assert.equal(await adapter('RefreshToken').find(shared), undefined, 'ids are per model');
    });

    test('adapter contract: upsert replaces the payload and what it is found by', async () => {
      const key = id();
      const first = payloadFor('Session');
      await adapter('Session').upsert(key, first, 600);
      const second = payloadFor('Session', { accountId: 'someone-else' });
      await adapter('Session').upsert(key, second, 600);
      assert.deepEqual(await adapter('Session').find(key), second);
      assert.deepEqual(await adapter('Session').findByUid(second.uid!), second);
      assert.equal(await adapter('Session').findByUid(first.uid!), undefined, 'the old uid is gone');

      const token = id();
      const [oldGrant, newGrant] = [id(), id()];
      await adapter('AccessToken').upsert(token, payloadFor('AccessToken', { grantId: oldGrant }), 600);
      await adapter('AccessToken').upsert(token, payloadFor('AccessToken', { grantId: newGrant }), 600);
      await adapter('AccessToken').revokeByGrantId(oldGrant);
      assert.ok(await adapter('AccessToken').find(token), 'revoking the old grant spares the token');
      await adapter('AccessToken').revokeByGrantId(newGrant);
      assert.equal(await adapter('AccessToken').find(token), undefined);
    });

    test('adapter contract: destroy removes the artefact and only it', async () => {
      for (const model of MODELS) {
        const [gone, kept] = [id(), id()];
        const payload = payloadFor(model);
        await adapter(model).upsert(gone, payload, 600);
        await adapter(model).upsert(kept, payloadFor(model), 600);
        await adapter(model).destroy(gone);
        assert.equal(await adapter(model).find(gone), undefined, model);
        assert.ok(await adapter(model).find(kept), model);
        if (model === 'Session') assert.equal(await adapter(model).findByUid(payload.uid!), undefined);
      }
      await adapter('Session').destroy(id()); // destroying what is not there is no error
    });

    test('adapter contract: expired artefacts are not found, by id, uid or user code', async () => {
      const session = { key: id(), payload: payloadFor('Session') };
      const device = { key: id(), payload: payloadFor('DeviceCode', { userCode: 'WXYZ-1234' }) };
      const [token, lasting, forever, bornExpired] = [id(), id(), id(), id()];
      await adapter('Session').upsert(session.key, session.payload, 1);
      await adapter('DeviceCode').upsert(device.key, device.payload, 1);
      await adapter('AccessToken').upsert(token, payloadFor('AccessToken'), 1);
      await adapter('AccessToken').upsert(lasting, payloadFor('AccessToken'), 600);
      await adapter('Grant').upsert(forever, payloadFor('Grant'));
      await adapter('AccessToken').upsert(bornExpired, payloadFor('AccessToken'), 0);
      assert.ok(await adapter('AccessToken').find(token), 'found before it expires');
      assert.equal(await adapter('AccessToken').find(bornExpired), undefined, 'expiresIn 0');

      await store.letTimePass(1_100);
      assert.equal(await adapter('Session').find(session.key), undefined);
      assert.equal(await adapter('Session').findByUid(session.payload.uid!), undefined);
      assert.equal(await adapter('DeviceCode').findByUserCode('WXYZ-1234'), undefined);
      assert.equal(await adapter('AccessToken').find(token), undefined);
      assert.equal(
        await adapter('AccessToken').tryConsume(token),
        false,
        'an expired artefact is not consumed',
      );
      assert.ok(await adapter('AccessToken').find(lasting), 'a longer TTL is still there');
      assert.ok(await adapter('Grant').find(forever), 'no expiresIn: kept until destroyed');
    });

    test('adapter contract: findByUid finds a Session by its uid', async () => {
      const [key, other] = [id(), id()];
      const payload = payloadFor('Session');
      await adapter('Session').upsert(key, payload, 600);
      await adapter('Session').upsert(other, payloadFor('Session'), 600);
      assert.deepEqual(await adapter('Session').findByUid(payload.uid!), payload);
      assert.equal(await adapter('Session').findByUid(id()), undefined);
      assert.equal(await adapter('Interaction').findByUid(payload.uid!), undefined, 'per model');
    });

    test('adapter contract: findByUserCode finds a DeviceCode by its user code', async () => {
      const key = id();
      const userCode = `UC-${id().slice(0, 8)}`;
      const payload = payloadFor('DeviceCode', { userCode, deviceInfo: { ip: '192.0.2.1' } });
      await adapter('DeviceCode').upsert(key, payload, 600);
      assert.deepEqual(await adapter('DeviceCode').findByUserCode(userCode), payload);
      assert.equal(await adapter('DeviceCode').findByUserCode('NOPE-NOPE'), undefined);
    });

    test('adapter contract: revokeByGrantId removes exactly the artefacts issued under that grant', async () => {
      const [revoked, spared] = [id(), id()];
      const issued = ['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode'];
      const under = async (grantId: string) => {
        const keys = new Map<string, string>();
        for (const model of issued) {
          const key = id();
          const userCode = model === 'DeviceCode' ? { userCode: `UC-${key}` } : {};
          await adapter(model).upsert(key, payloadFor(model, { grantId, ...userCode }), 600);
          keys.set(model, key);
        }
        return keys;
      };
      const gone = await under(revoked);
      const kept = await under(spared);
      const [grantRow, interaction, session] = [revoked, id(), id()];
      await adapter('Grant').upsert(grantRow, payloadFor('Grant'), 600);
      await adapter('Interaction').upsert(interaction, payloadFor('Interaction', { grantId: revoked }), 600);
      await adapter('Session').upsert(session, payloadFor('Session'), 600);

      await adapter('AccessToken').revokeByGrantId(revoked);
      for (const [model, key] of gone) {
        assert.equal(await adapter(model).find(key), undefined, `${model} of the revoked grant`);
      }
      assert.equal(await adapter('DeviceCode').findByUserCode(`UC-${gone.get('DeviceCode')}`), undefined);
      for (const [model, key] of kept) assert.ok(await adapter(model).find(key), `${model} of another grant`);
      // The provider destroys the Grant itself when its policy says so; an interaction resuming
      // the grant is not issued under it, and sessions are bound by uid, not by grant.
      assert.ok(await adapter('Grant').find(grantRow));
      assert.ok(await adapter('Interaction').find(interaction));
      assert.ok(await adapter('Session').find(session));
      await adapter('RefreshToken').revokeByGrantId(revoked); // again: nothing left, no error
    });

    test('adapter contract: consume marks the artefact consumed, once', async () => {
      const key = id();
      const payload = payloadFor('AuthorizationCode');
      await adapter('AuthorizationCode').upsert(key, payload, 600);
      const before = store.epochNow();
      await adapter('AuthorizationCode').consume(key);
      const found = await adapter('AuthorizationCode').find(key);
      const consumedAt = found?.consumed;
      assert.ok(typeof consumedAt === 'number', 'consumed is a timestamp');
      assert.ok(consumedAt >= before && consumedAt <= store.epochNow(), 'taken at consumption');
      assert.deepEqual({ ...found, consumed: undefined }, { ...payload, consumed: undefined });
      assert.equal(await adapter('AuthorizationCode').tryConsume(key), false);
      await adapter('AuthorizationCode').upsert(key, found!, 600);
      assert.equal(
        (await adapter('AuthorizationCode').find(key))?.consumed,
        consumedAt,
        'saved again: still consumed',
      );
      assert.equal(await adapter('AuthorizationCode').tryConsume(key), false);
      await assert.rejects(adapter('AuthorizationCode').consume(key), errors.InvalidGrant);
      await assert.rejects(adapter('RefreshToken').consume(id()), errors.InvalidGrant, 'unknown id');
      await assert.rejects(adapter('PushedAuthorizationRequest').consume(id()), errors.InvalidRequestUri);
    });

    test('adapter contract: of two concurrent consumes of one code, exactly one wins (20 rounds)', async () => {
      for (let round = 0; round < 20; round++) {
        const [code, token] = [id(), id()];
        await adapter('AuthorizationCode').upsert(code, payloadFor('AuthorizationCode'), 600);
        const outcomes = await Promise.allSettled([
          adapter('AuthorizationCode').consume(code),
          adapter('AuthorizationCode').consume(code),
        ]);
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o) => o.status === 'rejected');
        assert.equal(won.length, 1, `round ${round}: one consume succeeds`);
        assert.ok(
          lost[0]?.reason instanceof errors.InvalidGrant,
          `round ${round}: the other gets invalid_grant`,
        );

        await adapter('RefreshToken').upsert(token, payloadFor('RefreshToken'), 600);
        const results = await Promise.all([
          adapter('RefreshToken').tryConsume(token),
          adapter('RefreshToken').tryConsume(token),
        ]);
        assert.deepEqual(results.sort(), [false, true], `round ${round}: tryConsume`);
      }
    });
  });
}

adapterContract('SQL', openSqlStore);
if (process.env.REDIS_URL)
  adapterContract('REL-3 write-through (SQL record, Redis cache)', openWriteThroughStore);
else
  test('adapter contract: REL-3 write-through', {
    skip: 'REDIS_URL is not set: the write-through cache was not tested',
  });

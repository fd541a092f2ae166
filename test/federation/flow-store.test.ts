import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createFlowStore, type FlowStore } from '../../src/federation/index.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

const TENANT = '00000000-0000-4000-8000-00000000aaaa';
const PROVIDER = '00000000-0000-4000-8000-00000000bbbb';

describe(`FED-6 FED-7 federation flow records (${process.env.REDIS_URL ? 'Redis' : 'SQL'})`, () => {
  let env: TestEnv;
  let flows: FlowStore;
  before(async () => {
    env = await createTestEnv();
    flows = env.container.federationFlows;
  });
  after(() => env.close());

  const flow = { interactionUid: 'uid-1', tenantId: TENANT, providerId: PROVIDER, data: { nonce: 'n' } };

  test('FED-7 a record is taken once, by its own kind only, with a 256-bit id', async () => {
    const id = await flows.put('oidc', flow);
    assert.match(id, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await flows.take('saml', id), undefined, 'another kind does not find it');
    const record = await flows.take<{ nonce: string }>('oidc', id);
    assert.equal(record?.data.nonce, 'n');
    assert.equal(record?.providerId, PROVIDER);
    assert.equal(await flows.take('oidc', id), undefined, 'replay: gone');
    assert.equal(await flows.take('oidc', '../etc'), undefined);
  });

  test('FED-7 concurrent takes: exactly one wins', async () => {
    const id = await flows.put('oidc', flow);
    const results = await Promise.all(Array.from({ length: 8 }, () => flows.take('oidc', id)));
    assert.equal(results.filter(Boolean).length, 1);
  });

  test('FED-7 records expire (at most 10 minutes), outcomes are taken once', async () => {
    const id = await flows.put('oidc', { ...flow, ttlSeconds: 3600 });
    env.clock.advance(601_000);
    assert.equal(await flows.take('oidc', id), undefined, 'capped at ten minutes');
    await flows.putOutcome('uid-2', { tenantId: TENANT, providerId: PROVIDER, userId: 'u' });
    assert.equal((await flows.takeOutcome('uid-2'))?.userId, 'u');
    assert.equal(await flows.takeOutcome('uid-2'), undefined);
  });

  test('FED-6 a parked IdP-initiated outcome: a 256-bit id, taken once, gone after two minutes', async () => {
    const outcome = { tenantId: TENANT, providerId: PROVIDER, userId: 'u' };
    const id = await flows.park(outcome);
    assert.match(id, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await flows.takeOutcome(id), undefined, 'not an interaction outcome');
    assert.deepEqual(await flows.takeParked(id), outcome);
    assert.equal(await flows.takeParked(id), undefined, 'single use');
    const late = await flows.park(outcome);
    env.clock.advance(121_000);
    assert.equal(await flows.takeParked(late), undefined, 'expired');
  });

  test('FED-7 a second store (another node) takes what the first stored', async () => {
    const other = createFlowStore({
      db: env.container.database.knex,
      clock: env.clock,
      redis: env.container.redis?.command,
      redisKeyPrefix: env.container.config.storage.redisKeyPrefix,
    });
    const id = await flows.put('saml', flow);
    assert.equal((await other.take('saml', id))?.interactionUid, 'uid-1');
  });
});

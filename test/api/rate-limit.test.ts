import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import request from 'supertest';
import { createApp } from '../../src/app.ts';
import { userToken } from '../helpers/api.ts';
import { apiSuite } from '../helpers/api-suite.ts';
import { createApiTestEnv } from '../helpers/api-world.ts';
import { watchWrites } from '../helpers/db-snapshot.ts';
import { addUser, signUpTenant } from '../helpers/factories.ts';
import type { TestEnv } from '../helpers/test-container.ts';

// Issue 4 §8: rate limits on the admin API, per caller and per address (api.rateLimitPerMinute).

const LIMIT = 5;

// Behind a proxy the address is the client's (X-Forwarded-For): distinct addresses in one test.
const {
  container: c,
  app,
  api,
  t,
  token: owner,
} = await apiSuite({
  unthrottled: true,
  config: { api: { rateLimitPerMinute: LIMIT }, server: { trustProxy: true } },
});
const colleague = await userToken(c, (await addUser(c, t.tenantId)).id);

describe('admin API rate limits', () => {
  const from = (address: string, token: string) =>
    request(app).get('/api/v1/me').set('x-forwarded-for', address).set('authorization', `Bearer ${token}`);

  test('a caller beyond the limit gets 429 with Retry-After and the error envelope; others are unaffected', async () => {
    // One minute's worth, from this test's own address (the socket's: no forwarded header).
    for (let i = 0; i < LIMIT; i++)
      assert.equal((await api.call('get', '/me', { token: owner })).status, 200);

    const refused = await api.call('get', '/me', { token: owner }); // checked against the document too
    assert.equal(refused.status, 429);
    assert.equal(refused.body.code, 'request.rate_limited');
    assert.equal(typeof refused.body.message, 'string');
    assert.equal(typeof refused.body.requestId, 'string');
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
      `Retry-After: ${retryAfter}`,
    );

    // A refused change is not made.
    const { result: patch, changed } = await watchWrites(c.database.knex, () =>
      api.call('patch', `/organizations/${t.tenantId}`, { token: owner, body: { name: 'Too fast' } }),
    );
    assert.equal(patch.status, 429);
    assert.equal(changed, '');

    // Another caller from another address is served as usual…
    assert.equal((await from('203.0.113.7', colleague)).status, 200);
    // …while the limited caller stays limited from anywhere, and the busy address for anyone.
    const elsewhere = await from('203.0.113.8', owner);
    assert.equal(elsewhere.status, 429);
    assert.equal(elsewhere.body.code, 'request.rate_limited');
    assert.ok(elsewhere.headers['retry-after']);
    assert.equal((await api.call('get', '/me', { token: colleague })).status, 429);
  });
});

describe('the client address behind proxies (TRUST_PROXY, PROXY_HOPS)', () => {
  let env: TestEnv;
  after(() => env?.close());

  test('only the last PROXY_HOPS entries of X-Forwarded-For are believed: forged entries further left change nothing', async () => {
    env = await createApiTestEnv({
      api: { rateLimitPerMinute: LIMIT },
      server: { trustProxy: true, proxyHops: 2 },
    });
    const app = createApp(env.container);
    const t = await signUpTenant(env.container);
    // A new caller each time, so only the address can be what is limited.
    const callFrom = async (forwardedFor: string) => {
      const token = await userToken(env.container, (await addUser(env.container, t.tenantId)).id);
      const res = await request(app)
        .get('/api/v1/me')
        .set('authorization', `Bearer ${token}`)
        .set('x-forwarded-for', forwardedFor);
      return res.status;
    };
    // Behind two proxies the client is 203.0.113.9; whatever the caller prepends is ignored.
    const forged: number[] = [];
    for (let i = 0; i <= LIMIT; i++) forged.push(await callFrom(`198.51.100.${i}, 203.0.113.9, 10.0.0.1`));
    assert.deepEqual(forged, [...Array(LIMIT).fill(200), 429]);
    // Other clients (the entry two hops back differs) have limits of their own.
    assert.equal(await callFrom('198.51.100.1, 203.0.113.10, 10.0.0.1'), 200);
  });
});

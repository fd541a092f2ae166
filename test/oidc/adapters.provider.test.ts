import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Provider, { errors } from 'oidc-provider';
import { createAdapterFactory } from '../../src/oidc/adapters/adapter-factory.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import { wipePrefix } from './adapters.cache-helpers.ts';

// The adapters under oidc-provider's own models, with the payloads it really saves: the contract
// tests pin the store; these pin that the provider reads back what it wrote and that the atomic
// consume reaches it. The store is the one the factory picks for this run (with REDIS_URL, the SQL
// record behind the Redis write-through cache, REL-3).
describe(`adapters under oidc-provider (${process.env.REDIS_URL ? 'REL-3 write-through' : 'SQL'})`, () => {
  let env: TestEnv;
  let provider: Provider;
  before(async () => {
    env = await createTestEnv();
    const { container } = env;
    provider = new Provider('http://127.0.0.1:3000', {
      adapter: createAdapterFactory({
        db: container.database.knex,
        clock: env.clock,
        logger: container.logger,
        redis: container.redis?.command,
        prefix: container.config.storage.redisKeyPrefix,
      }),
      clients: [
        { client_id: 'client-a', client_secret: 'unused-here', redirect_uris: ['https://rp.example/cb'] },
      ],
      ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, Session: 600, Interaction: 600 },
    });
  });
  after(async () => {
    const redis = env.container.redis?.command;
    if (redis) await wipePrefix(redis, env.container.config.storage.redisKeyPrefix);
    await env.close();
  });

  async function issueGrant(accountId: string) {
    const grant = new provider.Grant({ accountId, clientId: 'client-a' });
    grant.addOIDCScope('openid');
    return grant.save();
  }

  test('adapter provider: a session saved by the provider is found by id and by uid', async () => {
    const accountId = randomUUID();
    const session = new provider.Session();
    session.loginAccount({ accountId, loginTs: Math.floor(Date.now() / 1000) });
    await session.save(600);
    assert.equal((await provider.Session.find(session.jti))?.accountId, accountId);
    assert.equal((await provider.Session.findByUid(session.uid))?.accountId, accountId);
    await session.destroy();
    assert.equal(await provider.Session.findByUid(session.uid), undefined);
  });

  test('adapter provider: of two concurrent redemptions of one code, the provider lets one through', async () => {
    const client = (await provider.Client.find('client-a'))!;
    const accountId = randomUUID();
    const grantId = await issueGrant(accountId);
    for (let round = 0; round < 10; round++) {
      const code = new provider.AuthorizationCode({
        client,
        grantId,
        gty: 'authorization_code',
        accountId,
        scope: 'openid',
        redirectUri: 'https://rp.example/cb',
      });
      const value = await code.save();
      // Both requests load the code before either consumes it: the provider's own check passes twice.
      const loaded = await Promise.all([
        provider.AuthorizationCode.find(value),
        provider.AuthorizationCode.find(value),
      ]);
      assert.ok(loaded.every((c) => c?.isValid));
      const outcomes = await Promise.allSettled(loaded.map((c) => c!.consume()));
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, `round ${round}`);
      const refused = outcomes.find((o) => o.status === 'rejected');
      assert.ok(refused?.reason instanceof errors.InvalidGrant, `round ${round}: invalid_grant`);
      assert.equal((await provider.AuthorizationCode.find(value))?.isValid, false, 'found as consumed');
    }
  });

  test('adapter provider: revoking a grant ends its access tokens and codes', async () => {
    const client = (await provider.Client.find('client-a'))!;
    const accountId = randomUUID();
    const [grantId, otherGrantId] = [await issueGrant(accountId), await issueGrant(accountId)];
    const issue = (forGrant: string) =>
      new provider.AccessToken({
        client,
        grantId: forGrant,
        gty: 'authorization_code',
        accountId,
        scope: 'openid',
      }).save();
    const [revoked, spared] = [await issue(grantId), await issue(otherGrantId)];
    const code = await new provider.AuthorizationCode({
      client,
      grantId,
      gty: 'authorization_code',
      accountId,
      scope: 'openid',
      redirectUri: 'https://rp.example/cb',
    }).save();

    await provider.AccessToken.revokeByGrantId(grantId);
    assert.equal(await provider.AccessToken.find(revoked), undefined);
    assert.equal(await provider.AuthorizationCode.find(code), undefined);
    assert.equal((await provider.AccessToken.find(spared))?.grantId, otherGrantId);
    assert.equal((await provider.Grant.find(grantId))?.accountId, accountId, 'the grant itself stays');
  });
});

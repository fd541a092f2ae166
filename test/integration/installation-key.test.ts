import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type Container, createContainer } from '../../src/container.ts';
import { ensureInstallationKey } from '../../src/modules/secrets/index.ts';
import { DEFAULT_SIGN_IN_POLICY, type SignInResult } from '../../src/modules/sign-in/index.ts';
import type { RequestContext } from '../../src/platform/context.ts';
import {
  createSecretBox,
  keyIdOf,
  parseSecretsKey,
  sealedKeyId,
} from '../../src/platform/crypto/secret-box.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { addUser, operator, PASSWORD, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { createTestEnv, TEST_SECRETS_KEY, type TestEnv, testConfig } from '../helpers/test-container.ts';

// SEC-11, SEC-12: the installation key behind the audit log's `usernameHash` and the sign-in
// throttle's counter keys is random, made once, stored sealed with the SECRETS_KEY ring: every node
// derives the same keys, and a rotation of the ring (rotate, reseal, retire) changes none of them.

const OLD = parseSecretsKey(TEST_SECRETS_KEY);
const NEW = randomBytes(32);
const MAX = DEFAULT_SIGN_IN_POLICY.username.maxFailures;
const hex = (key: Buffer) => key.toString('hex');
const anonymous = (): RequestContext => ({ actor: { kind: 'anonymous' }, requestId: `req-${randomUUID()}` });

describe('SEC-11 SEC-12 the installation key: one per installation, unchanged by key rotations', () => {
  let env: TestEnv;
  let t: Tenant;
  const started: Container[] = [];
  before(async () => {
    env = await createTestEnv();
    t = await signUpTenant(env.container);
  });
  after(async () => {
    for (const node of started) await node.close();
    const redis = env.container.redis?.command;
    const keys = redis ? await redis.keys(`${env.container.config.storage.redisKeyPrefix}*`) : [];
    if (keys.length > 0) await redis!.del(...keys);
    await env.close();
  });

  const db = () => env.container.database.knex;
  /** Another node of the installation, on the same database and Redis, started with this ring. */
  async function node(ring: Buffer[]): Promise<Container> {
    const { storage } = env.container.config;
    const container = await createContainer(
      testConfig({
        security: { secretsKey: ring.map(hex).join(',') },
        storage: { redisUrl: storage.redisUrl, redisKeyPrefix: storage.redisKeyPrefix },
      }),
      {
        database: { ...env.container.database, close: async () => {} },
        clock: env.clock,
        logger: createLogger('silent'),
      },
    );
    started.push(container);
    return container;
  }
  const signIn = (on: Container, username: string, password: string, ip: string): Promise<SignInResult> =>
    on.signIn.authenticate(anonymous(), { tenantId: t.tenantId, username, password, ip });
  const reason = (result: SignInResult) => (result.ok ? 'ok' : result.reason);
  const stored = () => db()('installation_keys').orderBy('name').select('name', 'key_sealed', 'created_at');

  test('SEC-12 made once at the first start, and the same for every node that starts on the database', async () => {
    const first = await stored();
    assert.deepEqual(
      first.map((r) => [r.name, sealedKeyId(r.key_sealed)]),
      [['pseudonyms', keyIdOf(OLD)]],
    );
    const other = await node([OLD]);
    assert.deepEqual(await stored(), first, 'a second start writes nothing');
    const name = `someone-${randomUUID()}`;
    assert.equal(other.signIn.usernameHash(name), env.container.signIn.usernameHash(name));
    assert.notEqual(other.signIn.usernameHash(`${name}x`), other.signIn.usernameHash(name));

    // Nodes starting together on an empty table agree on one key: whichever insert came first.
    const box = createSecretBox(OLD);
    const racing = await Promise.all(
      Array.from({ length: 4 }, () => ensureInstallationKey(db(), box, 'test-race', env.clock.now())),
    );
    assert.equal(new Set(racing.map(hex)).size, 1);
    assert.equal(racing[0]!.length, 32);
    await db()('installation_keys').where({ name: 'test-race' }).delete();
  });

  test('SEC-11 SEC-12 throttle counters and username hashes are the same across a SECRETS_KEY rotation', async () => {
    const before = await stored();
    const name = `unknown-${randomUUID()}`;
    const hashed = env.container.signIn.usernameHash(name);
    const user = await addUser(env.container, t.tenantId);
    const ip = '198.51.100.7';

    // Old ring: failures start counting.
    for (let i = 0; i < 2; i++)
      assert.equal(reason(await signIn(env.container, user.username, 'x', ip)), 'invalid_credentials');
    // Mid-rotation, nodes hold the keys in either order (the old one or the new one sealing): every
    // node counts on the same counter, so the limit is reached across them.
    const appended = await node([OLD, NEW]);
    const promoted = await node([NEW, OLD]);
    assert.equal(reason(await signIn(appended, user.username, 'x', ip)), 'invalid_credentials');
    for (let i = 3; i < MAX; i++)
      assert.equal(reason(await signIn(promoted, user.username, 'x', ip)), 'invalid_credentials');
    assert.equal(reason(await signIn(env.container, user.username, PASSWORD, ip)), 'throttled');
    assert.equal(reason(await signIn(promoted, user.username, PASSWORD, ip)), 'throttled');
    assert.equal(promoted.signIn.usernameHash(name), hashed);

    // Re-sealed with the new key, the old one retired and gone: the key and what it keys stay.
    const report = await promoted.secrets.reseal(operator());
    assert.deepEqual(report.unreadable, []);
    await promoted.secrets.retire(operator(), keyIdOf(OLD));
    const resealed = await stored();
    assert.equal(resealed.length, 1);
    assert.equal(sealedKeyId(resealed[0].key_sealed), keyIdOf(NEW));
    assert.notEqual(resealed[0].key_sealed, before[0].key_sealed);
    assert.deepEqual(resealed[0].created_at, before[0].created_at);

    const onlyNew = await node([NEW]);
    assert.equal(onlyNew.signIn.usernameHash(name), hashed, 'an old usernameHash can still be checked');
    assert.deepEqual(await stored(), resealed, 'the new ring opens the key and makes no other');
    // The lockout counted under the old ring holds under the new one, and the count goes on.
    assert.equal(reason(await signIn(onlyNew, user.username, PASSWORD, ip)), 'throttled');
    const counted = await onlyNew.signIn.inspect(t.tenantId, user.username);
    assert.deepEqual(counted, await env.container.signIn.inspect(t.tenantId, user.username));
    assert.equal(counted.failures, MAX);

    // An operator's unlock on the new ring finds and lifts the old ring's lockout.
    const unlocked = await onlyNew.signIn.unlock(operator(), t.tenantId, { username: user.username });
    assert.ok(unlocked.lockoutsLifted >= 1);
    assert.equal(reason(await signIn(onlyNew, user.username, PASSWORD, ip)), 'ok');
  });
});

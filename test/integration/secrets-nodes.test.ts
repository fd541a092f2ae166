import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createContainer } from '../../src/container.ts';
import { createNodePresence, createSecretsService } from '../../src/modules/secrets/index.ts';
import { createSecretBox, keyIdOf, parseSecretsKey } from '../../src/platform/crypto/secret-box.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { operator } from '../helpers/factories.ts';
import { createTestEnv, TEST_SECRETS_KEY, type TestEnv, testConfig } from '../helpers/test-container.ts';

const OLD = parseSecretsKey(TEST_SECRETS_KEY);
const NEW = randomBytes(32);
const logger = createLogger('silent');

describe('SEC-11 operator commands refuse while a running node holds another ring', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  const db = () => env.container.database.knex;
  /** A node running with this ring, as the server registers itself. */
  async function nodeWith(ring: Buffer[]) {
    const presence = createNodePresence({ db: db(), box: createSecretBox(ring), logger });
    await presence.start();
    return presence;
  }
  /** The command line, with its own ring. */
  const cli = (ring: Buffer[]) =>
    createSecretsService({ db: db(), box: createSecretBox(ring), audit: env.container.audit });

  test('SEC-11 reseal refuses while a node lacks the sealing key; retire while a node still seals with the old key', async () => {
    const ctx = operator();
    const lagging = await nodeWith([OLD]); // step 2 missed on this node
    const listed = await cli([NEW, OLD]).nodes();
    assert.equal(listed.length, 1);
    assert.deepEqual(listed[0]!.keyIds, [keyIdOf(OLD)]);
    await assert.rejects(cli([NEW, OLD]).reseal(ctx), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'secrets.ring_mismatch');
      assert.match(err.message, new RegExp(`does not hold key ${keyIdOf(NEW)}.*step 2`));
      return true;
    });
    await lagging.stop();

    const stepTwo = await nodeWith([OLD, NEW]); // holds the new key, still seals with the old one
    const report = await cli([NEW, OLD]).reseal(ctx);
    assert.equal(report.unreadable.length, 0);
    await assert.rejects(cli([NEW, OLD]).retire(ctx, keyIdOf(OLD)), /still seals with key .*step 3/);
    await stepTwo.stop();

    const stepThree = await nodeWith([NEW, OLD]);
    await cli([NEW, OLD]).retire(ctx, keyIdOf(OLD));
    await stepThree.stop();
    assert.deepEqual(await cli([NEW]).nodes(), [], 'a stopped node says so');
    await cli([OLD, NEW]).reseal(ctx); // back to the test key for the tests below
  });

  test('SEC-11 keys rotate and keys revoke refuse while a node could not open the new signing key', async () => {
    const ctx = operator();
    const lagging = await nodeWith([OLD]);
    const other = await createContainer(
      testConfig({ security: { secretsKey: `${NEW.toString('hex')},${TEST_SECRETS_KEY}` } }),
      {
        database: { ...env.container.database, close: async () => {} },
        clock: env.clock,
        logger,
      },
    );
    try {
      await assert.rejects(other.signingKeys.rotate(ctx), { code: 'secrets.ring_mismatch' });
      const [active] = (await other.signingKeys.list()).filter((k) => k.status === 'active');
      await assert.rejects(other.signingKeys.revoke(ctx, active!.kid), { code: 'secrets.ring_mismatch' });
      assert.equal((await other.signingKeys.list()).filter((k) => k.status === 'revoked').length, 0);
    } finally {
      await other.close();
      await lagging.stop();
    }
  });

  test('SEC-11 a node that stopped without saying so (a crash) no longer counts after three minutes', async () => {
    const crashed = await nodeWith([OLD]);
    await db()('nodes').update({ seen_at: db().raw("now() - interval '4 minutes'") });
    assert.deepEqual(await cli([NEW, OLD]).nodes(), []);
    await cli([NEW, OLD]).reseal(operator());
    await crashed.stop();
    await cli([OLD, NEW]).reseal(operator());
  });

  test('SEC-11 a serving node on PostgreSQL registers its ring (ids only) and removes it when it stops', async (t) => {
    if (env.container.database.kind !== 'postgres') {
      // Embedded: one process at a time, nobody to tell.
      const serving = await createContainer(testConfig(), {
        database: { ...env.container.database, close: async () => {} },
        clock: env.clock,
        logger,
        serving: true,
      });
      assert.deepEqual(await cli([OLD]).nodes(), []);
      await serving.close();
      t.diagnostic('embedded: no registration, as designed');
      return;
    }
    const serving = await createContainer(testConfig(), {
      database: { ...env.container.database, close: async () => {} },
      clock: env.clock,
      logger,
      serving: true,
    });
    const [row] = await cli([OLD]).nodes();
    assert.deepEqual(row?.keyIds, [keyIdOf(OLD)]);
    assert.equal(row?.sealingKeyId, keyIdOf(OLD));
    const stored = JSON.stringify(await db()('nodes').select('*'));
    assert.equal(stored.includes(TEST_SECRETS_KEY), false, 'no key material');
    await serving.close();
    assert.deepEqual(await cli([OLD]).nodes(), []);
  });
});

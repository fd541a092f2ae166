import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  createSecretsService,
  SEALED_COLUMNS,
  sealedColumnsInSchema,
  verifySealedSecrets,
} from '../../src/modules/secrets/index.ts';
import {
  createSecretBox,
  keyIdOf,
  parseSecretsKey,
  sealedKeyId,
} from '../../src/platform/crypto/secret-box.ts';
import { operator, signUpTenant } from '../helpers/factories.ts';
import { fillSealedColumns, openAllSealed } from '../helpers/sealed-values.ts';
import { createTestEnv, TEST_SECRETS_KEY, type TestEnv } from '../helpers/test-container.ts';

const OLD = parseSecretsKey(TEST_SECRETS_KEY);
const NEW = randomBytes(32);

describe('SEC-11 the SECRETS_KEY ring: rotate, reseal, retire', () => {
  let env: TestEnv;
  /** Every stored plaintext secret, by `table.column:row`, as first read with the old key. */
  const plain = new Map<string, string>();

  const readAll = (box: ReturnType<typeof createSecretBox>) =>
    openAllSealed(env.container.database.knex, box);

  before(async () => {
    env = await createTestEnv();
    await fillSealedColumns(env.container);
    for (const [k, v] of await readAll(createSecretBox(OLD))) plain.set(k, v);
  });
  after(() => env.close());

  test('SEC-11 the registry names every sealed column of the schema', async () => {
    const listed = SEALED_COLUMNS.map((c) => `${c.table}.${c.column}`).sort();
    assert.deepEqual(listed, await sealedColumnsInSchema(env.container.database.knex));
  });

  test('SEC-11 the fixture fills every sealed column', () => {
    for (const column of SEALED_COLUMNS) {
      const prefix = `${column.table}.${column.column}:`;
      assert.ok(
        [...plain.keys()].some((k) => k.startsWith(prefix)),
        `nothing stored in ${prefix}`,
      );
    }
  });

  test('SEC-11 the start check refuses a ring that lacks a key in use, and one whose key cannot open', async () => {
    const db = env.container.database.knex;
    await assert.rejects(
      verifySealedSecrets(db, createSecretBox(NEW)),
      new RegExp(
        `does not hold key ${keyIdOf(OLD)}, which sealed values in client_credentials\\.secret_sealed`,
      ),
    );
    await verifySealedSecrets(db, createSecretBox([NEW, OLD]));
  });

  test('SEC-11 rotate + reseal + retire: every stored secret still opens, and the old key is needed by nothing', async () => {
    const db = env.container.database.knex;
    const ctx = operator();
    const oldId = keyIdOf(OLD);
    const newId = keyIdOf(NEW);
    const ring = createSecretsService({ db, box: createSecretBox([NEW, OLD]), audit: env.container.audit });

    const before = await ring.usage();
    assert.equal(before.find((k) => k.id === oldId)?.total, plain.size);
    assert.deepEqual(
      before.find((k) => k.id === newId),
      { id: newId, seals: true, held: true, sealed: {}, total: 0 },
    );
    await assert.rejects(ring.retire(ctx, oldId), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'secrets.key_in_use');
      assert.match(err.message, /run canopy secrets reseal first/);
      return true;
    });
    await assert.rejects(ring.retire(ctx, newId), /seals new values/);
    await assert.rejects(ring.retire(ctx, 'nope'), { code: 'secrets.key_unknown' });

    // Resumable: small batches, and a second run finds nothing left.
    const first = await ring.reseal(ctx, { batchSize: 1 });
    assert.deepEqual(first, { resealed: plain.size, changedMeanwhile: 0, unreadable: [] });
    assert.deepEqual(await ring.reseal(ctx), { resealed: 0, changedMeanwhile: 0, unreadable: [] });

    await ring.retire(ctx, oldId);
    const onlyNew = createSecretBox(NEW);
    assert.deepEqual(await readAll(onlyNew), plain, 'the new key alone opens every secret, unchanged');
    await verifySealedSecrets(db, onlyNew);
    await assert.rejects(
      verifySealedSecrets(db, createSecretBox(OLD)),
      new RegExp(`does not hold key ${newId}`),
    );
    for (const column of SEALED_COLUMNS) {
      const rows = await db(column.table).whereNotNull(column.column).select(column.column);
      for (const row of rows) assert.equal(sealedKeyId(row[column.column]), newId);
    }

    const actions = (await db('audit_log').whereLike('action', 'secrets.%').select('action', 'after')).map(
      (r) => r.action,
    );
    assert.deepEqual(actions.sort(), ['secrets.reseal', 'secrets.reseal', 'secrets.retire']);
    const [firstRun] = await db('audit_log')
      .where({ action: 'secrets.reseal' })
      .orderBy('id')
      .select('after');
    const after = typeof firstRun.after === 'string' ? JSON.parse(firstRun.after) : firstRun.after;
    assert.deepEqual(after, { keyId: newId, reEncrypted: plain.size, changedMeanwhile: 0, unreadable: 0 });
    const text = JSON.stringify(await db('audit_log').whereLike('action', 'secrets.%').select('*'));
    for (const key of [OLD, NEW]) {
      assert.equal(text.includes(key.toString('hex')), false, 'no key in the audit log');
    }

    // Back to the test key for the other files sharing nothing: this file's database is its own.
    const back = createSecretsService({ db, box: createSecretBox([OLD, NEW]), audit: env.container.audit });
    await back.reseal(ctx);
  });

  test('SEC-11 a value changed while being re-sealed is left as the writer sealed it', async () => {
    const db = env.container.database.knex;
    const { createSecretsRepository } = await import('../../src/modules/secrets/secrets.repository.ts');
    const repo = createSecretsRepository(db);
    const column = SEALED_COLUMNS.find((c) => c.table === 'apps' && c.column === 'secret_sealed')!;
    const [value] = await repo.notSealedBy(column, 'none', null, 1);
    assert.ok(value);
    assert.equal(await repo.replace(column, { ...value, sealed: `${value.sealed}x` }, 'v1.stale'), false);
    assert.equal(await repo.replace(column, value, value.sealed), true);
  });

  test('SEC-11 only the operator re-seals or retires', async () => {
    const t = await signUpTenant(env.container);
    const ring = createSecretsService({
      db: env.container.database.knex,
      box: createSecretBox(OLD),
      audit: env.container.audit,
    });
    await assert.rejects(ring.reseal(t.owner), { code: 'auth.permission_denied' });
    await assert.rejects(ring.retire(t.owner, keyIdOf(OLD)), { code: 'auth.permission_denied' });
  });
});

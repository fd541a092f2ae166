import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { migrationSource } from '../../migrations/index.ts';
import {
  createSigningKeyService,
  KEYS_CHANGED,
  type SigningKeyService,
} from '../../src/modules/signing-keys/index.ts';
import { createSecretBox, parseSecretsKey } from '../../src/platform/crypto/secret-box.ts';
import { AppError } from '../../src/platform/errors/index.ts';
import { lastAuditId, operator, userCtx } from '../helpers/factories.ts';
import { providerCaughtUp } from '../helpers/provider-caught-up.ts';
import { createTestEnv, TEST_SECRETS_KEY, type TestEnv } from '../helpers/test-container.ts';
import { backend } from '../helpers/test-database.ts';

const HOUR = 3_600_000;

describe(`SEC-11 keys revoke: a signing key withdrawn at once (${backend})`, () => {
  // One container for the file. Keys are installation-wide, so each test begins with the two keys
  // a fresh installation has, hears only its own signals and reads only the audit entries written
  // since it began (the audit log is append-only).
  let env: TestEnv;
  let heard: string[] = [];
  let auditBefore: number;
  before(async () => {
    env = await createTestEnv();
    await env.container.signals.subscribe(KEYS_CHANGED, (message) => heard.push(message));
  });
  after(async () => {
    await providerCaughtUp(env.container);
    await env.close();
  });
  beforeEach(async () => {
    await knex()('signing_keys').delete();
    await env.container.signingKeys.ensureKeys();
    auditBefore = await lastAuditId(env.container);
    heard = [];
  });

  const knex = () => env.container.database.knex;
  const row = (kid: string) => knex()('signing_keys').where({ kid }).first();
  const publishedKids = async (keys: SigningKeyService = env.container.signingKeys) =>
    (await keys.providerJwks()).keys.map((k) => k.kid);
  const activeOf = async (alg: string) =>
    (await env.container.signingKeys.list()).find((k) => k.alg === alg && k.status === 'active')!;
  const revocations = () =>
    knex()('audit_log').where({ action: 'signing_keys.revoke' }).where('id', '>', auditBefore).select('*');

  /** A node started later over the same database: its own service, from the same SECRETS_KEY. */
  function restartedNode(): SigningKeyService {
    const c = env.container;
    return createSigningKeyService({
      db: c.database.knex,
      clock: env.clock,
      box: createSecretBox(parseSecretsKey(TEST_SECRETS_KEY)),
      audit: c.audit,
      signals: c.signals,
      logger: c.logger,
    });
  }

  test('SEC-11 revoking the active key: unpublished at once, private half erased, a new key signs its algorithm', async () => {
    const { signingKeys } = env.container;
    const es = await activeOf('ES256');
    const rs = await activeOf('RS256');
    env.clock.advance(5 * 60_000);
    const now = env.clock.now();

    const result = await signingKeys.revoke(operator(), es.kid);
    assert.equal(result.was, 'active');
    assert.equal(result.notified, true);
    assert.deepEqual(heard, [JSON.stringify({ at: now.toISOString() })], 'KEYS_CHANGED after the revocation');
    assert.deepEqual(
      [result.revoked.kid, result.revoked.status, result.revoked.revokedAt, result.revoked.retireAt],
      [es.kid, 'revoked', now, now],
    );
    const replacement = result.replacement;
    assert.ok(replacement, 'a replacement for the key that was signing');
    assert.deepEqual([replacement.alg, replacement.status], ['ES256', 'active']);
    assert.notEqual(replacement.kid, es.kid);

    // The replacement signs ES256 (first in the set), the RS256 key is untouched, the revoked one is gone.
    assert.deepEqual(await publishedKids(), [replacement.kid, rs.kid]);
    const stored = await row(es.kid);
    assert.equal(stored.status, 'revoked');
    assert.equal(stored.private_jwk_sealed, null, 'private half erased');
    const listed = await signingKeys.list();
    assert.deepEqual(listed.find((k) => k.kid === es.kid)?.status, 'revoked', 'list shows it, revoked');
    assert.deepEqual(
      listed
        .filter((k) => k.status === 'active')
        .map((k) => k.kid)
        .sort(),
      [replacement.kid, rs.kid].sort(),
    );
  });

  test('SEC-11 revoking a retiring key ends its retention at once, and nothing replaces it', async () => {
    const { signingKeys } = env.container;
    const before = await publishedKids();
    const { added, retiring } = await signingKeys.rotate(operator());
    const retiringEs = retiring.find((k) => k.alg === 'ES256')!;
    assert.deepEqual(await publishedKids(), [...added.map((k) => k.kid), ...before]);
    env.clock.advance(10 * 60_000);

    const result = await signingKeys.revoke(operator(), retiringEs.kid);
    assert.equal(result.was, 'retiring');
    assert.equal(result.replacement, null);
    assert.deepEqual(result.revoked.retireAt, env.clock.now(), 'no longer published from now on');
    assert.deepEqual(await publishedKids(), [
      ...added.map((k) => k.kid),
      ...before.filter((kid) => kid !== retiringEs.kid),
    ]);
    assert.equal((await row(retiringEs.kid)).private_jwk_sealed, null);
    // Its scheduled retirement does not bring it back as `retired`: it stays revoked.
    env.clock.advance(3 * HOUR);
    assert.deepEqual(
      await publishedKids(),
      added.map((k) => k.kid),
    );
    assert.equal((await signingKeys.list()).find((k) => k.kid === retiringEs.kid)?.status, 'revoked');
  });

  test('SEC-11 revoking an already retired key marks it revoked, keeping when it stopped being published', async () => {
    const { signingKeys } = env.container;
    const { retiring } = await signingKeys.rotate(operator());
    const retireAt = retiring[0]!.retireAt;
    env.clock.advance(3 * HOUR);
    await signingKeys.providerJwks(); // retires the keys that are due
    assert.equal((await row(retiring[0]!.kid)).status, 'retired');
    const result = await signingKeys.revoke(operator(), retiring[0]!.kid);
    assert.deepEqual([result.was, result.replacement], ['retired', null]);
    assert.deepEqual(result.revoked.retireAt, retireAt);
    assert.deepEqual(result.revoked.revokedAt, env.clock.now());
  });

  test('SEC-11 an unknown kid is signing_key.not_found (404), an operator-only action, and changes nothing', async () => {
    const { signingKeys } = env.container;
    const unchanged = await signingKeys.list();
    for (const kid of ['no-such-kid', '', 'x'.repeat(300), 'a\0b']) {
      await assert.rejects(
        signingKeys.revoke(operator(), kid),
        (err) => err instanceof AppError && err.code === 'signing_key.not_found' && err.status === 404,
        `kid ${JSON.stringify(kid.slice(0, 20))}`,
      );
    }
    const someone = userCtx('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002');
    await assert.rejects(
      signingKeys.revoke(someone, unchanged[0]!.kid),
      (err) => err instanceof AppError && err.code === 'auth.permission_denied',
    );
    assert.deepEqual(await signingKeys.list(), unchanged);
    assert.deepEqual(await revocations(), []);
    assert.deepEqual(heard, []);
  });

  test('SEC-11 a revocation is audited with kid, algorithm and replacement, never key material', async () => {
    const { signingKeys } = env.container;
    const es = await activeOf('ES256');
    const material = JSON.stringify((await signingKeys.providerJwks()).keys);
    const sealed = (await row(es.kid)).private_jwk_sealed as string;
    const ctx = operator();
    const { replacement } = await signingKeys.revoke(ctx, es.kid);
    const entries = await revocations();
    assert.equal(entries.length, 1);
    const entry = entries[0];
    assert.deepEqual(
      [entry.actor_type, entry.actor_id, entry.tenant_id, entry.request_id],
      ['operator', 'test-operator', null, ctx.requestId],
    );
    assert.deepEqual([entry.target_type, entry.target_id], ['signing_key', es.kid]);
    assert.deepEqual(entry.before, { kid: es.kid, alg: 'ES256', status: 'active' });
    assert.deepEqual(entry.after, {
      kid: es.kid,
      alg: 'ES256',
      status: 'revoked',
      replacement: { kid: replacement!.kid, alg: 'ES256' },
    });
    const text = JSON.stringify(entry);
    assert.equal(text.includes('"d"'), false);
    assert.equal(text.includes(sealed), false);
    for (const key of JSON.parse(material) as Array<{ d: string }>) assert.equal(text.includes(key.d), false);
  });

  test('SEC-11 revoking a revoked key is idempotent: no change, no new key, no second audit entry; nodes are told again', async () => {
    const { signingKeys } = env.container;
    const es = await activeOf('ES256');
    const first = await signingKeys.revoke(operator(), es.kid);
    const after = await signingKeys.list();
    env.clock.advance(60_000);
    const again = await signingKeys.revoke(operator(), es.kid);
    assert.equal(again.was, 'revoked');
    assert.equal(again.replacement, null);
    assert.deepEqual(again.revoked, first.revoked, 'still revoked as of the first call');
    assert.deepEqual(await signingKeys.list(), after);
    assert.equal((await revocations()).length, 1);
    assert.equal(heard.length, 2, 'the second call signals again, for nodes that missed the first');
  });

  test('SEC-11 a revoked key never returns: not after a restart, a rotation, or its retention', async () => {
    const { signingKeys } = env.container;
    const es = await activeOf('ES256');
    const rs = await activeOf('RS256');
    await signingKeys.revoke(operator(), es.kid);
    await signingKeys.revoke(operator(), rs.kid);
    const node = restartedNode();
    await node.ensureKeys();
    assert.equal((await publishedKids(node)).length, 2);
    await node.rotate(operator());
    env.clock.advance(3 * HOUR);
    await node.rotate(operator());
    const published = await publishedKids(node);
    assert.equal(published.length, 4);
    for (const kid of [es.kid, rs.kid]) {
      assert.equal(published.includes(kid), false, `${kid} published again`);
      assert.equal((await row(kid)).status, 'revoked');
    }
  });

  test('SEC-11 the database itself keeps a revoked key erased and marked', async () => {
    const es = await activeOf('ES256');
    const sealed = (await row(es.kid)).private_jwk_sealed as string;
    await env.container.signingKeys.revoke(operator(), es.kid);
    const now = env.clock.now();
    // Private material back on a revoked key, a revoked key without revoked_at, or back to active.
    for (const change of [
      { private_jwk_sealed: sealed },
      { revoked_at: null },
      { status: 'active', retire_at: null, revoked_at: null },
      { status: 'retiring', revoked_at: null },
    ]) {
      await assert.rejects(knex()('signing_keys').where({ kid: es.kid }).update(change), /check constraint/);
    }
    const rs = await activeOf('RS256');
    await assert.rejects(
      knex()('signing_keys').where({ kid: rs.kid }).update({ revoked_at: now }),
      /check constraint/,
      'only a revoked key has revoked_at',
    );
  });

  test('SEC-11 the migration goes down (revoked keys become retired ones) and up again', async () => {
    const es = await activeOf('ES256');
    await env.container.signingKeys.revoke(operator(), es.kid);
    const name = '20261207000200_signing_key_revocation';
    await knex().migrate.down({ migrationSource, name });
    const down = await row(es.kid);
    assert.deepEqual([down.status, down.private_jwk_sealed, 'revoked_at' in down], ['retired', null, false]);
    await assert.rejects(
      knex()('signing_keys').where({ kid: es.kid }).update({ status: 'revoked' }),
      /check constraint/,
    );
    await knex().migrate.up({ migrationSource, name });
    assert.equal((await row(es.kid)).revoked_at, null);
    assert.equal((await env.container.signingKeys.list()).length, 3);
  });
});

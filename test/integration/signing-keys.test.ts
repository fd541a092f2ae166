import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { Provider } from 'oidc-provider';
import request from 'supertest';
import {
  createSigningKeyService,
  DEFAULT_RETENTION_MS,
  KEYS_CHANGED,
  type PrivateJwk,
  type PublicJwk,
  type SigningKeyService,
} from '../../src/modules/signing-keys/index.ts';
import { createSecretBox, parseSecretsKey } from '../../src/platform/crypto/secret-box.ts';
import { type Database, openDatabase } from '../../src/platform/db/database.ts';
import { AppError } from '../../src/platform/errors/index.ts';
import { lastAuditId, operator, userCtx } from '../helpers/factories.ts';
import { providerCaughtUp } from '../helpers/provider-caught-up.ts';
import { createTestEnv, TEST_SECRETS_KEY, type TestEnv } from '../helpers/test-container.ts';
import { backend } from '../helpers/test-database.ts';

const HOUR = 3_600_000;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];

/** Signs with the private JWK and verifies with the public one, as a relying party would. */
function signsAndVerifies(privateJwk: PrivateJwk, publicJwk: PublicJwk): boolean {
  const data = Buffer.from(`payload for ${privateJwk.kid}`);
  const dsaEncoding = 'ieee-p1363' as const; // the JWS form of an ECDSA signature
  const key = createPrivateKey({ key: { ...privateJwk }, format: 'jwk' });
  const signature = sign('sha256', data, { key, dsaEncoding });
  const pub = createPublicKey({ key: { ...publicJwk }, format: 'jwk' });
  return verify('sha256', data, { key: pub, dsaEncoding }, signature);
}

/** Serving `/jwks` stores nothing; this keeps the provider from warning about its in-memory default. */
class NoStorage {
  async upsert() {}
  async find() {
    return undefined;
  }
  async findByUserCode() {
    return undefined;
  }
  async findByUid() {
    return undefined;
  }
  async consume() {}
  async destroy() {}
  async revokeByGrantId() {}
}

/** The kids oidc-provider publishes at `/jwks` when given `jwks`, checked to carry no private member. */
async function publishedByProvider(jwks: { keys: PrivateJwk[] }): Promise<string[]> {
  const provider = new Provider('http://localhost:3000', {
    jwks: structuredClone(jwks),
    adapter: NoStorage,
    features: { devInteractions: { enabled: false } },
  });
  const res = await request(provider.callback()).get('/jwks').expect(200);
  const published = res.body.keys as Array<Record<string, unknown>>;
  for (const key of published) for (const member of PRIVATE_MEMBERS) assert.equal(member in key, false);
  return published.map((k) => k.kid as string);
}

describe(`signing keys (${backend})`, () => {
  // One container for the file. Keys are installation-wide, so each test begins from an
  // installation without any (the container created some as it started) and reads only the audit
  // entries written since it began: the audit log is append-only.
  let env: TestEnv;
  let extra: Database | undefined;
  let auditBefore: number;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await providerCaughtUp(env.container);
    await env.close();
  });
  beforeEach(async () => {
    await env.container.database.knex('signing_keys').delete();
    auditBefore = await lastAuditId(env.container);
  });
  afterEach(async () => {
    await extra?.close();
    extra = undefined;
  });

  /** Another node's service over the same database: its own SecretBox from the same SECRETS_KEY. */
  function anotherNode(
    options: { knex?: Database['knex']; secretsKey?: string; retentionMs?: number } = {},
  ): SigningKeyService {
    const c = env.container;
    return createSigningKeyService({
      db: options.knex ?? c.database.knex,
      clock: env.clock,
      box: createSecretBox(parseSecretsKey(options.secretsKey ?? TEST_SECRETS_KEY)),
      audit: c.audit,
      signals: c.signals,
      logger: c.logger,
      ...(options.retentionMs === undefined ? {} : { retentionMs: options.retentionMs }),
    });
  }

  const rows = () => env.container.database.knex('signing_keys').orderBy('created_at').select('*');

  test('ensureKeys creates one active ES256 and one active RS256 key, once', async () => {
    const { signingKeys } = env.container;
    assert.deepEqual(await signingKeys.list(), []);
    await signingKeys.ensureKeys();
    const first = await signingKeys.list();
    assert.deepEqual(first.map((k) => [k.alg, k.status, k.retireAt]).sort(), [
      ['ES256', 'active', null],
      ['RS256', 'active', null],
    ]);
    for (const k of first) {
      assert.deepEqual(k.createdAt, env.clock.now());
      assert.equal(k.publicJwk.kid, k.kid);
      for (const member of PRIVATE_MEMBERS) assert.equal(member in k.publicJwk, false);
    }
    await signingKeys.ensureKeys();
    await anotherNode().ensureKeys();
    assert.deepEqual(await signingKeys.list(), first);
  });

  test('nodes starting at once against one database still create exactly one key per algorithm', async () => {
    let knex = env.container.database.knex;
    if (backend === 'postgres') {
      // A second node has its own connection pool on the same schema.
      const { rows: found } = await knex.raw('select current_schema() as schema');
      extra = await openDatabase({
        databaseUrl: process.env.DATABASE_URL!,
        dataDir: '',
        poolMax: 3,
        searchPath: found[0].schema,
      });
      knex = extra.knex;
    }
    const nodes = [env.container.signingKeys, anotherNode(), anotherNode({ knex }), anotherNode({ knex })];
    await Promise.all(nodes.map((node) => node.ensureKeys()));
    const stored = await rows();
    assert.deepEqual(stored.map((r) => `${r.alg}:${r.status}`).sort(), ['ES256:active', 'RS256:active']);
    const kids = await Promise.all(nodes.map(async (n) => (await n.providerJwks()).keys.map((k) => k.kid)));
    for (const seen of kids) assert.deepEqual(seen, kids[0]);
  });

  test('private JWKs are sealed at rest, bound to their kid, and need the right SECRETS_KEY', async () => {
    await env.container.signingKeys.ensureKeys();
    const { keys } = await env.container.signingKeys.providerJwks();
    const [es, rs] = await rows().then((r) => [
      r.find((x) => x.alg === 'ES256'),
      r.find((x) => x.alg === 'RS256'),
    ]);
    assert.ok(es && rs);
    for (const row of [es, rs]) {
      const text = JSON.stringify(row);
      assert.match(row.private_jwk_sealed, /^v1\./);
      assert.equal(text.includes('"d"'), false);
      const jwk = keys.find((k) => k.kid === row.kid)!;
      for (const member of PRIVATE_MEMBERS) {
        const value = (jwk as unknown as Record<string, string | undefined>)[member];
        if (value) assert.equal(text.includes(value), false, `${member} in clear`);
      }
    }
    const box = createSecretBox(parseSecretsKey(TEST_SECRETS_KEY));
    assert.equal(JSON.parse(box.open(es.private_jwk_sealed, `signing_keys:${es.kid}`)).kid, es.kid);
    assert.throws(() => box.open(es.private_jwk_sealed, `signing_keys:${rs.kid}`));
    const wrongKey = anotherNode({ secretsKey: 'b'.repeat(64) });
    await assert.rejects(wrongKey.providerJwks(), /SECRETS_KEY does not open signing key/);
    await assert.rejects(wrongKey.ensureKeys(), /SECRETS_KEY does not open signing key/);
  });

  test('providerJwks: active ES256 first, then RS256; oidc-provider accepts the set and publishes public keys only', async () => {
    const { signingKeys } = env.container;
    await signingKeys.ensureKeys();
    const jwks = await signingKeys.providerJwks();
    assert.deepEqual(
      jwks.keys.map((k) => [k.kty, k.alg, k.use]),
      [
        ['EC', 'ES256', 'sig'],
        ['RSA', 'RS256', 'sig'],
      ],
    );
    const listed = await signingKeys.list();
    for (const key of jwks.keys) {
      assert.ok(signsAndVerifies(key, listed.find((k) => k.kid === key.kid)!.publicJwk));
    }
    assert.deepEqual(
      await publishedByProvider(jwks),
      jwks.keys.map((k) => k.kid),
    );
  });

  test('rotate: new keys sign, old ones are published for verification until retire_at, then retired', async () => {
    const { signingKeys, signals } = env.container;
    await signingKeys.ensureKeys();
    const before = await signingKeys.providerJwks();
    const heard: string[] = [];
    await signals.subscribe(KEYS_CHANGED, (message) => heard.push(message));
    env.clock.advance(10 * 60_000);
    const rotatedAt = env.clock.now();
    const result = await signingKeys.rotate(operator());
    assert.equal(result.notified, true);
    assert.deepEqual(heard, [JSON.stringify({ at: rotatedAt.toISOString() })]);

    const retireAt = new Date(rotatedAt.getTime() + 2 * HOUR);
    assert.deepEqual(
      result.retiring.map((k) => [k.kid, k.status, k.retireAt]),
      before.keys.map((k) => [k.kid, 'retiring', retireAt]),
    );
    assert.deepEqual(
      result.added.map((k) => [k.alg, k.status]),
      [
        ['ES256', 'active'],
        ['RS256', 'active'],
      ],
    );
    const during = await signingKeys.providerJwks();
    const expectedKids = [...result.added.map((k) => k.kid), ...before.keys.map((k) => k.kid)];
    assert.deepEqual(
      during.keys.map((k) => k.kid),
      expectedKids,
    );
    assert.deepEqual(await publishedByProvider(during), expectedKids);
    const listed = await signingKeys.list();
    assert.ok(
      signsAndVerifies(during.keys[0]!, listed.find((k) => k.kid === result.added[0]!.kid)!.publicJwk),
    );
    // Still published to the last millisecond, gone at retire_at.
    env.clock.set(new Date(retireAt.getTime() - 1));
    assert.equal((await signingKeys.providerJwks()).keys.length, 4);
    env.clock.set(retireAt);
    assert.deepEqual(
      (await signingKeys.providerJwks()).keys.map((k) => k.kid),
      result.added.map((k) => k.kid),
    );
    const after = await signingKeys.list();
    assert.deepEqual(
      after
        .filter((k) => k.status === 'retired')
        .map((k) => k.kid)
        .sort(),
      before.keys.map((k) => k.kid).sort(),
    );
    const retiredRows = (await rows()).filter((r) => r.status === 'retired');
    assert.deepEqual(
      retiredRows.map((r) => r.private_jwk_sealed),
      [null, null],
    );
    // The kids that stopped being published stay retired (no key reappears).
    await signingKeys.ensureKeys();
    assert.equal((await signingKeys.providerJwks()).keys.length, 2);
  });

  test('only the operator rotates, and a rotation is audited with the kids and no key material', async () => {
    const { signingKeys, database } = env.container;
    await signingKeys.ensureKeys();
    const unchanged = await signingKeys.list();
    const someone = userCtx('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002');
    await assert.rejects(
      signingKeys.rotate(someone),
      (err) => err instanceof AppError && err.code === 'auth.permission_denied',
    );
    assert.deepEqual(await signingKeys.list(), unchanged);
    const ctx = operator();
    const { added, retiring } = await signingKeys.rotate(ctx);
    const audit = await database
      .knex('audit_log')
      .where({ action: 'signing_keys.rotate' })
      .where('id', '>', auditBefore)
      .select('*');
    assert.equal(audit.length, 1);
    const entry = audit[0];
    assert.equal(entry.actor_type, 'operator');
    assert.equal(entry.actor_id, 'test-operator');
    assert.equal(entry.tenant_id, null);
    assert.equal(entry.request_id, ctx.requestId);
    assert.deepEqual(
      entry.after.added,
      added.map(({ kid, alg }) => ({ kid, alg })),
    );
    assert.deepEqual(
      entry.after.retiring.map((k: { kid: string }) => k.kid),
      retiring.map((k) => k.kid),
    );
    const text = JSON.stringify(entry);
    const { keys } = await signingKeys.providerJwks();
    for (const key of keys) assert.equal(text.includes(key.d), false);
    assert.equal(text.includes('"d"'), false);
    assert.equal(text.includes('v1.'), false);
  });

  test('rotation without keys creates them; repeated rotations keep one active key per algorithm', async () => {
    const node = anotherNode();
    const first = await node.rotate(operator());
    assert.deepEqual(first.retiring, []);
    assert.equal(first.added.length, 2);
    env.clock.advance(60_000);
    await node.rotate(operator());
    env.clock.advance(60_000);
    const third = await node.rotate(operator());
    const { keys } = await node.providerJwks();
    assert.equal(keys.length, 6);
    assert.equal(new Set(keys.map((k) => k.kid)).size, 6);
    assert.deepEqual(
      keys.slice(0, 2).map((k) => k.kid),
      third.added.map((k) => k.kid),
    );
    const active = (await node.list()).filter((k) => k.status === 'active');
    assert.deepEqual(active.map((k) => k.kid).sort(), third.added.map((k) => k.kid).sort());
  });

  test('the retention is a parameter (default two hours: twice the ID token lifetime)', async () => {
    assert.equal(DEFAULT_RETENTION_MS, 2 * HOUR);
    const short = anotherNode({ retentionMs: 10 * 60_000 });
    await short.ensureKeys();
    const { retiring } = await short.rotate(operator());
    const expected = new Date(env.clock.now().getTime() + 10 * 60_000);
    assert.deepEqual(
      retiring.map((k) => k.retireAt),
      [expected, expected],
    );
    assert.throws(() => anotherNode({ retentionMs: 0 }), /retention/);
  });
});

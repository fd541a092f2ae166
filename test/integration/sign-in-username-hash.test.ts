import assert from 'node:assert/strict';
import { createHash, createHmac, hkdfSync, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { DEFAULT_SIGN_IN_POLICY } from '../../src/modules/sign-in/index.ts';
import type { RequestContext } from '../../src/platform/context.ts';
import { createSecretBox, parseSecretsKey } from '../../src/platform/crypto/secret-box.ts';
import type { Db } from '../../src/platform/db/database.ts';
import { throttleUnit } from '../../src/platform/net/networks.ts';
import { addUser, PASSWORD, signUpTenant, type Tenant } from '../helpers/factories.ts';
import { createTestEnv, TEST_SECRETS_KEY, type TestEnv } from '../helpers/test-container.ts';

// SEC-12: a failed sign-in records the username only when it names an account; otherwise a keyed
// hash, so that a password typed into the username field is never stored — nor anything from which
// it could be guessed, in any table or in Redis. Through the container's own sign-in service, with
// the key it derives from the installation key (stored sealed with SECRETS_KEY).

const MAX = DEFAULT_SIGN_IN_POLICY.username.maxFailures;
const anonymous = (): RequestContext => ({ actor: { kind: 'anonymous' }, requestId: `req-${randomUUID()}` });

/** Recomputed here as documented (docs/api.md, "Audit"), independently of the code under test. */
async function expectedHash(db: Db, typed: string): Promise<string> {
  const row = await db('installation_keys').where({ name: 'pseudonyms' }).first('key_sealed');
  const box = createSecretBox(parseSecretsKey(TEST_SECRETS_KEY));
  const installationKey = Buffer.from(box.open(row.key_sealed, 'installation_keys:pseudonyms'), 'base64url');
  const key = hkdfSync('sha256', installationKey, 'canopy', 'audit username hash v1', 32);
  const mac = createHmac('sha256', Buffer.from(key)).update(typed, 'utf8').digest();
  return `hmac-sha256:${mac.subarray(0, 16).toString('base64url')}`;
}

const sha256 = (text: string, encoding: 'base64url' | 'hex') =>
  createHash('sha256').update(text).digest(encoding);

/** Every row of every table of the test database, as text (its JSON). */
async function everyRow(db: Db): Promise<Array<{ table: string; row: string }>> {
  const { rows: tables } = (await db.raw(`
    select table_name as name from information_schema.tables
     where table_schema = current_schema() and table_type = 'BASE TABLE'`)) as { rows: { name: string }[] };
  assert.ok(tables.some((t) => t.name === 'sign_in_attempts') && tables.length > 20, 'every table listed');
  const found: Array<{ table: string; row: string }> = [];
  for (const { name } of tables) {
    const { rows } = (await db.raw(`select row_to_json(t)::text as row from "${name}" t`)) as {
      rows: { row: string }[];
    };
    for (const { row } of rows) found.push({ table: name, row });
  }
  return found;
}

/** Every key under the prefix, with its value, as text. */
async function everyRedisEntry(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  for await (const batch of redis.scanStream({ match, count: 1000 }) as AsyncIterable<string[]>) {
    for (const key of batch) {
      const type = await redis.type(key);
      const value =
        type === 'string'
          ? await redis.get(key)
          : type === 'hash'
            ? await redis.hgetall(key)
            : type === 'list'
              ? await redis.lrange(key, 0, -1)
              : type === 'set'
                ? await redis.smembers(key)
                : type === 'zset'
                  ? await redis.zrange(key, '0', '-1')
                  : type;
      found.push(`${key} ${JSON.stringify(value)}`);
    }
  }
  return found;
}

describe('failed sign-ins: no typed password in the audit log (SEC-12)', () => {
  let env: TestEnv;
  let t: Tenant;
  let lastIp = 0;
  const nextIp = () => `192.0.2.${++lastIp}`;
  before(async () => {
    env = await createTestEnv();
    t = await signUpTenant(env.container);
  });
  after(async () => {
    const redis = env.container.redis?.command;
    const keys = redis ? await redis.keys(`${prefix()}*`) : [];
    if (keys.length > 0) await redis!.del(...keys);
    await env.close();
  });

  const db = () => env.container.database.knex;
  const prefix = () => env.container.config.storage.redisKeyPrefix;
  const signIn = (username: string, password: string, ip: string) =>
    env.container.signIn.authenticate(anonymous(), { tenantId: t.tenantId, username, password, ip });
  const entries = (action: string, ip: string) =>
    env.container.database
      .knex('audit_log')
      .where({ tenant_id: t.tenantId, action })
      .whereRaw(`after->>'ip' = ?`, [ip])
      .orderBy('id');
  const wholeTable = async () => JSON.stringify(await env.container.database.knex('audit_log').select('*'));

  test('SEC-12 a password typed as the username of no account is stored nowhere in the audit log, only its keyed hash', async () => {
    const typed = `Tr0ub4dor&3-${randomUUID()}`;
    const ip = nextIp();
    // Enough failures to start a lockout too: its entry must not carry the string either.
    for (let i = 0; i < MAX; i++) {
      assert.deepEqual(await signIn(typed, 'not the password', ip), {
        ok: false,
        reason: 'invalid_credentials',
      });
    }
    assert.equal((await wholeTable()).includes(typed), false, 'the typed string is in the audit table');
    assert.equal((await wholeTable()).includes(typed.slice(0, 12)), false);

    const hashed = await expectedHash(db(), typed);
    const failures = await entries('session.sign_in', ip);
    assert.equal(failures.length, MAX);
    const lockouts = await entries('session.lockout', ip);
    assert.ok(lockouts.length >= 1, 'the failures started a lockout');
    for (const row of [...failures, ...lockouts]) {
      assert.equal(row.after.usernameHash, hashed, row.action);
      assert.equal(row.after.username, undefined, row.action);
      assert.equal(row.target_id, null, 'no account, no target');
    }
    assert.match(failures[0].after.usernameHash, /^hmac-sha256:[A-Za-z0-9_-]{22}$/);
    assert.notEqual(await expectedHash(db(), `${typed}x`), hashed, 'the hash tells names apart');
    assert.equal(env.container.signIn.usernameHash(typed), hashed);
  });

  test('SEC-12 what was typed as the username of no account, or a guessable hash of it, is nowhere in the database or Redis', async () => {
    const typed = `Correct-Horse-${randomUUID()}`;
    const ip = nextIp();
    for (let i = 0; i < MAX; i++) assert.equal((await signIn(typed, 'not the password', ip)).ok, false);
    const locked = await signIn(typed, 'not the password', ip);
    assert.equal(!locked.ok && locked.reason, 'throttled', 'the pair is locked');
    assert.equal((await env.container.signIn.inspect(t.tenantId, typed)).failures, MAX, 'counted');

    // The throttle's former counter keys: unkeyed SHA-256 of tenant and username, and of the address.
    const forbidden = [
      typed,
      typed.toLowerCase(),
      typed.slice(0, 14),
      sha256(`${t.tenantId}\n${typed.toLowerCase()}`, 'base64url'),
      sha256(`${t.tenantId}\n${typed.toLowerCase()}`, 'hex'),
      sha256(typed, 'base64url'),
      sha256(typed.toLowerCase(), 'base64url'),
      sha256(throttleUnit(ip), 'base64url'),
    ];
    const rows = await everyRow(db());
    const redis = env.container.redis?.command;
    const entries = redis ? await everyRedisEntry(redis, prefix()) : [];
    // The scan sees what the attempts wrote: their audit entries, and their counters, which live in
    // SQL whether or not Redis is configured (REL-3).
    const hashed = await expectedHash(db(), typed);
    assert.ok(
      rows.some((r) => r.table === 'audit_log' && r.row.includes(hashed)),
      'audited',
    );
    assert.ok(
      rows.some((r) => r.table === 'sign_in_attempts' && r.row.includes('acct')),
      'counters in SQL',
    );
    for (const text of forbidden) {
      const inTables = rows.filter((r) => r.row.includes(text)).map((r) => r.table);
      assert.deepEqual(inTables, [], `${JSON.stringify(text)} is stored in the database`);
      assert.deepEqual(
        entries.filter((e) => e.includes(text)),
        [],
        `${JSON.stringify(text)} is stored in Redis`,
      );
    }
  });

  test('SEC-12 a failed sign-in of an existing account still records its username', async () => {
    const user = await addUser(env.container, t.tenantId);
    const ip = nextIp();
    assert.equal((await signIn(user.username, 'not the password', ip)).ok, false);
    assert.equal((await signIn(user.username, PASSWORD, ip)).ok, true);
    const rows = await entries('session.sign_in', ip);
    assert.deepEqual(
      rows.map((r) => [r.outcome, r.target_id, r.after.username, r.after.usernameHash]),
      [
        ['failure', user.id, user.username, undefined],
        ['success', user.id, user.username, undefined],
      ],
    );
  });
});

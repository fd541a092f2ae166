import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { operator } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';
import { OPERATOR, runAgainst } from './run-cli.ts';

const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/;

describe('operator command line, in-process: keys list, keys rotate, keys revoke', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(() => env.close());

  const run = (argv: string[]) => runAgainst(env.container, argv);

  /** Every private member of every key the provider holds, to look for in the output. */
  async function privateValues(): Promise<string[]> {
    const { keys } = await env.container.signingKeys.providerJwks();
    return keys.flatMap((k) => [k.d, k.p, k.q, k.dp, k.dq, k.qi].filter((v): v is string => Boolean(v)));
  }

  test('keys list says so when there are no keys yet', async () => {
    await env.container.database.knex('signing_keys').delete(); // the container created them as it started
    const r = await run(['keys', 'list']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^No signing keys yet: the server creates them when it first starts/);
  });

  test('keys list shows kid, algorithm, status and times, and no private material', async () => {
    await env.container.signingKeys.ensureKeys();
    const keys = await env.container.signingKeys.list();
    const r = await run(['keys', 'list']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.match(lines[0]!, /^KID\s+ALG\s+STATUS\s+CREATED\s+RETIRES$/);
    assert.equal(lines.length, 3);
    for (const key of keys) {
      const line = lines.find((l) => l.startsWith(key.kid));
      assert.ok(line, `no line for ${key.kid}`);
      assert.match(line, new RegExp(`^${key.kid}\\s+${key.alg}\\s+active\\s+2026-01-01T00:00:00Z\\s+-$`));
    }
    for (const value of await privateValues()) assert.equal(r.out.includes(value), false);
  });

  test('keys list --json gives each key with its public JWK only', async () => {
    const r = await run(['keys', 'list', '--json']);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as { keys: Array<Record<string, unknown> & { publicJwk: object }> };
    assert.deepEqual(out.keys.map((k) => [k.alg, k.status]).sort(), [
      ['ES256', 'active'],
      ['RS256', 'active'],
    ]);
    for (const key of out.keys) assert.equal('d' in key.publicJwk, false);
    for (const value of await privateValues()) assert.equal(r.out.includes(value), false);
  });

  test('keys rotate adds new keys, keeps the old ones published until they retire, and is audited', async () => {
    const old = await env.container.signingKeys.list();
    env.clock.advance(60_000);
    const r = await run(['keys', 'rotate']);
    assert.equal(r.code, 0, r.err);
    const now = await env.container.signingKeys.list();
    const added = now.filter((k) => k.status === 'active');
    assert.equal(added.length, 2);
    const lines = r.out.split('\n');
    assert.equal(lines[0], 'Rotated the signing keys.');
    for (const key of added) assert.ok(lines.includes(`  ${key.alg}  ${key.kid}`), r.out);
    for (const key of old) {
      assert.ok(lines.includes(`  ${key.alg}  ${key.kid}  until 2026-01-01T02:01:00Z`), r.out);
    }
    const redis = env.container.config.storage.redisUrl;
    assert.match(r.out, redis ? /told through Redis and switch to the new keys at once/ : /Without Redis/);
    assert.match(r.out, /recorded in the audit log \(action signing_keys\.rotate\)/);
    for (const value of await privateValues()) assert.equal(r.out.includes(value), false);

    const listed = await run(['keys', 'list']);
    for (const key of old) {
      assert.match(
        listed.out,
        new RegExp(`${key.kid}\\s+${key.alg}\\s+retiring\\s+${ISO.source}\\s+2026-01-01T02:01:00Z`),
      );
    }
    const audit = await env.container.database
      .knex('audit_log')
      .where({ action: 'signing_keys.rotate' })
      .select('actor_type', 'actor_id');
    assert.deepEqual(audit, [{ actor_type: 'operator', actor_id: OPERATOR }]);
  });

  test('keys rotate --json reports the added and retiring keys and whether nodes were told', async () => {
    const before = (await env.container.signingKeys.list()).filter((k) => k.status === 'active');
    const r = await run(['keys', 'rotate', '--json']);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as {
      added: Array<{ kid: string; status: string }>;
      retiring: Array<{ kid: string; status: string; retireAt: string }>;
      notified: boolean;
    };
    assert.equal(out.notified, true);
    assert.deepEqual(
      out.added.map((k) => k.status),
      ['active', 'active'],
    );
    assert.deepEqual(out.retiring.map((k) => k.kid).sort(), before.map((k) => k.kid).sort());
    for (const key of out.retiring) assert.equal(key.status, 'retiring');
    for (const value of await privateValues()) assert.equal(r.out.includes(value), false);
  });

  const activeKey = async (alg: string) =>
    (await env.container.signingKeys.list()).find((k) => k.alg === alg && k.status === 'active')!;

  test('SEC-11 keys revoke <kid> withdraws the active key, names its replacement, and is audited', async () => {
    const old = await activeKey('ES256');
    const secrets = await privateValues();
    env.clock.advance(60_000);
    const r = await run(['keys', 'revoke', old.kid]);
    assert.equal(r.code, 0, r.err);
    const replacement = await activeKey('ES256');
    assert.notEqual(replacement.kid, old.kid);
    const lines = r.out.split('\n');
    assert.deepEqual(lines.slice(0, 4), [
      `Revoked the ES256 key ${old.kid}.`,
      'It is no longer published or used, and its private half is erased.',
      'Replaced by (signing from now on):',
      `  ES256  ${replacement.kid}`,
    ]);
    const redis = env.container.config.storage.redisUrl;
    assert.match(
      r.out,
      redis ? /told through Redis and stop publishing and accepting it at once/ : /Without Redis/,
    );
    assert.match(r.out, /recorded in the audit log \(action signing_keys\.revoke\)/);
    for (const value of [...secrets, ...(await privateValues())]) assert.equal(r.out.includes(value), false);
    assert.equal(
      (await env.container.signingKeys.providerJwks()).keys.some((k) => k.kid === old.kid),
      false,
      'no longer in the key set',
    );

    const listed = await run(['keys', 'list']);
    assert.match(
      listed.out,
      new RegExp(`^${old.kid}\\s+ES256\\s+revoked\\s+${ISO.source}\\s+${ISO.source}$`, 'm'),
    );
    const audit = await env.container.database
      .knex('audit_log')
      .where({ action: 'signing_keys.revoke' })
      .select('actor_type', 'actor_id', 'target_id');
    assert.deepEqual(audit, [{ actor_type: 'operator', actor_id: OPERATOR, target_id: old.kid }]);
  });

  test('SEC-11 keys revoke --json: a retiring key, no replacement, and whether nodes were told', async () => {
    const { retiring } = await env.container.signingKeys.rotate(operator());
    const target = retiring.find((k) => k.alg === 'RS256')!;
    const r = await run(['keys', 'revoke', target.kid, '--json']);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as {
      revoked: { kid: string; alg: string; status: string; revokedAt: string; publicJwk: object };
      was: string;
      replacement: unknown;
      notified: boolean;
    };
    assert.deepEqual(
      [out.revoked.kid, out.revoked.alg, out.revoked.status, out.was, out.replacement, out.notified],
      [target.kid, 'RS256', 'revoked', 'retiring', null, true],
    );
    assert.match(out.revoked.revokedAt, /^\d{4}-\d{2}-\d{2}T/);
    assert.equal('d' in out.revoked.publicJwk, false);
    const plain = await run(['keys', 'revoke', target.kid]);
    assert.equal(plain.code, 0, plain.err);
    assert.match(
      plain.out,
      new RegExp(
        `^The RS256 key ${target.kid} was already revoked \\(at ${ISO.source}\\): nothing changed\\.`,
      ),
    );
  });

  test('SEC-11 keys revoke refuses without a kid (usage) and fails clearly for an unknown kid', async () => {
    const before = await env.container.signingKeys.list();
    const missing = await run(['keys', 'revoke']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /missing required argument 'kid'/);
    const blank = await run(['keys', 'revoke', ' ']);
    assert.equal(blank.code, 2);
    assert.match(blank.err, /name the key to revoke: canopy keys revoke <kid>/);
    const unknown = await run(['keys', 'revoke', 'no-such-kid']);
    assert.equal(unknown.code, 1);
    assert.equal(
      unknown.err,
      'error: no signing key has the kid no-such-kid (`canopy keys list` shows them)\n',
    );
    assert.equal(unknown.out, '');
    assert.deepEqual(await env.container.signingKeys.list(), before);
  });

  test('keys with an unknown subcommand is a usage error', async () => {
    const r = await run(['keys', 'destroy']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown command 'destroy'/);
  });
});

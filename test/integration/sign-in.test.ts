import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createAccess } from '../../src/modules/roles/index.ts';
import {
  createSignInService,
  DEFAULT_SIGN_IN_POLICY,
  type SignInPolicy,
  type SignInResult,
  type SignInService,
} from '../../src/modules/sign-in/index.ts';
import { lockoutSeconds } from '../../src/modules/sign-in/policy.ts';
import type { RequestContext } from '../../src/platform/context.ts';
import type { RedisClients } from '../../src/platform/redis.ts';
import { addUser, operator, PASSWORD, signUpTenant, type Tenant, userCtx } from '../helpers/factories.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-container.ts';

const INVALID: SignInResult = { ok: false, reason: 'invalid_credentials' };
const throttled = (retryAfterSeconds: number): SignInResult => ({
  ok: false,
  reason: 'throttled',
  retryAfterSeconds,
});
const WRONG = 'not the password';
const LOCK = DEFAULT_SIGN_IN_POLICY.username.lockoutSeconds;
const MAX = DEFAULT_SIGN_IN_POLICY.username.maxFailures;
const ACCOUNT_MAX = DEFAULT_SIGN_IN_POLICY.username.accountMaxFailures;
const withPolicy = (
  username: Partial<SignInPolicy['username']>,
  address: Partial<SignInPolicy['address']> = {},
) => ({
  username: { ...DEFAULT_SIGN_IN_POLICY.username, ...username },
  address: { ...DEFAULT_SIGN_IN_POLICY.address, ...address },
});
/** A success, without the device cookie that comes with it. */
const signedIn = (result: SignInResult) => (result.ok ? { ok: true, userId: result.userId } : result);
/** The device cookie a success hands out. */
function deviceOf(result: SignInResult): string {
  assert.ok(result.ok, `expected a success, got ${JSON.stringify(result)}`);
  return result.device.value;
}

describe('password sign-in', () => {
  let env: TestEnv;
  let t: Tenant;
  const redisKeyPrefix = `canopy-test:${randomUUID()}:`;
  let lastIp = 0;
  const nextIp = () => `203.0.113.${++lastIp % 250}`;
  let lastNet = 0;
  /** An address of its own, never shared with another test. */
  const freshIp = () => `198.51.${100 + Math.floor(++lastNet / 250)}.${lastNet % 250}`;
  before(async () => {
    env = await createTestEnv();
    t = await signUpTenant(env.container);
    console.log(`# sign-in counters in ${env.container.redis ? 'Redis (SQL as insurance)' : 'SQL'}`);
  });
  after(async () => {
    const redis = env.container.redis?.command;
    const keys = redis ? await redis.keys(`${redisKeyPrefix}*`) : [];
    if (keys.length > 0) await redis!.del(...keys);
    await env.close();
  });

  /** One node of the cluster: a service of its own over the shared stores, with the installation's key. */
  function node(
    options: { policy?: SignInPolicy; redis?: RedisClients | null; deviceKey?: Buffer } = {},
  ): SignInService {
    const c = env.container;
    return createSignInService({
      db: c.database.knex,
      clock: env.clock,
      redis: options.redis === null ? undefined : (options.redis ?? c.redis),
      audit: c.audit,
      users: c.users,
      access: createAccess(c.authz),
      logger: c.logger,
      deviceKey: options.deviceKey ?? c.webKey,
      redisKeyPrefix,
      ...(options.policy ? { policy: options.policy } : {}),
    });
  }
  /** The stores this run can test: SQL always, Redis (with SQL as insurance) when configured. */
  const stores = () =>
    [['SQL', null] as const, ...(env.container.redis ? [['Redis', undefined] as const] : [])].map(
      ([name, redis]) => ({ name, redis }),
    );
  const anonymous = (): RequestContext => ({
    actor: { kind: 'anonymous' },
    requestId: `req-${randomUUID()}`,
  });
  const signIn = (on: SignInService, username: string, password: string, ip: string, device?: string) =>
    on.authenticate(anonymous(), {
      tenantId: t.tenantId,
      username,
      password,
      ip,
      devices: device ? [device] : [],
    });
  async function failTimes(on: SignInService, n: number, username: string, ip: string, device?: string) {
    for (let i = 0; i < n; i++) assert.deepEqual(await signIn(on, username, WRONG, ip, device), INVALID);
  }
  /**
   * Distributed guessing: `n` failures, fewer than the pair limit from each of many addresses, none
   * of them locked out on its own. Answers the last address used.
   */
  async function failFromMany(on: SignInService, n: number, username: string): Promise<string> {
    let ip = freshIp();
    for (let i = 0; i < n; i++) {
      if (i > 0 && i % (MAX - 1) === 0) ip = freshIp();
      assert.deepEqual(await signIn(on, username, WRONG, ip), INVALID, `failure ${i + 1}`);
    }
    return ip;
  }
  const reasonOf = (result: SignInResult) => (result.ok ? 'ok' : result.reason);

  test('SESS-8 the right password signs in, whatever the case of the username', async () => {
    const user = await addUser(env.container, t.tenantId);
    const result = await signIn(node(), user.username.toUpperCase(), PASSWORD, nextIp());
    assert.deepEqual(signedIn(result), { ok: true, userId: user.id });
  });

  test('SESS-8 wrong password, unknown, disabled, deleted and password-less users fail alike, in alike time', async () => {
    const c = env.container;
    const [known, disabled, deleted, federated] = await Promise.all(
      [1, 2, 3, 4].map(() => addUser(c, t.tenantId)),
    );
    await c.users.disable(t.owner, t.tenantId, disabled!.id);
    await c.users.delete(t.owner, t.tenantId, deleted!.id);
    await c.database.knex('users').where({ id: federated!.id }).update({ password_hash: null });
    const on = node();
    const ip = nextIp();
    await signIn(on, `warm-up-${randomUUID()}`, WRONG, ip); // the stand-in hash is computed once
    const cases: Array<[string, string]> = [
      [known!.username, WRONG],
      [`nobody-${randomUUID()}`, PASSWORD],
      [disabled!.username, PASSWORD],
      [deleted!.username, PASSWORD],
      [federated!.username, PASSWORD],
    ];
    // Round robin, so that drift (warm-up, a busy machine) spreads over every case alike.
    const times: number[][] = cases.map(() => []);
    for (let round = 0; round < 3; round++) {
      for (const [i, [username, password]] of cases.entries()) {
        const started = performance.now();
        assert.deepEqual(await signIn(on, username, password, ip), INVALID, username);
        times[i]!.push(performance.now() - started);
      }
    }
    // Every case spends one password verification: the fastest attempt of each (the least disturbed
    // by the machine) is within a factor of the fastest wrong password; a skipped one is ~10x faster.
    const fastest = times.map((x) => Math.min(...x));
    for (const ms of fastest) assert.ok(ms > fastest[0]! / 3 && ms < fastest[0]! * 3, `${fastest}`);
  });

  test('SESS-8 after the failure limit a username is locked from that address, even for the right password; unknown ones too', async () => {
    const user = await addUser(env.container, t.tenantId);
    const on = node();
    const ip = freshIp();
    await failTimes(on, MAX, user.username, ip);
    // Any case, right or wrong password: the same refusal, no verification.
    assert.deepEqual(await signIn(on, user.username.toUpperCase(), PASSWORD, ip), throttled(LOCK));
    assert.deepEqual(await signIn(on, user.username, WRONG, ip), throttled(LOCK));
    const unknown = `ghost-${randomUUID()}`;
    const other = freshIp();
    await failTimes(on, MAX, unknown, other);
    assert.deepEqual(await signIn(on, unknown, PASSWORD, other), throttled(LOCK));
  });

  test('SESS-8 a lockout ends after its time and doubles when repeated; a success resets it (SQL store, clock moved)', async () => {
    const user = await addUser(env.container, t.tenantId);
    const on = node({ redis: null });
    const ip = freshIp();
    await failTimes(on, MAX, user.username, ip);
    env.clock.advance((LOCK - 1) * 1000);
    assert.deepEqual(await signIn(on, user.username, PASSWORD, ip), throttled(1));
    env.clock.advance(1000);
    await failTimes(on, MAX, user.username, ip); // the lockout is over: a fresh allowance
    assert.deepEqual(await signIn(on, user.username, PASSWORD, ip), throttled(2 * LOCK));
    env.clock.advance(2 * LOCK * 1000);
    assert.deepEqual(signedIn(await signIn(on, user.username, PASSWORD, ip)), { ok: true, userId: user.id });
    await failTimes(on, MAX, user.username, ip); // after a success, the first lockout again
    assert.deepEqual(await signIn(on, user.username, PASSWORD, ip), throttled(LOCK));
    // Bounded: the fourth lockout in a row and every later one last the maximum, an hour.
    assert.deepEqual(
      [1, 2, 3, 4, 9].map((n) => lockoutSeconds(DEFAULT_SIGN_IN_POLICY, n)),
      [900, 1800, 3600, 3600, 3600],
    );
  });

  test('SESS-8 an address is throttled after too many failures across usernames; other addresses are not', async () => {
    const user = await addUser(env.container, t.tenantId);
    const on = node();
    const ip = freshIp();
    const { maxFailures, blockSeconds } = DEFAULT_SIGN_IN_POLICY.address;
    for (let i = 0; i < maxFailures; i++) {
      assert.deepEqual(await signIn(on, `sprayed-${i}-${randomUUID()}`, WRONG, ip), INVALID);
    }
    assert.deepEqual(await signIn(on, user.username, PASSWORD, ip), throttled(blockSeconds));
    assert.deepEqual(signedIn(await signIn(on, user.username, PASSWORD, freshIp())), {
      ok: true,
      userId: user.id,
    });
  });

  test('SESS-8 an IPv6 /64 counts as one address, an IPv4-mapped address as its IPv4 one', async () => {
    const on = node({ policy: withPolicy({}, { maxFailures: 2 }) });
    const ghost = () => `ghost-${randomUUID()}`;
    assert.deepEqual(await signIn(on, ghost(), WRONG, '2001:db8:5:6::1'), INVALID);
    assert.deepEqual(await signIn(on, ghost(), WRONG, '2001:DB8:5:6:ffff::2'), INVALID);
    assert.equal(reasonOf(await signIn(on, ghost(), WRONG, '2001:db8:5:6:0:0:0:3')), 'throttled');
    assert.deepEqual(await signIn(on, ghost(), WRONG, '2001:db8:5:7::1'), INVALID);
    await failTimes(on, 2, ghost(), '192.0.2.77');
    assert.equal(reasonOf(await signIn(on, ghost(), WRONG, '::ffff:192.0.2.77')), 'throttled');
  });

  test("SESS-8 a success resets its source's counter; the account-wide count stays", async () => {
    const user = await addUser(env.container, t.tenantId);
    const on = node();
    const ip = freshIp();
    await failTimes(on, MAX - 1, user.username, ip);
    assert.deepEqual(signedIn(await signIn(on, user.username, PASSWORD, ip)), { ok: true, userId: user.id });
    await failTimes(on, MAX - 1, user.username, ip);
    assert.deepEqual(signedIn(await signIn(on, user.username, PASSWORD, ip)), { ok: true, userId: user.id });
    assert.deepEqual(await on.inspect(t.tenantId, user.username), {
      failures: 2 * (MAX - 1),
      lockedForSeconds: 0,
    });
  });

  test('SESS-8 counters are shared by all nodes and survive a restart', async () => {
    const user = await addUser(env.container, t.tenantId);
    const [a, b] = [node(), node()];
    const ip = freshIp();
    await failTimes(a, 3, user.username, ip);
    await failTimes(b, MAX - 3, user.username, ip);
    assert.deepEqual(await signIn(a, user.username, PASSWORD, ip), throttled(LOCK));
    assert.equal((await b.inspect(t.tenantId, user.username)).failures, MAX);
    if (env.container.redis) {
      // With Redis configured the counters live there, not in the SQL store (its insurance).
      assert.equal((await node({ redis: null }).inspect(t.tenantId, user.username)).failures, 0);
    }
    const restarted = node();
    assert.deepEqual(await signIn(restarted, user.username, PASSWORD, ip), throttled(LOCK));
  });

  test('SESS-8 parallel failures all count, and never more verifications than the limit allows', async () => {
    const first = await addUser(env.container, t.tenantId);
    const roomy = node({ policy: withPolicy({ maxFailures: 20 }) });
    const all = await Promise.all(
      Array.from({ length: 10 }, () => signIn(roomy, first.username, WRONG, freshIp())),
    );
    assert.deepEqual(all, Array(10).fill(INVALID));
    assert.equal((await roomy.inspect(t.tenantId, first.username)).failures, 10);
    // Ten at once from one address against a limit of five: five are checked, five refused unchecked
    // (Zitadel's race); the same across addresses against the account-wide limit.
    const on = node({ policy: withPolicy({ accountMaxFailures: 5 }) });
    for (const oneAddress of [true, false]) {
      const second = await addUser(env.container, t.tenantId);
      const shared = freshIp();
      const from = () => (oneAddress ? shared : freshIp());
      const raced = await Promise.all(
        Array.from({ length: 10 }, () => signIn(on, second.username, WRONG, from())),
      );
      const what = oneAddress ? 'one address' : 'many addresses';
      assert.equal(raced.filter((r) => reasonOf(r) === 'invalid_credentials').length, MAX, what);
      assert.equal(raced.filter((r) => reasonOf(r) === 'throttled').length, 10 - MAX, what);
      assert.deepEqual(await signIn(on, second.username, PASSWORD, from()), throttled(LOCK), what);
    }
  });

  test('SESS-8 when Redis fails, the counters fall back to the SQL store', async () => {
    const broken = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false });
    const down: RedisClients = {
      command: broken,
      subscriber: broken,
      close: async () => broken.disconnect(),
    };
    try {
      const user = await addUser(env.container, t.tenantId);
      const on = node({ redis: down });
      const ip = freshIp();
      await failTimes(on, MAX, user.username, ip);
      assert.deepEqual(await signIn(on, user.username, PASSWORD, ip), throttled(LOCK));
      assert.deepEqual(await signIn(node({ redis: null }), user.username, PASSWORD, ip), throttled(LOCK));
    } finally {
      await down.close();
    }
  });

  test('AUD-1 every sign-in, success or failure, is audited with username and address, never the password', async () => {
    const user = await addUser(env.container, t.tenantId);
    const on = node();
    const ip = freshIp();
    const unknown = `nobody-${randomUUID()}`;
    await signIn(on, user.username, PASSWORD, ip);
    await failTimes(on, MAX, user.username, ip);
    await signIn(on, user.username, PASSWORD, ip);
    await signIn(on, unknown, WRONG, ip);
    const rows = await env.container.audit.list(t.tenantId, { action: 'session.sign_in', limit: 500 });
    const mine = rows.filter((r) => (r.after as { ip?: string } | null)?.ip === ip).reverse();
    const summary = mine.map((r) => [r.outcome, r.targetId, (r.after as { reason?: string }).reason]);
    assert.deepEqual(summary, [
      ['success', user.id, undefined],
      ...Array(MAX).fill(['failure', user.id, 'invalid_credentials']),
      ['failure', user.id, 'throttled'],
      ['failure', null, 'invalid_credentials'],
    ]);
    for (const row of mine) {
      assert.equal(row.orgId, t.tenantId);
      assert.equal(row.actorType, 'anonymous');
      assert.ok(!JSON.stringify(row).includes(PASSWORD) && !JSON.stringify(row).includes(WRONG));
    }
    assert.deepEqual(mine.at(-1)!.after, { username: unknown, ip, reason: 'invalid_credentials' });
  });

  // ── SEC-6: throttling that an attacker cannot turn against the person attacked ──

  test('SEC-6 failures from one address lock that address out only: the right password from another address signs in', async () => {
    for (const store of stores()) {
      const victim = await addUser(env.container, t.tenantId);
      const on = node({ redis: store.redis });
      const attacker = freshIp();
      // The original attack: five wrong passwords, then the attacker keeps trying every few minutes.
      await failTimes(on, MAX, victim.username, attacker);
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await signIn(on, victim.username, WRONG, attacker), throttled(LOCK), store.name);
      }
      const result = await signIn(on, victim.username, PASSWORD, freshIp());
      assert.deepEqual(signedIn(result), { ok: true, userId: victim.id }, store.name);
      // …and the attacker's own lockout is untouched by the victim's success elsewhere.
      assert.deepEqual(await signIn(on, victim.username, PASSWORD, attacker), throttled(LOCK), store.name);
    }
  });

  test('SEC-6 the account-wide limit stops distributed guessing for fresh browsers; the browser with the device cookie signs in', async () => {
    for (const store of stores()) {
      const victim = await addUser(env.container, t.tenantId);
      const on = node({ redis: store.redis });
      const device = deviceOf(await signIn(on, victim.username, PASSWORD, freshIp()));
      const attacker = await failFromMany(on, ACCOUNT_MAX, victim.username);
      // Locked; the failures towards the next lockout start again from nothing.
      assert.deepEqual(await on.inspect(t.tenantId, victim.username), {
        failures: 0,
        lockedForSeconds: LOCK,
      });
      // A browser that never signed in to the account: refused, from anywhere, whatever the password.
      assert.deepEqual(await signIn(on, victim.username, PASSWORD, freshIp()), throttled(LOCK), store.name);
      // The victim's own browser, from anywhere (even an attacker's address): signs in.
      for (const ip of [freshIp(), attacker]) {
        const result = await signIn(on, victim.username, PASSWORD, ip, device);
        assert.deepEqual(signedIn(result), { ok: true, userId: victim.id }, store.name);
      }
      // Unknown usernames are locked alike after as many failures: nothing tells them apart.
      const ghost = `ghost-${randomUUID()}`;
      await failFromMany(on, ACCOUNT_MAX, ghost);
      assert.deepEqual(await signIn(on, ghost, PASSWORD, freshIp(), device), throttled(LOCK), store.name);
    }
  });

  test('SEC-6 a forged, altered, expired, foreign or other-account device cookie exempts nothing', async () => {
    const c = env.container;
    const [victim, other] = [await addUser(c, t.tenantId), await addUser(c, t.tenantId)];
    const on = node();
    const genuine = deviceOf(await signIn(on, victim.username, PASSWORD, freshIp()));
    const [, payload, mac] = genuine.split('.') as [string, string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
      d: string;
      a: [string, number][];
    };
    const altered = Buffer.from(JSON.stringify({ ...decoded, d: 'A'.repeat(22) })).toString('base64url');
    const foreignKey = node({ deviceKey: Buffer.alloc(32, 7) });
    const candidates = {
      garbage: 'v1.bm90IGEgY29va2ll.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'altered payload': `v1.${altered}.${mac}`,
      'another installation': deviceOf(await signIn(foreignKey, victim.username, PASSWORD, freshIp())),
      'another account': deviceOf(await signIn(on, other.username, PASSWORD, freshIp())),
      'another tenant': await (async () => {
        const s = await signUpTenant(c);
        const r = await on.authenticate(anonymous(), {
          tenantId: s.tenantId,
          username: 'founder',
          password: PASSWORD,
          ip: freshIp(),
        });
        return deviceOf(r);
      })(),
    };
    await failFromMany(on, ACCOUNT_MAX, victim.username);
    for (const [what, device] of Object.entries(candidates)) {
      assert.equal(
        reasonOf(await signIn(on, victim.username, PASSWORD, freshIp(), device)),
        'throttled',
        what,
      );
    }
    assert.equal(reasonOf(await signIn(on, victim.username, PASSWORD, freshIp(), genuine)), 'ok');
    // A cookie of the same name planted beside the genuine one (a sibling subdomain can) hides nothing.
    const both = await on.authenticate(anonymous(), {
      tenantId: t.tenantId,
      username: victim.username,
      password: PASSWORD,
      ip: freshIp(),
      devices: [candidates['another account'], candidates['altered payload'], genuine],
    });
    assert.equal(reasonOf(both), 'ok', 'planted beside the genuine one');
    // An expired one: the cookie lives 180 days (renewed at each sign-in), its entries as long.
    const old = deviceOf(await signIn(on, other.username, PASSWORD, freshIp()));
    env.clock.advance(181 * 86_400_000);
    await failFromMany(on, ACCOUNT_MAX, other.username);
    assert.equal(
      reasonOf(await signIn(on, other.username, PASSWORD, freshIp(), old)),
      'throttled',
      'expired',
    );
  });

  test('SEC-6 a browser with the device cookie is held back by its own failures, and only it', async () => {
    const victim = await addUser(env.container, t.tenantId);
    const on = node();
    const mine = deviceOf(await signIn(on, victim.username, PASSWORD, freshIp()));
    const theirs = deviceOf(await signIn(on, victim.username, PASSWORD, freshIp()));
    const stolen = freshIp();
    await failTimes(on, MAX, victim.username, stolen, theirs);
    assert.deepEqual(await signIn(on, victim.username, PASSWORD, freshIp(), theirs), throttled(LOCK));
    // The lockout is that device's: the same address without it, and another device, still sign in.
    assert.equal(reasonOf(await signIn(on, victim.username, PASSWORD, stolen)), 'ok');
    assert.equal(reasonOf(await signIn(on, victim.username, PASSWORD, stolen, mine)), 'ok');
  });

  test('SEC-6 one browser is known to several accounts (a shared computer), the most recent ten', async () => {
    const c = env.container;
    const on = node({ policy: withPolicy({ accountMaxFailures: MAX }) });
    const users = [];
    for (let i = 0; i < 11; i++) users.push(await addUser(c, t.tenantId));
    let device: string | undefined;
    for (const user of users) device = deviceOf(await signIn(on, user.username, PASSWORD, freshIp(), device));
    for (const user of users) await failFromMany(on, MAX, user.username);
    const answers = [];
    for (const user of users)
      answers.push(reasonOf(await signIn(on, user.username, PASSWORD, freshIp(), device)));
    assert.deepEqual(answers, ['throttled', ...Array(10).fill('ok')]);
  });

  test('SEC-6 lockouts are audited when they start: scope, length, username and address', async () => {
    const victim = await addUser(env.container, t.tenantId);
    const on = node({ policy: withPolicy({ accountMaxFailures: 2 * MAX }) });
    const attacker = freshIp();
    await failTimes(on, MAX, victim.username, attacker);
    await signIn(on, victim.username, WRONG, attacker); // refused: no second lockout
    const second = freshIp();
    await failTimes(on, MAX, victim.username, second);
    const rows = await env.container.audit.list(t.tenantId, { action: 'session.lockout', limit: 500 });
    const mine = rows.filter((r) => r.targetId === victim.id).reverse();
    assert.deepEqual(
      mine.map((r) => [r.actorType, r.after]),
      [
        [
          'anonymous',
          {
            username: victim.username,
            ip: attacker,
            scope: 'address',
            lockoutSeconds: LOCK,
            lockoutInARow: 1,
          },
        ],
        [
          'anonymous',
          { username: victim.username, ip: second, scope: 'address', lockoutSeconds: LOCK, lockoutInARow: 1 },
        ],
        [
          'anonymous',
          { username: victim.username, ip: second, scope: 'account', lockoutSeconds: LOCK, lockoutInARow: 1 },
        ],
      ],
    );
    assert.ok(!JSON.stringify(mine).includes(WRONG));
  });

  test('SEC-6 an unlock clears every counter of the username, from any node, in Redis and SQL alike; audited', async () => {
    for (const store of stores()) {
      const victim = await addUser(env.container, t.tenantId);
      const [a, b] = [node({ redis: store.redis }), node({ redis: store.redis })];
      const attacker = freshIp();
      await failTimes(a, MAX, victim.username, attacker);
      await failFromMany(a, ACCOUNT_MAX - MAX, victim.username);
      assert.equal(reasonOf(await signIn(a, victim.username, PASSWORD, attacker)), 'throttled');
      assert.equal(reasonOf(await signIn(a, victim.username, PASSWORD, freshIp())), 'throttled');
      // Narrow administrators may not; another tenant's users are not found.
      const narrow = await addUser(env.container, t.tenantId);
      await assert.rejects(b.unlock(userCtx(t.tenantId, narrow.id), t.tenantId, { userId: victim.id }), {
        code: 'auth.permission_denied',
      });
      const s = await signUpTenant(env.container);
      await assert.rejects(b.unlock(s.owner, s.tenantId, { userId: victim.id }), { code: 'user.not_found' });
      const unlocked = await b.unlock(t.owner, t.tenantId, { userId: victim.id });
      assert.equal(unlocked.userId, victim.id);
      assert.equal(unlocked.lockoutsLifted, 2, 'the attacker address on the username, and the account');
      assert.deepEqual(await a.inspect(t.tenantId, victim.username), { failures: 0, lockedForSeconds: 0 });
      assert.equal(reasonOf(await signIn(a, victim.username, PASSWORD, attacker)), 'ok', store.name);
      assert.equal(reasonOf(await signIn(a, victim.username, PASSWORD, freshIp())), 'ok', store.name);
      // By username (the operator's command line), whatever its case; nothing left to clear.
      const again = await a.unlock(operator(), t.tenantId, { username: victim.username.toUpperCase() });
      assert.deepEqual(again, { userId: victim.id, username: victim.username, lockoutsLifted: 0 });
      const rows = await env.container.audit.list(t.tenantId, { action: 'user.unlock', limit: 500 });
      const mine = rows.filter((r) => r.targetId === victim.id).reverse();
      assert.deepEqual(
        mine.map((r) => [r.actorType, (r.after as { username: string }).username]),
        [
          ['user', victim.username],
          ['operator', victim.username],
        ],
      );
    }
  });

  test('SEC-6 the device cookie set by one node is honoured by every other node of the installation', async () => {
    const victim = await addUser(env.container, t.tenantId);
    const [a, b] = [node(), node()];
    const device = deviceOf(await signIn(a, victim.username, PASSWORD, freshIp()));
    await failFromMany(b, ACCOUNT_MAX, victim.username);
    assert.equal(reasonOf(await signIn(b, victim.username, PASSWORD, freshIp())), 'throttled');
    assert.equal(reasonOf(await signIn(b, victim.username, PASSWORD, freshIp(), device)), 'ok');
  });
});

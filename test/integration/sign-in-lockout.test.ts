import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import type { SignInService } from '../../src/modules/sign-in/index.ts';
import { addUser, operator, PASSWORD, signUpTenant, type Tenant, userCtx } from '../helpers/factories.ts';
import {
  ACCOUNT_MAX,
  anonymous,
  deviceOf,
  INVALID,
  LOCK,
  MAX,
  reasonOf,
  signedIn,
  signInWorld,
  throttled,
  WRONG,
  withPolicy,
} from '../helpers/sign-in-world.ts';
import type { TestEnv } from '../helpers/test-container.ts';

// SEC-6: throttling that an attacker cannot turn against the person attacked. The rest of password
// sign-in (SESS-8, AUD-1) is in sign-in.test.ts.

describe('password sign-in', () => {
  const world = signInWorld();
  const { freshIp, node, signIn, failTimes } = world;
  let env: TestEnv;
  let t: Tenant;
  before(() => {
    ({ env, t } = world);
    console.log(
      `# sign-in counters in SQL (REL-3), ${env.container.redis ? 'with' : 'without'} Redis configured`,
    );
  });

  /** The node setups this run can test: without Redis always, with Redis when configured (the counters are in SQL either way). */
  const stores = () =>
    [['SQL', null] as const, ...(env.container.redis ? [['Redis', undefined] as const] : [])].map(
      ([name, redis]) => ({ name, redis }),
    );
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

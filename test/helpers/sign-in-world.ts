import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { createAccess } from '../../src/modules/roles/index.ts';
import {
  createSignInService,
  DEFAULT_SIGN_IN_POLICY,
  type PseudonymKeys,
  type SignInPolicy,
  type SignInResult,
  type SignInService,
} from '../../src/modules/sign-in/index.ts';
import type { RequestContext } from '../../src/platform/context.ts';
import type { RedisClients } from '../../src/platform/redis.ts';
import { signUpTenant, type Tenant } from './factories.ts';
import { createTestEnv, pseudonymKeysOf, type TestEnv } from './test-container.ts';

// The password sign-in service as the sign-in tests drive it (sign-in.test.ts, SESS-8 and AUD-1;
// sign-in-lockout.test.ts, SEC-6): nodes of a cluster over one test env, the expected answers, and
// addresses that no other test shares.

export const INVALID: SignInResult = { ok: false, reason: 'invalid_credentials' };
export const throttled = (retryAfterSeconds: number): SignInResult => ({
  ok: false,
  reason: 'throttled',
  retryAfterSeconds,
});
export const WRONG = 'not the password';
export const LOCK = DEFAULT_SIGN_IN_POLICY.username.lockoutSeconds;
export const MAX = DEFAULT_SIGN_IN_POLICY.username.maxFailures;
export const ACCOUNT_MAX = DEFAULT_SIGN_IN_POLICY.username.accountMaxFailures;
export const withPolicy = (
  username: Partial<SignInPolicy['username']>,
  address: Partial<SignInPolicy['address']> = {},
) => ({
  username: { ...DEFAULT_SIGN_IN_POLICY.username, ...username },
  address: { ...DEFAULT_SIGN_IN_POLICY.address, ...address },
});
/** A success, without the device cookie that comes with it. */
export const signedIn = (result: SignInResult) => (result.ok ? { ok: true, userId: result.userId } : result);
/** The device cookie a success hands out. */
export function deviceOf(result: SignInResult): string {
  assert.ok(result.ok, `expected a success, got ${JSON.stringify(result)}`);
  return result.device.value;
}
export const reasonOf = (result: SignInResult) => (result.ok ? 'ok' : result.reason);
export const anonymous = (): RequestContext => ({
  actor: { kind: 'anonymous' },
  requestId: `req-${randomUUID()}`,
});

/**
 * The world of one test file, to call inside its `describe`: registers the hooks that build a test
 * env with a tenant before the tests and, after them, delete this world's Redis keys and close the
 * env. `env` and `t` are there once the `before` hooks have run.
 */
export function signInWorld() {
  let env: TestEnv;
  let t: Tenant;
  let keys: PseudonymKeys;
  const redisKeyPrefix = `canopy-test:${randomUUID()}:`;
  let lastIp = 0;
  const nextIp = () => `203.0.113.${++lastIp % 250}`;
  let lastNet = 0;
  /** An address of its own, never shared with another test. */
  const freshIp = () => `198.51.${100 + Math.floor(++lastNet / 250)}.${lastNet % 250}`;
  before(async () => {
    env = await createTestEnv();
    t = await signUpTenant(env.container);
    keys = await pseudonymKeysOf(env.container);
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
      access: createAccess(c.directory),
      logger: c.logger,
      deviceKey: options.deviceKey ?? c.webKeys,
      ...keys,
      redisKeyPrefix,
      ...(options.policy ? { policy: options.policy } : {}),
    });
  }
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

  return {
    get env() {
      return env;
    },
    get t() {
      return t;
    },
    nextIp,
    freshIp,
    node,
    signIn,
    failTimes,
  };
}

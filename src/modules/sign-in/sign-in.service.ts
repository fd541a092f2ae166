import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import { verifyPassword } from '../../platform/crypto/password.ts';
import type { Db } from '../../platform/db/database.ts';
import type { Logger } from '../../platform/logger.ts';
import type { RedisClients } from '../../platform/redis.ts';
import type { UsageEvent } from '../analytics/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access } from '../roles/index.ts';
import type { UserService } from '../users/index.ts';
import { createDeviceCookies } from './device-cookie.ts';
import { DEFAULT_SIGN_IN_POLICY, type SignInPolicy } from './policy.ts';
import { createThrottle, type Lockout } from './throttle.ts';
import { createUnlock } from './unlock.ts';
import { usernameHash } from './username-hash.ts';

export interface SignInAttempt {
  tenantId: string;
  username: string;
  password: string;
  /** The caller's address, for per-address throttling. */
  ip: string;
  /** The device cookies the browser sent (SEC-6), as sent; anything but a genuine one is ignored. */
  devices?: readonly string[];
  /** The app the user is signing in to, when known (usage analytics, ANL-1). */
  clientId?: string;
}

/** Failures never say whether the username exists (SESS-8). */
export type SignInResult =
  | { ok: true; userId: string; device: DeviceCookieValue }
  | { ok: false; reason: 'invalid_credentials' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

/** The device cookie to set after a password sign-in: this browser is known to the account from now on. */
export interface DeviceCookieValue {
  value: string;
  maxAgeSeconds: number;
}

export interface SignInServiceDeps {
  db: Db;
  clock: Clock;
  redis: RedisClients | undefined;
  audit: AuditService;
  users: UserService;
  access: Pick<Access, 'require'>;
  logger: Logger;
  /** Key material the device cookies' MAC key is derived from (the web pages' root key, from SECRETS_KEY). */
  deviceKey: Buffer | readonly Buffer[];
  /** SEC-12: the HMAC key of usernames that name no account (from the installation key). */
  usernameHashKey: Buffer;
  /** SEC-12: the HMAC key of the throttle's counter keys (from the installation key). */
  throttleKey: Buffer;
  /** How long a device cookie vouches for a browser (default 180 days). */
  deviceCookieDays?: number;
  /** Throttling and lockout numbers; the documented defaults otherwise. */
  policy?: SignInPolicy;
  /** Prefix of the Redis keys: the installation's `storage.redisKeyPrefix` (default `canopy:`). */
  redisKeyPrefix?: string;
  /** Usage analytics (ANL-1): counts successes and failures in memory, written in batches. */
  usage?: { record(event: UsageEvent): void };
}

/** Longest username kept in an audit entry: one naming an account, as typed, bounded. */
const AUDITED_USERNAME_LENGTH = 255;

/**
 * Password sign-in (SESS-8, SEC-6, AUD-1). Every failure looks the same — unknown username, wrong
 * password, disabled or deleted account, account without a password — and costs one password
 * verification. While the attempt is throttled the answer is `throttled` without any verification,
 * for existing and unknown usernames alike and whatever the password. Every attempt, refused or not,
 * and every lockout it starts, is audited with the username and the caller's address (on purpose:
 * it is what an investigation of a sign-in needs), never the password. A username that names no
 * account may be a password typed into the wrong field: it is recorded only as `usernameHash`
 * (SEC-12).
 */
export function createSignInService(deps: SignInServiceDeps) {
  const { users, audit } = deps;
  for (const [what, key] of [
    ['username hash', deps.usernameHashKey],
    ['throttle', deps.throttleKey],
  ] as const) {
    if (!Buffer.isBuffer(key) || key.length < 32) throw new Error(`the ${what} key must be 32 bytes or more`);
  }
  const throttle = createThrottle({
    db: deps.db,
    clock: deps.clock,
    redis: deps.redis,
    logger: deps.logger,
    policy: deps.policy ?? DEFAULT_SIGN_IN_POLICY,
    redisKeyPrefix: deps.redisKeyPrefix ?? 'canopy:',
    key: deps.throttleKey,
  });
  const devices = createDeviceCookies({
    key: deps.deviceKey,
    clock: deps.clock,
    days: deps.deviceCookieDays ?? 180,
  });

  async function decide(
    attempt: SignInAttempt,
    user: SignInUser | undefined,
    deviceId: string | undefined,
  ): Promise<{ result: SignInResult; lockouts: Lockout[] }> {
    const gate = await throttle.admit(attempt.tenantId, attempt.username, attempt.ip, deviceId);
    if (!gate.admitted) {
      return {
        result: { ok: false, reason: 'throttled', retryAfterSeconds: gate.retryAfterSeconds },
        lockouts: [],
      };
    }
    // One verification whatever the account: a fixed hash stands in when there is none to check.
    const hash = user?.status === 'active' ? user.passwordHash : null;
    const matches = await verifyPassword(hash, attempt.password);
    if (matches && user) {
      await throttle.succeeded(gate.ticket);
      const device = {
        value: devices.afterSignIn(attempt.devices ?? [], attempt.tenantId, user.id),
        maxAgeSeconds: devices.maxAgeSeconds,
      };
      return { result: { ok: true, userId: user.id, device }, lockouts: [] };
    }
    const lockouts = await throttle.failed(gate.ticket);
    return { result: { ok: false, reason: 'invalid_credentials' }, lockouts };
  }

  return {
    async authenticate(ctx: RequestContext, attempt: SignInAttempt): Promise<SignInResult> {
      const user = await users.findForSignIn(attempt.tenantId, attempt.username);
      // Only an account has a user id, so no cookie ever vouches for an unknown username.
      const deviceId = user ? devices.deviceFor(attempt.devices ?? [], attempt.tenantId, user.id) : undefined;
      const { result, lockouts } = await decide(attempt, user, deviceId);
      const who = {
        tenantId: attempt.tenantId,
        orgId: attempt.tenantId,
        ...(user ? { target: { type: 'user', id: user.id } } : {}),
      };
      const seen = {
        ...(user
          ? { username: attempt.username.slice(0, AUDITED_USERNAME_LENGTH) }
          : { usernameHash: usernameHash(deps.usernameHashKey, attempt.username) }),
        ip: attempt.ip,
        ...(deviceId ? { knownBrowser: true } : {}),
      };
      await audit.recordNow(ctx, {
        ...who,
        action: 'session.sign_in',
        outcome: result.ok ? 'success' : 'failure',
        after: { ...seen, ...(result.ok ? {} : { reason: result.reason }) },
      });
      for (const lockout of lockouts) {
        await audit.recordNow(ctx, {
          ...who,
          action: 'session.lockout',
          after: {
            ...seen,
            scope: lockout.scope,
            lockoutSeconds: lockout.seconds,
            lockoutInARow: lockout.inARow,
          },
        });
      }
      deps.usage?.record({
        tenantId: attempt.tenantId,
        orgId: attempt.tenantId,
        clientId: attempt.clientId ?? null,
        metric: result.ok ? 'sign_in_success' : 'sign_in_failure',
      });
      return result;
    },

    /** SEC-12: the `usernameHash` that the audit log records for this username when it names no account. */
    usernameHash: (username: string) => usernameHash(deps.usernameHashKey, username),

    /** A username's failures from every source, and how long fresh browsers stay locked out (operators, tests). */
    inspect: (tenantId: string, username: string) => throttle.inspect(tenantId, username),

    /** SEC-6: clears every lockout and counted failure of a user (`users.manage` on the master; audited). */
    unlock: createUnlock({ db: deps.db, users, access: deps.access, audit, throttle }),
  };
}

type SignInUser = NonNullable<Awaited<ReturnType<UserService['findForSignIn']>>>;

export type SignInService = ReturnType<typeof createSignInService>;

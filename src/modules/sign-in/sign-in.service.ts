import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import { verifyPassword } from '../../platform/crypto/password.ts';
import type { Db } from '../../platform/db/database.ts';
import type { Logger } from '../../platform/logger.ts';
import type { RedisClients } from '../../platform/redis.ts';
import type { UsageEvent } from '../analytics/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { UserService } from '../users/index.ts';
import { DEFAULT_SIGN_IN_POLICY, type SignInPolicy } from './policy.ts';
import { createThrottle } from './throttle.ts';

export interface SignInAttempt {
  tenantId: string;
  username: string;
  password: string;
  /** The caller's address, for per-address throttling. */
  ip: string;
  /** The app the user is signing in to, when known (usage analytics, ANL-1). */
  clientId?: string;
}

/** Failures never say whether the username exists (SESS-8). */
export type SignInResult =
  | { ok: true; userId: string }
  | { ok: false; reason: 'invalid_credentials' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

export interface SignInServiceDeps {
  db: Db;
  clock: Clock;
  redis: RedisClients | undefined;
  audit: AuditService;
  users: UserService;
  logger: Logger;
  /** Throttling and lockout numbers; the documented defaults otherwise. */
  policy?: SignInPolicy;
  /** Prefix of the Redis keys: the installation's `storage.redisKeyPrefix` (default `canopy:`). */
  redisKeyPrefix?: string;
  /** Usage analytics (ANL-1): counts successes and failures in memory, written in batches. */
  usage?: { record(event: UsageEvent): void };
}

/** Longest username kept in an audit entry: whatever was typed, bounded. */
const AUDITED_USERNAME_LENGTH = 255;

/**
 * Password sign-in (SESS-8, AUD-1). Every failure looks the same — unknown username, wrong password,
 * disabled or deleted account, account without a password — and costs one password verification.
 * While the username or the address is throttled the answer is `throttled` without any
 * verification, for existing and unknown usernames alike and whatever the password. Every attempt,
 * refused or not, is audited with the username and the caller's address (on purpose: it is what an
 * investigation of a sign-in needs), never the password.
 */
export function createSignInService(deps: SignInServiceDeps) {
  const { users, audit } = deps;
  const throttle = createThrottle({
    db: deps.db,
    clock: deps.clock,
    redis: deps.redis,
    logger: deps.logger,
    policy: deps.policy ?? DEFAULT_SIGN_IN_POLICY,
    redisKeyPrefix: deps.redisKeyPrefix ?? 'canopy:',
  });

  async function decide(attempt: SignInAttempt, user: SignInUser | undefined): Promise<SignInResult> {
    const gate = await throttle.admit(attempt.tenantId, attempt.username, attempt.ip);
    if (!gate.admitted) return { ok: false, reason: 'throttled', retryAfterSeconds: gate.retryAfterSeconds };
    // One verification whatever the account: a fixed hash stands in when there is none to check.
    const hash = user?.status === 'active' ? user.passwordHash : null;
    const matches = await verifyPassword(hash, attempt.password);
    if (matches && user) {
      await throttle.succeeded(gate.ticket);
      return { ok: true, userId: user.id };
    }
    await throttle.failed(gate.ticket);
    return { ok: false, reason: 'invalid_credentials' };
  }

  return {
    async authenticate(ctx: RequestContext, attempt: SignInAttempt): Promise<SignInResult> {
      const user = await users.findForSignIn(attempt.tenantId, attempt.username);
      const result = await decide(attempt, user);
      await audit.recordNow(ctx, {
        tenantId: attempt.tenantId,
        orgId: attempt.tenantId,
        action: 'session.sign_in',
        outcome: result.ok ? 'success' : 'failure',
        ...(user ? { target: { type: 'user', id: user.id } } : {}),
        after: {
          username: attempt.username.slice(0, AUDITED_USERNAME_LENGTH),
          ip: attempt.ip,
          ...(result.ok ? {} : { reason: result.reason }),
        },
      });
      deps.usage?.record({
        tenantId: attempt.tenantId,
        orgId: attempt.tenantId,
        clientId: attempt.clientId ?? null,
        metric: result.ok ? 'sign_in_success' : 'sign_in_failure',
      });
      return result;
    },

    /** A username's counted failures and remaining lockout (operators, tests). */
    inspect: (tenantId: string, username: string) => throttle.inspect(tenantId, username),
  };
}

type SignInUser = NonNullable<Awaited<ReturnType<UserService['findForSignIn']>>>;

export type SignInService = ReturnType<typeof createSignInService>;

import { createHash } from 'node:crypto';
import { type RateLimiterAbstract, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/database.ts';
import type { Logger } from '../../platform/logger.ts';
import type { RedisClients } from '../../platform/redis.ts';
import { throttleUnit } from './address.ts';
import { lockoutSeconds, type SignInPolicy } from './policy.ts';
import { createSweeper, SqlLimiterStore } from './sql-limiter-store.ts';

export interface ThrottleDeps {
  db: Db;
  clock: Clock;
  redis: RedisClients | undefined;
  logger: Logger;
  policy: SignInPolicy;
  /** Prefix of the Redis keys (the installation's REDIS_KEY_PREFIX). */
  redisKeyPrefix: string;
}

/** An admitted attempt: already counted as a failure until `succeeded` says otherwise. */
export interface Ticket {
  tenantId: string;
  userKey: string;
  addressKey: string;
  /** This attempt's number among the username's counted failures. */
  count: number;
}

export type Admission = { admitted: true; ticket: Ticket } | { admitted: false; retryAfterSeconds: number };

/**
 * The counters behind SESS-8, shared by every node: in Redis when configured (rate-limiter-flexible's
 * atomic Lua counter, with the SQL store as insurance should Redis fail), else in SQL.
 *
 * An attempt is counted *before* its password is checked (and refunded on success), so N parallel
 * attempts cannot all slip past a limit of 5 (the Zitadel race, GHSA-7h8m-vrxx-vr4m): at most
 * `maxFailures` verifications run per lockout.
 */
export function createThrottle(deps: ThrottleDeps) {
  const { db, clock, redis, logger, policy, redisKeyPrefix } = deps;
  const sweep = createSweeper(db, (err) => logger.warn({ err }, 'sign-in: sweeping old counters failed'));

  function limiter(kind: string, points: number, duration: number, blockDuration = 0): RateLimiterAbstract {
    const sql = new SqlLimiterStore({ db, clock, sweep, keyPrefix: kind, points, duration, blockDuration });
    if (!redis) return sql;
    return new RateLimiterRedis({
      storeClient: redis.command,
      keyPrefix: `${redisKeyPrefix}sign-in:${kind}`,
      points,
      duration,
      blockDuration,
      rejectIfRedisNotReady: true,
      insuranceLimiter: sql,
    });
  }

  const { username, address } = policy;
  const failures = limiter('fail', username.maxFailures, username.failureWindowSeconds);
  const lockouts = limiter('lock', 1_000_000, username.escalationWindowSeconds);
  const addresses = limiter('addr', address.maxFailures, address.windowSeconds, address.blockSeconds);

  const userKeyOf = (tenantId: string, name: string) => digest(`${tenantId}\n${name.toLowerCase()}`);

  /** Counts one attempt on a limiter; a refusal is an answer, a store failure an error. */
  async function take(on: RateLimiterAbstract, key: string): Promise<{ ok: boolean; res: RateLimiterRes }> {
    try {
      return { ok: true, res: await on.consume(key) };
    } catch (err) {
      if (err instanceof RateLimiterRes) return { ok: false, res: err };
      throw err;
    }
  }

  return {
    /** Counts the attempt per address, then per username; refuses it while either is over its limit. */
    async admit(tenantId: string, name: string, ip: string): Promise<Admission> {
      const addressKey = digest(throttleUnit(ip));
      const byAddress = await take(addresses, addressKey);
      if (!byAddress.ok) return { admitted: false, retryAfterSeconds: seconds(byAddress.res.msBeforeNext) };
      const userKey = userKeyOf(tenantId, name);
      const byUser = await take(failures, userKey);
      if (!byUser.ok) {
        // Locked; or the limit was reached by attempts still being checked, whose lockout is not
        // decided yet: then the counter's window is no promise, the longest lockout is.
        const ms = Math.min(byUser.res.msBeforeNext, username.maxLockoutSeconds * 1000);
        return { admitted: false, retryAfterSeconds: seconds(ms) };
      }
      return { admitted: true, ticket: { tenantId, userKey, addressKey, count: byUser.res.consumedPoints } };
    },

    /** The attempt failed: it stays counted; the failure that reaches the limit locks the username. */
    async failed(ticket: Ticket): Promise<void> {
      if (ticket.count < username.maxFailures) return;
      const nth = (await lockouts.penalty(ticket.userKey)).consumedPoints;
      const duration = lockoutSeconds(policy, nth);
      await failures.block(ticket.userKey, duration);
      logger.warn(
        { tenantId: ticket.tenantId, lockoutSeconds: duration, lockoutInARow: nth },
        'sign-in: username locked after repeated failures',
      );
    },

    /** The attempt succeeded: the username's failures and lockouts are forgotten, the address refunded. */
    async succeeded(ticket: Ticket): Promise<void> {
      await Promise.all([
        failures.delete(ticket.userKey),
        lockouts.delete(ticket.userKey),
        addresses.reward(ticket.addressKey),
      ]);
    },

    /** The username's counted failures in the current window, and how long it stays locked. */
    async inspect(tenantId: string, name: string): Promise<{ failures: number; lockedForSeconds: number }> {
      const res = await failures.get(userKeyOf(tenantId, name));
      if (!res) return { failures: 0, lockedForSeconds: 0 };
      const locked = res.consumedPoints > username.maxFailures;
      return { failures: res.consumedPoints, lockedForSeconds: locked ? seconds(res.msBeforeNext) : 0 };
    },
  };
}

export type Throttle = ReturnType<typeof createThrottle>;

/** Fixed-length keys that keep usernames and addresses out of the store in clear. */
function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

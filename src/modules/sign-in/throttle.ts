import { createHmac } from 'node:crypto';
import type { Clock } from '../../platform/clock.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import type { Logger } from '../../platform/logger.ts';
import { throttleUnit } from '../../platform/net/networks.ts';
import type { RedisClients } from '../../platform/redis.ts';
import {
  type CounterSelection,
  clearCounters,
  countLive,
  createLimiters,
  type Limiters,
  retryAfterSeconds,
} from '../../platform/throttle/index.ts';
import { ACCOUNT, type LockableLimits, PAIR, signInLimits } from './limits.ts';
import { type AttemptCount, createLockableCounter } from './lockable-counter.ts';
import { lockoutSeconds, type SignInPolicy } from './policy.ts';

export interface ThrottleDeps {
  db: Db;
  clock: Clock;
  redis: RedisClients | undefined;
  logger: Logger;
  policy: SignInPolicy;
  /** Prefix of the Redis keys (the installation's REDIS_KEY_PREFIX). */
  redisKeyPrefix: string;
  /** The HMAC key of the counters' keys: the installation's, the same on every node and across rotations. */
  key: Buffer;
}

/** Where an attempt comes from, for its own (username, source) counter. */
export type SourceKind = 'address' | 'device';

/** An admitted attempt: already counted as a failure until `succeeded` says otherwise. */
export interface Ticket {
  tenantId: string;
  source: SourceKind;
  /** The (username, address) or (username, device) count: this browser's own. */
  pair: AttemptCount;
  /** The username's count across every source; absent while it is locked (a device-cookie browser). */
  account: AttemptCount | undefined;
  /** The address's count, when it was inside its limit. */
  addressKey: string | undefined;
}

export type Admission = { admitted: true; ticket: Ticket } | { admitted: false; retryAfterSeconds: number };

/** A lockout that an attempt started: of one source on the username, or of the username itself. */
export interface Lockout {
  scope: SourceKind | 'account';
  seconds: number;
  /** How many lockouts in a row this one is (it lasts longer each time). */
  inARow: number;
}

/**
 * The counters behind SESS-8 and SEC-6, shared by every node: in SQL, so that a Redis restart
 * lifts no lockout (REL-3).
 *
 * Gates: a browser without a device cookie for the account passes the address, its (username,
 * address) pair and the account-wide counter; a browser with one passes only its (username, device)
 * pair — its attempts still count on the address and the account, so that guessing with a stolen
 * cookie shows everywhere else.
 *
 * An attempt is counted *before* its password is checked (and given back on success), so N parallel
 * attempts cannot all slip past a limit of 5 (the Zitadel race, GHSA-7h8m-vrxx-vr4m): at most
 * `maxFailures` verifications run per lockout. An attempt that a gate refuses is given back to the
 * gates it passed, so refused attempts neither extend a lockout nor count towards the next one.
 */
export function createThrottle(deps: ThrottleDeps) {
  const { db, clock, redis, logger, policy, redisKeyPrefix } = deps;
  // Counter keys are HMACs: a username may be a password typed into the wrong field, and an address
  // is guessable, so an unkeyed hash in the database, a backup or Redis would be cracked offline
  // (SEC-12). Counters written before they were keyed (plain SHA-256) are orphaned at the upgrade:
  // nothing finds them again, and they expire with their windows (a day at most by default).
  const digest = (value: string) => createHmac('sha256', deps.key).update(value).digest('base64url');
  // Every sign-in limit is durable (limits.ts): SQL alone, whatever Redis does (REL-3).
  const limiters = createLimiters({ db, clock });
  const limits = signInLimits(policy);
  const { username } = policy;
  const pairs = lockableCounter(limiters, limits.pairs, policy);
  const accounts = lockableCounter(limiters, limits.accounts, policy);
  const addresses = limiters(limits.addresses);

  const userKeyOf = (tenantId: string, name: string) => digest(`${tenantId}\n${name.toLowerCase()}`);
  const pairKeyOf = (userKey: string, source: SourceKind, id: string) =>
    `${userKey}.${source === 'device' ? `d${id}` : id}`;

  /** Locked, or at the limit by attempts still being checked (whose lockout is not decided yet). */
  const refused = (ms: number): Admission => ({
    admitted: false,
    retryAfterSeconds: retryAfterSeconds(Math.min(ms, username.maxLockoutSeconds * 1000)),
  });

  /** A browser that signed in to the account before: its own failures alone hold it back. */
  async function admitKnownBrowser(tenantId: string, userKey: string, addressKey: string, deviceId: string) {
    const pairKey = pairKeyOf(userKey, 'device', deviceId);
    const [own, account] = await Promise.all([pairs.state(pairKey), accounts.state(userKey)]);
    if (own.lockedMs > 0) return refused(own.lockedMs);
    const pair = await pairs.take(pairKey, own.epoch);
    if (!pair.within) return refused(pair.msBeforeNext);
    const byAddress = await addresses.take(addressKey);
    // While the account is locked, this browser's attempts neither extend the lock nor count towards the next.
    const counted = account.lockedMs > 0 ? undefined : await accounts.take(userKey, account.epoch);
    const ticket: Ticket = {
      tenantId,
      source: 'device',
      pair,
      account: counted?.within ? counted : undefined,
      addressKey: byAddress.within ? addressKey : undefined,
    };
    return { admitted: true as const, ticket };
  }

  return {
    /**
     * Counts the attempt and refuses it while a gate is over its limit. `deviceId`: the device that a
     * valid device cookie for this account names (the caller checked it); absent, a fresh browser.
     */
    async admit(tenantId: string, name: string, ip: string, deviceId?: string): Promise<Admission> {
      const addressKey = digest(throttleUnit(ip));
      const userKey = userKeyOf(tenantId, name);
      if (deviceId !== undefined) return admitKnownBrowser(tenantId, userKey, addressKey, deviceId);
      const pairKey = pairKeyOf(userKey, 'address', addressKey);
      const [own, account, byAddress] = await Promise.all([
        pairs.state(pairKey),
        accounts.state(userKey),
        addresses.take(addressKey),
      ]);
      if (!byAddress.within)
        return { admitted: false, retryAfterSeconds: retryAfterSeconds(byAddress.msBeforeNext) };
      const giveBackAddress = () => addresses.giveBack(addressKey);
      const lockedMs = Math.max(own.lockedMs, account.lockedMs);
      if (lockedMs > 0) {
        await giveBackAddress();
        return refused(lockedMs);
      }
      const pair = await pairs.take(pairKey, own.epoch);
      if (!pair.within) {
        await giveBackAddress();
        return refused(pair.msBeforeNext);
      }
      const counted = await accounts.take(userKey, account.epoch);
      if (!counted.within) {
        await Promise.all([giveBackAddress(), pairs.refund(pair)]);
        return refused(counted.msBeforeNext);
      }
      return { admitted: true, ticket: { tenantId, source: 'address', pair, account: counted, addressKey } };
    },

    /** The attempt failed: it stays counted; the failure that reaches a limit starts a lockout. */
    async failed(ticket: Ticket): Promise<Lockout[]> {
      const [own, account] = await Promise.all([
        pairs.lockIfReached(ticket.pair),
        ticket.account ? accounts.lockIfReached(ticket.account) : undefined,
      ]);
      const started: Lockout[] = [
        ...(own ? [{ scope: ticket.source, ...own }] : []),
        ...(account ? [{ scope: 'account' as const, ...account }] : []),
      ];
      for (const lockout of started) {
        logger.warn(
          {
            tenantId: ticket.tenantId,
            scope: lockout.scope,
            lockoutSeconds: lockout.seconds,
            lockoutInARow: lockout.inARow,
          },
          'sign-in: locked after repeated failures',
        );
      }
      return started;
    },

    /**
     * The attempt succeeded: this browser's own failures and lockouts are forgotten, and the attempt
     * is given back where it was counted. The account-wide count stays: forgiving it would hand an
     * attack in progress a fresh allowance at every sign-in of the person attacked.
     */
    async succeeded(ticket: Ticket): Promise<void> {
      await Promise.all([
        pairs.forget(ticket.pair),
        ticket.account ? accounts.refund(ticket.account) : undefined,
        ticket.addressKey ? addresses.giveBack(ticket.addressKey) : undefined,
      ]);
    },

    /** The username's failures from every source towards its next lockout, and how long it stays locked. */
    async inspect(tenantId: string, name: string): Promise<{ failures: number; lockedForSeconds: number }> {
      const { failures, lockedMs } = await accounts.inspect(userKeyOf(tenantId, name));
      return { failures, lockedForSeconds: lockedMs > 0 ? retryAfterSeconds(lockedMs) : 0 };
    },

    /**
     * Forgets every counter and lockout of the username (each source's and the account's), in the
     * SQL store through `conn` (the caller's transaction) and, once `forgetShared` is called after
     * that transaction commits, in Redis (so a failed commit lifts nothing). Answers how many
     * lockouts were in force.
     */
    async unlock(
      tenantId: string,
      name: string,
      conn: Db | Tx = db,
    ): Promise<{ lifted: number; forgetShared(): Promise<void> }> {
      const userKey = userKeyOf(tenantId, name);
      const locks: CounterSelection = {
        keys: [`${ACCOUNT[2]}:${userKey}`],
        prefixes: [`${PAIR[2]}:${userKey}.`],
      };
      const all: CounterSelection = {
        keys: [`${ACCOUNT[1]}:${userKey}`, ...locks.keys],
        prefixes: [`${ACCOUNT[0]}:${userKey}#`, ...PAIR.map((kind) => `${kind}:${userKey}.`)],
      };
      let lifted = await countLive(conn, locks, clock.now());
      await clearCounters(conn, all);
      const inRedis = async (which: CounterSelection) => {
        const keys = which.keys.map((key) => `${redisKeyPrefix}sign-in:${key}`);
        for (const prefix of which.prefixes) {
          const match = `${escapeGlob(`${redisKeyPrefix}sign-in:${prefix}`)}*`;
          for await (const batch of redis!.command.scanStream({ match, count: 1000 })) keys.push(...batch);
        }
        return keys;
      };
      // Redis expires keys by itself: a lock key that exists is a lockout in force.
      const live = redis ? await inRedis(locks) : [];
      if (redis && live.length > 0) lifted += await redis.command.exists(...live);
      return {
        lifted,
        async forgetShared() {
          if (!redis) return;
          const keys = await inRedis(all);
          if (keys.length > 0) await redis.command.del(...keys);
        },
      };
    },
  };
}

export type Throttle = ReturnType<typeof createThrottle>;

function lockableCounter(limiters: Limiters, limits: LockableLimits, policy: SignInPolicy) {
  return createLockableCounter({
    failures: limiters(limits.failures),
    lockouts: limiters(limits.lockouts),
    locks: limiters(limits.locks),
    lockoutSeconds: (n) => lockoutSeconds(policy, n),
  });
}

/** A literal for a Redis MATCH pattern (the configured key prefix may hold `*`, `?`, `[` or a backslash). */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

import type { Limit } from '../../platform/throttle/index.ts';
import type { SignInPolicy } from './policy.ts';

// Counter kinds (key prefixes in the store: `<kind>:<key>`). Pair keys start with
// `<username key>.`, account keys with `<username key>`, so that an unlock finds every counter of a
// username.
export const PAIR = ['pair', 'pairesc', 'pairlock'] as const;
export const ACCOUNT = ['acct', 'acctesc', 'acctlock'] as const;
const ADDRESS = 'addr';

/** A lockable counter's three limits: failures, lockouts in a row, and the lock itself. */
export interface LockableLimits {
  failures: Limit;
  lockouts: Limit;
  locks: Limit;
}

/**
 * The limits of SESS-8 and SEC-6, as the policy sets them. Durable: in SQL, so that a Redis restart
 * lifts no lockout (REL-3).
 */
export function signInLimits(policy: SignInPolicy) {
  const { username, address } = policy;
  const durable = (name: string, points: number, windowSeconds: number, blockSeconds = 0): Limit => ({
    name,
    points,
    windowSeconds,
    blockSeconds,
    store: 'durable',
  });
  const lockable = (kinds: readonly [string, string, string], maxFailures: number): LockableLimits => ({
    failures: durable(kinds[0], maxFailures, username.failureWindowSeconds),
    // Counted only: never refused.
    lockouts: durable(kinds[1], 1_000_000, username.escalationWindowSeconds),
    locks: durable(kinds[2], 1, username.maxLockoutSeconds),
  });
  return {
    /** (username, address) and (username, device). */
    pairs: lockable(PAIR, username.maxFailures),
    /** The username across every source. */
    accounts: lockable(ACCOUNT, username.accountMaxFailures),
    /** The address across usernames and tenants: blocked once over. */
    addresses: durable(ADDRESS, address.maxFailures, address.windowSeconds, address.blockSeconds),
  };
}

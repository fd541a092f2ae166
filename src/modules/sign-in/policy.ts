/**
 * How password sign-in resists guessing (SESS-8). One place for every number; the defaults follow
 * the peers (research E §1.1, §4.3) and are meant to become configuration keys.
 *
 * - Per username (tenant + case-folded username, known or not): `maxFailures` failures within
 *   `failureWindowSeconds` lock the username for `lockoutSeconds`; each further lockout within
 *   `escalationWindowSeconds` doubles it, never beyond `maxLockoutSeconds`. A lockout always ends
 *   (ASVS 6.1.1: an attacker can delay a victim by at most `maxLockoutSeconds` at a time, and
 *   attempts made during a lockout neither extend it nor count towards the next one). A success
 *   forgets the username's failures and lockouts. Keycloak's defaults (off by default; 30 failures,
 *   12 h, +60 s per failure up to 15 min) and Auth0's (10 per identifier + address) bracket these.
 * - Per source address, across usernames and tenants: after `maxFailures` failures within
 *   `windowSeconds` the next attempt is refused and the address blocked for `blockSeconds`
 *   (password spraying). Successful sign-ins do not count, so a busy office behind one address is
 *   not throttled by its own users.
 */
export interface SignInPolicy {
  username: {
    maxFailures: number;
    failureWindowSeconds: number;
    lockoutSeconds: number;
    maxLockoutSeconds: number;
    escalationWindowSeconds: number;
  };
  address: {
    maxFailures: number;
    windowSeconds: number;
    blockSeconds: number;
  };
}

export const DEFAULT_SIGN_IN_POLICY: Readonly<SignInPolicy> = Object.freeze({
  username: {
    maxFailures: 5,
    failureWindowSeconds: 12 * 3600,
    lockoutSeconds: 15 * 60,
    maxLockoutSeconds: 60 * 60,
    escalationWindowSeconds: 24 * 3600,
  },
  address: {
    maxFailures: 20,
    windowSeconds: 5 * 60,
    blockSeconds: 15 * 60,
  },
});

/** The policy from configuration (`signIn.*`); the escalation window stays a day. */
export function signInPolicy(config: {
  maxFailures: number;
  failureWindowSeconds: number;
  lockoutSeconds: number;
  maxLockoutSeconds: number;
  addressMaxFailures: number;
  addressWindowSeconds: number;
  addressBlockSeconds: number;
}): SignInPolicy {
  return {
    username: {
      maxFailures: config.maxFailures,
      failureWindowSeconds: config.failureWindowSeconds,
      lockoutSeconds: config.lockoutSeconds,
      maxLockoutSeconds: Math.max(config.lockoutSeconds, config.maxLockoutSeconds),
      escalationWindowSeconds: DEFAULT_SIGN_IN_POLICY.username.escalationWindowSeconds,
    },
    address: {
      maxFailures: config.addressMaxFailures,
      windowSeconds: config.addressWindowSeconds,
      blockSeconds: config.addressBlockSeconds,
    },
  };
}

/** The length of the n-th lockout (n ≥ 1) in a row: doubling, capped. */
export function lockoutSeconds(policy: SignInPolicy, n: number): number {
  const { lockoutSeconds: first, maxLockoutSeconds: max } = policy.username;
  return Math.min(first * 2 ** Math.max(0, Math.min(n - 1, 30)), max);
}

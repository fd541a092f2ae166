/**
 * How password sign-in resists guessing (SESS-8) without letting anyone lock a person out from afar
 * (SEC-6). One place for every number; the defaults follow the peers (research E §1.1, §4.3; OWASP's
 * "device cookie" lockout) and come from configuration (`signIn.*`).
 *
 * - Per username and source (tenant + case-folded username, known or not, and the caller's address —
 *   or, for a browser holding a device cookie for that account, its device): `maxFailures` failures
 *   within `failureWindowSeconds` lock that pair for `lockoutSeconds`; each further lockout within
 *   `escalationWindowSeconds` doubles it, never beyond `maxLockoutSeconds`. A lockout always ends
 *   (ASVS 6.1.1), and attempts made during one neither extend it nor count towards the next. A
 *   success forgets the pair's failures and lockouts. An attacker's failures lock only the attacker's
 *   own pairs: the victim, from another address, is not held back by them.
 * - Per username across every source (distributed guessing): `accountMaxFailures` failures within
 *   `failureWindowSeconds` lock the username, with the same escalation — for browsers without a device
 *   cookie for that account only. A browser that has signed in to the account before is held back by
 *   its own failures alone, so a botnet can delay a person's first sign-in on a new browser, never
 *   their usual one. Successes do not forgive the account-wide count (they would hand an ongoing
 *   attack a fresh allowance); an unlock does.
 * - Per source address, across usernames and tenants: after `address.maxFailures` failures within
 *   `windowSeconds` the next attempt is refused and the address blocked for `blockSeconds` (password
 *   spraying), except for an account's own device-cookie browser. Successful sign-ins do not count,
 *   so a busy office behind one address is not throttled by its own users.
 */
export interface SignInPolicy {
  username: {
    maxFailures: number;
    failureWindowSeconds: number;
    lockoutSeconds: number;
    maxLockoutSeconds: number;
    escalationWindowSeconds: number;
    /** Failures of one username from every source together before fresh browsers are locked out. */
    accountMaxFailures: number;
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
    accountMaxFailures: 30,
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
  accountMaxFailures: number;
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
      accountMaxFailures: Math.max(config.maxFailures, config.accountMaxFailures),
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

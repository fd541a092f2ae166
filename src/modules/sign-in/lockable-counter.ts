import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';

/** A count taken on a counter; `within`: inside the limit (else refused, and already given back). */
export interface Count {
  key: string;
  epoch: number;
  consumed: number;
  within: boolean;
  msBeforeNext: number;
}

export interface LockState {
  /** Lockouts in a row so far: failures are counted per epoch, so each lockout starts a fresh count. */
  epoch: number;
  /** How long the key stays locked (0: it is not). */
  lockedMs: number;
}

export interface LockableCounterOptions {
  /** Failures, per key and epoch; `points` is the limit. */
  failures: RateLimiterAbstract;
  /** Lockouts in a row, per key (its window is the escalation window). */
  lockouts: RateLimiterAbstract;
  /** Present while the key is locked: set by `block` for the lockout's length. */
  locks: RateLimiterAbstract;
  limit: number;
  /** The length of the n-th lockout in a row. */
  lockoutSeconds(n: number): number;
}

/**
 * A failure counter that locks its key: the failure that reaches `limit` locks it for a while, each
 * lockout in a row longer. The lock lives apart from the count, and every lockout moves the count to
 * a new epoch (a new key), so nothing is ever overwritten: an attempt refused at the limit gives back
 * exactly the point it took, even while a lockout is being decided, and cannot reopen a locked key.
 */
export function createLockableCounter(options: LockableCounterOptions) {
  const { failures, lockouts, locks, limit } = options;
  const countKey = (key: string, epoch: number) => `${key}#${epoch}`;

  async function state(key: string): Promise<LockState> {
    const [inARow, lock] = await Promise.all([lockouts.get(key), locks.get(key)]);
    return { epoch: inARow?.consumedPoints ?? 0, lockedMs: lock ? lock.msBeforeNext : 0 };
  }

  return {
    state,

    /** Counts an attempt; over the limit (attempts still being checked) it is refused and given back. */
    async take(key: string, epoch: number): Promise<Count> {
      const at = countKey(key, epoch);
      try {
        const res = await failures.consume(at);
        return { key, epoch, consumed: res.consumedPoints, within: true, msBeforeNext: res.msBeforeNext };
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        await failures.reward(at);
        return { key, epoch, consumed: err.consumedPoints, within: false, msBeforeNext: err.msBeforeNext };
      }
    },

    /** Gives back an admitted attempt's point (it succeeded, or another gate refused it). */
    refund: (count: Count) => failures.reward(countKey(count.key, count.epoch)),

    /** The failure that reached the limit: lock the key, longer for each lockout in a row. */
    async lockIfReached(count: Count): Promise<{ seconds: number; inARow: number } | undefined> {
      if (!count.within || count.consumed < limit) return undefined;
      const inARow = (await lockouts.penalty(count.key)).consumedPoints;
      const seconds = options.lockoutSeconds(inARow);
      await locks.block(count.key, seconds);
      return { seconds, inARow };
    },

    /**
     * Forgets the key's failures and lockouts (a success of its own). The count starts again at
     * epoch 0, so every epoch's count goes: one left from before a lockout would count again.
     */
    async forget(count: Count): Promise<void> {
      const epochs = Array.from({ length: count.epoch + 1 }, (_, epoch) => countKey(count.key, epoch));
      await Promise.all([
        ...epochs.map((at) => failures.delete(at)),
        lockouts.delete(count.key),
        locks.delete(count.key),
      ]);
    },

    /** The failures counted towards the next lockout, and how long the key stays locked. */
    async inspect(key: string): Promise<{ failures: number; lockedMs: number }> {
      const { epoch, lockedMs } = await state(key);
      const counted = await failures.get(countKey(key, epoch));
      return { failures: Math.max(0, counted?.consumedPoints ?? 0), lockedMs };
    },
  };
}

export type LockableCounter = ReturnType<typeof createLockableCounter>;

import type { Limiter } from '../../platform/throttle/index.ts';

/**
 * An attempt counted on a lockable counter, in its epoch; `within`: inside the limit (else refused,
 * and already given back). Not the throttle's `Count`: this one knows its key and epoch.
 */
export interface AttemptCount {
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
  /** Failures, per key and epoch; its points are the limit. */
  failures: Limiter;
  /** Lockouts in a row, per key (its window is the escalation window). */
  lockouts: Limiter;
  /** Present while the key is locked: set by `block` for the lockout's length. */
  locks: Limiter;
  /** The length of the n-th lockout in a row. */
  lockoutSeconds(n: number): number;
}

/**
 * A failure counter that locks its key: the failure that reaches the limit locks it for a while, each
 * lockout in a row longer. The lock lives apart from the count, and every lockout moves the count to
 * a new epoch (a new key), so nothing is ever overwritten: an attempt refused at the limit gives back
 * exactly the point it took, even while a lockout is being decided, and cannot reopen a locked key.
 */
export function createLockableCounter(options: LockableCounterOptions) {
  const { failures, lockouts, locks } = options;
  const limit = failures.limit.points;
  const countKey = (key: string, epoch: number) => `${key}#${epoch}`;

  async function state(key: string): Promise<LockState> {
    const [inARow, lock] = await Promise.all([lockouts.peek(key), locks.peek(key)]);
    return { epoch: inARow?.consumed ?? 0, lockedMs: lock ? lock.msBeforeNext : 0 };
  }

  return {
    state,

    /** Counts an attempt; over the limit (attempts still being checked) it is refused and given back. */
    async take(key: string, epoch: number): Promise<AttemptCount> {
      const at = countKey(key, epoch);
      const { within, consumed, msBeforeNext } = await failures.take(at);
      if (!within) await failures.giveBack(at);
      return { key, epoch, consumed, within, msBeforeNext };
    },

    /** Gives back an admitted attempt's point (it succeeded, or another gate refused it). */
    refund: (count: AttemptCount) => failures.giveBack(countKey(count.key, count.epoch)),

    /** The failure that reached the limit: lock the key, longer for each lockout in a row. */
    async lockIfReached(count: AttemptCount): Promise<{ seconds: number; inARow: number } | undefined> {
      if (!count.within || count.consumed < limit) return undefined;
      const inARow = (await lockouts.penalty(count.key)).consumed;
      const seconds = options.lockoutSeconds(inARow);
      await locks.block(count.key, seconds);
      return { seconds, inARow };
    },

    /**
     * Forgets the key's failures and lockouts (a success of its own). The count starts again at
     * epoch 0, so every epoch's count goes: one left from before a lockout would count again.
     */
    async forget(count: AttemptCount): Promise<void> {
      const epochs = Array.from({ length: count.epoch + 1 }, (_, epoch) => countKey(count.key, epoch));
      await Promise.all([
        ...epochs.map((at) => failures.forget(at)),
        lockouts.forget(count.key),
        locks.forget(count.key),
      ]);
    },

    /** The failures counted towards the next lockout, and how long the key stays locked. */
    async inspect(key: string): Promise<{ failures: number; lockedMs: number }> {
      const { epoch, lockedMs } = await state(key);
      const counted = await failures.peek(countKey(key, epoch));
      return { failures: Math.max(0, counted?.consumed ?? 0), lockedMs };
    },
  };
}

export type LockableCounter = ReturnType<typeof createLockableCounter>;

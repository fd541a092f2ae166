import { databaseUnavailableReason } from '../../platform/db/pg-errors.ts';

export interface GroupCommitOptions<T, R> {
  /** The most items one statement carries. */
  maxBatch: number;
  /** Items with the same key never share a statement (one INSERT … ON CONFLICT may not touch a row twice). */
  keyOf(item: T): string;
  /** Writes the items in one statement and returns one result per item, in their order. */
  write(items: T[]): Promise<R[]>;
}

interface Waiting<T, R> {
  item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

/**
 * Group commit: writes submitted in the same event-loop turn, or while the previous statement is
 * in flight, go out together as one statement, one at a time and in the order submitted. Each
 * caller's promise settles only when the statement carrying its item has completed (a single
 * statement commits on its own), so nothing is acknowledged before it is durable.
 *
 * When a statement fails for a reason of its own (bad data in one item, not a database that is
 * away), each of its items is written again alone, so that one caller's bad item fails only it.
 */
export function createGroupCommit<T, R>(options: GroupCommitOptions<T, R>): (item: T) => Promise<R> {
  const { maxBatch, keyOf, write } = options;
  if (!Number.isInteger(maxBatch) || maxBatch < 1)
    throw new RangeError('maxBatch must be a positive integer');
  const queue: Waiting<T, R>[] = [];
  let inFlight = false;
  let scheduled = false;

  function takeBatch(): Waiting<T, R>[] {
    const keys = new Set<string>();
    let n = 0;
    while (n < queue.length && n < maxBatch) {
      const key = keyOf(queue[n]!.item);
      if (keys.has(key)) break; // the second write of a key goes in the next statement, after the first
      keys.add(key);
      n++;
    }
    return queue.splice(0, n);
  }

  async function writeAlone(waiting: Waiting<T, R>): Promise<void> {
    try {
      const [result] = await write([waiting.item]);
      waiting.resolve(result as R);
    } catch (err) {
      waiting.reject(err);
    }
  }

  async function flush(): Promise<void> {
    scheduled = false;
    if (inFlight || queue.length === 0) return;
    inFlight = true;
    const batch = takeBatch();
    try {
      const results = await write(batch.map((w) => w.item));
      for (const [i, w] of batch.entries()) w.resolve(results[i] as R);
    } catch (err) {
      if (batch.length > 1 && !databaseUnavailableReason(err)) {
        await Promise.all(batch.map(writeAlone));
      } else {
        for (const w of batch) w.reject(err);
      }
    } finally {
      inFlight = false;
      if (queue.length > 0) void flush();
    }
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!inFlight && !scheduled) {
        scheduled = true;
        setImmediate(() => void flush());
      }
    });
}

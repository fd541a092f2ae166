import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/database.ts';
import type { Logger } from '../../platform/logger.ts';
import { createUsageRepository } from './usage.repository.ts';
import { isUuid, type UsageCount, type UsageEvent } from './usage.schema.ts';

export interface UsageRecorderOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** How often the counts gathered on this node are written (default 5 s). */
  flushEveryMs?: number;
  /** Distinct counters held at most while the database cannot be written; new ones beyond are dropped. */
  maxPending?: number;
}

/**
 * ANL-1 collection, off the hot path: `record` adds to an in-memory counter of this node (no I/O,
 * no promise), and the counters are written in batches — every few seconds, on `flush()` and at
 * `close()` — as upserts that add to the day's row, so any number of nodes can count the same
 * thing. A failed write keeps the counts for the next attempt. Days are UTC days of the clock.
 */
export function createUsageRecorder(options: UsageRecorderOptions) {
  const { clock, logger } = options;
  const repository = createUsageRepository(options.db);
  const maxPending = options.maxPending ?? 50_000;
  let pending = new Map<string, UsageCount>();
  let writing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let droppedWarned = false;

  function add(count: UsageCount): void {
    const key = `${count.tenantId}|${count.orgId}|${count.environmentId ?? ''}|${count.clientId ?? ''}|${count.day}|${count.metric}`;
    const held = pending.get(key);
    if (held) {
      held.count += count.count;
      return;
    }
    if (pending.size >= maxPending) {
      if (!droppedWarned) logger.warn({ maxPending }, 'usage counters full: new counters are dropped');
      droppedWarned = true;
      return;
    }
    pending.set(key, { ...count });
  }

  function record(event: UsageEvent, n = 1): void {
    if (closed || n <= 0) return;
    // Ids come from client metadata and sessions; anything else would poison a whole batch.
    if (!isUuid(event.tenantId) || !isUuid(event.orgId)) return;
    if (event.environmentId && !isUuid(event.environmentId)) return;
    add({
      tenantId: event.tenantId.toLowerCase(),
      orgId: event.orgId.toLowerCase(),
      environmentId: event.environmentId ? event.environmentId.toLowerCase() : null,
      clientId: event.clientId ? event.clientId.slice(0, 128) : null,
      day: clock.now().toISOString().slice(0, 10),
      metric: event.metric,
      count: n,
    });
  }

  async function write(): Promise<void> {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      await repository.add([...batch.values()]);
      droppedWarned = false;
    } catch (err) {
      // Put the counts back (adding to what arrived meanwhile) for the next flush.
      for (const count of batch.values()) add(count);
      throw err;
    }
  }

  /** Writes what this node has counted so far; flushes never overlap. */
  function flush(): Promise<void> {
    const next = writing.then(write);
    writing = next.catch(() => undefined);
    return next;
  }

  return {
    record,
    flush,
    /** Distinct counters waiting to be written (tests, metrics). */
    get pending(): number {
      return pending.size;
    },
    start(): void {
      if (timer || closed) return;
      timer = setInterval(() => {
        flush().catch((err: Error) => logger.warn({ err: err.message }, 'could not write usage counts'));
      }, options.flushEveryMs ?? 5_000);
      timer.unref();
    },
    /** Stops the timer and writes the last counts (before the database closes). */
    async close(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      closed = true;
      try {
        await flush();
      } catch (err) {
        logger.error(
          { err: (err as Error).message, counters: pending.size },
          'usage counts lost at shutdown',
        );
      }
    },
  };
}

export type UsageRecorder = ReturnType<typeof createUsageRecorder>;

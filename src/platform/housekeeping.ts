import type { Database } from './db/database.ts';
import type { Logger } from './logger.ts';

/**
 * REL-6: one job that deletes what has expired or aged out of every short-lived table. Each task
 * names the tables it keeps small (a test checks that every expiring table has one) and answers
 * how many rows it removed. Every task is safe to run twice or on two nodes at once; the lock
 * below only keeps the cluster from doing the same work several times over.
 */
export interface HousekeepingTask {
  name: string;
  tables: readonly string[];
  run(): Promise<number>;
}

export interface HousekeepingReport {
  /** Another run held the lock (another node, or a run of this process still going): nothing done. */
  skipped: boolean;
  /** Rows removed, by task, for the tasks that finished. */
  removed: Record<string, number>;
  /** The error message of each task that failed; the others still ran. */
  failed: Record<string, string>;
}

/** Rows one statement deletes at most: a backlog never holds one long lock. */
export const BATCH_SIZE = 1_000;
/** Batches one task runs per run at most; whatever is left waits for the next run. */
const MAX_BATCHES = 1_000;

/**
 * Runs `deleteBatch(limit)` until a batch deletes fewer than `limit` rows (or MAX_BATCHES ran);
 * the total deleted.
 */
export async function inBatches(deleteBatch: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const deleted = await deleteBatch(BATCH_SIZE);
    total += deleted;
    if (deleted < BATCH_SIZE) break;
  }
  return total;
}

// Two int4 halves of the advisory lock key: Canopy's housekeeping, then the schema (hashed by the
// database), so installations sharing one PostgreSQL database in separate schemas do not wait on
// each other.
const LOCK_CLASS = 0x43_41_4e_4f; // 'CANO'
const LOCK_SQL = 'select pg_try_advisory_lock(?, hashtext(current_schema())) as got';

/** How long closing waits for a run in progress, or for the lock's connection to close. */
const STOP_WAIT_MS = 10_000;

/** Resolves when `promise` settles or `ms` have passed, whichever comes first; never rejects. */
function atMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([
    promise.then(
      () => {},
      () => {},
    ),
    timeout,
  ]).finally(() => clearTimeout(timer));
}

/** Runs in this process, per database handle: a second runner on the same handle is skipped too. */
const running = new WeakSet<object>();

export interface HousekeepingDeps {
  database: Database;
  logger: Pick<Logger, 'info' | 'warn'>;
  intervalSeconds: number;
}

export function createHousekeeping(deps: HousekeepingDeps) {
  const { database, logger } = deps;
  const tasks: HousekeepingTask[] = [];
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();
  let stopped = false;

  async function runTasks(): Promise<HousekeepingReport> {
    const report: HousekeepingReport = { skipped: false, removed: {}, failed: {} };
    for (const task of tasks) {
      try {
        report.removed[task.name] = await task.run();
      } catch (err) {
        report.failed[task.name] = (err as Error).message;
        logger.warn({ task: task.name, err: (err as Error).message }, 'housekeeping task failed');
      }
    }
    const total = Object.values(report.removed).reduce((sum, n) => sum + n, 0);
    if (total > 0) {
      const removed = Object.fromEntries(Object.entries(report.removed).filter(([, n]) => n > 0));
      logger.info({ removed, total }, 'housekeeping removed expired rows');
    }
    return report;
  }

  /**
   * On PostgreSQL, a session-level advisory lock on a connection of its own, opened for the run and
   * closed after it: closing releases the lock whatever happened (no unlock that could fail and leave
   * a locked connection in the pool), a node that dies mid-run releases it with its connection, and
   * the tasks keep every pooled connection (DATABASE_POOL_MAX of 1 works). The embedded database
   * is opened by one process only (DATA_DIR lock) over one connection, where an advisory lock
   * excludes nothing: there the in-process guard is the whole lock.
   */
  async function withClusterLock(work: () => Promise<HousekeepingReport>): Promise<HousekeepingReport> {
    if (database.kind !== 'postgres') return work();
    const { knex } = database;
    const connection = await knex.client.acquireRawConnection();
    try {
      const { rows } = await knex.raw(LOCK_SQL, [LOCK_CLASS]).connection(connection);
      if (!rows[0]?.got) return { skipped: true, removed: {}, failed: {} };
      return await work();
    } finally {
      // A link that hangs must not hold the run (or a shutdown) for the TCP timeout.
      await atMost(knex.client.destroyRawConnection(connection), STOP_WAIT_MS);
    }
  }

  async function runOnce(): Promise<HousekeepingReport> {
    const handle = database.knex;
    if (running.has(handle)) return { skipped: true, removed: {}, failed: {} };
    running.add(handle);
    try {
      return await withClusterLock(runTasks);
    } finally {
      running.delete(handle);
    }
  }

  function schedule(delayMs = deps.intervalSeconds * 1000): void {
    if (stopped) return;
    timer = setTimeout(() => {
      current = runOnce()
        .catch((err: Error) => logger.warn({ err: err.message }, 'housekeeping could not run'))
        .finally(() => schedule());
    }, delayMs);
    timer.unref();
  }

  return {
    /** Adds a task; they run in the order registered. */
    register(task: HousekeepingTask): void {
      if (tasks.some((t) => t.name === task.name)) throw new Error(`housekeeping task ${task.name} exists`);
      tasks.push(task);
    },
    tasks: (): readonly HousekeepingTask[] => [...tasks],
    /** One run now, on this node, unless another holds the lock (then `skipped`). */
    runOnce,
    /**
     * Runs every interval, the next one starting when the last has finished. The first comes at a
     * random point of the first interval: nodes restarted together do not all ask for the lock at
     * once, and nodes restarted more often than the interval still get runs.
     */
    start(): void {
      if (timer || stopped) return;
      schedule(Math.random() * deps.intervalSeconds * 1000);
    },
    /** No further runs; waits (10 s at most) for one in progress. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await atMost(current, STOP_WAIT_MS);
    },
  };
}

export type Housekeeping = ReturnType<typeof createHousekeeping>;

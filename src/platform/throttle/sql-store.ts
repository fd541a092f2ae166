import { RateLimiterRedis, RateLimiterRes, type RateLimiterStoreAbstract } from 'rate-limiter-flexible';
import type { Clock } from '../clock.ts';
import type { Db, Tx } from '../db/database.ts';

// The base class of the library's store limiters is declared by its typings but not exported by its
// index (rate-limiter-flexible 11.4.0): reach it through a store limiter it does export, never
// through a path into the package.
const StoreLimiter = Object.getPrototypeOf(RateLimiterRedis) as typeof RateLimiterStoreAbstract;
if (StoreLimiter.name !== 'RateLimiterStoreAbstract') {
  throw new Error('rate-limiter-flexible: RateLimiterRedis no longer extends RateLimiterStoreAbstract');
}

const TABLE = 'sign_in_attempts';

interface Counter {
  points: number;
  expiresAt: Date;
}

/**
 * REL-6: deletes up to `limit` counters whose window ended before `now`; how many went. Run by
 * housekeeping, never on a request's path (a counter past its window already counts as absent).
 */
export async function sweepEndedCounters(db: Db, now: Date, limit: number): Promise<number> {
  const ended = db(TABLE).select('key').where('expires_at', '<=', now).limit(limit);
  return db(TABLE).whereIn('key', ended).del();
}

/** Counters named by these keys, or by keys starting with one of these prefixes. */
export interface CounterSelection {
  keys: string[];
  prefixes: string[];
}

function selected(db: Db | Tx, which: CounterSelection) {
  return db(TABLE).where((q) => {
    q.whereIn('key', which.keys);
    for (const prefix of which.prefixes) q.orWhereRaw('starts_with(key, ?)', [prefix]);
  });
}

/** How many of the selected counters are live (their window has not ended). */
export async function countLive(db: Db | Tx, which: CounterSelection, now: Date): Promise<number> {
  const row = await selected(db, which).andWhere('expires_at', '>', now).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** Deletes the selected counters (an unlock: every source of a username). */
export async function clearCounters(db: Db | Tx, which: CounterSelection): Promise<void> {
  await selected(db, which).del();
}

export interface SqlLimiterOptions {
  db: Db;
  clock: Clock;
  keyPrefix: string;
  points: number;
  /** Seconds; always positive (every counter here expires). */
  duration: number;
  blockDuration?: number;
}

/**
 * rate-limiter-flexible's store contract over the migration-managed `sign_in_attempts` table, through
 * our knex (PostgreSQL or embedded PGlite). The library's own RateLimiterPostgres cannot serve: it
 * hands pg-style query objects to the raw connection, which PGlite does not accept, and it reads
 * `Date.now()`, while here time comes from the injected clock. Each change is one atomic statement
 * (`insert … on conflict … do update … returning`), so parallel attempts on any node all count.
 */
export class SqlLimiterStore extends StoreLimiter {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(options: SqlLimiterOptions) {
    const { db, clock, ...limits } = options;
    if (!(limits.duration > 0)) throw new Error('SQL counters need a positive duration');
    super({ ...limits, storeClient: db });
    this.#db = db;
    this.#clock = clock;
  }

  // The four methods below implement the library's (untyped) store contract.

  async _upsert(rlKey: string, points: number, msDuration: number, forceExpire = false): Promise<Counter> {
    const now = this.#clock.now();
    const expiresAt = new Date(now.getTime() + (msDuration > 0 ? msDuration : this.duration * 1000));
    // A counter whose window has ended starts again; `forceExpire` (block, set) overwrites it.
    const result = await this.#db.raw(
      `insert into ${TABLE} as t (key, points, expires_at) values (?, ?, ?)
       on conflict (key) do update set
         points = case when ? or t.expires_at <= ? then excluded.points else t.points + excluded.points end,
         expires_at = case when ? or t.expires_at <= ? then excluded.expires_at else t.expires_at end
       returning points, expires_at`,
      [rlKey, points, expiresAt, forceExpire, now, forceExpire, now],
    );
    return toCounter(result.rows[0]);
  }

  async _get(rlKey: string): Promise<Counter | null> {
    const row = await this.#db(TABLE)
      .where({ key: rlKey })
      .andWhere('expires_at', '>', this.#clock.now())
      .first('points', 'expires_at');
    return row ? toCounter(row) : null;
  }

  async _delete(rlKey: string): Promise<boolean> {
    return (await this.#db(TABLE).where({ key: rlKey }).del()) > 0;
  }

  _getRateLimiterRes(_rlKey: string, changedPoints: number, counter: Counter): RateLimiterRes {
    const consumed = counter.points;
    return new RateLimiterRes(
      Math.max(this.points - consumed, 0),
      Math.max(counter.expiresAt.getTime() - this.#clock.now().getTime(), 0),
      consumed,
      consumed === changedPoints,
    );
  }
}

function toCounter(row: { points: number | string; expires_at: Date | string }): Counter {
  return { points: Number(row.points), expiresAt: new Date(row.expires_at) };
}

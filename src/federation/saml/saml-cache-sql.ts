import type { Knex } from 'knex';
import type { Clock } from '../../platform/clock.ts';
import type { SamlCache } from './saml-cache.ts';

// The SAML caches in the database (migration 20261128001700_saml_replay), for clusters without
// Redis. Atomicity comes from the primary key: concurrent inserts of one key serialize on it, and
// `on conflict … where expired` lets a write win only over a dead row. Expiry is the injected clock.

const TABLE = 'saml_cache';
/** Keys longer than the column are refused (false / null), never truncated into another key. */
const MAX_KEY = 600;

export function createSqlSamlCache(deps: { db: Knex; clock: Clock }): SamlCache {
  const { db, clock } = deps;
  return {
    async saveIfAbsent(key, value, ttlMs) {
      if (key.length > MAX_KEY) return false;
      const now = clock.now();
      const rows = await db(TABLE)
        .insert({ key, value, expires_at: new Date(now.getTime() + Math.max(1, ttlMs)) })
        .onConflict('key')
        .merge(['value', 'expires_at'])
        .where(`${TABLE}.expires_at`, '<=', now)
        .returning('key');
      return rows.length === 1;
    },
    async get(key) {
      const row = await db(TABLE).first('value').where({ key }).andWhere('expires_at', '>', clock.now());
      return (row?.value as string | undefined) ?? null;
    },
    async remove(key) {
      const rows = await db(TABLE)
        .where({ key })
        .andWhere('expires_at', '>', clock.now())
        .delete()
        .returning('key');
      return rows.length === 1;
    },
  };
}

/**
 * REL-6: deletes expired rows, `limit` at most (all of them without one); returns how many. Run by
 * housekeeping: the replay cache outlives requests.
 */
export async function sweepSamlCache(db: Knex, clock: Clock, limit?: number): Promise<number> {
  const expired = db(TABLE).select('key').where('expires_at', '<=', clock.now());
  if (limit !== undefined) expired.limit(limit);
  return db(TABLE).whereIn('key', expired).delete();
}

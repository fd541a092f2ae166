import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/database.ts';
import { createUsageRepository } from './usage.repository.ts';

const DAY_MS = 86_400_000;

/**
 * REL-6: the oldest UTC day whose figures are kept `days` days (by the clock that dates them, see
 * usage.recorder.ts); the days before it have aged out.
 */
export function usageCutoffDay(clock: Clock, days: number): string {
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError('usage retention is a whole number of days, 1 or more');
  return new Date(clock.now().getTime() - days * DAY_MS).toISOString().slice(0, 10);
}

/** Deletes up to `limit` rows of days before `cutoffDay` (YYYY-MM-DD), every tenant's; how many went. */
export function sweepUsageBefore(db: Db, cutoffDay: string, limit: number): Promise<number> {
  return createUsageRepository(db).deleteDaysBefore(cutoffDay, limit);
}

import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/database.ts';
import { createDurableLimiters } from '../../platform/db/durable-limiter.ts';
import { AppError } from '../../platform/errors/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { RedisClients } from '../../platform/redis.ts';

const DAY_MS = 86_400_000;
// A day's counter outlives its day: the date in its key, not its expiry, starts the next one.
const COUNTER_LIFETIME_SECONDS = 2 * 86_400;

/**
 * Whether the founder (the owner of the master org) has verified their email address (ACC-3).
 * Email verification arrives with the accounts issue; until then no founder has, so every
 * organization sends under the small quota. ACC-3 answers this, here and nowhere else.
 */
export async function founderEmailVerified(_db: Db, _tenantId: string): Promise<boolean> {
  return false;
}

export interface InvitationQuotaOptions {
  db: Db;
  clock: Clock;
  redis: RedisClients | undefined;
  /** `REDIS_KEY_PREFIX`. */
  redisKeyPrefix: string;
  logger: Logger;
  /** INVITATIONS_PER_ORGANIZATION_PER_DAY. */
  perOrganizationPerDay: number;
  /** INVITATIONS_PER_UNVERIFIED_ORGANIZATION_PER_DAY. */
  perUnverifiedOrganizationPerDay: number;
}

/** Mails taken off a day's quota; given back for invitations not made, or mails that did not go. */
export interface QuotaTicket {
  /** Gives back `mails` of them (all by default). */
  refund(mails?: number): Promise<void>;
}

/**
 * SEC-9: invitation mails (new and resent, one per address) per master org and UTC day. Counted
 * with the sign-in throttle's mechanism (durable counters in SQL) — shared by every node, kept
 * across restarts of any node or of Redis, and read against the injected clock. A request that does not fit in what is left takes nothing: a batch
 * is refused whole.
 */
export function createInvitationQuota(options: InvitationQuotaOptions) {
  const { db, clock, redis, logger } = options;
  const durable = createDurableLimiters({
    db,
    clock,
    redis,
    redisKeyPrefix: options.redisKeyPrefix,
  });
  // Both limits count on the same keys, so a founder verifying mid-day keeps what was sent.
  const limiter = (points: number) => durable('invitations-day', points, COUNTER_LIFETIME_SECONDS);
  const verified = limiter(options.perOrganizationPerDay);
  const unverified = limiter(
    Math.min(options.perUnverifiedOrganizationPerDay, options.perOrganizationPerDay),
  );

  /** Takes `mails` off the tenant's quota for today, or refuses them all with 429. */
  async function take(tenantId: string, mails: number): Promise<QuotaTicket> {
    const now = clock.now();
    const key = `${tenantId}:${now.toISOString().slice(0, 10)}`;
    const isVerified = await founderEmailVerified(db, tenantId);
    const on = isVerified ? verified : unverified;
    try {
      await on.consume(key, mails);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      // Counting went first so that parallel requests cannot all fit; what was refused goes back.
      await on.reward(key, mails);
      // An operator sees who keeps hitting it: a tenant mailing strangers in bulk.
      logger.warn({ tenantId, quota: on.points, requested: mails }, 'invitations: daily quota reached');
      throw quotaExceeded({
        quota: on.points,
        verified: isVerified,
        used: err.consumedPoints - mails,
        mails,
        now,
      });
    }
    return { refund: (back = mails) => on.reward(key, back).then(() => undefined) };
  }

  return { take };
}

export type InvitationQuota = ReturnType<typeof createInvitationQuota>;

/** 429 naming the quota, what is left of it and when it resets; the route turns the wait into Retry-After. */
function quotaExceeded(q: { quota: number; verified: boolean; used: number; mails: number; now: Date }) {
  const nextDay = Math.floor(q.now.getTime() / DAY_MS) * DAY_MS + DAY_MS;
  const retryAfterSeconds = Math.max(1, Math.ceil((nextDay - q.now.getTime()) / 1000));
  const remaining = Math.max(0, q.quota - q.used);
  const quota = q.verified
    ? `at most ${q.quota} invitation mails a day`
    : `at most ${q.quota} invitation mails a day while its founder's email address is unverified`;
  return new AppError(
    'invitation.quota_exceeded',
    {
      quota: q.quota,
      remaining,
      requested: q.mails,
      founderEmailVerified: q.verified,
      resetsAt: new Date(nextDay).toISOString(),
      retryAfterSeconds,
    },
    {
      message:
        `This organization may send ${quota}: ${remaining} left today, ${q.mails} requested. ` +
        'Nothing was sent. The quota resets at 00:00 UTC.',
    },
  );
}

import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors/index.ts';
import type { Logger } from '../../platform/logger.ts';
import { createLimiters, type Limit, retryAfterSeconds } from '../../platform/throttle/index.ts';

const DAY_MS = 86_400_000;

/**
 * Invitation mails per master org and UTC day, durable (REL-3). The day is in the counter's key, so
 * the counter outlives its day; both quotas count on the same keys, so a founder verifying mid-day
 * keeps what was sent.
 */
const mailsPerDay = (points: number): Limit => ({
  name: 'invitations-day',
  points,
  windowSeconds: 2 * 86_400,
  store: 'durable',
});

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
 * with the throttle mechanism (durable counters in SQL, as sign-in's) — shared by every node, kept
 * across restarts of any node or of Redis, and read against the injected clock. A request that
 * does not fit in what is left takes nothing: a batch is refused whole.
 */
export function createInvitationQuota(options: InvitationQuotaOptions) {
  const { db, clock, logger } = options;
  const limiters = createLimiters({ db, clock }); // durable: SQL alone, whatever Redis does
  const verified = limiters(mailsPerDay(options.perOrganizationPerDay));
  const unverified = limiters(
    mailsPerDay(Math.min(options.perUnverifiedOrganizationPerDay, options.perOrganizationPerDay)),
  );

  /** Takes `mails` off the tenant's quota for today, or refuses them all with 429. */
  async function take(tenantId: string, mails: number): Promise<QuotaTicket> {
    const now = clock.now();
    const key = `${tenantId}:${now.toISOString().slice(0, 10)}`;
    const isVerified = await founderEmailVerified(db, tenantId);
    const on = isVerified ? verified : unverified;
    const quota = on.limit.points;
    const count = await on.take(key, mails);
    if (!count.within) {
      // Counting went first so that parallel requests cannot all fit; what was refused goes back.
      await on.giveBack(key, mails);
      // An operator sees who keeps hitting it: a tenant mailing strangers in bulk.
      logger.warn({ tenantId, quota, requested: mails }, 'invitations: daily quota reached');
      throw quotaExceeded({ quota, verified: isVerified, used: count.consumed - mails, mails, now });
    }
    return { refund: (back = mails) => on.giveBack(key, back) };
  }

  return { take };
}

export type InvitationQuota = ReturnType<typeof createInvitationQuota>;

/** 429 naming the quota, what is left of it and when it resets; the route turns the wait into Retry-After. */
function quotaExceeded(q: { quota: number; verified: boolean; used: number; mails: number; now: Date }) {
  const nextDay = Math.floor(q.now.getTime() / DAY_MS) * DAY_MS + DAY_MS;
  const retryAfter = retryAfterSeconds(nextDay - q.now.getTime());
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
      retryAfterSeconds: retryAfter,
    },
    {
      message:
        `This organization may send ${quota}: ${remaining} left today, ${q.mails} requested. ` +
        'Nothing was sent. The quota resets at 00:00 UTC.',
    },
  );
}

import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors/index.ts';
import type { Logger } from '../../platform/logger.ts';
import { createLimiters, type Limit, retryAfterSeconds } from '../../platform/throttle/index.ts';
import type { TenantDirectory } from '../roles/index.ts';
import type { UserService } from '../users/index.ts';

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

/** What the quota reads to tell a verified founder: the tree's owner, and that user's flag. */
export interface FounderLookup {
  directory: Pick<TenantDirectory, 'forTenant'>;
  users: Pick<UserService, 'profileOf'>;
}

/**
 * Whether the founder has verified their email address (ACC-3): the owner of the master org as it
 * is now (ownership may have been handed on: the quota follows whoever answers for the org), with
 * the address they have now (a changed address is unverified until its own link is followed).
 * Only an address we proved counts (our link, or an invitation's): the owner must be a local user.
 * A user of the tenant's own identity provider does not, whatever `email_verified` it says, since
 * the tenant may run that provider itself.
 */
export async function founderEmailVerified(deps: FounderLookup, tenantId: string): Promise<boolean> {
  const { ownerUserId } = (await deps.directory.forTenant(tenantId)).root;
  const founder = await deps.users.profileOf(tenantId, ownerUserId);
  return founder?.status === 'active' && founder.local && founder.emailVerified;
}

export interface InvitationQuotaOptions extends FounderLookup {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** INVITATIONS_PER_ORGANIZATION_PER_DAY. */
  perOrganizationPerDay: number;
  /** INVITATIONS_PER_UNVERIFIED_ORGANIZATION_PER_DAY. */
  perUnverifiedOrganizationPerDay: number;
}

/**
 * What a mail taken off the quota is: an invitation, or an account mail a tenant can aim at an
 * address nobody has proven yet (a verification link after an email change, or resent). Both are
 * mails to strangers a tenant chooses, so both count on the same quota; the kind only words the 429.
 */
export type QuotaMailKind = 'invitation' | 'verification';

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
  async function take(
    tenantId: string,
    mails: number,
    kind: QuotaMailKind = 'invitation',
  ): Promise<QuotaTicket> {
    const now = clock.now();
    const key = `${tenantId}:${now.toISOString().slice(0, 10)}`;
    const isVerified = await founderEmailVerified(options, tenantId);
    const on = isVerified ? verified : unverified;
    const quota = on.limit.points;
    const count = await on.take(key, mails);
    if (!count.within) {
      // Counting went first so that parallel requests cannot all fit; what was refused goes back.
      await on.giveBack(key, mails);
      // An operator sees who keeps hitting it: a tenant mailing strangers in bulk.
      logger.warn({ tenantId, quota, requested: mails, kind }, 'invitations: daily quota reached');
      throw quotaExceeded({ quota, verified: isVerified, used: count.consumed - mails, mails, now, kind });
    }
    return { refund: (back = mails) => on.giveBack(key, back) };
  }

  return { take };
}

export type InvitationQuota = ReturnType<typeof createInvitationQuota>;

/** 429 naming the quota, what is left of it and when it resets; the route turns the wait into Retry-After. */
function quotaExceeded(q: {
  quota: number;
  verified: boolean;
  used: number;
  mails: number;
  now: Date;
  kind: QuotaMailKind;
}) {
  const nextDay = Math.floor(q.now.getTime() / DAY_MS) * DAY_MS + DAY_MS;
  const retryAfter = retryAfterSeconds(nextDay - q.now.getTime());
  const remaining = Math.max(0, q.quota - q.used);
  const what =
    q.kind === 'invitation'
      ? 'invitation mails'
      : 'mails to unverified addresses (invitations and email verification links)';
  const quota = q.verified
    ? `at most ${q.quota} ${what} a day`
    : `at most ${q.quota} ${what} a day while its founder's email address is unverified`;
  return new AppError(
    'invitation.quota_exceeded',
    {
      quota: q.quota,
      remaining,
      requested: q.mails,
      mail: q.kind,
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

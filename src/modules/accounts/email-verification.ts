import type { RequestContext } from '../../platform/context.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { AppError, assertThat } from '../../platform/errors/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Mailer } from '../../platform/mail.ts';
import { type Limit, type Limiters, retryAfterSeconds } from '../../platform/throttle/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { TenantDirectory } from '../roles/index.ts';
import type { PendingMail, User, UserService } from '../users/index.ts';
import type { AccountTokens } from './account-tokens.ts';
import { verificationMail, verificationUrl } from './verification.mail.ts';

/**
 * Verification mails a user may be sent on request, per hour: nobody's mailbox is flooded through
 * the resend button. (Email changes count under EMAIL_CHANGES_PER_USER; the founder's sign-up mail
 * under sign-up's limit per source address.)
 */
export const VERIFICATION_RESENDS_PER_USER: Limit = {
  name: 'verify-resend',
  points: 5,
  windowSeconds: 3600,
  store: 'window',
};

/**
 * Email changes of one user (each mails a link to the new address), per hour: an administrator
 * cannot walk one account through a list of strangers' addresses.
 */
export const EMAIL_CHANGES_PER_USER: Limit = {
  name: 'email-change',
  points: 5,
  windowSeconds: 3600,
  store: 'window',
};

/**
 * SEC-9: the tenant's daily quota of mails to addresses nobody has proven (the invitations' quota:
 * an email change or a resend aims a link at any address the tenant types, as an invitation does).
 */
export interface UnprovenMailQuota {
  take(
    tenantId: string,
    mails: number,
    kind: 'verification',
  ): Promise<{ refund(mails?: number): Promise<void> }>;
}

export interface EmailVerificationDeps {
  db: Db;
  directory: Pick<TenantDirectory, 'forTenant'>;
  audit: Pick<AuditService, 'audited'>;
  logger: Logger;
  mailer: Mailer;
  limiters: Limiters;
  quota: UnprovenMailQuota;
  tokens: Pick<AccountTokens, 'issue' | 'peek' | 'consume'>;
  users: Pick<UserService, 'get' | 'profileOf' | 'lockForUpdate' | 'markEmailVerified'>;
  /** PUBLIC_URL: the only origin a link in a mail names. */
  publicUrl: string;
}

/** What the verification page shows before the button is pressed. */
export interface VerificationLinkSummary {
  email: string;
  organizationName: string;
}

/** What a resend answers: where the link went, until when it works, and whether the mail left. */
export interface VerificationSent {
  email: string;
  expiresAt: Date;
  delivery: 'sent' | 'failed';
}

/** The link's address is still the account's (an email change since makes the link worthless). */
const stillTheirs = (user: User, email: string) =>
  user.status !== 'deleted' && user.email.toLowerCase() === email.toLowerCase();
const userTarget = (tenantId: string, userId: string) => ({ tenantId, type: 'user', id: userId });

/**
 * ACC-3: email verification. A link is issued for the user's address as it is when issued (stored
 * with it), inside the transaction that made the address (sign-up, an email change), and mailed
 * after the commit; a mail that fails is logged, never fails what issued it, and can be resent.
 * Following it marks the address verified only if it is still the user's. Users of an identity
 * provider are never sent one: their address, and whether it is verified, is what their provider
 * says at each sign-in (an OIDC provider's `email_verified`; SAML never counts as verified).
 */
export function createEmailVerification(deps: EmailVerificationDeps) {
  const { db, directory, audit, logger, mailer, tokens, users } = deps;
  const resends = deps.limiters(VERIFICATION_RESENDS_PER_USER);
  const emailChanges = deps.limiters(EMAIL_CHANGES_PER_USER);

  /** 429 `request.rate_limited` when the user's count is spent. */
  async function takeFor(limiter: typeof resends, tenantId: string, userId: string, message: string) {
    const count = await limiter.take(`${tenantId}:${userId}`);
    if (count.within) return;
    throw new AppError(
      'request.rate_limited',
      { retryAfterSeconds: retryAfterSeconds(count.msBeforeNext) },
      { message: `At most ${limiter.limit.points} ${message}` },
    );
  }

  /**
   * SEC-9, for the users service before an email change is written: the user's email changes, then
   * one mail off the tenant's daily quota; either refused is a 429 and the change is not made.
   */
  async function reserve(tenantId: string, userId: string) {
    await takeFor(emailChanges, tenantId, userId, 'email changes an hour are made to one user');
    const ticket = await deps.quota.take(tenantId, 1, 'verification');
    return { release: () => ticket.refund() };
  }

  /** Mails never fail the caller: a failure is logged (never the message, which holds the link). */
  async function deliver(tenantId: string, user: User, secret: string, expiresAt: Date) {
    try {
      const organizationName = (await directory.forTenant(tenantId)).root.name;
      const url = verificationUrl(deps.publicUrl, secret);
      await mailer.send(verificationMail({ to: user.email, organizationName, url, expiresAt }));
      return 'sent' as const;
    } catch (err) {
      logger.error(
        { err: (err as Error).message, tenantId, userId: user.id },
        'email verification: mail not sent; the user or an administrator can send another',
      );
      return 'failed' as const;
    }
  }

  /**
   * Stores a link for the user's current address inside `tx` (retiring their earlier ones); `mail`
   * sends it: call it once `tx` has committed (a mail must not name a link that was rolled back).
   */
  async function issueLink(tx: Tx, tenantId: string, user: User) {
    const { secret, expiresAt } = await tokens.issue(tx, tenantId, user.id, 'email_verification', user.email);
    const mail: PendingMail = () => deliver(tenantId, user, secret, expiresAt);
    return { mail, expiresAt };
  }

  /**
   * `POST /users/:userId/verification-email` and `/me/verification-email`: a new link, by the user
   * themself or a holder of `users.manage` on the master (a user of another tenant is not found).
   * 409 when there is nothing to verify: already verified, or a provider's user.
   */
  async function resend(ctx: RequestContext, tenantId: string, userId: string): Promise<VerificationSent> {
    const user = await users.get(ctx, tenantId, userId);
    assertResendable(user);
    await takeFor(resends, tenantId, userId, 'verification mails an hour are sent to one user');
    // SEC-9: a resent link is a mail to an address nobody has proven: it counts on the daily quota.
    const ticket = await deps.quota.take(tenantId, 1, 'verification');
    const { mail, expiresAt, email } = await db
      .transaction(async (tx) => {
        const locked = await users.lockForUpdate(tx, tenantId, userId);
        assertThat(locked, 'user.not_found');
        assertResendable(locked); // as it is now, not as it was read before the lock
        const link = await issueLink(tx, tenantId, locked);
        const after = { email: locked.email, expiresAt: link.expiresAt.toISOString() };
        await audit.audited(
          tx,
          ctx,
          'user.email_verification_sent',
          userTarget(tenantId, userId),
          null,
          after,
        );
        return { ...link, email: locked.email };
      })
      .catch(async (err: unknown) => {
        await ticket.refund();
        throw err;
      });
    const delivery = await mail();
    if (delivery === 'failed') await ticket.refund(); // a mail that did not go is not counted
    return { email, expiresAt, delivery };
  }

  function assertResendable(user: User): void {
    if (user.status !== 'active') throw new AppError('user.inactive');
    if (!user.local) {
      throw new AppError('user.not_local', undefined, {
        message:
          "The user signs in through their company's identity provider: their address, and whether it " +
          'is verified, is what that provider says at each sign-in',
      });
    }
    if (user.emailVerified) throw new AppError('user.email_already_verified');
  }

  /** The user of a usable link whose address is still theirs; 410 `account.link_invalid` otherwise. */
  async function linkOwner(secret: unknown): Promise<User> {
    const link = await tokens.peek(secret, 'email_verification');
    const user = link && (await users.profileOf(link.tenantId, link.userId));
    if (!user || !link?.email || !stillTheirs(user, link.email)) throw new AppError('account.link_invalid');
    return user;
  }

  /** The page's GET: which address the link verifies, without spending it (mail scanners fetch links). */
  async function describe(secret: unknown): Promise<VerificationLinkSummary> {
    const user = await linkOwner(secret);
    const organizationName = (await directory.forTenant(user.tenantId)).root.name;
    return { email: user.email, organizationName };
  }

  /**
   * The page's POST: spends the link (one winner) and marks the address verified if it is still the
   * one the link was sent to, in one transaction; 410 `account.link_invalid` for a used, expired,
   * replaced or outdated link. Audited as `user.email_verify`, by the user (the link proves the mailbox).
   */
  async function complete(
    requestId: string,
    secret: unknown,
  ): Promise<{ tenantId: string; email: string; domain: string }> {
    const done = await db.transaction(async (tx) => {
      const link = await tokens.consume(tx, secret, 'email_verification');
      if (!link?.email) throw new AppError('account.link_invalid');
      const { tenantId, userId } = link;
      const email = link.email;
      const user = await users.lockForUpdate(tx, tenantId, userId);
      if (!user || !stillTheirs(user, email)) throw new AppError('account.link_invalid');
      if (!user.emailVerified) {
        assertThat(await users.markEmailVerified(tx, tenantId, userId, email), 'account.link_invalid');
        const ctx: RequestContext = { actor: { kind: 'user', tenantId, userId }, requestId };
        const target = userTarget(tenantId, userId);
        await audit.audited(
          tx,
          ctx,
          'user.email_verify',
          target,
          { email, emailVerified: false },
          {
            email,
            emailVerified: true,
          },
        );
      }
      return { tenantId, email: user.email };
    });
    const domain = (await directory.forTenant(done.tenantId)).settings.domain;
    return { ...done, domain };
  }

  return {
    /** For the users service (sign-up, email changes): a link stored in `tx`, mailed when called after commit. */
    issue: async (tx: Tx, tenantId: string, user: User): Promise<PendingMail> =>
      (await issueLink(tx, tenantId, user)).mail,
    reserve,
    resend,
    describe,
    complete,
  };
}

export type EmailVerification = ReturnType<typeof createEmailVerification>;

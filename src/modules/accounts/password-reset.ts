import { createHmac } from 'node:crypto';
import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { AppError, assertId, assertThat } from '../../platform/errors/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Mailer, MailMessage } from '../../platform/mail.ts';
import { throttleUnit } from '../../platform/net/networks.ts';
import { type Limiters, retryAfterSeconds, type Taken } from '../../platform/throttle/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access, TenantDirectory } from '../roles/index.ts';
import type { SessionService } from '../sessions/index.ts';
import type { CredentialsChange, PendingMail, User, UserService } from '../users/index.ts';
import type { AccountTokens } from './account-tokens.ts';
import type { PasswordPolicy, PasswordRules } from './password-policy.ts';
import {
  RESET_MAILS_PER_USER,
  RESET_REQUESTS_PER_ACCOUNT,
  RESET_REQUESTS_PER_ADDRESS,
} from './reset.limits.ts';
import {
  emailChangedNoticeMail,
  federatedNoticeMail,
  passwordChangedNoticeMail,
  resetLinkMail,
  resetUrl,
} from './reset.mail.ts';

export interface PasswordResetDeps {
  db: Db;
  clock: Clock;
  directory: TenantDirectory;
  access: Access;
  audit: Pick<AuditService, 'audited' | 'recordNow'>;
  logger: Logger;
  mailer: Mailer;
  limiters: Limiters;
  tokens: AccountTokens;
  users: Pick<
    UserService,
    'findByUsernameOrEmail' | 'profileOf' | 'lockForUpdate' | 'setPasswordHash' | 'hashCheckedPassword'
  >;
  sessions: Pick<SessionService, 'endAllForUser'>;
  policy: Pick<PasswordPolicy, 'check' | 'rules'>;
  /** SEC-12: the key of the throttle's counter keys (the sign-in's pseudonym keys): nothing typed is stored. */
  throttleKey: Buffer;
  /** PUBLIC_URL: the only origin a link in a mail names. */
  publicUrl: string;
  /**
   * Whether the organization's sign-in page offers the password form (FED-5: turned off with its
   * last local user when local accounts are off). Where it does not, there is no password to reset.
   */
  passwordSignIn: (tenantId: string) => Promise<boolean>;
}

/** What the request page may say: the same for every account, existing or not, but when throttled. */
export type ResetRequestAnswer = { throttled: false } | { throttled: true; retryAfterSeconds: number };

/** What the reset page shows before the new password is chosen. */
export interface ResetLinkSummary {
  tenantId: string;
  username: string;
  organizationName: string;
  domain: string;
  rules: PasswordRules;
}

/** What a typed username or email is compared as: trimmed, case-folded, bounded. */
const normalized = (value: unknown) =>
  typeof value === 'string' ? value.normalize('NFC').trim().toLowerCase().slice(0, 254) : '';

/**
 * ACC-1 (and ACC-5's "send a reset link"). A request answers at once, the same way whatever it names:
 * the answer waits only for the two throttle counts, which are taken alike for every name; finding
 * the account, issuing its link and mailing it happen after the answer, so neither the work nor the
 * mail's latency shows. A link goes only to a verified address; a federated account (verified
 * too) is told to use its company's sign-in; nothing is sent where the sign-in page offers no
 * password. Completing a reset sets the password, ends every session and makes every token issued
 * before it dead, on every node (the tenant directory carries the moment), and tells the account's
 * address. A link dies with a change of the address it went to, of the password, or of the status.
 */
export function createPasswordReset(deps: PasswordResetDeps) {
  const { db, clock, directory, access, audit, logger, mailer, tokens, users, sessions, policy } = deps;
  const byAddress = deps.limiters(RESET_REQUESTS_PER_ADDRESS);
  const byAccount = deps.limiters(RESET_REQUESTS_PER_ACCOUNT);
  const perUser = deps.limiters(RESET_MAILS_PER_USER);
  /** Work started after an answer: tests and shutdown may wait for it. */
  const pending = new Set<Promise<void>>();

  // SEC-12: counter keys are HMACs, never what was typed or the address itself.
  const keyOf = (...parts: string[]) =>
    createHmac('sha256', deps.throttleKey)
      .update(['password-reset', ...parts].join('\0'))
      .digest('base64url');
  const accountKey = (tenantId: string, identifier: string) => keyOf(tenantId, identifier);
  // An IPv6 caller counts with its /64 (throttleUnit), as at sign-in: it cannot rotate addresses.
  const addressKey = (ip: string) => keyOf('address', throttleUnit(ip));

  const userTarget = (user: User) => ({ tenantId: user.tenantId, type: 'user', id: user.id });

  /** Mails never fail the caller: a failure is logged (never the message, which may hold the link). */
  async function deliver(
    message: MailMessage,
    user: Pick<User, 'tenantId' | 'id'>,
  ): Promise<'sent' | 'failed'> {
    try {
      await mailer.send(message);
      return 'sent';
    } catch (err) {
      logger.error(
        { err: (err as Error).message, tenantId: user.tenantId, userId: user.id },
        'password reset: mail not sent',
      );
      return 'failed';
    }
  }

  const organizationNameOf = async (tenantId: string) => (await directory.forTenant(tenantId)).root.name;

  /** A new link for a local user with a verified address: issued and audited in one transaction, then mailed. */
  async function sendLink(ctx: RequestContext, user: User, askedBy: 'self' | 'administrator') {
    const organizationName = (await directory.forTenant(user.tenantId)).root.name;
    const action = askedBy === 'self' ? 'user.password_reset_requested' : 'user.password_reset_sent';
    const { secret, expiresAt } = await db.transaction(async (tx) => {
      // The address is kept with the link: once it is no longer the user's, the link is dead.
      const link = await tokens.issue(tx, user.tenantId, user.id, 'password_reset', user.email);
      await audit.audited(tx, ctx, action, userTarget(user), null, {
        outcome: 'link_sent',
        email: user.email,
        expiresAt: link.expiresAt.toISOString(),
      });
      return link;
    });
    const url = resetUrl(deps.publicUrl, secret);
    const mail = resetLinkMail({ to: user, organizationName, url, expiresAt, askedBy });
    return { expiresAt, delivery: await deliver(mail, user) };
  }

  /** A request that sends nothing is recorded all the same, so an administrator sees who was asked about. */
  const recordUnsent = (ctx: RequestContext, user: User, outcome: string) =>
    audit.recordNow(ctx, {
      tenantId: user.tenantId,
      orgId: user.tenantId,
      action: 'user.password_reset_requested',
      target: { type: 'user', id: user.id },
      outcome: 'failure',
      after: { outcome },
    });

  /** After the answer: the accounts the name names, each handled on its own. */
  async function fulfil(ctx: RequestContext, tenantId: string, identifier: string): Promise<void> {
    if (!(await deps.passwordSignIn(tenantId))) {
      await audit.recordNow(ctx, {
        tenantId,
        orgId: tenantId,
        action: 'user.password_reset_requested',
        outcome: 'failure',
        after: { outcome: 'password_sign_in_off' },
      });
      return;
    }
    const named = await users.findByUsernameOrEmail(tenantId, identifier);
    if (named.length === 0) {
      // Audited too, without what was typed (SEC-12: it may be a password typed into the wrong field).
      await audit.recordNow(ctx, {
        tenantId,
        orgId: tenantId,
        action: 'user.password_reset_requested',
        outcome: 'failure',
        after: { outcome: 'no_account' },
      });
    }
    for (const user of named) {
      if (user.status !== 'active') {
        await recordUnsent(ctx, user, 'inactive');
      } else if (!(await perUser.take(user.id)).within) {
        await recordUnsent(ctx, user, 'throttled');
      } else if (!user.emailVerified) {
        // Federated too: a tenant's own provider may bring any address; nobody unproven is mailed.
        await recordUnsent(ctx, user, 'email_unverified');
      } else if (!user.local) {
        const organizationName = await organizationNameOf(tenantId);
        const delivery = await deliver(federatedNoticeMail({ to: user, organizationName }), user);
        await recordUnsent(ctx, user, delivery === 'sent' ? 'federated_notice_sent' : 'mail_failed');
      } else {
        await sendLink(ctx, user, 'self');
      }
    }
  }

  function detach(work: Promise<void>, tenantId: string): void {
    const tracked = work
      .catch((err: Error) => logger.error({ err: err.message, tenantId }, 'password reset request failed'))
      .finally(() => pending.delete(tracked));
    pending.add(tracked);
  }

  /**
   * The request page's POST. Counts the request on the source address and on the name typed (an
   * HMAC: the same count for a name whether or not it names an account), then answers; the rest
   * runs detached.
   */
  async function request(
    ctx: RequestContext,
    input: { tenantId: string; identifier: unknown; ip: string },
  ): Promise<ResetRequestAnswer> {
    const identifier = normalized(input.identifier);
    const counts: Taken[] = [
      await byAddress.take(addressKey(input.ip)),
      await byAccount.take(accountKey(input.tenantId, identifier)),
    ];
    const over = counts.filter((c) => !c.within);
    if (over.length > 0) {
      if (over.some((c) => c.wentOver))
        logger.warn({ tenantId: input.tenantId, ip: input.ip }, 'password reset requests throttled');
      return {
        throttled: true,
        retryAfterSeconds: retryAfterSeconds(Math.max(...over.map((c) => c.msBeforeNext))),
      };
    }
    // Not even the lookup starts before the caller has answered: it waits for a later turn of the loop.
    if (identifier) {
      const later = new Promise<void>((resolve) => setImmediate(resolve));
      detach(
        later.then(() => fulfil(ctx, input.tenantId, identifier)),
        input.tenantId,
      );
    }
    return { throttled: false };
  }

  /** Whether a link may still reset this user: active, local, at the address it was sent to. */
  const mayReset = (user: User | undefined, linkEmail: string | null | undefined): user is User =>
    user?.status === 'active' && user.local && linkEmail === user.email;

  /** The user of a usable link, if they may still reset (active, local, same address, password sign-in on). */
  async function linkOwner(secret: unknown) {
    const link = await tokens.peek(secret, 'password_reset');
    const user = link && (await users.profileOf(link.tenantId, link.userId));
    assertThat(mayReset(user, link?.email), 'account.link_invalid');
    assertThat(await deps.passwordSignIn(user.tenantId), 'account.link_invalid');
    return user;
  }

  /** The reset page's GET: whose link it is and the rules, without spending it. 410 when it is not usable. */
  async function describe(secret: unknown): Promise<ResetLinkSummary> {
    const user = await linkOwner(secret);
    const index = await directory.forTenant(user.tenantId);
    return {
      tenantId: user.tenantId,
      username: user.username,
      organizationName: index.root.name,
      domain: index.settings.domain,
      rules: await policy.rules(user.tenantId),
    };
  }

  /**
   * The reset page's POST: the policy first (a refused password leaves the link usable), then in one
   * tenant directory change: the link spent (one winner), the password set, every session ended,
   * the user's other reset links retired, every earlier token dead, the audit entry.
   */
  async function complete(
    ctx: RequestContext,
    secret: unknown,
    password: string,
  ): Promise<{ tenantId: string; username: string; domain: string; sessionsEnded: number }> {
    const user = await linkOwner(secret);
    const { tenantId, id: userId } = user;
    const person = { username: user.username, email: user.email, name: user.name };
    const passwordHash = await users.hashCheckedPassword(await policy.check(tenantId, password, person));
    const sessionsEnded = await directory.change(tenantId, { users: [userId] }, async (tx) => {
      const spent = await tokens.consume(tx, secret, 'password_reset');
      assertThat(spent?.tenantId === tenantId && spent.userId === userId, 'account.link_invalid');
      const current = await users.lockForUpdate(tx, tenantId, userId);
      assertThat(mayReset(current, spent.email), 'account.link_invalid');
      const now = clock.now();
      const set = await users.setPasswordHash(tx, tenantId, userId, { passwordHash, revokeTokensAt: now });
      assertThat(set, 'account.link_invalid');
      const ended = await sessions.endAllForUser(tx, tenantId, userId);
      await tokens.retireAll(tx, tenantId, userId, 'password_reset');
      await audit.audited(tx, ctx, 'user.password_reset', userTarget(user), null, {
        sessionsEnded: ended,
        // Not `tokens…`: the audit redaction hides every key that looks like a secret token.
        revokedBefore: now.toISOString(),
      });
      return ended;
    });
    // ACC-5: the account's address hears of it, so a reset nobody asked for does not go unseen. Sent
    // behind the answer (like a request's mail): a slow mail server never holds up the person.
    const index = await directory.forTenant(tenantId);
    const notice = passwordChangedNoticeMail({ to: user, organizationName: index.root.name });
    detach(
      deliver(notice, user).then(() => undefined),
      tenantId,
    );
    const domain = index.settings.domain;
    return { tenantId, username: user.username, domain, sessionsEnded };
  }

  /**
   * ACC-5: an administrator (users.manage on the master) sends a user a reset link; they never learn
   * or set the password. The answer says whether the mail went.
   */
  async function adminSend(ctx: RequestContext, tenantId: string, userId: string) {
    await access.require(ctx, tenantId, 'users.manage', tenantId);
    assertId(userId, 'user.not_found');
    const user = await users.profileOf(tenantId, userId);
    assertThat(user && user.status !== 'deleted', 'user.not_found');
    assertThat(user.status === 'active', 'user.inactive');
    assertThat(user.local, 'user.not_local');
    assertThat(user.emailVerified, 'user.email_unverified');
    const count = await perUser.take(user.id);
    if (!count.within)
      throw new AppError('request.rate_limited', {
        retryAfterSeconds: retryAfterSeconds(count.msBeforeNext),
      });
    const sent = await sendLink(ctx, user, 'administrator');
    return { email: user.email, ...sent };
  }

  /**
   * ACC-1, ACC-5 (registered with the users service): inside the transaction that changes a user's
   * address, password or status, their outstanding reset links die; a changed address also gets a
   * notice at the old one, sent after the commit (the returned mail; it never throws).
   */
  async function credentialsChanged(
    tx: Tx,
    tenantId: string,
    change: CredentialsChange,
  ): Promise<PendingMail> {
    await tokens.retireAll(tx, tenantId, change.user.id, 'password_reset');
    if (change.kind !== 'email') return async () => 'sent';
    const { user, previousEmail } = change;
    const organizationName = await organizationNameOf(tenantId);
    const notice = emailChangedNoticeMail({ to: previousEmail, username: user.username, organizationName });
    return () => deliver(notice, user);
  }

  return {
    request,
    describe,
    credentialsChanged,
    /** Whether the organization offers password sign-in, hence "Forgot your password?" (FED-5). */
    offered: deps.passwordSignIn,
    complete,
    adminSend,
    /** Resolves once the work of the requests answered so far is done (tests; a graceful stop). */
    settled: async (): Promise<void> => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

export type PasswordReset = ReturnType<typeof createPasswordReset>;

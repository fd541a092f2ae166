import type { Clock } from '../../platform/clock.ts';
import type { RequestContext } from '../../platform/context.ts';
import { hashPassword } from '../../platform/crypto/password.ts';
import { newId } from '../../platform/crypto/random.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { isUniqueViolation } from '../../platform/db/pg-errors.ts';
import { AppError, assertId, assertThat, isUuid, parseInput } from '../../platform/errors/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { Access, TenantDirectory } from '../roles/index.ts';
import type { SessionService } from '../sessions/index.ts';
import { insertFederatedUser, refreshFederatedProfile } from './user.federated.ts';
import { createUserRepository } from './user.repository.ts';
import {
  type CheckedPassword,
  type NewLocalUser,
  newLocalUserSchema,
  type PasswordHash,
  type ProfileUpdate,
  profileUpdateSchema,
  type User,
} from './user.schema.ts';

export interface UserServiceDeps {
  db: Db;
  clock: Clock;
  directory: TenantDirectory;
  access: Access;
  audit: AuditService;
  sessions: Pick<SessionService, 'endAllForUser'>;
}

/** A verification mail whose link is stored: sends it (call it after the commit); never throws. */
export type PendingMail = () => Promise<'sent' | 'failed'>;

/**
 * ACC-3: verification links, by the accounts module (handed over by the wiring: users cannot import
 * accounts, which builds on users).
 */
export interface EmailVerificationIssuer {
  /**
   * SEC-9, before anything is written: counts a mail to a new address of the user (the user's email
   * changes, and the tenant's daily quota of mails to unproven addresses); throws 429 when refused.
   * `release` gives it back when no mail went (the change was not made, or the delivery failed).
   */
  reserve(tenantId: string, userId: string): Promise<{ release(): Promise<void> }>;
  /** Stores a link for the user's current address inside `tx`. */
  issue(tx: Tx, tenantId: string, user: User): Promise<PendingMail>;
}

const NOTHING_TO_MAIL: PendingMail = async () => 'sent';

/** ACC-1, ACC-5: a change to what proves who a user is (their address, password or status). */
export type CredentialsChange =
  | { kind: 'email'; user: User; previousEmail: string }
  | { kind: 'password' | 'disabled' | 'deleted'; user: User };

/**
 * ACC-1, ACC-5: what the accounts module does inside `tx` when a user's credentials change (retire
 * their reset links; for a new address, a notice to the old one). Its mail is sent after the commit.
 */
export type CredentialsChangeHook = (
  tx: Tx,
  tenantId: string,
  change: CredentialsChange,
) => Promise<PendingMail>;

/** Users of a master org (USR-1…USR-4). Profile and lifecycle changes need `users.manage` on the master. */
export function createUserService(deps: UserServiceDeps) {
  const { db, clock, directory, access, sessions } = deps;
  const { audited } = deps.audit;
  const users = createUserRepository(db);
  const tenantOfUser = new Map<string, string>();
  let verificationIssuer: EmailVerificationIssuer | undefined;
  let credentialsHook: CredentialsChangeHook | undefined;
  const credentialsChanged = (tx: Tx, tenantId: string, change: CredentialsChange) =>
    credentialsHook ? credentialsHook(tx, tenantId, change) : Promise.resolve(NOTHING_TO_MAIL);

  /**
   * ACC-3: a local user whose address is unverified gets a link for it, stored in `tx`; the answer
   * mails it after the commit. Federated users get none: their provider vouches for their address.
   */
  async function requestEmailVerification(tx: Tx, tenantId: string, user: User): Promise<PendingMail> {
    if (!verificationIssuer || !user.local || user.emailVerified) return NOTHING_TO_MAIL;
    return verificationIssuer.issue(tx, tenantId, user);
  }

  /** SEC-9: a new address of a local user will be mailed a link: counted before the transaction. */
  async function reserveVerificationMail(tenantId: string, userId: string, email: string | undefined) {
    if (!verificationIssuer || email === undefined) return undefined;
    const current = await users.findById(tenantId, userId);
    // The same address in another case keeps its flag and is sent nothing.
    const same = current?.email.toLowerCase() === email.toLowerCase();
    if (!current || current.status === 'deleted' || !current.local || same) return undefined;
    return verificationIssuer.reserve(tenantId, userId);
  }

  /** ACC-4: only a password the policy accepted is hashed, so only such a password can be stored. */
  const hashCheckedPassword = async (password: CheckedPassword): Promise<PasswordHash> =>
    (await hashPassword(password)) as PasswordHash;

  /** Validates and hashes outside any transaction: argon2 is the slow part and holds no lock. */
  async function prepareLocalUser(
    input: Omit<NewLocalUser, 'password'> & { password: CheckedPassword },
  ): Promise<NewLocalUser & { passwordHash: PasswordHash }> {
    const valid = parseInput(newLocalUserSchema, input);
    return { ...valid, passwordHash: await hashCheckedPassword(input.password) };
  }

  /** Inserts a prepared local user inside the caller's transaction (sign-up, invitation acceptance). */
  async function insertLocalUser(
    tx: Tx,
    tenantId: string,
    user: Pick<NewLocalUser, 'username' | 'email' | 'name'> & {
      passwordHash: PasswordHash;
      emailVerified?: boolean;
    },
    id = newId(),
  ): Promise<User> {
    try {
      return await createUserRepository(tx).insert(tenantId, {
        id,
        username: user.username,
        email: user.email,
        name: user.name,
        passwordHash: user.passwordHash,
        // ACC-3: true only for an address proven already (the invited one, by its link).
        emailVerified: user.emailVerified === true,
        at: clock.now(),
      });
    } catch (err) {
      if (isUniqueViolation(err, 'users_username_unique')) throw new AppError('user.username_taken');
      throw err;
    }
  }

  async function findOrThrow(tenantId: string, userId: string, conn: Db | Tx = db): Promise<User> {
    assertId(userId, 'user.not_found');
    const user = await createUserRepository(conn).findById(tenantId, userId);
    assertThat(user, 'user.not_found');
    return user;
  }

  /**
   * Same answer for a user id of another tenant as for one that never existed. Reading oneself
   * needs no permission, but an active account all the same (USR-3: a disabled user's token is dead).
   */
  async function get(ctx: RequestContext, tenantId: string, userId: string): Promise<User> {
    const self = ctx.actor.kind === 'user' && ctx.actor.userId === userId && ctx.actor.tenantId === tenantId;
    if (self) await access.tenantIndexFor(ctx, tenantId);
    else await access.require(ctx, tenantId, 'users.manage', tenantId);
    return findOrThrow(tenantId, userId);
  }

  async function list(
    ctx: RequestContext,
    tenantId: string,
    query: { search?: string; limit: number; offset: number },
  ): Promise<{ users: User[]; total: number }> {
    await access.require(ctx, tenantId, 'users.manage', tenantId);
    return users.list(tenantId, query);
  }

  async function updateProfile(
    ctx: RequestContext,
    tenantId: string,
    userId: string,
    input: unknown,
  ): Promise<User> {
    const patch = parseInput(profileUpdateSchema, input);
    await access.require(ctx, tenantId, 'users.manage', tenantId);
    return applyProfile(ctx, tenantId, userId, patch);
  }

  /**
   * ACC-3: a person's change of their own profile, by the same path as an administrator's (the
   * same mails, quota and audit entry, with them as the actor). What it takes to make one (the
   * current password for an address) is the caller's (the accounts module) to check first.
   */
  async function updateOwnProfile(
    ctx: RequestContext,
    tenantId: string,
    userId: string,
    input: unknown,
  ): Promise<User> {
    const patch = parseInput(profileUpdateSchema, input);
    const { actor } = ctx;
    if (actor.kind !== 'user' || actor.userId !== userId || actor.tenantId !== tenantId)
      throw new AppError('auth.permission_denied', undefined, { message: 'Only your own profile' });
    await access.tenantIndexFor(ctx, tenantId);
    return applyProfile(ctx, tenantId, userId, patch);
  }

  async function applyProfile(
    ctx: RequestContext,
    tenantId: string,
    userId: string,
    patch: ProfileUpdate,
  ): Promise<User> {
    assertId(userId, 'user.not_found');
    // SEC-9: refused (429) before anything is written: an email change is made with its mail or not at all.
    const reserved = await reserveVerificationMail(tenantId, userId, patch.email);
    const { user, mail, notice } = await db
      .transaction(async (tx) => {
        const repo = createUserRepository(tx);
        const before = await repo.findById(tenantId, userId, { forUpdate: true });
        assertThat(before && before.status !== 'deleted', 'user.not_found');
        const after = await repo.update(tenantId, userId, { ...patch, at: clock.now() });
        assertThat(after, 'user.not_found');
        const profile = (u: User) => ({ email: u.email, name: u.name, emailVerified: u.emailVerified });
        const target = { tenantId, type: 'user', id: userId };
        await audited(tx, ctx, 'user.update', target, profile(before), profile(after));
        // ACC-3: a new address (the repository cleared its flag) gets a link of its own.
        const changed = after.email !== before.email;
        if (!changed) return { user: after, mail: undefined, notice: undefined };
        // ACC-5: the old address is told (no takeover unseen), and the reset links sent to it die.
        const notice = await credentialsChanged(tx, tenantId, {
          kind: 'email',
          user: after,
          previousEmail: before.email,
        });
        return { user: after, mail: await requestEmailVerification(tx, tenantId, after), notice };
      })
      .catch(async (err: unknown) => {
        await reserved?.release();
        throw err;
      });
    // A mail that did not go (or was not needed after all) is not counted.
    if (!mail || mail === NOTHING_TO_MAIL || (await mail()) === 'failed') await reserved?.release();
    await notice?.();
    return user;
  }

  /**
   * Disable, enable or delete. A user who owns a node cannot be disabled or deleted (ORG-5).
   * The tenant directory's version moves with the status, so the user holds nothing from the moment
   * we return.
   */
  async function setStatus(
    ctx: RequestContext,
    tenantId: string,
    userId: string,
    status: 'active' | 'disabled' | 'deleted',
  ): Promise<User> {
    await access.require(ctx, tenantId, 'users.manage', tenantId);
    assertId(userId, 'user.not_found');
    return directory.change(tenantId, { users: [userId] }, async (tx) => {
      const repo = createUserRepository(tx);
      const before = await repo.findById(tenantId, userId, { forUpdate: true });
      assertThat(before && before.status !== 'deleted', 'user.not_found');
      if (status !== 'active') {
        const owned = await repo.ownedNodeIds(tenantId, userId);
        assertThat(owned.length === 0, 'organization.owner_protected', { ownedOrganizationIds: owned });
      }
      if (before.status === status) return before;
      const after = await repo.update(tenantId, userId, { status, at: clock.now() });
      assertThat(after, 'user.not_found');
      // USR-3: their sessions end with the same commit, and with them every session-bound token.
      if (status !== 'active') await sessions.endAllForUser(tx, tenantId, userId);
      // ACC-1: a reset link sent before cannot bring the account back to life later.
      if (status !== 'active') await credentialsChanged(tx, tenantId, { kind: status, user: after });
      const action =
        status === 'active' ? 'user.enable' : status === 'disabled' ? 'user.disable' : 'user.delete';
      const target = { tenantId, type: 'user', id: userId };
      await audited(tx, ctx, action, target, { status: before.status }, { status: after.status });
      return after;
    });
  }

  return {
    prepareLocalUser,
    insertLocalUser,
    hashCheckedPassword,
    /** ACC-3, for the wiring: who stores verification links (the accounts module). */
    verifyEmailsWith(issuer: EmailVerificationIssuer): void {
      verificationIssuer = issuer;
    },
    requestEmailVerification,
    /** ACC-1, ACC-5, for the wiring: who reacts to credential changes (the accounts module). */
    onCredentialsChange(hook: CredentialsChangeHook): void {
      credentialsHook = hook;
    },
    /** ACC-3, for the accounts module inside its transaction: verified, if the address is still `email`. */
    markEmailVerified: (tx: Tx, tenantId: string, userId: string, email: string): Promise<boolean> =>
      createUserRepository(tx).markEmailVerified(tenantId, userId, email, clock.now()),
    get,
    list,
    updateProfile,
    updateOwnProfile,
    disable: (ctx: RequestContext, tenantId: string, userId: string) =>
      setStatus(ctx, tenantId, userId, 'disabled'),
    enable: (ctx: RequestContext, tenantId: string, userId: string) =>
      setStatus(ctx, tenantId, userId, 'active'),
    delete: (ctx: RequestContext, tenantId: string, userId: string) =>
      setStatus(ctx, tenantId, userId, 'deleted'),
    /** The master org of a user, found by id alone (a user never changes tenant, so answers are cached). */
    tenantOf: async (userId: string): Promise<string | undefined> => {
      const cached = tenantOfUser.get(userId);
      if (cached) return cached;
      if (!isUuid(userId)) return undefined;
      const tenantId = await users.tenantIdOf(userId);
      if (tenantId) {
        if (tenantOfUser.size >= 100_000) tenantOfUser.clear();
        tenantOfUser.set(userId, tenantId);
      }
      return tenantId;
    },
    /** For token claims: the profile, without a permission check (the provider has authenticated the user). */
    profileOf: (tenantId: string, userId: string): Promise<User | undefined> =>
      users.findById(tenantId, userId),
    /** For password sign-in: the account behind a username, with its hash (never leaves the server). */
    findForSignIn: async (
      tenantId: string,
      username: string,
    ): Promise<{ id: string; status: User['status']; passwordHash: string | null } | undefined> => {
      const user = await users.findByUsername(tenantId, username);
      return user ? { id: user.id, status: user.status, passwordHash: user.passwordHash } : undefined;
    },
    /** For the federated sign-in, inside its transaction: FED-3 accounts (user.federated.ts). */
    insertFederated: insertFederatedUser,
    refreshFederatedProfile,
    /** For other modules, inside their transaction: the user as it is now, locked until it ends. */
    lockForUpdate: (tx: Tx, tenantId: string, userId: string): Promise<User | undefined> =>
      createUserRepository(tx).findById(tenantId, userId, { forUpdate: true }),
    /**
     * ACC-1: the accounts a forgotten-password request names: the one with that username, else those
     * with that email (one address may serve several accounts). Deleted accounts are never named.
     */
    findByUsernameOrEmail: async (tenantId: string, identifier: string): Promise<User[]> => {
      const strip = ({ passwordHash: _, ...user }: User & { passwordHash: string | null }): User => user;
      const byName = await users.findByUsername(tenantId, identifier);
      // A deleted account's username names nobody: the address may still name someone.
      if (byName && byName.status !== 'deleted') return [strip(byName)];
      return identifier.includes('@') ? (await users.findByEmail(tenantId, identifier)).map(strip) : [];
    },
    /**
     * ACC-1, ACC-2: a local user's new password (already hashed) inside the caller's transaction; with
     * `revokeTokensAt`, every token issued to them before it is dead (the caller runs this in a
     * tenant directory change). False for an account without a password.
     */
    setPasswordHash: async (
      tx: Tx,
      tenantId: string,
      userId: string,
      change: { passwordHash: PasswordHash; revokeTokensAt?: Date },
    ): Promise<boolean> => {
      const set = await createUserRepository(tx).setPassword(tenantId, userId, {
        ...change,
        at: clock.now(),
      });
      // ACC-1: a new password, however set (reset, change), retires the reset links still out.
      const user = set && (await createUserRepository(tx).findById(tenantId, userId));
      if (user) await credentialsChanged(tx, tenantId, { kind: 'password', user });
      return set;
    },
    /** For other modules, inside their transaction: the user, if active in this tenant. */
    findActive: async (tx: Tx, tenantId: string, userId: string): Promise<User | undefined> => {
      assertId(userId, 'user.not_found');
      const user = await createUserRepository(tx).findById(tenantId, userId);
      return user?.status === 'active' ? user : undefined;
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;

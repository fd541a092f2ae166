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
import { type NewLocalUser, newLocalUserSchema, profileUpdateSchema, type User } from './user.schema.ts';

export interface UserServiceDeps {
  db: Db;
  clock: Clock;
  directory: TenantDirectory;
  access: Access;
  audit: AuditService;
  sessions: Pick<SessionService, 'endAllForUser'>;
}

/** Users of a master org (USR-1…USR-4). Profile and lifecycle changes need `users.manage` on the master. */
export function createUserService(deps: UserServiceDeps) {
  const { db, clock, directory, access, sessions } = deps;
  const { audited } = deps.audit;
  const users = createUserRepository(db);
  const tenantOfUser = new Map<string, string>();

  /** Validates and hashes outside any transaction: argon2 is the slow part and holds no lock. */
  async function prepareLocalUser(input: unknown): Promise<NewLocalUser & { passwordHash: string }> {
    const valid = parseInput(newLocalUserSchema, input);
    return { ...valid, passwordHash: await hashPassword(valid.password) };
  }

  /** Inserts a prepared local user inside the caller's transaction (sign-up, invitation acceptance). */
  async function insertLocalUser(
    tx: Tx,
    tenantId: string,
    user: Pick<NewLocalUser, 'username' | 'email' | 'name'> & { passwordHash: string },
    id = newId(),
  ): Promise<User> {
    try {
      return await createUserRepository(tx).insert(tenantId, {
        id,
        username: user.username,
        email: user.email,
        name: user.name,
        passwordHash: user.passwordHash,
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
    assertId(userId, 'user.not_found');
    return db.transaction(async (tx) => {
      const repo = createUserRepository(tx);
      const before = await repo.findById(tenantId, userId, { forUpdate: true });
      assertThat(before && before.status !== 'deleted', 'user.not_found');
      const after = await repo.update(tenantId, userId, { ...patch, at: clock.now() });
      assertThat(after, 'user.not_found');
      const profile = (u: User) => ({ email: u.email, name: u.name });
      const target = { tenantId, type: 'user', id: userId };
      await audited(tx, ctx, 'user.update', target, profile(before), profile(after));
      return after;
    });
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
    get,
    list,
    updateProfile,
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
    /** For other modules, inside their transaction: the user, if active in this tenant. */
    findActive: async (tx: Tx, tenantId: string, userId: string): Promise<User | undefined> => {
      assertId(userId, 'user.not_found');
      const user = await createUserRepository(tx).findById(tenantId, userId);
      return user?.status === 'active' ? user : undefined;
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;

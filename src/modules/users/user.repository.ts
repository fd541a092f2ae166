import type { Db, Tx } from '../../platform/db/database.ts';
import type { User, UserStatus } from './user.schema.ts';

interface UserRow {
  id: string;
  tenant_id: string;
  username: string;
  email: string;
  name: string;
  password_hash: string | null;
  email_verified: boolean;
  status: UserStatus;
  created_at: Date;
  updated_at: Date;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    username: row.username,
    email: row.email,
    name: row.name,
    emailVerified: row.email_verified,
    status: row.status,
    local: row.password_hash !== null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function createUserRepository(db: Db | Tx) {
  return {
    async insert(
      tenantId: string,
      user: {
        id: string;
        username: string;
        email: string;
        name: string;
        passwordHash: string | null;
        /** ACC-3: an address that arrived through an invitation link or a provider that verified it. */
        emailVerified?: boolean;
        at: Date;
      },
    ): Promise<User> {
      const [row] = await db('users')
        .insert({
          id: user.id,
          tenant_id: tenantId,
          username: user.username,
          email: user.email,
          name: user.name,
          password_hash: user.passwordHash,
          email_verified: user.emailVerified ?? false,
          status: 'active',
          created_at: user.at,
          updated_at: user.at,
        })
        .returning('*');
      return toUser(row as UserRow);
    },

    async findById(
      tenantId: string,
      id: string,
      options: { forUpdate?: boolean } = {},
    ): Promise<User | undefined> {
      const q = db('users').where({ tenant_id: tenantId, id });
      if (options.forUpdate) q.forUpdate();
      const row = await q.first();
      return row ? toUser(row) : undefined;
    },

    async findByUsername(
      tenantId: string,
      username: string,
    ): Promise<(User & { passwordHash: string | null }) | undefined> {
      const row = await db('users')
        .where({ tenant_id: tenantId })
        .whereRaw('lower(username) = lower(?)', [username])
        .first();
      return row ? { ...toUser(row), passwordHash: row.password_hash } : undefined;
    },

    async update(
      tenantId: string,
      id: string,
      patch: { email?: string; name?: string; status?: UserStatus; emailVerified?: boolean; at: Date },
    ): Promise<User | undefined> {
      // ACC-3: a changed address is unverified until its own link is followed, unless the caller says
      // what a provider asserted (`emailVerified`, which then wins).
      const [row] = await db('users')
        .where({ tenant_id: tenantId, id })
        .update({
          ...(patch.email !== undefined
            ? {
                email: patch.email,
                email_verified: db.raw('email_verified and lower(email) = lower(?)', [patch.email]),
              }
            : {}),
          ...(patch.emailVerified !== undefined ? { email_verified: patch.emailVerified } : {}),
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.status !== undefined
            ? { status: patch.status, deleted_at: patch.status === 'deleted' ? patch.at : null }
            : {}),
          updated_at: patch.at,
        })
        .returning('*');
      return row ? toUser(row as UserRow) : undefined;
    },

    /** Local users whose email is this address (case-insensitive; an address may serve several accounts). */
    async findByEmail(
      tenantId: string,
      email: string,
    ): Promise<Array<User & { passwordHash: string | null }>> {
      const rows = await db('users')
        .where({ tenant_id: tenantId })
        .whereRaw('lower(email) = lower(?)', [email])
        .whereNot({ status: 'deleted' })
        .orderBy('id')
        .limit(10);
      return (rows as UserRow[]).map((row) => ({ ...toUser(row), passwordHash: row.password_hash }));
    },

    /**
     * ACC-1/ACC-2: a new password. With `revokeTokensAt`, every token issued before that moment is dead
     * (the tenant directory carries the moment to every node).
     */
    async setPassword(
      tenantId: string,
      id: string,
      change: { passwordHash: string; at: Date; revokeTokensAt?: Date },
    ): Promise<boolean> {
      const updated = await db('users')
        .where({ tenant_id: tenantId, id })
        .whereNotNull('password_hash')
        .update({
          password_hash: change.passwordHash,
          ...(change.revokeTokensAt ? { tokens_valid_after: change.revokeTokensAt } : {}),
          updated_at: change.at,
        });
      return updated === 1;
    },

    /** ACC-3: verified, if the address is still the one the link was sent to. */
    async markEmailVerified(tenantId: string, id: string, email: string, at: Date): Promise<boolean> {
      const updated = await db('users')
        .where({ tenant_id: tenantId, id })
        .whereRaw('lower(email) = lower(?)', [email])
        .update({ email_verified: true, updated_at: at });
      return updated === 1;
    },

    /**
     * The master org of a user, found by id alone: one of the few lookups not scoped by a tenant,
     * because it is how the tenant is found (a token names its user, not its tenant).
     */
    async tenantIdOf(id: string): Promise<string | undefined> {
      const row = await db('users').where({ id }).first('tenant_id');
      return row?.tenant_id as string | undefined;
    },

    /** Nodes this user owns: ORG-5 keeps an owner enabled. */
    async ownedNodeIds(tenantId: string, userId: string): Promise<string[]> {
      return db('organizations').where({ tenant_id: tenantId, owner_user_id: userId }).pluck('id');
    },

    async list(
      tenantId: string,
      query: { search?: string; limit: number; offset: number; includeDeleted?: boolean },
    ): Promise<{ users: User[]; total: number }> {
      const base = db('users').where({ tenant_id: tenantId });
      if (!query.includeDeleted) base.whereNot({ status: 'deleted' });
      if (query.search) {
        const term = `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        base.where((q) =>
          q.whereILike('username', term).orWhereILike('email', term).orWhereILike('name', term),
        );
      }
      const rows = await base
        .clone()
        .orderBy([{ column: 'username' }, { column: 'id' }])
        .limit(query.limit)
        .offset(query.offset);
      const [counted] = await base.clone().count({ count: '*' });
      return { users: (rows as UserRow[]).map(toUser), total: Number(counted?.count ?? 0) };
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;

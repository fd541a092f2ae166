import type { Db, Tx } from '../../platform/db/database.ts';

export type AccountTokenPurpose = 'password_reset' | 'email_verification';

export interface AccountTokenRow {
  tenantId: string;
  userId: string;
  purpose: AccountTokenPurpose;
  /** For a verification link: the address it verifies (the user's email when it was sent). */
  email: string | null;
  expiresAt: Date;
}

interface Row {
  tenant_id: string;
  user_id: string;
  purpose: AccountTokenPurpose;
  email: string | null;
  expires_at: Date;
}

const toToken = (r: Row): AccountTokenRow => ({
  tenantId: r.tenant_id,
  userId: r.user_id,
  purpose: r.purpose,
  email: r.email,
  expiresAt: r.expires_at,
});

// Links are found by the hash of their secret, which names its tenant: that lookup is the unscoped
// way in (like an invitation link); everything else is scoped by tenant.
export function createAccountTokenRepository(db: Db | Tx) {
  return {
    async insert(
      tenantId: string,
      row: { tokenHash: string; userId: string; purpose: AccountTokenPurpose; email: string | null },
      at: Date,
      expiresAt: Date,
    ): Promise<void> {
      await db('account_tokens').insert({
        token_hash: row.tokenHash,
        tenant_id: tenantId,
        user_id: row.userId,
        purpose: row.purpose,
        email: row.email,
        expires_at: expiresAt,
        created_at: at,
      });
    },

    /** An unused, unexpired link of this purpose. */
    async findUsable(
      tokenHash: string,
      purpose: AccountTokenPurpose,
      at: Date,
    ): Promise<AccountTokenRow | undefined> {
      const r = await db('account_tokens')
        .where({ token_hash: tokenHash, purpose })
        .whereNull('used_at')
        .where('expires_at', '>', at)
        .first();
      return r ? toToken(r as Row) : undefined;
    },

    /** Marks a usable link used; undefined when it was not (used, expired, replaced) — one winner. */
    async consume(
      tokenHash: string,
      purpose: AccountTokenPurpose,
      at: Date,
    ): Promise<AccountTokenRow | undefined> {
      const [r] = await db('account_tokens')
        .where({ token_hash: tokenHash, purpose })
        .whereNull('used_at')
        .where('expires_at', '>', at)
        .update({ used_at: at })
        .returning(['tenant_id', 'user_id', 'purpose', 'email', 'expires_at']);
      return r ? toToken(r as Row) : undefined;
    },

    /** Retires every unused link of this purpose for the user (a newer one replaces them). */
    async retireForUser(
      tenantId: string,
      userId: string,
      purpose: AccountTokenPurpose,
      at: Date,
    ): Promise<number> {
      return db('account_tokens')
        .where({ tenant_id: tenantId, user_id: userId, purpose })
        .whereNull('used_at')
        .update({ used_at: at });
    },

    /** Housekeeping (REL-6): links past their expiry, used or not. */
    async deleteExpired(before: Date, limit: number): Promise<number> {
      const stale = db('account_tokens').where('expires_at', '<', before).limit(limit).select('token_hash');
      return db('account_tokens').whereIn('token_hash', stale).delete();
    },
  };
}

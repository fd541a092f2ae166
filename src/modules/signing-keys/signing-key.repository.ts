import type { Db, Tx } from '../../platform/db/database.ts';
import { type PublicJwk, publicPart, type SigningAlg } from './signing-key.jwk.ts';

export type SigningKeyStatus = 'active' | 'retiring' | 'retired' | 'revoked';

export interface SigningKeyRow {
  kid: string;
  alg: SigningAlg;
  /** Null once the key is retired or revoked: such a key never signs or verifies again. */
  privateJwkSealed: string | null;
  publicJwk: PublicJwk;
  status: SigningKeyStatus;
  createdAt: Date;
  /** When it stopped (or stops) being published; null while active. */
  retireAt: Date | null;
  revokedAt: Date | null;
}

function toRow(r: Record<string, unknown>): SigningKeyRow {
  return {
    kid: r.kid as string,
    alg: r.alg as SigningAlg,
    privateJwkSealed: r.private_jwk_sealed as string | null,
    publicJwk: publicPart(
      (typeof r.public_jwk === 'string' ? JSON.parse(r.public_jwk) : r.public_jwk) as PublicJwk,
    ),
    status: r.status as SigningKeyStatus,
    createdAt: r.created_at as Date,
    retireAt: r.retire_at as Date | null,
    revokedAt: (r.revoked_at as Date | null | undefined) ?? null,
  };
}

/**
 * Signing keys are operator-owned and shared by every tenant: the provider signs for all of them
 * with one key set, so this table is not scoped by a tenant.
 */
export function createSigningKeyRepository(db: Db | Tx) {
  return {
    /** Serializes key changes across nodes; plain reads (the provider loading keys) are not blocked. */
    async lock(): Promise<void> {
      await db.raw('lock table signing_keys in exclusive mode');
    },

    async insert(
      row: Omit<SigningKeyRow, 'retireAt' | 'revokedAt'> & { privateJwkSealed: string },
    ): Promise<void> {
      await db('signing_keys').insert({
        kid: row.kid,
        alg: row.alg,
        private_jwk_sealed: row.privateJwkSealed,
        public_jwk: JSON.stringify(row.publicJwk),
        status: row.status,
        created_at: row.createdAt,
        retire_at: null,
      });
    },

    async active(): Promise<SigningKeyRow[]> {
      const rows = await db('signing_keys').where({ status: 'active' }).select('*');
      return rows.map(toRow);
    },

    /** Keys still published (active and retiring), newest first. */
    async published(): Promise<SigningKeyRow[]> {
      const rows = await db('signing_keys')
        .whereIn('status', ['active', 'retiring'])
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'kid', order: 'asc' },
        ])
        .select('*');
      return rows.map(toRow);
    },

    async all(): Promise<SigningKeyRow[]> {
      const rows = await db('signing_keys')
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'alg', order: 'asc' },
          { column: 'kid', order: 'asc' },
        ])
        .select('kid', 'alg', 'public_jwk', 'status', 'created_at', 'retire_at', 'revoked_at');
      return rows.map((r) => toRow({ ...r, private_jwk_sealed: null }));
    },

    /** One key, whatever its status, without private material. */
    async find(kid: string): Promise<SigningKeyRow | undefined> {
      const r = await db('signing_keys')
        .where({ kid })
        .first('kid', 'alg', 'public_jwk', 'status', 'created_at', 'retire_at', 'revoked_at');
      return r ? toRow({ ...r, private_jwk_sealed: null }) : undefined;
    },

    /**
     * Withdraws a key for good: its private half is erased, and it stops being published now, or
     * stays stopped since its earlier retirement (PostgreSQL's `least` ignores a null retire_at).
     */
    async markRevoked(kid: string, now: Date): Promise<void> {
      await db('signing_keys')
        .where({ kid })
        .whereNot({ status: 'revoked' })
        .update({
          status: 'revoked',
          revoked_at: now,
          retire_at: db.raw('least(retire_at, ?::timestamptz)', [now]),
          private_jwk_sealed: null,
        });
    },

    async markRetiring(kid: string, retireAt: Date): Promise<void> {
      await db('signing_keys')
        .where({ kid, status: 'active' })
        .update({ status: 'retiring', retire_at: retireAt });
    },

    /** Retiring keys whose time has come are retired, and their private half is erased. */
    async retireDue(now: Date): Promise<number> {
      return db('signing_keys')
        .where({ status: 'retiring' })
        .andWhere('retire_at', '<=', now)
        .update({ status: 'retired', private_jwk_sealed: null });
    },
  };
}

import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db, Tx } from '../../platform/db/database.ts';
import type { Invitation, InvitationState, InvitedRole } from './invitation.schema.ts';

interface InvitationRow {
  id: string;
  tenant_id: string;
  org_id: string;
  email: string;
  roles: InvitedRole[];
  status: 'pending' | 'accepted' | 'cancelled';
  expires_at: Date;
  inviter_type: Invitation['invitedBy']['type'];
  inviter_id: string;
  accepted_user_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** Stored rows carry no "expired" status: a pending invitation past its expiry reads as expired. */
function toInvitation(row: InvitationRow, now: Date): Invitation {
  const expired = row.status === 'pending' && row.expires_at.getTime() <= now.getTime();
  return {
    id: row.id,
    tenantId: row.tenant_id,
    organizationId: row.org_id,
    email: row.email,
    roles: row.roles,
    status: expired ? 'expired' : row.status,
    expiresAt: row.expires_at,
    invitedBy: { type: row.inviter_type, id: row.inviter_id },
    acceptedUserId: row.accepted_user_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

// Never select the token hash: nothing above this file needs it, so nothing can leak it.
const COLUMNS = [
  'id',
  'tenant_id',
  'org_id',
  'email',
  'roles',
  'status',
  'expires_at',
  'inviter_type',
  'inviter_id',
  'accepted_user_id',
  'created_at',
  'updated_at',
];

function whereState(q: Knex.QueryBuilder, state: InvitationState, now: Date): Knex.QueryBuilder {
  if (state === 'pending') return q.where('status', 'pending').andWhere('expires_at', '>', now);
  if (state === 'expired') return q.where('status', 'pending').andWhere('expires_at', '<=', now);
  return q.where('status', state);
}

export interface Inviter {
  type: Invitation['invitedBy']['type'];
  id: string;
}

export function createInvitationRepository(db: Db | Tx) {
  const one = async (q: Knex.QueryBuilder, now: Date) => {
    const [row] = (await q) as InvitationRow[];
    return row ? toInvitation(row, now) : undefined;
  };

  return {
    async insert(
      tenantId: string,
      i: {
        id: string;
        orgId: string;
        email: string;
        roles: InvitedRole[];
        tokenHash: string;
        expiresAt: Date;
        inviter: Inviter;
        at: Date;
      },
    ): Promise<Invitation> {
      const q = db('invitations')
        .insert({
          id: i.id,
          tenant_id: tenantId,
          org_id: i.orgId,
          email: i.email,
          roles: JSON.stringify(i.roles),
          token_hash: i.tokenHash,
          status: 'pending',
          expires_at: i.expiresAt,
          inviter_type: i.inviter.type,
          inviter_id: i.inviter.id,
          created_at: i.at,
          updated_at: i.at,
        })
        .returning(COLUMNS);
      return (await one(q, i.at))!;
    },

    findById(tenantId: string, id: string, now: Date): Promise<Invitation | undefined> {
      return one(db('invitations').where({ tenant_id: tenantId, id }).select(COLUMNS), now);
    },

    /** The link names no tenant: its token's hash is how the invitation (and its tenant) is found. */
    findByTokenHash(tokenHash: string, now: Date): Promise<Invitation | undefined> {
      return one(db('invitations').where({ token_hash: tokenHash }).select(COLUMNS), now);
    },

    /** One page, newest first; `orgIds` limits it to those nodes (undefined: every node). */
    async list(
      tenantId: string,
      filter: { orgIds?: readonly string[]; state?: InvitationState; now: Date },
      page: { limit: number; offset: number },
    ): Promise<{ invitations: Invitation[]; total: number }> {
      let base = db('invitations').where({ tenant_id: tenantId });
      if (filter.orgIds) base = base.whereRaw('org_id = any(?::uuid[])', [[...filter.orgIds]]);
      if (filter.state) base = whereState(base, filter.state, filter.now);
      const rows = (await base
        .clone()
        .select(COLUMNS)
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(page.limit)
        .offset(page.offset)) as InvitationRow[];
      const [counted] = await base.clone().count({ n: '*' });
      return {
        invitations: rows.map((r) => toInvitation(r, filter.now)),
        total: Number(counted?.n ?? 0),
      };
    },

    /**
     * Serializes invitations of these addresses to this node until the transaction ends (advisory
     * locks, taken in one order so that concurrent invitations of several addresses cannot deadlock).
     */
    async lockAddresses(tenantId: string, orgId: string, emails: readonly string[]): Promise<void> {
      const keys = emails.map((email) => {
        const digest = createHash('sha256').update(
          `invitation\n${tenantId}\n${orgId}\n${email.toLowerCase()}`,
        );
        return BigInt.asIntN(64, BigInt(`0x${digest.digest('hex').slice(0, 16)}`));
      });
      for (const key of [...new Set(keys)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
        await db.raw('select pg_advisory_xact_lock(?::bigint)', [key.toString()]);
      }
    },

    /** Re-inviting an address replaces its pending invitation to the node: the old link dies. */
    async cancelPendingFor(tenantId: string, orgId: string, email: string, at: Date): Promise<Invitation[]> {
      const rows = (await db('invitations')
        .where({ tenant_id: tenantId, org_id: orgId, status: 'pending' })
        .whereRaw('lower(email) = lower(?)', [email])
        .update({ status: 'cancelled', updated_at: at })
        .returning(COLUMNS)) as InvitationRow[];
      return rows.map((r) => toInvitation(r, at));
    },

    /** Resend: a new token (the old hash is overwritten, so the old link finds nothing) and expiry. */
    replaceToken(
      tenantId: string,
      id: string,
      next: { tokenHash: string; expiresAt: Date; inviter: Inviter; at: Date },
    ): Promise<Invitation | undefined> {
      const q = db('invitations')
        .where({ tenant_id: tenantId, id, status: 'pending' })
        .update({
          token_hash: next.tokenHash,
          expires_at: next.expiresAt,
          inviter_type: next.inviter.type,
          inviter_id: next.inviter.id,
          updated_at: next.at,
        })
        .returning(COLUMNS);
      return one(q, next.at);
    },

    cancel(tenantId: string, id: string, at: Date): Promise<Invitation | undefined> {
      const q = db('invitations')
        .where({ tenant_id: tenantId, id, status: 'pending' })
        .update({ status: 'cancelled', updated_at: at })
        .returning(COLUMNS);
      return one(q, at);
    },

    /**
     * INV-3, single use: the one statement that turns a live pending invitation into an accepted
     * one. Of two concurrent acceptances, the second finds no row left to update.
     */
    consume(tenantId: string, tokenHash: string, userId: string, at: Date): Promise<Invitation | undefined> {
      const q = db('invitations')
        .where({ tenant_id: tenantId, token_hash: tokenHash, status: 'pending' })
        .andWhere('expires_at', '>', at)
        .update({ status: 'accepted', accepted_user_id: userId, updated_at: at })
        .returning(COLUMNS);
      return one(q, at);
    },

    /** The master org as an invitation needs it: its name, sign-in domain and INV-4 setting. */
    async master(
      tenantId: string,
    ): Promise<{ name: string; domain: string; localAccountsEnabled: boolean } | undefined> {
      const row = await db('organizations')
        .where({ tenant_id: tenantId, id: tenantId })
        .first('name', 'domain', 'local_accounts_enabled');
      return row
        ? { name: row.name, domain: row.domain, localAccountsEnabled: row.local_accounts_enabled }
        : undefined;
    },

    async nodeName(tenantId: string, orgId: string): Promise<string | undefined> {
      const row = await db('organizations').where({ tenant_id: tenantId, id: orgId }).first('name');
      return row?.name;
    },

    /**
     * Housekeeping, across every tenant (no tenant to scope by): deletes up to `limit` invitations
     * past their expiry and last changed before `before`; how many went.
     */
    async deleteFinishedBefore(before: Date, limit: number): Promise<number> {
      const finished = db('invitations')
        .select('id')
        .where('expires_at', '<', before)
        .andWhere('updated_at', '<', before)
        .limit(limit);
      return db('invitations').whereIn('id', finished).del();
    },
  };
}

export type InvitationRepository = ReturnType<typeof createInvitationRepository>;

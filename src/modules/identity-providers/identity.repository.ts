import type { Db, Tx } from '../../platform/db/database.ts';

/**
 * FED-3: a federated user is keyed by (provider, subject), never by email. For SAML the subject
 * is the NameID as the flow normalises it; for OIDC the ID token's `sub` (the issuer is fixed by
 * the provider). One identity per provider and user; identities go with their provider or user.
 */
export function createFederatedIdentityRepository(db: Db | Tx) {
  return {
    async findUserId(tenantId: string, providerId: string, subject: string): Promise<string | undefined> {
      const row = await db('federated_identities')
        .where({ tenant_id: tenantId, provider_id: providerId, subject })
        .first('user_id');
      return row?.user_id as string | undefined;
    },

    async link(tenantId: string, i: { providerId: string; subject: string; userId: string; at: Date }) {
      await db('federated_identities').insert({
        tenant_id: tenantId,
        provider_id: i.providerId,
        subject: i.subject,
        user_id: i.userId,
        created_at: i.at,
        last_sign_in_at: i.at,
      });
    },

    async touch(tenantId: string, providerId: string, subject: string, at: Date): Promise<void> {
      await db('federated_identities')
        .where({ tenant_id: tenantId, provider_id: providerId, subject })
        .update({ last_sign_in_at: at });
    },

    /**
     * The users who sign in through the provider (SEC-4), disabled ones included since they can be
     * enabled again; deleted users never come back.
     */
    async linkedUserIds(tenantId: string, providerId: string): Promise<string[]> {
      return db('federated_identities as f')
        .join('users as u', function () {
          this.on('u.tenant_id', 'f.tenant_id').andOn('u.id', 'f.user_id');
        })
        .where({ 'f.tenant_id': tenantId, 'f.provider_id': providerId })
        .whereNot('u.status', 'deleted')
        .pluck('f.user_id');
    },

    async listForUser(tenantId: string, userId: string) {
      const rows = await db('federated_identities').where({ tenant_id: tenantId, user_id: userId });
      return rows.map((r) => ({ providerId: r.provider_id as string, subject: r.subject as string }));
    },
  };
}

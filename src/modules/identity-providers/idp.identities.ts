import type { Db, Tx } from '../../platform/db/database.ts';
import { createFederatedIdentityRepository } from './identity.repository.ts';

/**
 * FED-3 for the federated sign-in: the user behind (provider, subject), and the link made or
 * touched inside the sign-in's own transaction. No caller to authorize: the protocol flow has
 * already validated the provider's answer.
 */
export function createFederatedIdentityService(deps: { db: Db }) {
  const identities = createFederatedIdentityRepository(deps.db);
  const within = (tx: Tx) => createFederatedIdentityRepository(tx);
  return {
    userIdOf: (tenantId: string, providerId: string, subject: string): Promise<string | undefined> =>
      identities.findUserId(tenantId, providerId, subject),
    userIdOfInTx: (tx: Tx, tenantId: string, providerId: string, subject: string) =>
      within(tx).findUserId(tenantId, providerId, subject),
    linkInTx: (
      tx: Tx,
      tenantId: string,
      identity: { providerId: string; subject: string; userId: string; at: Date },
    ) => within(tx).link(tenantId, identity),
    touchInTx: (tx: Tx, tenantId: string, providerId: string, subject: string, at: Date) =>
      within(tx).touch(tenantId, providerId, subject, at),
  };
}

export type FederatedIdentityService = ReturnType<typeof createFederatedIdentityService>;

import { isClientIdShaped } from '../../platform/client-id.ts';
import type { Clock } from '../../platform/clock.ts';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import { createSecretVerifier } from '../../platform/crypto/secret-verifier.ts';
import type { Db } from '../../platform/db/database.ts';
import { CLIENTS_CHANGED, type SignalBus } from '../../platform/signals.ts';
import type { TenantIndex } from '../roles/index.ts';
import { liveGrants } from './app.grants.ts';
import { type AppRow, createAppRepository } from './app.repository.ts';
import type { App } from './app.schema.ts';

/** Additional data binding a sealed app secret to its client ID: copied to another row, it does not open. */
export const secretContext = (clientId: string) => `apps:${clientId}`;

/**
 * The public view of a row: no secret, sealed or not, and a grace period only while it lasts.
 * With the tenant's index, grants on deleted nodes are left out.
 */
export function presentApp(row: AppRow, now: Date, index?: TenantIndex): App {
  const { secretSealed: _s, previousSecretSealed: _p, ...app } = row;
  const graceEnds = app.previousSecretExpiresAt;
  return {
    ...app,
    grants: index ? liveGrants(index, app.grants) : app.grants,
    previousSecretExpiresAt: graceEnds && graceEnds > now ? graceEnds : null,
  };
}

/** What the provider asks of apps: the client behind a client ID, and its client authentication. */
export function createClientLookup(deps: { db: Db; clock: Clock; box: SecretBox; signals: SignalBus }) {
  const { clock, box } = deps;
  const apps = createAppRepository(deps.db);
  const openFor = (clientId: string, sealed: string) => box.open(sealed, secretContext(clientId));

  async function findRow(clientId: string): Promise<AppRow | undefined> {
    return isClientIdShaped(clientId) ? apps.resolveClientId(clientId) : undefined;
  }

  /**
   * The app behind a client ID, whatever its tenant (client IDs are global; `tenantId` names the
   * only master org whose users may sign in to it, APP-2). Its grants are as stored: one may name a
   * business group deleted since, so check each node against the tenant's index before using it.
   */
  async function findByClientId(clientId: string): Promise<App | undefined> {
    const row = await findRow(clientId);
    return row ? presentApp(row, clock.now()) : undefined;
  }

  // Client authentication runs on every token and introspection request: secrets are read and
  // opened once a minute at most, then compared as digests (see createSecretVerifier).
  const verifier = createSecretVerifier<true>({
    now: () => clock.now().getTime(),
    link: deps.signals,
    async load(clientId) {
      const row = await findRow(clientId);
      if (!row?.secretSealed) return undefined;
      return {
        current: openFor(row.clientId, row.secretSealed),
        previous: row.previousSecretSealed === null ? null : openFor(row.clientId, row.previousSecretSealed),
        previousExpiresAt: row.previousSecretExpiresAt,
        data: true,
      };
    },
  });

  /**
   * Client authentication: the current secret, or the previous one inside its grace period, in
   * constant time. False for unknown client IDs and public apps; never throws for a wrong secret.
   */
  async function verifySecret(clientId: string, secret: string): Promise<boolean> {
    if (!isClientIdShaped(clientId)) return false;
    return (await verifier.verify(clientId, secret)) === true;
  }

  return { findByClientId, verifySecret, forgetClient: verifier.forget };
}

/** What a node remembers of clients that a change announced by any node must drop. */
export interface ClientMemory {
  forgetClient(clientId: string): void;
  /** For a change that names no client (business groups and environments removed with theirs). */
  forgetAllClients?(): void;
}

/** Every node drops what it remembers of a client when any node announces a change (CLIENTS_CHANGED). */
export async function followClientChanges(
  signals: SignalBus,
  memories: readonly ClientMemory[],
): Promise<void> {
  await signals.subscribe(CLIENTS_CHANGED, (raw) => {
    const change = JSON.parse(raw) as { clientId?: string; all?: boolean };
    for (const memory of memories) {
      if (change.clientId) memory.forgetClient(change.clientId);
      else memory.forgetAllClients?.();
    }
  });
}

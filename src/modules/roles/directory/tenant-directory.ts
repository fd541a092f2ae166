import type { Db, Tx } from '../../../platform/db/database.ts';
import type { Logger } from '../../../platform/logger.ts';
import type { SignalBus } from '../../../platform/signals.ts';
import { createSnapshotRepository } from './snapshot.repository.ts';
import { TenantIndex } from './tenant-index.ts';

const CHANNEL = 'authz.changed';

/**
 * What a change touched, so a node holding the version before it can derive the next index by
 * reloading only that part: the tree (org nodes, environments), some users (assignments, status),
 * or everything (roles' permissions, environment deletions).
 */
export type ChangeScope = { tree?: boolean; users?: readonly string[] } | 'everything';

/**
 * Per-tenant in-memory indexes, loaded on first use and kept current as the tenant changes.
 * Changes run through `change()`: it bumps the version first in the transaction (which also
 * serializes the tenant's structural changes) and, after commit and before returning to the
 * caller, brings this node's index to the new version and tells every other node.
 * Never call `forTenant` inside `change`'s work: the embedded database has a single connection.
 */
export interface TenantDirectory {
  forTenant(tenantId: string): Promise<TenantIndex>;
  change<T>(tenantId: string, scope: ChangeScope, work: (tx: Tx) => Promise<T>): Promise<T>;
  /** For transactions that create a tenant: registers version 1 without loading anything. */
  createTenant(tx: Tx, tenantId: string): Promise<void>;
  start(): Promise<void>;
}

interface Entry {
  index?: TenantIndex;
  loading?: Promise<TenantIndex>;
  /** The lowest version an answer may come from; raised by every change this node hears of. */
  minVersion: number;
  /** Derivations run one after another, each from the version just before it. */
  patching: Promise<void>;
}

interface ChangeMessage {
  tenantId: string;
  version: number;
  scope: ChangeScope;
}

export function createTenantDirectory(deps: { db: Db; signals: SignalBus; logger: Logger }) {
  const { db, signals, logger } = deps;
  const snapshots = createSnapshotRepository(db);
  const entries = new Map<string, Entry>();

  function entryOf(tenantId: string): Entry {
    let entry = entries.get(tenantId);
    if (!entry) {
      entry = { minVersion: 0, patching: Promise.resolve() };
      entries.set(tenantId, entry);
    }
    return entry;
  }

  const isCurrent = (entry: Entry): entry is Entry & { index: TenantIndex } =>
    entry.index !== undefined && entry.index.version >= entry.minVersion;

  /** Records that `version` exists and queues the derivation of this node's index to it. */
  function heard({ tenantId, version, scope }: ChangeMessage): Promise<void> {
    const entry = entryOf(tenantId);
    entry.minVersion = Math.max(entry.minVersion, version);
    entry.patching = entry.patching.then(() => derive(tenantId, entry, version, scope));
    return entry.patching;
  }

  async function derive(tenantId: string, entry: Entry, version: number, scope: ChangeScope): Promise<void> {
    const base = entry.index;
    if (!base || base.version >= version) return;
    // A gap (a change we did not hear of) or a change to everything: reload in full on next use.
    if (scope === 'everything' || base.version !== version - 1 || (!scope.tree && !scope.users?.length)) {
      entry.index = undefined;
      return;
    }
    try {
      // The parts are read at `version` or later; later changes are applied over them in turn.
      let next = base;
      if (scope.tree) next = next.withTree(version, await snapshots.loadTree(tenantId));
      if (scope.users?.length)
        next = next.withUsers(version, await snapshots.loadUsers(tenantId, scope.users));
      if (entry.index === base) entry.index = next;
    } catch (err) {
      logger.warn(
        { err: (err as Error).message, tenantId },
        'tenant directory update failed; reloading on next use',
      );
      if (entry.index === base) entry.index = undefined;
    }
  }

  async function load(tenantId: string, entry: Entry): Promise<TenantIndex> {
    // A change may commit while we read; a snapshot older than what we have heard of is read again.
    for (;;) {
      const started = performance.now();
      const index = new TenantIndex(await snapshots.load(tenantId));
      if (index.version >= entry.minVersion) {
        logger.debug(
          { tenantId, version: index.version, ms: performance.now() - started },
          'tenant directory built',
        );
        return index;
      }
    }
  }

  async function settle(tenantId: string, entry: Entry): Promise<TenantIndex> {
    await entry.patching;
    if (isCurrent(entry)) return entry.index;
    entry.loading ??= load(tenantId, entry).finally(() => {
      entry.loading = undefined;
    });
    const index = await entry.loading;
    if (!isCurrent(entry) || entry.index.version < index.version) entry.index = index;
    return isCurrent(entry) ? entry.index : settle(tenantId, entry);
  }

  return {
    forTenant(tenantId) {
      const entry = entryOf(tenantId);
      return isCurrent(entry) ? Promise.resolve(entry.index) : settle(tenantId, entry);
    },

    async change(tenantId, scope, work) {
      let version = 0;
      const result = await db.transaction(async (tx) => {
        version = await snapshots.bumpVersion(tx, tenantId);
        return work(tx);
      });
      const message: ChangeMessage = { tenantId, version, scope };
      await heard(message);
      await signals.publish(CHANNEL, JSON.stringify(message)).catch((err: Error) => {
        logger.error(
          { err: err.message, tenantId },
          'could not tell other nodes about an authorization change',
        );
      });
      return result;
    },

    createTenant: (tx, tenantId) => snapshots.createVersion(tx, tenantId),

    async start() {
      await signals.subscribe(CHANNEL, (raw) => {
        void heard(JSON.parse(raw) as ChangeMessage);
      });
      signals.onResync(() => {
        for (const entry of entries.values()) entry.index = undefined;
      });
    },
  } satisfies TenantDirectory;
}

import type { Db, Tx } from '../../../platform/db/database.ts';
import type { Logger } from '../../../platform/logger.ts';
import type { SignalBus } from '../../../platform/signals.ts';
import type { SnapshotRepository } from './snapshot.repository.ts';
import { TenantIndex } from './tenant-index.ts';

const CHANNEL = 'authz.changed';

/**
 * Per-tenant in-memory indexes, loaded on first use and replaced when the tenant's version moves.
 * Changes run through `change()`: it bumps the version first in the transaction (which also
 * serializes the tenant's structural changes) and, after commit and before returning to the caller,
 * drops the stale index here and on every other node.
 */
export interface Authorizer {
  forTenant(tenantId: string): Promise<TenantIndex>;
  change<T>(tenantId: string, work: (tx: Tx) => Promise<T>): Promise<T>;
  /** For transactions that create a tenant: registers version 1 without loading anything. */
  createTenant(tx: Tx, tenantId: string): Promise<void>;
  invalidate(tenantId: string, version: number): void;
  start(): Promise<void>;
}

interface Entry {
  index?: TenantIndex;
  loading?: Promise<TenantIndex>;
  /** The lowest version an answer may come from; raised by every change this node hears of. */
  minVersion: number;
}

export function createAuthorizer(deps: {
  db: Db;
  snapshots: SnapshotRepository;
  signals: SignalBus;
  logger: Logger;
}) {
  const { db, snapshots, signals, logger } = deps;
  const entries = new Map<string, Entry>();

  function entryOf(tenantId: string): Entry {
    let entry = entries.get(tenantId);
    if (!entry) {
      entry = { minVersion: 0 };
      entries.set(tenantId, entry);
    }
    return entry;
  }

  async function load(tenantId: string, entry: Entry): Promise<TenantIndex> {
    // A change may commit while we read; a snapshot older than what we have heard of is read again.
    for (;;) {
      const started = performance.now();
      const index = new TenantIndex(await snapshots.load(tenantId));
      if (index.version >= entry.minVersion) {
        logger.debug(
          { tenantId, version: index.version, ms: performance.now() - started },
          'authz index built',
        );
        return index;
      }
    }
  }

  function invalidate(tenantId: string, version: number): void {
    const entry = entryOf(tenantId);
    entry.minVersion = Math.max(entry.minVersion, version);
    if (entry.index && entry.index.version < version) entry.index = undefined;
  }

  const authorizer: Authorizer = {
    forTenant(tenantId) {
      const entry = entryOf(tenantId);
      if (entry.index && entry.index.version >= entry.minVersion) return Promise.resolve(entry.index);
      entry.loading ??= load(tenantId, entry).then(
        (index) => {
          entry.loading = undefined;
          if (index.version >= entry.minVersion) entry.index = index;
          return index.version >= entry.minVersion ? index : authorizer.forTenant(tenantId);
        },
        (err: unknown) => {
          entry.loading = undefined;
          throw err;
        },
      );
      return entry.loading;
    },

    async change(tenantId, work) {
      let version = 0;
      const result = await db.transaction(async (tx) => {
        version = await snapshots.bumpVersion(tx, tenantId);
        return work(tx);
      });
      invalidate(tenantId, version);
      await signals.publish(CHANNEL, JSON.stringify({ tenantId, version })).catch((err: Error) => {
        logger.error(
          { err: err.message, tenantId },
          'could not tell other nodes about an authorization change',
        );
      });
      return result;
    },

    createTenant: (tx, tenantId) => snapshots.createVersion(tx, tenantId),

    invalidate,

    async start() {
      await signals.subscribe(CHANNEL, (message) => {
        const { tenantId, version } = JSON.parse(message) as { tenantId: string; version: number };
        invalidate(tenantId, version);
      });
      signals.onResync(() => {
        for (const entry of entries.values()) entry.index = undefined;
      });
    },
  };
  return authorizer;
}

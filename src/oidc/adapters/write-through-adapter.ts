import type { AdapterPayload } from 'oidc-provider';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/logger.ts';
import {
  type ArtefactAdapter,
  type ArtefactAdapterClass,
  assertStoredModel,
  consumeRefused,
} from './adapter-contract.ts';
import { type ArtefactCache, TAKEN, type WriteTicket } from './redis-adapter.ts';
import type { RecordedArtefact, SqlRecord } from './sql-record.ts';

/**
 * Models oidc-provider saves once, under an id it has just generated, and never saves again
 * (access tokens and client-credentials tokens: each is a new instance, saved at issuance; rotation
 * and revocation create or destroy, never rewrite). Nothing can be cached under a new id, so their
 * writes skip the invalidation round trip.
 */
export const WRITE_ONCE_MODELS: ReadonlySet<string> = new Set(['AccessToken', 'ClientCredentials']);

/**
 * REL-3: PostgreSQL (`oidc_models`) is the record of every artefact; Redis holds copies for reads.
 * A write invalidates the copy, writes the record, then offers the record's row back to the cache
 * (see redis-scripts.ts for when the offer is refused). A destroy removes the copy first (and keeps
 * refills out for a while), then the record. A Redis failure before the record is touched fails
 * the call and changes nothing; after it, the cache is left empty, never different from the record.
 */
export function createWriteThroughAdapterClass(deps: {
  record: SqlRecord;
  cache: ArtefactCache;
  clock: Clock;
  logger: Logger;
}): ArtefactAdapterClass {
  const { record, cache, clock, logger } = deps;

  /** After the record changed: the row goes back to the cache, or, if the write ran late, nothing may. */
  async function settle(ticket: WriteTicket, row: RecordedArtefact): Promise<void> {
    if (cache.isLate(ticket)) {
      // Other writers' refills were held off only for the write window: drop what may have landed.
      await cache.invalidateUpTo(row.model, row.id, row.version);
      return;
    }
    await refill(ticket, row);
  }

  /** A refill that fails leaves the cache without a copy, which is consistent: readers use the record. */
  async function refill(ticket: WriteTicket, row: RecordedArtefact): Promise<void> {
    try {
      await cache.refill(ticket, row, clock.now());
    } catch (err) {
      logger.warn({ err: (err as Error).message, model: row.model }, 'oidc cache: refill failed');
    }
  }

  /**
   * A read never fills the cache: a copy read from the record could arrive after a concurrent
   * destroy or revocation had cleared the cache and deleted the row, and would then serve a revoked
   * artefact until its TTL. Only writers, which hold the ordering, put copies in.
   */
  async function cachedOrRecorded(
    cached: () => Promise<AdapterPayload | typeof TAKEN | undefined>,
    recorded: () => Promise<AdapterPayload | undefined>,
  ): Promise<AdapterPayload | undefined> {
    try {
      const hit = await cached();
      if (hit === TAKEN) return undefined;
      if (hit) return hit;
    } catch {
      // Redis is down or hung: the record answers. No write succeeds while this node cannot reach
      // Redis, so nothing newer than the record can be waiting in a cache this node cannot see.
    }
    return recorded();
  }

  return class WriteThroughAdapter implements ArtefactAdapter {
    readonly model: string;

    constructor(name: string) {
      assertStoredModel(name);
      this.model = name;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      if (!WRITE_ONCE_MODELS.has(this.model)) {
        const ticket = await cache.begin(this.model, id);
        await settle(ticket, await record.upsert(this.model, id, payload, expiresIn));
        return;
      }
      const ticket = cache.beginFirst();
      const row = await record.upsert(this.model, id, payload, expiresIn);
      if (row.replaced) {
        logger.warn(
          { model: this.model },
          'oidc cache: an artefact saved once was saved again; its copy is dropped',
        );
        await cache.invalidateUpTo(this.model, id, row.version);
      } else if (ticket && !cache.isLate(ticket)) {
        await refill(ticket, row);
      }
    }

    find(id: string): Promise<AdapterPayload | undefined> {
      return cachedOrRecorded(
        () => cache.find(this.model, id),
        () => record.find(this.model, id),
      );
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return cachedOrRecorded(
        () => cache.findByUid(this.model, uid),
        () => record.findByUid(this.model, uid),
      );
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return cachedOrRecorded(
        () => cache.findByUserCode(this.model, userCode),
        () => record.findByUserCode(this.model, userCode),
      );
    }

    /** The record's conditional UPDATE picks the one winner; the cache then gets the consumed row. */
    async tryConsume(id: string): Promise<boolean> {
      const ticket = await cache.begin(this.model, id);
      const row = await record.consume(this.model, id);
      if (!row) return false;
      await settle(ticket, row);
      return true;
    }

    async consume(id: string): Promise<void> {
      if (!(await this.tryConsume(id))) throw consumeRefused(this.model);
    }

    async destroy(id: string): Promise<void> {
      const at = await cache.destroy(this.model, id);
      await record.destroy(this.model, id);
      if (cache.destroyedLate(at)) await cache.destroy(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const at = await cache.revokeGrant(grantId);
      await record.revokeByGrantId(grantId);
      if (cache.destroyedLate(at)) await cache.revokeGrant(grantId);
    }
  };
}

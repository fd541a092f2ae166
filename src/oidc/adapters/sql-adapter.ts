import type { Knex } from 'knex';
import type { AdapterPayload } from 'oidc-provider';
import type { Clock } from '../../platform/clock.ts';
import {
  type ArtefactAdapter,
  type ArtefactAdapterClass,
  assertStoredModel,
  consumeRefused,
} from './adapter-contract.ts';
import { createSqlRecord, type SqlRecord, TABLE } from './sql-record.ts';

/**
 * Provider artefacts in the `oidc_models` table alone: the store without Redis (the embedded
 * default, whose sessions survive a restart). Expiry is judged by the injected clock.
 */
export function createSqlAdapterClass(deps: { db: Knex; clock: Clock }): ArtefactAdapterClass {
  const record: SqlRecord = createSqlRecord(deps);

  return class SqlAdapter implements ArtefactAdapter {
    readonly model: string;

    constructor(name: string) {
      assertStoredModel(name);
      this.model = name;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      await record.upsert(this.model, id, payload, expiresIn);
    }

    find(id: string): Promise<AdapterPayload | undefined> {
      return record.find(this.model, id);
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return record.findByUid(this.model, uid);
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return record.findByUserCode(this.model, userCode);
    }

    async tryConsume(id: string): Promise<boolean> {
      return (await record.consume(this.model, id)) !== undefined;
    }

    async consume(id: string): Promise<void> {
      if (!(await this.tryConsume(id))) throw consumeRefused(this.model);
    }

    destroy(id: string): Promise<void> {
      return record.destroy(this.model, id);
    }

    revokeByGrantId(grantId: string): Promise<void> {
      return record.revokeByGrantId(grantId);
    }
  };
}

/**
 * Deletes expired artefacts, `batchSize` rows per statement so a large backlog never holds one long
 * lock; returns how many went. Safe to run on several nodes at once.
 */
export async function sweepExpired(db: Knex, clock: Clock, options: { batchSize: number }): Promise<number> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError('batchSize must be a positive integer');
  const now = clock.now();
  let total = 0;
  for (;;) {
    const batch = db(TABLE).select('model', 'id').where('expires_at', '<=', now).limit(batchSize);
    // Counted from the returned ids: the embedded driver does not report a count for deletes.
    const deleted = await db(TABLE).whereIn(['model', 'id'], batch).delete('id');
    total += deleted.length;
    if (deleted.length < batchSize) return total;
  }
}

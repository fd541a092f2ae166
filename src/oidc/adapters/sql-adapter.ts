import type { Knex } from 'knex';
import type { AdapterPayload } from 'oidc-provider';
import type { Clock } from '../../platform/clock.ts';
import {
  type ArtefactAdapter,
  type ArtefactAdapterClass,
  assertStoredModel,
  consumeRefused,
  epochSeconds,
  lookupFields,
} from './adapter-contract.ts';

const TABLE = 'oidc_models';

interface ArtefactRow {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

/**
 * Provider artefacts in the `oidc_models` table. Expiry is judged by the injected clock: a row past
 * `expires_at` is invisible at once, and `sweepExpired` deletes it later.
 */
export function createSqlAdapterClass(deps: { db: Knex; clock: Clock }): ArtefactAdapterClass {
  const { db, clock } = deps;

  function live(model: string) {
    const now = clock.now();
    return db(TABLE)
      .select('payload', 'consumed_at')
      .where({ model })
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now));
  }

  function present(found: unknown): AdapterPayload | undefined {
    const row = found as ArtefactRow | undefined;
    if (!row) return undefined;
    return row.consumed_at ? { ...row.payload, consumed: epochSeconds(row.consumed_at) } : row.payload;
  }

  return class SqlAdapter implements ArtefactAdapter {
    readonly model: string;

    constructor(name: string) {
      assertStoredModel(name);
      this.model = name;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const now = clock.now();
      const { uid, userCode, grantId } = lookupFields(this.model, payload);
      // Saved again after it was consumed, an artefact stays consumed: no later consume may win.
      const consumedAt = !payload.consumed
        ? null
        : typeof payload.consumed === 'number'
          ? new Date(payload.consumed * 1000)
          : now;
      await db(TABLE)
        .insert({
          model: this.model,
          id,
          payload: JSON.stringify(payload),
          grant_id: grantId,
          user_code: userCode,
          uid,
          expires_at: typeof expiresIn === 'number' ? new Date(now.getTime() + expiresIn * 1000) : null,
          consumed_at: consumedAt,
        })
        .onConflict(['model', 'id'])
        .merge();
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return present(await live(this.model).andWhere({ id }).first());
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      // A session keeps its uid when its id is renewed; should two rows share one, the newer wins.
      const row = await live(this.model).andWhere({ uid }).orderBy('expires_at', 'desc').first();
      return present(row);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const row = await live(this.model).andWhere({ user_code: userCode }).first();
      return present(row);
    }

    async tryConsume(id: string): Promise<boolean> {
      const now = clock.now();
      const changed = await db(TABLE)
        .where({ model: this.model, id })
        .whereNull('consumed_at')
        .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now))
        .update({ consumed_at: now });
      return changed === 1;
    }

    async consume(id: string): Promise<void> {
      if (!(await this.tryConsume(id))) throw consumeRefused(this.model);
    }

    async destroy(id: string): Promise<void> {
      await db(TABLE).where({ model: this.model, id }).delete();
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db(TABLE).where({ grant_id: grantId }).delete();
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

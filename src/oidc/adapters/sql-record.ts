import type { Knex } from 'knex';
import type { AdapterPayload } from 'oidc-provider';
import type { Clock } from '../../platform/clock.ts';
import { epochSeconds, lookupFields } from './adapter-contract.ts';
import { createGroupCommit } from './group-commit.ts';

export const TABLE = 'oidc_models';
/** Rows per INSERT of the group commit: large enough to carry a burst, small enough to stay quick. */
const MAX_BATCH = 200;

/** One artefact as the record holds it, in the shape the cache keeps a copy of. */
export interface RecordedArtefact {
  model: string;
  id: string;
  /** The payload as the provider saved it, serialised once. */
  payloadJson: string;
  uid: string | null;
  userCode: string | null;
  grantId: string | null;
  expiresAt: Date | null;
  consumedAt: Date | null;
  /** Grows with every write of the row (one sequence for the table). */
  version: number;
}

export interface UpsertOutcome {
  version: number;
  /** The row was there already (the write replaced it rather than creating it). */
  replaced: boolean;
}

interface FoundRow {
  payload: AdapterPayload;
  consumed_at: Date | string | null;
}

/** The provider's view of a row: the payload, with `consumed` when the record says it was. */
export function presented(payload: AdapterPayload, consumedAt: Date | null): AdapterPayload {
  return consumedAt ? { ...payload, consumed: epochSeconds(consumedAt) } : payload;
}

const asDate = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

/**
 * Provider artefacts in `oidc_models`, the record (REL-3). Expiry is judged by the injected clock:
 * a row past `expires_at` is invisible at once and swept later. Upserts go through a group commit.
 */
export function createSqlRecord(deps: { db: Knex; clock: Clock }) {
  const { db, clock } = deps;

  const upsertRows = createGroupCommit<Omit<RecordedArtefact, 'version'>, UpsertOutcome>({
    maxBatch: MAX_BATCH,
    keyOf: (row) => `${row.model}\u0000${row.id}`,
    async write(rows) {
      const values = rows.map(() => '(?, ?, cast(? as jsonb), ?, ?, ?, ?, ?)').join(', ');
      const bindings = rows.flatMap((r) => [
        r.model,
        r.id,
        r.payloadJson,
        r.grantId,
        r.userCode,
        r.uid,
        r.expiresAt,
        r.consumedAt,
      ]);
      const result = await db.raw(
        `insert into ${TABLE} (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
         values ${values}
         on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
           user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at,
           consumed_at = excluded.consumed_at, version = nextval('oidc_models_version')
         returning model, id, version, (xmax <> 0) as replaced`,
        bindings,
      );
      const byKey = new Map<string, UpsertOutcome>();
      for (const row of result.rows as Array<{
        model: string;
        id: string;
        version: unknown;
        replaced: boolean;
      }>)
        byKey.set(`${row.model}\u0000${row.id}`, { version: Number(row.version), replaced: row.replaced });
      return rows.map((r) => {
        const outcome = byKey.get(`${r.model}\u0000${r.id}`);
        if (!outcome) throw new Error('oidc record: an upserted row was not returned');
        return outcome;
      });
    },
  });

  function live(model: string) {
    const now = clock.now();
    return db(TABLE)
      .select('payload', 'consumed_at')
      .where({ model })
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now));
  }

  function present(found: unknown): AdapterPayload | undefined {
    const row = found as FoundRow | undefined;
    return row ? presented(row.payload, asDate(row.consumed_at)) : undefined;
  }

  return {
    /** Writes the artefact (created or replaced); resolves once the statement carrying it committed. */
    async upsert(
      model: string,
      id: string,
      payload: AdapterPayload,
      expiresIn?: number,
    ): Promise<RecordedArtefact & UpsertOutcome> {
      const now = clock.now();
      const { uid, userCode, grantId } = lookupFields(model, payload);
      // Saved again after it was consumed, an artefact stays consumed: no later consume may win.
      const consumedAt = !payload.consumed
        ? null
        : typeof payload.consumed === 'number'
          ? new Date(payload.consumed * 1000)
          : now;
      const row = {
        model,
        id,
        payloadJson: JSON.stringify(payload),
        uid,
        userCode,
        grantId,
        expiresAt: typeof expiresIn === 'number' ? new Date(now.getTime() + expiresIn * 1000) : null,
        consumedAt,
      };
      return { ...row, ...(await upsertRows(row)) };
    },

    async find(model: string, id: string): Promise<AdapterPayload | undefined> {
      return present(await live(model).andWhere({ id }).first());
    },

    async findByUid(model: string, uid: string): Promise<AdapterPayload | undefined> {
      // A session keeps its uid when its id is renewed; should two rows share one, the newer wins.
      return present(await live(model).andWhere({ uid }).orderBy('expires_at', 'desc').first());
    },

    async findByUserCode(model: string, userCode: string): Promise<AdapterPayload | undefined> {
      return present(await live(model).andWhere({ user_code: userCode }).first());
    },

    /**
     * Marks a stored, unexpired, unconsumed artefact consumed: one conditional UPDATE, so of any
     * number of concurrent calls exactly one gets the row back; the others get undefined.
     */
    async consume(model: string, id: string): Promise<RecordedArtefact | undefined> {
      const now = clock.now();
      const rows = (await db(TABLE)
        .where({ model, id })
        .whereNull('consumed_at')
        .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now))
        .update({ consumed_at: now, version: db.raw("nextval('oidc_models_version')") })
        .returning([
          'payload',
          'grant_id',
          'user_code',
          'uid',
          'expires_at',
          'consumed_at',
          'version',
        ])) as Array<Record<string, unknown>>;
      const row = rows[0];
      if (!row) return undefined;
      return {
        model,
        id,
        payloadJson: JSON.stringify(row.payload),
        uid: row.uid as string | null,
        userCode: row.user_code as string | null,
        grantId: row.grant_id as string | null,
        expiresAt: asDate(row.expires_at as Date | string | null),
        consumedAt: asDate(row.consumed_at as Date | string | null),
        version: Number(row.version),
      };
    },

    async destroy(model: string, id: string): Promise<void> {
      await db(TABLE).where({ model, id }).delete();
    },

    async revokeByGrantId(grantId: string): Promise<void> {
      await db(TABLE).where({ grant_id: grantId }).delete();
    },
  };
}

export type SqlRecord = ReturnType<typeof createSqlRecord>;

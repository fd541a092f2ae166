import type { Db } from '../../platform/db/database.ts';
import type { SealedColumn } from './sealed-columns.ts';

export interface SealedValue {
  rowKey: string;
  sealed: string;
}

// The key id is the second dot-separated part of a sealed value (`v1.<key id>.…`).
const KEY_ID = "split_part(??, '.', 2)";

/**
 * Reads and re-seals the sealed columns of every module's tables. Operator-level and cross-tenant
 * on purpose, like the signing keys: one SECRETS_KEY ring seals every tenant's secrets.
 */
export function createSecretsRepository(db: Db) {
  return {
    /** How many values of the column each key id sealed. */
    async usage(column: SealedColumn): Promise<Map<string, number>> {
      const rows = (await db(column.table)
        .whereNotNull(column.column)
        .select(db.raw(`${KEY_ID} as key_id`, [column.column]))
        .count({ n: '*' })
        .groupByRaw(KEY_ID, [column.column])) as Array<{ key_id: string; n: number | string }>;
      return new Map(rows.map((r) => [r.key_id, Number(r.n)]));
    },

    /** One value of the column sealed with the key, if any. */
    async sample(column: SealedColumn, keyId: string): Promise<SealedValue | undefined> {
      const row = await db(column.table)
        .whereRaw(`${KEY_ID} = ?`, [column.column, keyId])
        .first({ rowKey: column.key, sealed: column.column });
      return row as SealedValue | undefined;
    },

    /** The next values after `afterKey` (in row-key order) that another key than `keyId` sealed. */
    async notSealedBy(
      column: SealedColumn,
      keyId: string,
      afterKey: string | null,
      limit: number,
    ): Promise<SealedValue[]> {
      const query = db(column.table)
        .whereNotNull(column.column)
        .whereRaw(`${KEY_ID} <> ?`, [column.column, keyId])
        .orderBy(column.key)
        .limit(limit)
        .select({ rowKey: column.key, sealed: column.column });
      if (afterKey !== null) query.where(column.key, '>', afterKey);
      return (await query) as SealedValue[];
    },

    /**
     * Replaces one sealed value, only if it is still the one read: a value changed meanwhile (a
     * secret rotated on a running node) is left alone, already sealed by that node. True if replaced.
     */
    async replace(column: SealedColumn, value: SealedValue, resealed: string): Promise<boolean> {
      const changed = await db(column.table)
        .where(column.key, value.rowKey)
        .andWhere(column.column, value.sealed)
        .update({ [column.column]: resealed });
      return Number(changed) === 1;
    },

    /** The database's sealed columns (`*_sealed`), to keep the registry complete. */
    async sealedColumnsInSchema(): Promise<string[]> {
      const rows = (await db('information_schema.columns')
        .whereRaw('table_schema = current_schema()')
        .andWhere('column_name', 'like', '%\\_sealed')
        .select('table_name', 'column_name')) as Array<{ table_name: string; column_name: string }>;
      return rows.map((r) => `${r.table_name}.${r.column_name}`).sort();
    },
  };
}

export type SecretsRepository = ReturnType<typeof createSecretsRepository>;

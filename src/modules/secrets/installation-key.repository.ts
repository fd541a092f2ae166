import type { Db } from '../../platform/db/database.ts';

/** The `installation_keys` table: one sealed random key per name, written once. */
export function createInstallationKeyRepository(db: Db) {
  return {
    /** Stores the key unless the name already has one: nodes starting together keep the first. */
    async insertIfAbsent(name: string, sealed: string, now: Date): Promise<void> {
      await db('installation_keys')
        .insert({ name, key_sealed: sealed, created_at: now })
        .onConflict('name')
        .ignore();
    },

    async sealedKey(name: string): Promise<string | undefined> {
      const row = await db('installation_keys').where({ name }).first('key_sealed');
      return row?.key_sealed as string | undefined;
    },
  };
}

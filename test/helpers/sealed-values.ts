import { SEALED_COLUMNS } from '../../src/modules/secrets/index.ts';
import type { SecretBox } from '../../src/platform/crypto/secret-box.ts';
import type { Database } from '../../src/platform/db/database.ts';

/** Every stored secret in clear, by `table.column:row`: what a key rotation must leave unchanged. */
export async function openAllSealed(db: Database['knex'], box: SecretBox): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const column of SEALED_COLUMNS) {
    const rows = await db(column.table).whereNotNull(column.column).select(column.key, column.column);
    for (const row of rows) {
      const key = String(row[column.key]);
      found.set(
        `${column.table}.${column.column}:${key}`,
        box.open(row[column.column], `${column.table}:${key}`),
      );
    }
  }
  return found;
}

/**
 * Every column that holds a value sealed with the SECRETS_KEY ring (SEC-11). Each value is sealed
 * for its row: the context is `<table>:<row key>`, the same string the owning module uses. A test
 * compares this list with the database's `*_sealed` columns, so a new one cannot be forgotten.
 */
export interface SealedColumn {
  readonly table: string;
  /** The unique column that names the row in the sealing context. */
  readonly key: string;
  readonly column: string;
}

export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'client_credentials', key: 'client_id', column: 'secret_sealed' },
  { table: 'client_credentials', key: 'client_id', column: 'previous_secret_sealed' },
  { table: 'apps', key: 'client_id', column: 'secret_sealed' },
  { table: 'apps', key: 'client_id', column: 'previous_secret_sealed' },
  { table: 'identity_providers', key: 'id', column: 'secret_sealed' },
  { table: 'signing_keys', key: 'kid', column: 'private_jwk_sealed' },
  { table: 'installation_keys', key: 'name', column: 'key_sealed' },
];

export const sealingContext = (column: SealedColumn, rowKey: string) => `${column.table}:${rowKey}`;

export const columnName = (column: SealedColumn) => `${column.table}.${column.column}`;

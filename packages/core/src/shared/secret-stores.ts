/**
 * Where secrets live: every column of the schema that holds a secret, how its rows are keyed, and
 * the context a ciphertext is bound to (`<table>.<column>:<row key>`), so a value copied to another
 * row or column does not decrypt. Secret rotation and the plaintext scan walk this list.
 */
import type { TableName } from '../db/database.generated';

/** One secret-bearing column. */
export interface SecretStore {
  table: TableName;
  column: string;
  /** The column that keys the row in the encryption context. */
  keyColumn: string;
  /** Only rows where this boolean column is true hold secrets (sensitive settings). */
  onlyWhere?: string;
}

/** Every secret-bearing column. */
export const SECRET_STORES: readonly SecretStore[] = [
  { table: 'organization_settings', column: 'value', keyColumn: 'key', onlyWhere: 'is_sensitive' },
  { table: 'gw_credentials', column: 'service_account_key', keyColumn: 'organization_id' },
  { table: 'ms_credentials', column: 'client_secret_encrypted', keyColumn: 'organization_id' },
  { table: 'ms_credentials', column: 'access_token_encrypted', keyColumn: 'organization_id' },
  { table: 'ai_config', column: 'primary_api_key_encrypted', keyColumn: 'organization_id' },
  { table: 'ai_config', column: 'fallback_api_key_encrypted', keyColumn: 'organization_id' },
  { table: 'smtp_settings', column: 'password_encrypted', keyColumn: 'organization_id' },
  { table: 'sso_providers', column: 'client_secret', keyColumn: 'id' },
  { table: 'organization_users', column: 'two_factor_secret', keyColumn: 'id' },
  { table: 'organization_users', column: 'two_factor_backup_codes', keyColumn: 'id' },
  { table: 'user_initial_passwords', column: 'encrypted_password', keyColumn: 'id' },
];

/** The additional data a secret of `table.column` in the row keyed `key` is bound to. */
export function secretContext(table: string, column: string, key: string): string {
  return `${table}.${column}:${key}`;
}

/** The store of `table.column`, or an error if that column is not a registered secret. */
function storeOf(table: string, column: string): SecretStore {
  const store = SECRET_STORES.find((s) => s.table === table && s.column === column);
  if (!store) throw new Error(`${table}.${column} is not a registered secret column`);
  return store;
}

/**
 * Encrypts a secret for `table.column` of the row keyed `key` (see SECRET_STORES for the key column),
 * for the services that write secret columns.
 */
export function sealSecret(
  box: { encrypt(plain: string, context?: string): string },
  table: string,
  column: string,
  key: string,
  plaintext: string,
): string {
  storeOf(table, column);
  return box.encrypt(plaintext, secretContext(table, column, key));
}

/** Decrypts what `sealSecret` made for the same table, column and row key. */
export function openSecret(
  box: { decrypt(sealed: string, context?: string): string },
  table: string,
  column: string,
  key: string,
  sealed: string,
): string {
  storeOf(table, column);
  return box.decrypt(sealed, secretContext(table, column, key));
}

import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.generated';

/**
 * Runs `fn` in a transaction: reuses `db` when it already is one (so services compose inside
 * `helios.transaction`), otherwise opens one that commits when `fn` resolves and rolls back when it throws.
 */
export async function inTransaction<R>(
  db: Kysely<Database>,
  fn: (tx: Transaction<Database>) => Promise<R>,
): Promise<R> {
  if (db.isTransaction) return fn(db as Transaction<Database>);
  return db.transaction().execute(fn);
}

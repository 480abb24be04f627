/**
 * Re-encrypting every stored secret under a new key (`helios secrets rotate`), and finding secrets
 * still stored in clear (for example after adopting a predecessor installation).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.generated';
import { inTransaction } from '../db/transaction';
import type { SecretBox } from './secret-box';
import { SECRET_STORES, type SecretStore, secretContext } from './secret-stores';
import { SHARED_ERRORS } from './shared.errors';

/** Counts of one rotation, per store (`table.column`) and in total. */
export interface RotationResult {
  /** Ciphertexts of an older key, now under the current one. */
  reencrypted: number;
  /** Values found in clear, now encrypted. */
  sealed: number;
  /** Values already under the current key. */
  unchanged: number;
  byStore: Record<string, { reencrypted: number; sealed: number; unchanged: number }>;
  /** The key every secret is now under. */
  keyId: string;
}

/** Progress of a rotation. */
export interface RotationProgress {
  store: string;
  done: number;
  total: number;
}

type AnyDb = Kysely<any>;

async function rowsOf(
  db: AnyDb,
  store: SecretStore,
): Promise<Array<{ key: string; value: string }>> {
  const result = await sql<{ key: string; value: string }>`
    select ${sql.ref(store.keyColumn)}::text as key, ${sql.ref(store.column)} as value
      from ${sql.table(store.table)}
     where ${sql.ref(store.column)} is not null
       ${store.onlyWhere ? sql`and ${sql.ref(store.onlyWhere)} = true` : sql``}
     order by 1`.execute(db);
  return result.rows;
}

/**
 * Re-encrypts every secret under `box`'s current key, in one transaction: ciphertexts of previous
 * keys (which `box` must know, see `createSecretBox(current, previous)`) are decrypted and sealed
 * again, values in clear are sealed, the rest is left alone. A run after a complete one changes nothing.
 *
 * @throws HeliosError PRECONDITION_FAILED `SECRETS.UNKNOWN_KEY` when a ciphertext's key is not given
 *   (nothing is changed)
 * @example
 * ```ts
 * const box = createSecretBox(newKey, [oldKey]);
 * const result = await rotateSecrets(helios.db, box);
 * ```
 */
export async function rotateSecrets(
  db: Kysely<Database>,
  box: SecretBox,
  onProgress?: (p: RotationProgress) => void,
): Promise<RotationResult> {
  return inTransaction(db, async (tx) => {
    const anyTx = tx as unknown as AnyDb;
    await sql`select pg_advisory_xact_lock(hashtext('helios:secrets-rotate'))`.execute(tx);
    const result: RotationResult = {
      reencrypted: 0,
      sealed: 0,
      unchanged: 0,
      byStore: {},
      keyId: box.keyId,
    };
    for (const store of SECRET_STORES) {
      const name = `${store.table}.${store.column}`;
      const counts = { reencrypted: 0, sealed: 0, unchanged: 0 };
      const rows = await rowsOf(anyTx, store);
      let done = 0;
      for (const row of rows) {
        const context = secretContext(store.table, store.column, row.key);
        let next: string | null = null;
        if (box.isCiphertext(row.value)) {
          if (box.keyIdOf(row.value) === box.keyId) counts.unchanged += 1;
          else {
            next = box.encrypt(box.decrypt(row.value, context), context);
            counts.reencrypted += 1;
          }
        } else {
          next = box.encrypt(row.value, context);
          counts.sealed += 1;
        }
        if (next !== null) {
          await sql`update ${sql.table(store.table)} set ${sql.ref(store.column)} = ${next}
                     where ${sql.ref(store.keyColumn)}::text = ${row.key}
                       ${store.onlyWhere ? sql`and ${sql.ref(store.onlyWhere)} = true` : sql``}`.execute(
            anyTx,
          );
        }
        done += 1;
        if (done % 100 === 0 || done === rows.length)
          onProgress?.({ store: name, done, total: rows.length });
      }
      result.byStore[name] = counts;
      result.reencrypted += counts.reencrypted;
      result.sealed += counts.sealed;
      result.unchanged += counts.unchanged;
    }
    return result;
  });
}

/** Secret columns holding values that are not secret-box ciphertexts, with how many rows. */
export async function findPlaintextSecrets(
  db: Kysely<Database>,
  box: Pick<SecretBox, 'isCiphertext'>,
): Promise<Array<{ store: string; rows: number }>> {
  const out: Array<{ store: string; rows: number }> = [];
  for (const store of SECRET_STORES) {
    const rows = await rowsOf(db as unknown as AnyDb, store);
    const plain = rows.filter((r) => !box.isCiphertext(r.value)).length;
    if (plain > 0) out.push({ store: `${store.table}.${store.column}`, rows: plain });
  }
  return out;
}

/** Throws `SECRETS.NO_KEY` unless a secret box is configured. */
export function requireSecretBox(box: SecretBox | null): SecretBox {
  if (!box) {
    throw SHARED_ERRORS.SECRETS_NO_KEY({
      message:
        'Secrets need an encryption key: set HELIOS_ENCRYPTION_KEY (32 bytes, hex or base64).',
    });
  }
  return box;
}

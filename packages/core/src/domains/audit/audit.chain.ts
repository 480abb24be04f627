/**
 * The tamper-evident audit chain. Each `audit_logs` row carries a per-organization `sequence`, the
 * `previous_hash` of the row before it and its own `hash` over its content and the previous hash.
 *
 * - The hash covers the row **as PostgreSQL stored it** (the insert returns the row, the hash is
 *   computed over that and written back in the same transaction), so uuid, inet, timestamptz and
 *   jsonb normalisation (an upper-case uuid, `::FFFF:1.2.3.4`, reordered keys) never break it.
 * - With a key (a dedicated audit key, or one derived from the encryption key with HKDF), the hash is
 *   an HMAC-SHA-256, stored as `hm1:<base64url>`: someone who can write the table but has no key
 *   cannot recompute it. Rows written before (64 hex characters, plain SHA-256) still verify; once a
 *   keyed row is in the chain, every later row must be keyed.
 * - The head (latest sequence and hash) is also kept in `helios_meta.audit_heads`, outside the
 *   table, so deleting the newest rows is detected; export it (`helios audit head`) to keep it
 *   elsewhere and verify against it later.
 *
 * Appends take a transaction-scoped advisory lock, so concurrent writers line up and the chain never
 * forks; the row commits or rolls back with the change it records.
 */
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { Row } from '../../repositories/types';
import { parseEncryptionKey } from '../../shared/secret-box';

/** The hash of the (absent) row before the first one. */
export const GENESIS_HASH = '0'.repeat(64);

/** The prefix of keyed hashes (HMAC-SHA-256, version 1). */
export const KEYED_HASH_PREFIX = 'hm1:';

/** The HKDF label that derives the audit key from the encryption key (never reused elsewhere). */
const AUDIT_KEY_INFO = 'helios/audit-chain/hmac-sha256/v1';

/** The keys of the audit chain: new rows are keyed with `current`; verification accepts any of `all`. */
export interface AuditChainKeys {
  readonly current: Buffer;
  readonly all: readonly Buffer[];
}

/** Where the audit keys come from (createHelios options). */
export interface AuditKeySources {
  /** A dedicated 32-byte audit key (hex or base64, e.g. HELIOS_AUDIT_KEY); wins over the encryption key. */
  auditKey?: string | undefined;
  /** The encryption key: without `auditKey`, the audit key is derived from it with HKDF. */
  encryptionKey?: string | undefined;
  /** Earlier encryption keys: rows keyed with keys derived from them still verify. */
  previousEncryptionKeys?: readonly string[] | undefined;
}

function derive(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), AUDIT_KEY_INFO, 32));
}

/**
 * The audit chain keys, or null when neither an audit key nor an encryption key is configured (the
 * chain is then unkeyed SHA-256, as before).
 * @throws HeliosError INVALID_INPUT `SECRETS.BAD_KEY` when a key is not 32 bytes
 */
export function deriveAuditKeys(sources: AuditKeySources): AuditChainKeys | null {
  const derived = [sources.encryptionKey, ...(sources.previousEncryptionKeys ?? [])]
    .filter((k): k is string => Boolean(k))
    .map((k) => derive(parseEncryptionKey(k)));
  const dedicated = sources.auditKey ? derive(parseEncryptionKey(sources.auditKey)) : null;
  const all = dedicated ? [dedicated, ...derived] : derived;
  if (all.length === 0) return null;
  const unique = all.filter((k, i) => all.findIndex((o) => o.equals(k)) === i);
  return { current: all[0]!, all: unique };
}

/** The content of an audit row that the hash covers. */
export interface ChainedContent {
  sequence: string;
  organizationId: string;
  actorType: string | null;
  actorId: string | null;
  userId: string | null;
  action: string;
  resource: string;
  resourceId: string | null;
  details: unknown;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: Date;
  previousHash: string;
}

/** JSON with object keys sorted, so that jsonb's reordering does not change the hash. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function payloadOf(content: ChainedContent): string {
  return canonicalJson({
    sequence: content.sequence,
    organizationId: content.organizationId,
    actorType: content.actorType,
    actorId: content.actorId,
    userId: content.userId,
    action: content.action,
    resource: content.resource,
    resourceId: content.resourceId,
    details: content.details ?? null,
    ipAddress: content.ipAddress,
    userAgent: content.userAgent,
    createdAt: content.createdAt.toISOString(),
    previousHash: content.previousHash,
  });
}

/** The unkeyed hash of one row's content (rows written without a key, and before keys existed). */
export function hashEntry(content: ChainedContent): string {
  return createHash('sha256').update(payloadOf(content)).digest('hex');
}

/** The keyed hash of one row's content: `hm1:` and the base64url HMAC-SHA-256. */
export function macEntry(content: ChainedContent, key: Buffer): string {
  return `${KEYED_HASH_PREFIX}${createHmac('sha256', key).update(payloadOf(content)).digest('base64url')}`;
}

/** The content of a stored row, exactly as PostgreSQL returns it. */
export function contentOf(row: Row<'audit_logs'>): ChainedContent {
  return {
    sequence: String(row.sequence),
    organizationId: row.organization_id,
    actorType: row.actor_type,
    actorId: row.actor_id,
    userId: row.user_id,
    action: row.action,
    resource: row.resource,
    resourceId: row.resource_id,
    details: row.details,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    createdAt: row.created_at ?? new Date(0),
    previousHash: row.previous_hash ?? '',
  };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What to append. */
export interface AppendInput {
  organizationId: string;
  actorType: 'user' | 'api_key' | 'system';
  actorId: string;
  userId: string | null;
  action: string;
  resource: string;
  resourceId: string | null;
  details: Record<string, unknown>;
  ipAddress?: string | null;
  userAgent?: string | null;
  createdAt: Date;
  /** The chain keys (null or absent: an unkeyed SHA-256 row). */
  keys?: AuditChainKeys | null;
}

/** The head of an organization's chain: its latest sequence and hash. */
export interface AuditHead {
  sequence: string;
  hash: string;
}

/** `<sequence>:<hash>`, the form `helios audit head` prints and `helios audit verify --head` takes. */
export function formatAuditHead(head: AuditHead): string {
  return `${head.sequence}:${head.hash}`;
}

/** Parses `<sequence>:<hash>`; null when it is not one. */
export function parseAuditHead(text: string): AuditHead | null {
  const at = text.indexOf(':');
  if (at < 1) return null;
  const sequence = text.slice(0, at).trim();
  const hash = text.slice(at + 1).trim();
  if (!/^[1-9]\d{0,18}$/.test(sequence)) return null;
  if (!/^[0-9a-f]{64}$/.test(hash) && !/^hm1:[A-Za-z0-9_-]{43}$/.test(hash)) return null;
  return { sequence, hash };
}

/** Appends one row to the chain; `tx` must be a transaction (the lock lasts until it ends). */
export async function appendAuditRow(
  tx: Kysely<Database>,
  input: AppendInput,
): Promise<{ id: string; sequence: string; hash: string }> {
  const lock = await sql<{ anchored: boolean }>`
    select to_regclass('helios_meta.audit_heads') is not null as anchored
      from (select pg_advisory_xact_lock(hashtext(${`helios:audit:${input.organizationId}`}))) as locked`.execute(
    tx,
  );
  const last = await tx
    .selectFrom('audit_logs')
    .select(['sequence', 'hash'])
    .where('organization_id', '=', input.organizationId)
    .where('sequence', 'is not', null)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
  const sequence = String((last?.sequence ? BigInt(last.sequence) : 0n) + 1n);
  const previousHash = last?.hash ?? GENESIS_HASH;
  // Insert first, then hash the row as PostgreSQL stored it (uuid, inet, timestamptz and jsonb
  // normalise what they are given) and write the hash back, in the same transaction.
  const stored = await tx
    .insertInto('audit_logs')
    .values({
      organization_id: input.organizationId,
      user_id: input.userId,
      actor_type: input.actorType,
      actor_id: input.actorId,
      action: input.action,
      resource: input.resource,
      resource_id: input.resourceId,
      details: JSON.stringify(input.details) as never,
      ip_address: input.ipAddress ?? null,
      user_agent: input.userAgent ?? null,
      created_at: input.createdAt,
      sequence,
      previous_hash: previousHash,
      hash: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const content = contentOf(stored);
  const hash = input.keys ? macEntry(content, input.keys.current) : hashEntry(content);
  await tx.updateTable('audit_logs').set({ hash }).where('id', '=', stored.id).execute();
  if (lock.rows[0]?.anchored) {
    await sql`
      insert into helios_meta.audit_heads (organization_id, head_sequence, head_hash, updated_at)
      values (${input.organizationId}::uuid, ${sequence}::bigint, ${hash}, now())
      on conflict (organization_id) do update
        set head_sequence = excluded.head_sequence, head_hash = excluded.head_hash, updated_at = excluded.updated_at`.execute(
      tx,
    );
  }
  return { id: stored.id, sequence, hash };
}

/** Why a chain does not verify. */
export type ChainBreak =
  /** A row's content does not match its hash. */
  | 'hash_mismatch'
  /** A row's `previous_hash` is not the hash of the row before it. */
  | 'link_mismatch'
  /** A sequence number is missing (a row was deleted) or out of order. */
  | 'sequence_gap'
  /** An unkeyed row after a keyed one (a row rewritten without the key). */
  | 'unkeyed_after_keyed'
  /** A keyed row, but none of the configured keys made it (or no key is configured). */
  | 'key_unavailable'
  /**
   * The chain ends on an unkeyed row although a key is configured: it was re-hashed without the key
   * (or nothing was written since the key was configured; the next write clears it).
   */
  | 'unkeyed_head'
  /** The chain ends before the anchored (or given) head: the newest rows were removed. */
  | 'truncated'
  /** The row at the anchored (or given) head's sequence does not carry its hash. */
  | 'head_mismatch';

/** The outcome of `verifyChain`. */
export interface ChainVerification {
  /** True when every chained row recomputes, links to the one before it, and the chain reaches its head. */
  ok: boolean;
  /** Chained rows checked. */
  checked: number;
  /** Of those, rows with a keyed hash (HMAC). */
  keyed: number;
  /** Rows from before the chain existed (adopted installations), not covered. */
  unchained: number;
  /** The sequence of the last chained row. */
  headSequence: string | null;
  /** The hash of the last chained row. */
  headHash: string | null;
  /** The head kept outside the table (helios_meta.audit_heads), or null when none is recorded. */
  anchor: AuditHead | null;
  /** The first row that fails, if any (`id` is null when the row is missing). */
  firstBroken: { sequence: string; id: string | null; reason: ChainBreak } | null;
}

/** Options of `verifyAuditChain`. */
export interface VerifyChainInput {
  /** The chain keys (null: keyed rows cannot be checked and fail with `key_unavailable`). */
  keys?: AuditChainKeys | null;
  /** A head exported earlier (`helios audit head`): the chain must still hold it. */
  head?: AuditHead | null;
}

const BATCH = 1000;

/** Reads the anchored head of an organization's chain (null when none is recorded, or before the table exists). */
export async function readAuditAnchor(
  db: Kysely<Database>,
  organizationId: string,
): Promise<AuditHead | null> {
  const exists = await sql<{
    ok: boolean;
  }>`select to_regclass('helios_meta.audit_heads') is not null as ok`.execute(db);
  if (!exists.rows[0]?.ok) return null;
  const { rows } = await sql<{ head_sequence: string; head_hash: string }>`
    select head_sequence, head_hash from helios_meta.audit_heads where organization_id = ${organizationId}::uuid`.execute(
    db,
  );
  const row = rows[0];
  return row ? { sequence: String(row.head_sequence), hash: row.head_hash } : null;
}

/** Walks the chain in batches, recomputing every hash, then checks it reaches its anchored (and any given) head. */
export async function verifyAuditChain(
  db: Kysely<Database>,
  organizationId: string,
  input: VerifyChainInput = {},
): Promise<ChainVerification> {
  const keys = input.keys ?? null;
  const unchainedRow = await db
    .selectFrom('audit_logs')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('organization_id', '=', organizationId)
    .where('sequence', 'is', null)
    .executeTakeFirstOrThrow();
  const anchor = await readAuditAnchor(db, organizationId);
  let previousHash = GENESIS_HASH;
  let expected = 1n;
  let checked = 0;
  let keyed = 0;
  let after: string | null = null;
  let head: string | null = null;
  let headHash: string | null = null;
  let headId: string | null = null;
  const seen = new Map<string, { id: string; hash: string }>();
  const wanted = new Set(
    [anchor?.sequence, input.head?.sequence].filter((s): s is string => Boolean(s)),
  );
  const result = (firstBroken: ChainVerification['firstBroken']): ChainVerification => ({
    ok: firstBroken === null,
    checked,
    keyed,
    unchained: Number(unchainedRow.n),
    headSequence: head,
    headHash,
    anchor,
    firstBroken,
  });
  for (;;) {
    let query = db
      .selectFrom('audit_logs')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('sequence', 'is not', null)
      .orderBy('sequence', 'asc')
      .limit(BATCH);
    if (after !== null) query = query.where('sequence', '>', after);
    const rows = await query.execute();
    for (const row of rows) {
      const sequence = String(row.sequence);
      const broken = (reason: ChainBreak) => result({ sequence, id: row.id, reason });
      if (BigInt(sequence) !== expected) return broken('sequence_gap');
      if (row.previous_hash !== previousHash) return broken('link_mismatch');
      const stored = row.hash ?? '';
      const content = contentOf(row);
      if (stored.startsWith(KEYED_HASH_PREFIX)) {
        if (!keys) return broken('key_unavailable');
        if (!keys.all.some((key) => sameText(macEntry(content, key), stored))) {
          return broken(keys.all.length > 0 ? 'hash_mismatch' : 'key_unavailable');
        }
        keyed += 1;
      } else {
        if (keyed > 0) return broken('unkeyed_after_keyed');
        if (!sameText(hashEntry(content), stored)) return broken('hash_mismatch');
      }
      previousHash = stored;
      expected += 1n;
      checked += 1;
      head = sequence;
      headHash = stored;
      headId = row.id;
      if (wanted.has(sequence)) seen.set(sequence, { id: row.id, hash: stored });
    }
    if (rows.length < BATCH) break;
    after = head;
  }
  // Re-hashing every row as plain SHA-256 needs no key: with a key configured, the newest row must be keyed.
  if (
    keys &&
    keys.all.length > 0 &&
    head !== null &&
    headHash !== null &&
    !headHash.startsWith(KEYED_HASH_PREFIX)
  ) {
    return result({ sequence: head, id: headId, reason: 'unkeyed_head' });
  }
  for (const target of [anchor, input.head]) {
    if (!target) continue;
    const found = seen.get(target.sequence);
    if (!found) return result({ sequence: target.sequence, id: null, reason: 'truncated' });
    if (!sameText(found.hash, target.hash))
      return result({ sequence: target.sequence, id: found.id, reason: 'head_mismatch' });
  }
  // The anchor moves with every append: a chain that ends later than it was not written by Helios.
  if (anchor && head !== anchor.sequence)
    return result({ sequence: head ?? '0', id: null, reason: 'head_mismatch' });
  return result(null);
}

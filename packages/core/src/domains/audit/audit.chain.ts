/**
 * The tamper-evident audit chain. Each `audit_logs` row carries a per-organization `sequence`, the
 * `previous_hash` of the row before it and its own `hash`: SHA-256 over its content and the previous
 * hash. Appends take a transaction-scoped advisory lock, so concurrent writers line up and the chain
 * never forks; the row commits or rolls back with the change it records.
 */
import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';

/** The hash of the (absent) row before the first one. */
export const GENESIS_HASH = '0'.repeat(64);

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

/** The hash of one row's content. */
export function hashEntry(content: ChainedContent): string {
  const payload = canonicalJson({
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
  return createHash('sha256').update(payload).digest('hex');
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
}

/** Appends one row to the chain; `tx` must be a transaction (the lock lasts until it ends). */
export async function appendAuditRow(tx: Kysely<Database>, input: AppendInput): Promise<{ id: string; sequence: string; hash: string }> {
  await sql`select pg_advisory_xact_lock(hashtext(${`helios:audit:${input.organizationId}`}))`.execute(tx);
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
  // Stored details go through jsonb; hash what comes back out (plain JSON values).
  const details = JSON.parse(JSON.stringify(input.details)) as Record<string, unknown>;
  const content: ChainedContent = {
    sequence,
    organizationId: input.organizationId,
    actorType: input.actorType,
    actorId: input.actorId,
    userId: input.userId,
    action: input.action,
    resource: input.resource,
    resourceId: input.resourceId,
    details,
    ipAddress: input.ipAddress ?? null,
    userAgent: input.userAgent ?? null,
    createdAt: input.createdAt,
    previousHash,
  };
  const hash = hashEntry(content);
  const row = await tx
    .insertInto('audit_logs')
    .values({
      organization_id: input.organizationId,
      user_id: input.userId,
      actor_type: input.actorType,
      actor_id: input.actorId,
      action: input.action,
      resource: input.resource,
      resource_id: input.resourceId,
      details: JSON.stringify(details) as never,
      ip_address: input.ipAddress ?? null,
      user_agent: input.userAgent ?? null,
      created_at: input.createdAt,
      sequence,
      previous_hash: previousHash,
      hash,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, sequence, hash };
}

/** The outcome of `verifyChain`. */
export interface ChainVerification {
  /** True when every chained row recomputes and links to the one before it. */
  ok: boolean;
  /** Chained rows checked. */
  checked: number;
  /** Rows from before the chain existed (adopted installations), not covered. */
  unchained: number;
  /** The sequence of the last chained row. */
  headSequence: string | null;
  /** The first row that fails, if any. */
  firstBroken: { sequence: string; id: string; reason: 'hash_mismatch' | 'link_mismatch' | 'sequence_gap' } | null;
}

const BATCH = 1000;

/** Walks the chain in batches, recomputing every hash. */
export async function verifyAuditChain(db: Kysely<Database>, organizationId: string): Promise<ChainVerification> {
  const unchainedRow = await db
    .selectFrom('audit_logs')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('organization_id', '=', organizationId)
    .where('sequence', 'is', null)
    .executeTakeFirstOrThrow();
  let previousHash = GENESIS_HASH;
  let expected = 1n;
  let checked = 0;
  let after: string | null = null;
  let head: string | null = null;
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
      const broken = (reason: 'hash_mismatch' | 'link_mismatch' | 'sequence_gap'): ChainVerification => ({
        ok: false,
        checked,
        unchained: Number(unchainedRow.n),
        headSequence: head,
        firstBroken: { sequence, id: row.id, reason },
      });
      if (BigInt(sequence) !== expected) return broken('sequence_gap');
      if (row.previous_hash !== previousHash) return broken('link_mismatch');
      const recomputed = hashEntry({
        sequence,
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
      });
      if (recomputed !== row.hash) return broken('hash_mismatch');
      previousHash = row.hash;
      expected += 1n;
      checked += 1;
      head = sequence;
    }
    if (rows.length < BATCH) break;
    after = head;
  }
  return { ok: true, checked, unchained: Number(unchainedRow.n), headSequence: head, firstBroken: null };
}

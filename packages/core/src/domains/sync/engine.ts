/**
 * The provider-neutral directory sync engine (Google Workspace, Microsoft 365): the pieces a run is
 * made of. The run itself, written once for every cloud, is ../integrations/sync-run.ts.
 *
 * A run works on one dedicated database connection held for the whole run:
 * 1. `withSyncLock` takes an in-process guard and a session advisory lock keyed per organization and
 *    kind (`pg_try_advisory_lock`); a second run gets CONFLICT `SYNC.ALREADY_RUNNING` at once. The
 *    in-process guard answers before any connection is asked for, so on the embedded single-connection
 *    database a second run never waits for (or deadlocks on) the connection the first run holds.
 * 2. The provider's pages are streamed into TEMP staging tables on that connection (`insertBatch`:
 *    one multi-row insert per page), outside any transaction: constant memory in Node whatever the
 *    directory size.
 * 3. The plan is computed in SQL (staging vs. stored rows), the safety limit checked
 *    (`assertSafetyLimit`), and for a real run every merge runs in ONE transaction (`inTransactionOn`):
 *    a crash or a killed connection rolls everything back and a re-run converges.
 * 4. The run is journaled (`startJournal`/`finishJournal`): `organization_modules` state and one
 *    audit row per run. A run whose process stopped leaves the state `running`; the next run closes it
 *    as failed (`closeInterruptedRun`) once it holds the lock: holding it proves no run is live.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { isHeliosError } from '../../errors';
import { CORE_ERRORS } from '../../errors/core.errors';
import { assertOutsideTransaction } from '../../shared/external-call';
import { sanitizeText, textProblem } from '../../shared/validation';
import { type AuditChainKeys, appendAuditRow } from '../audit';
import type { Principal } from '../policy/policy';
import { SYNC_ERRORS } from './sync.errors';

/** Progress of a run, reported through `onProgress`. */
export interface SyncProgress {
  /** e.g. `users`, `groups`, `members`, `orgUnits`, `plan`, `apply`. */
  phase: string;
  done: number;
  /** Null while unknown (paged lists do not say how many there are). */
  total: number | null;
  /** Phases `throttled` and `retrying`: what happens, e.g. "throttled, waiting 12 s (users.list, retry 1)". */
  message?: string;
  /** Phases `throttled` and `retrying`: the wait before the retry, in ms. */
  waitMs?: number;
  /** Phases `throttled` and `retrying`: the provider operation retried. */
  operation?: string;
}

/**
 * A value fetched from the provider that could not be stored as it was: its text held NUL
 * characters (dropped) or unpaired UTF-16 surrogates (replaced by U+FFFD). The run went on with the
 * cleaned value.
 */
export interface SanitizedValueWarning {
  code: 'SYNC.TEXT_SANITIZED';
  /** `user`, `group`, `orgUnit`, `member`. */
  entity: string;
  /** The provider's id of the object. */
  id: string;
  /** Dotted paths of the cleaned fields (up to 10). */
  fields: string[];
}

/** A run lists at most this many warnings (the rest are counted in `SyncWarnings.total`). */
export const MAX_SYNC_WARNINGS = 50;

/** The warnings of a run: the first `MAX_SYNC_WARNINGS` and how many there were in all. */
export interface SyncWarnings {
  total: number;
  items: SanitizedValueWarning[];
}

/** A new, empty warning list. */
export function noSyncWarnings(): SyncWarnings {
  return { total: 0, items: [] };
}

/**
 * `value` with every string (and key) made storable; `changed` collects the dotted paths that changed.
 * `path` is a stack of keys, joined only for a change: a value that needs no cleaning (nearly all of
 * them) costs no allocation, which matters on delta pages of 40 000 members.
 */
function cleanValue(value: unknown, path: string[], changed: string[], depth: number): unknown {
  if (typeof value === 'string') {
    if (textProblem(value) === null) return value;
    changed.push(path.join('.'));
    return sanitizeText(value);
  }
  if (typeof value !== 'object' || value === null || depth > 100) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) continue;
      const item: unknown = value[i];
      path.push(String(i));
      const cleaned = cleanValue(item, path, changed, depth + 1);
      path.pop();
      if (cleaned !== item) (out ??= value.slice())[i] = cleaned;
    }
    return out ?? value;
  }
  let out: Record<string, unknown> | null = null;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const item = record[key];
    const safeKey = textProblem(key) === null ? key : sanitizeText(key);
    path.push(safeKey);
    const cleaned = cleanValue(item, path, changed, depth + 1);
    if (safeKey !== key) {
      changed.push(path.join('.'));
      out ??= { ...record };
      delete out[key];
      out[safeKey] = cleaned;
    } else if (cleaned !== item) {
      (out ??= { ...record })[key] = cleaned;
    }
    path.pop();
  }
  return out ?? value;
}

/**
 * Untrusted provider data made storable before it is staged: text without NUL characters and
 * unpaired surrogates (PostgreSQL's text and jsonb take neither), so no fetched value can fail a
 * run. Each object that had to be cleaned adds a `SYNC.TEXT_SANITIZED` warning to `warnings`.
 * Objects that need no cleaning are returned as they are.
 */
export function sanitizeFetched<T>(value: T, entity: string, warnings: SyncWarnings): T {
  const changed: string[] = [];
  const cleaned = cleanValue(value, [], changed, 0) as T;
  if (changed.length === 0) return value;
  warnings.total += 1;
  if (warnings.items.length < MAX_SYNC_WARNINGS) {
    const id = (cleaned as { id?: unknown } | null)?.id;
    warnings.items.push({
      code: 'SYNC.TEXT_SANITIZED',
      entity,
      id: typeof id === 'string' ? id : '',
      fields: changed.slice(0, 10),
    });
  }
  return cleaned;
}

/** What a run did (or would do) to one kind of entity. */
export interface SyncEntityCounts {
  created: number;
  updated: number;
  unchanged: number;
  /** Gone from the provider: marked removed (never deleted). */
  deactivated: number;
}

/** One change of a plan (a sample is returned with every run). */
export interface SyncChange {
  entity: string;
  action: 'create' | 'update' | 'deactivate';
  externalId: string;
  label: string;
}

/** The removal counts the safety limit looks at. */
export interface SyncRemovalCheck {
  entity: string;
  /** Rows currently synced (not already removed). */
  existing: number;
  /** Rows the run would mark removed. */
  removed: number;
}

/** A row of a plan's sample query (`entity`, `action`, `external_id`, `label`). */
export interface SyncChangeRow {
  entity: string;
  action: SyncChange['action'];
  external_id: string;
  label: string;
}

/** Runs a plan's sample query (a union of per-entity selects of {@link SyncChangeRow}) as changes. */
export async function sampleOf(
  conn: Kysely<Database>,
  query: RawBuilder<SyncChangeRow>,
): Promise<SyncChange[]> {
  const rows = await query.execute(conn);
  return rows.rows.map((r) => ({
    entity: r.entity,
    action: r.action,
    externalId: r.external_id,
    label: r.label,
  }));
}

/**
 * The marker merged into a mirror row's `raw_data` when its object is gone from the provider
 * (`{"_helios": {"removedAt": ...}}`): rows are never deleted.
 */
export const removedMarker = (now: Date) =>
  sql`jsonb_build_object('_helios', jsonb_build_object('removedAt', ${now.toISOString()}::text))`;

/** Default safety limit: abort when more than this share of synced rows would be removed. */
export const DEFAULT_MAX_REMOVAL_RATIO = 0.1;

/** Sync error codes (from the registry, sync.errors.ts). */
export const SYNC_ERROR_CODES = {
  ALREADY_RUNNING: SYNC_ERRORS.ALREADY_RUNNING.code,
  SAFETY_LIMIT: SYNC_ERRORS.SAFETY_LIMIT.code,
  /** Journaled (never thrown): a run whose process stopped before it finished. */
  INTERRUPTED: SYNC_ERRORS.INTERRUPTED.code,
} as const;

/** The reason journaled for a run whose process stopped (killed, crashed, restarted) mid-run. */
export const SYNC_INTERRUPTED_REASON = SYNC_ERRORS.INTERRUPTED().message;

/** Runs in progress in this process (answered before any connection is asked for). */
const running = new Set<string>();

/** The advisory lock name of a kind of sync in an organization. */
export function syncLockName(organizationId: string, kind: string): string {
  return `helios:sync:${organizationId}:${kind}`;
}

/**
 * Runs `fn` on a dedicated connection holding the run's lock; releases both afterwards (a killed
 * connection releases the session lock by itself).
 *
 * @throws HeliosError CONFLICT `SYNC.ALREADY_RUNNING` when a run of this kind is in progress (this
 *   process or another); PRECONDITION_FAILED `EXTERNAL.IN_TRANSACTION` when `db` is a transaction
 */
export async function withSyncLock<R>(
  db: Kysely<Database>,
  lock: { organizationId: string; kind: string },
  fn: (conn: Kysely<Database>) => Promise<R>,
): Promise<R> {
  assertOutsideTransaction(db, `${lock.kind} sync`);
  const name = syncLockName(lock.organizationId, lock.kind);
  const busy = () => SYNC_ERRORS.ALREADY_RUNNING({ kind: lock.kind });
  if (running.has(name)) throw busy();
  running.add(name);
  try {
    return await db.connection().execute(async (conn) => {
      const got = await sql<{
        ok: boolean;
      }>`select pg_try_advisory_lock(hashtext(${name})) as ok`.execute(conn);
      if (!got.rows[0]?.ok) throw busy();
      try {
        return await fn(conn);
      } finally {
        await sql`select pg_advisory_unlock(hashtext(${name}))`
          .execute(conn)
          .catch(() => undefined);
      }
    });
  } finally {
    running.delete(name);
  }
}

/**
 * Runs `fn` in a transaction on a connection-bound handle (`begin`/`commit`, `rollback` when it throws).
 */
export async function inTransactionOn<R>(conn: Kysely<Database>, fn: () => Promise<R>): Promise<R> {
  await sql`begin`.execute(conn);
  try {
    const result = await fn();
    await sql`commit`.execute(conn);
    return result;
  } catch (error) {
    await sql`rollback`.execute(conn).catch(() => undefined);
    throw error;
  }
}

/**
 * Inserts rows into a (staging) table with one multi-row statement per `batchSize` rows;
 * duplicates of the primary key are ignored. `table` and `columns` are code constants, never input.
 */
export async function insertBatch(
  conn: Kysely<Database>,
  table: string,
  columns: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
  batchSize = 500,
): Promise<void> {
  for (let start = 0; start < rows.length; start += batchSize) {
    const chunk = rows.slice(start, start + batchSize);
    if (chunk.length === 0) continue;
    const values = sql.join(
      chunk.map((row) => sql`(${sql.join(row.map((value) => sql`${value}`))})`),
    );
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) values ${values} on conflict do nothing`.execute(
      conn,
    );
  }
}

/** Runs a statement returning one row of numbers and converts them. */
export async function countsOf<K extends string>(
  conn: Kysely<Database>,
  query: RawBuilder<Record<K, unknown>>,
): Promise<Record<K, number>> {
  const row = (await query.execute(conn)).rows[0] ?? ({} as Record<K, unknown>);
  const out = {} as Record<K, number>;
  for (const [key, value] of Object.entries(row)) out[key as K] = Number(value ?? 0);
  return out;
}

/**
 * Refuses a run that would remove more than `maxRemovalRatio` of the synced rows of an entity.
 *
 * @throws HeliosError PRECONDITION_FAILED `SYNC.SAFETY_LIMIT` (details: the counts and the limit)
 */
export function assertSafetyLimit(
  checks: SyncRemovalCheck[],
  options: { maxRemovalRatio?: number; allowLargeRemovals?: boolean } = {},
): void {
  if (options.allowLargeRemovals) return;
  const ratio = options.maxRemovalRatio ?? DEFAULT_MAX_REMOVAL_RATIO;
  const over = checks.filter((c) => c.existing > 0 && c.removed / c.existing > ratio);
  if (over.length === 0) return;
  throw SYNC_ERRORS.SAFETY_LIMIT({ over, ratio, removals: checks });
}

/** Where a run is journaled. */
export interface SyncJournal {
  organizationId: string;
  /** `modules.slug`, e.g. `google_workspace`. */
  moduleSlug: string;
  /** The audit action, e.g. `google_workspace.sync`. */
  action: string;
  principal: Principal;
  /** The audit chain keys of the Helios instance (null: unkeyed rows). */
  auditKeys?: AuditChainKeys | null;
}

/** Sets the module's sync state (`organization_modules`; nothing when the module is unknown). */
export async function setModuleSyncState(
  conn: Kysely<Database>,
  journal: SyncJournal,
  state: { status: 'running' | 'completed' | 'failed'; at: Date; error?: string | null },
): Promise<void> {
  const lastSync = state.status === 'completed' ? state.at : null;
  await sql`
    insert into organization_modules (organization_id, module_id, sync_status, sync_error, last_sync_at)
    select ${journal.organizationId}::uuid, m.id, ${state.status}, ${state.error ?? null}, ${lastSync}::timestamptz
    from modules m where m.slug = ${journal.moduleSlug}
    on conflict (organization_id, module_id) do update set
      sync_status = excluded.sync_status,
      sync_error = excluded.sync_error,
      last_sync_at = coalesce(excluded.last_sync_at, organization_modules.last_sync_at)`.execute(
    conn,
  );
}

/** Appends the run's audit row (call inside a transaction on `conn`). */
export async function auditRun(
  conn: Kysely<Database>,
  journal: SyncJournal,
  details: Record<string, unknown>,
  at: Date,
): Promise<void> {
  await appendAuditRow(conn, {
    organizationId: journal.organizationId,
    actorType: journal.principal.auditType,
    actorId: journal.principal.auditId,
    userId: journal.principal.userId,
    action: journal.action,
    resource: journal.moduleSlug,
    resourceId: null,
    details,
    createdAt: at,
    keys: journal.auditKeys ?? null,
  });
}

/** Marks the run started (module state `running`), in its own transaction. */
export async function startJournal(
  conn: Kysely<Database>,
  journal: SyncJournal,
  at: Date,
): Promise<void> {
  await inTransactionOn(conn, () => setModuleSyncState(conn, journal, { status: 'running', at }));
}

/**
 * Closes the journal of a run whose process stopped (state still `running`): module state `failed`
 * with `SYNC.INTERRUPTED` and the reason, and the run's failed audit row, in one transaction. Call
 * only while holding the run's lock (`withSyncLock`): then no run of this kind is live anywhere.
 *
 * @returns whether a run was closed
 */
export async function closeInterruptedRun(
  conn: Kysely<Database>,
  journal: SyncJournal,
  at: Date,
): Promise<boolean> {
  const code = SYNC_ERROR_CODES.INTERRUPTED;
  return inTransactionOn(conn, async () => {
    const closed = await sql<{ id: string }>`
      update organization_modules om set sync_status = 'failed', sync_error = ${`${code}: ${SYNC_INTERRUPTED_REASON}`}
      from modules m
      where m.id = om.module_id and m.slug = ${journal.moduleSlug} and om.organization_id = ${journal.organizationId}::uuid
        and om.sync_status = 'running'
      returning om.id`.execute(conn);
    if (closed.rows.length === 0) return false;
    await auditRun(
      conn,
      journal,
      { status: 'failed', interrupted: true, error: { code, message: SYNC_INTERRUPTED_REASON } },
      at,
    );
    return true;
  });
}

/**
 * Closes, at start-up, the runs of `kinds` left `running` by a stopped process (all organizations):
 * for each, takes the run's lock (`withSyncLock`, kind = module slug) and `closeInterruptedRun`s it as
 * the system; a run whose lock is held (live in another process) is left alone.
 *
 * @returns the number of runs closed
 */
export async function closeInterruptedSyncRuns(
  db: Kysely<Database>,
  kinds: ReadonlyArray<{ moduleSlug: string; action: string }>,
  at: Date,
): Promise<number> {
  if (kinds.length === 0) return 0;
  const stale = await sql<{ organization_id: string; slug: string }>`
    select om.organization_id, m.slug from organization_modules om join modules m on m.id = om.module_id
    where om.sync_status = 'running' and m.slug in (${sql.join(kinds.map((k) => k.moduleSlug))})`.execute(
    db,
  );
  const principal: Principal = {
    actor: { type: 'system', name: 'sync-recovery' },
    userId: null,
    role: null,
    isAdministrator: true,
    auditType: 'system',
    auditId: 'sync-recovery',
  };
  let closed = 0;
  for (const row of stale.rows) {
    const kind = kinds.find((k) => k.moduleSlug === row.slug);
    if (!kind) continue;
    const journal: SyncJournal = {
      organizationId: row.organization_id,
      moduleSlug: kind.moduleSlug,
      action: kind.action,
      principal,
    };
    try {
      if (
        await withSyncLock(
          db,
          { organizationId: row.organization_id, kind: kind.moduleSlug },
          (conn) => closeInterruptedRun(conn, journal, at),
        )
      )
        closed++;
    } catch (error) {
      if (!SYNC_ERRORS.ALREADY_RUNNING.is(error)) throw error;
    }
  }
  return closed;
}

/** Records a failed run: module state `failed` with the error, and the audit row. Never throws. */
export async function failJournal(
  conn: Kysely<Database>,
  journal: SyncJournal,
  error: unknown,
  details: Record<string, unknown>,
  at: Date,
): Promise<void> {
  const code = isHeliosError(error) ? error.code : CORE_ERRORS.INTERNAL_UNEXPECTED.code;
  const message = error instanceof Error ? error.message : String(error);
  try {
    await inTransactionOn(conn, async () => {
      await setModuleSyncState(conn, journal, {
        status: 'failed',
        at,
        error: `${code}: ${message}`.slice(0, 2000),
      });
      await auditRun(conn, journal, { ...details, status: 'failed', error: { code, message } }, at);
    });
  } catch {
    // The journal must not hide the run's own error.
  }
}

/** Calls `fn` with bounded concurrency over `items`. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

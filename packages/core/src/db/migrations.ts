import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompiledQuery, type Kysely, sql } from 'kysely';
import { HeliosError } from '../errors';
import { DB_ERRORS } from './db.errors';
import { BASELINE_VERSION, schemaDir } from './schema-files';

// Migrations run before the typed schema is current: any Kysely handle will do.
type AnyDb = Kysely<any>;

/**
 * How a step of a migration runs (marked `-- @step KIND` in the file; the part before the first
 * marker is a `transaction` step):
 * - `transaction`: its statements in one transaction, with `lock_timeout` and `statement_timeout` set;
 * - `concurrently`: `CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS name ...` statements, each on
 *   its own outside any transaction; an invalid index left by an interrupted build is dropped and built again;
 * - `batch`: one `UPDATE ... RETURNING <key> AS key` statement, run again and again (each run its own
 *   transaction) with `$1` the last key done (null at first) and `$2` the batch size, until it
 *   updates no row.
 * On the embedded database (one connection, no other session to block) a whole migration runs in one
 * transaction, its indexes built plainly.
 */
export type MigrationStepKind = 'transaction' | 'concurrently' | 'batch';

/** One step of a migration: how it runs (in a transaction, concurrently, in batches). */
export interface MigrationStep {
  kind: MigrationStepKind;
  /** The step's SQL as written (comments included). */
  sql: string;
  /** Its statements, without comments and trailing semicolons. */
  statements: string[];
  /** The line of the file where the step starts (1-based). */
  line: number;
}

/** One numbered file of `database/migrations`. */
export interface Migration {
  version: number;
  /** The file name without number and extension: `0002_audit_chain_columns.sql` -> `audit_chain_columns`. */
  name: string;
  file: string;
  /** SHA-256 (hex) of the file's text with LF line ends: what `schema_versions.checksum` records. */
  checksum: string;
  steps: MigrationStep[];
}

/** A version as recorded in helios_meta.schema_versions. */
export interface AppliedVersion {
  version: number;
  name: string;
  method: string;
  appliedAt: Date;
  checksum: string | null;
}

/** Where a database stands against the migrations this code ships. */
export interface MigrationState {
  /** The newest version recorded in the database (null when none is). */
  version: number | null;
  /** The newest version this code knows (the baseline when there is no migration). */
  latestVersion: number;
  applied: AppliedVersion[];
  /** Migrations not yet applied, oldest first. */
  pending: Array<{ version: number; name: string; steps: MigrationStepKind[] }>;
  /** Versions recorded in the database that this code does not know (the database is ahead). */
  ahead: number[];
  /** Applied migrations whose file changed since (checksum drift). */
  drifted: Array<{ version: number; name: string; recorded: string; file: string }>;
}

/** Progress of an upgrade, for progress bars. */
export interface UpgradeProgress {
  step: string;
  done: number;
  total: number;
}

/** Options of `upgradeSchema`. */
export interface UpgradeOptions {
  /** List the pending migrations and change nothing. */
  dryRun?: boolean;
  /**
   * How long a statement may wait for a lock before the step is rolled back and retried (default 500 ms):
   * while it waits, the table's readers and writers queue behind it, so this bounds how long they are blocked.
   * Concurrent index builds, which block nobody while they wait, wait up to `statementTimeoutMs`.
   */
  lockTimeoutMs?: number;
  /** How long one statement may run (default 600,000 ms; index builds and validations scan big tables). */
  statementTimeoutMs?: number;
  /** Retries of a step that timed out waiting for a lock, with a growing pause (default 20). */
  lockRetries?: number;
  /** Rows per batch of a `batch` step (default 5,000). */
  batchSize?: number;
  /** Another folder of numbered migrations (tests and benchmarks; default the schema folder's `migrations`). */
  migrationsDir?: string;
  /** Called after each step, for progress bars. */
  onProgress?: (progress: UpgradeProgress) => void;
}

/** What `upgradeSchema` did. */
export interface UpgradeResult {
  action: 'upgraded' | 'up-to-date' | 'dry-run';
  fromVersion: number;
  toVersion: number;
  /** The migrations applied (or, for a dry run, that would be), oldest first. */
  migrations: Array<{
    version: number;
    name: string;
    steps: MigrationStepKind[];
    durationMs?: number;
  }>;
  durationMs: number;
  message: string;
}

/** The advisory lock key that serializes every installer run (install, adopt, upgrade) on a database. */
export const INSTALLER_LOCK = 'helios:installer';

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const STEP_MARKER = /^--\s*@step\s+(\w+)\s*$/;

/** The folder of numbered migrations: `migrations` next to the schema file. */
export function migrationsDir(): string {
  return join(schemaDir(), 'migrations');
}

/** SHA-256 of a migration's text, line ends normalized to LF. */
export function migrationChecksum(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex');
}

/**
 * Reads and parses every migration of `dir`, oldest first.
 *
 * @throws HeliosError `UPGRADE.BAD_MIGRATION` for a badly named file, a gap or a repeat in the numbers, an unknown step kind.
 */
export function loadMigrations(dir: string = migrationsDir()): Migration[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const migrations = files.map((file) =>
    parseMigration(file, readFileSync(join(dir, file), 'utf8')),
  );
  migrations.forEach((m, i) => {
    const expected = BASELINE_VERSION + 1 + i;
    if (m.version !== expected) {
      throw DB_ERRORS.UPGRADE_BAD_MIGRATION({
        message: `Migration ${m.file} should be numbered ${String(expected).padStart(4, '0')} (numbers run from 0002 without gaps)`,
      });
    }
  });
  return migrations;
}

/** Parses one migration file (`NNNN_name.sql`) into its steps. */
export function parseMigration(file: string, text: string): Migration {
  const match = FILE_NAME.exec(file);
  if (!match)
    throw DB_ERRORS.UPGRADE_BAD_MIGRATION({
      message: `Migration file ${file} is not named NNNN_snake_case_name.sql`,
    });
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const steps: MigrationStep[] = [];
  let current: { kind: MigrationStepKind; lines: string[]; line: number } = {
    kind: 'transaction',
    lines: [],
    line: 1,
  };
  const flush = () => {
    const body = current.lines.join('\n');
    const statements = splitStatements(body);
    if (statements.length > 0)
      steps.push({ kind: current.kind, sql: body, statements, line: current.line });
  };
  lines.forEach((line, i) => {
    const marker = STEP_MARKER.exec(line.trim());
    if (!marker) {
      current.lines.push(line);
      return;
    }
    const kind = marker[1] as MigrationStepKind;
    if (!['transaction', 'concurrently', 'batch'].includes(kind)) {
      throw DB_ERRORS.UPGRADE_BAD_MIGRATION({
        message: `${file}:${i + 1}: unknown step kind "${kind}" (transaction, concurrently or batch)`,
      });
    }
    flush();
    current = { kind, lines: [], line: i + 1 };
  });
  flush();
  if (steps.length === 0)
    throw DB_ERRORS.UPGRADE_BAD_MIGRATION({ message: `Migration ${file} has no statement` });
  return {
    version: Number(match[1]),
    name: match[2]!,
    file,
    checksum: migrationChecksum(text),
    steps,
  };
}

/**
 * Splits SQL into statements at semicolons outside quotes, dollar-quoted bodies and comments;
 * comments are dropped, whitespace trimmed.
 */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const next = text[i + 1];
    if (ch === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
      continue;
    }
    if (ch === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
      current += ' ';
      continue;
    }
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < text.length) {
        if (text[j] === ch) {
          if (text[j + 1] === ch) j += 2;
          else break;
        } else j++;
      }
      current += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i));
      if (tag) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        const stop = end === -1 ? text.length : end + tag[0].length;
        current += text.slice(i, stop);
        i = stop;
        continue;
      }
    }
    if (ch === ';') {
      if (current.trim()) out.push(current.trim());
      current = '';
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

/** The versions recorded in helios_meta.schema_versions, with checksums where the column exists. */
export async function readAppliedVersions(db: AnyDb): Promise<AppliedVersion[]> {
  const { rows: meta } = await sql<{ versions: boolean; checksum: boolean }>`
    select to_regclass('helios_meta.schema_versions') is not null as versions,
           exists (select 1 from information_schema.columns
                    where table_schema = 'helios_meta' and table_name = 'schema_versions' and column_name = 'checksum') as checksum`.execute(
    db,
  );
  if (!meta[0]?.versions) return [];
  const { rows } = await sql<{
    version: number;
    name: string;
    method: string;
    applied_at: Date;
    checksum: string | null;
  }>`
    select version, name, method, applied_at, ${meta[0].checksum ? sql`checksum` : sql`null::text`} as checksum
      from helios_meta.schema_versions order by version`.execute(db);
  return rows.map((r) => ({
    version: Number(r.version),
    name: r.name,
    method: r.method,
    appliedAt: new Date(r.applied_at),
    checksum: r.checksum,
  }));
}

/** Compares the recorded versions with the migrations: what is pending, ahead, or changed since applied. */
export function compareVersions(
  applied: AppliedVersion[],
  migrations: Migration[],
): MigrationState {
  const byVersion = new Map(applied.map((a) => [a.version, a]));
  const known = new Set([BASELINE_VERSION, ...migrations.map((m) => m.version)]);
  const latestVersion = migrations.at(-1)?.version ?? BASELINE_VERSION;
  const drifted: MigrationState['drifted'] = [];
  for (const m of migrations) {
    const a = byVersion.get(m.version);
    if (a?.checksum && a.checksum !== m.checksum)
      drifted.push({ version: m.version, name: m.name, recorded: a.checksum, file: m.checksum });
  }
  return {
    version: applied.at(-1)?.version ?? null,
    latestVersion,
    applied,
    pending: migrations
      .filter((m) => !byVersion.has(m.version))
      .map((m) => ({ version: m.version, name: m.name, steps: m.steps.map((s) => s.kind) })),
    ahead: applied.filter((a) => !known.has(a.version)).map((a) => a.version),
    drifted,
  };
}

/** Where the database stands against the migrations (reads only). */
export async function migrationState(
  db: AnyDb,
  options: { migrationsDir?: string } = {},
): Promise<MigrationState> {
  return compareVersions(await readAppliedVersions(db), loadMigrations(options.migrationsDir));
}

/** The error for a database ahead of this code. */
export function aheadError(state: MigrationState): HeliosError {
  return DB_ERRORS.SCHEMA_AHEAD(
    {
      message: `The database is at schema version ${state.version}, ahead of this Helios (schema version ${state.latestVersion}): run a Helios release that knows version ${state.version}`,
    },
    {
      details: {
        databaseVersion: state.version,
        codeVersion: state.latestVersion,
        unknownVersions: state.ahead,
      },
    },
  );
}

/** The error for a database behind this code. */
export function behindError(state: MigrationState): HeliosError {
  return DB_ERRORS.SCHEMA_BEHIND(
    {
      message: `The database is at schema version ${state.version}, behind this Helios (schema version ${state.latestVersion}; ${state.pending.length} migration(s) pending): run \`helios db upgrade\` (or start with HELIOS_AUTO_UPGRADE=true)`,
    },
    {
      details: {
        databaseVersion: state.version,
        codeVersion: state.latestVersion,
        pending: state.pending.map((p) => p.version),
      },
    },
  );
}

function driftError(state: MigrationState): HeliosError {
  return DB_ERRORS.UPGRADE_CHECKSUM_DRIFT(
    {
      message: `Refusing to upgrade: applied migration(s) changed since they were applied: ${state.drifted
        .map(
          (d) =>
            `${String(d.version).padStart(4, '0')}_${d.name} (recorded ${d.recorded.slice(0, 12)}, file ${d.file.slice(0, 12)})`,
        )
        .join(
          ', ',
        )}. An applied migration must never be edited: restore it and put the change in a new migration.`,
    },
    { details: { drifted: state.drifted } },
  );
}

/** True on the embedded PGlite database (one connection: nothing to block, nothing runs concurrently). */
export async function isEmbeddedDatabase(db: AnyDb): Promise<boolean> {
  const { rows } = await sql<{ v: string }>`select version() as v`.execute(db);
  return /PGlite/i.test(rows[0]?.v ?? '');
}

const CONCURRENT_INDEX =
  /^create\s+(?:unique\s+)?index\s+concurrently\s+if\s+not\s+exists\s+("?)([A-Za-z_][\w$]*)\1\s+on\s/i;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Applies the pending migrations, oldest first, each under the installer's advisory lock and
 * recorded in helios_meta.schema_versions with its checksum. Transactional steps run with
 * `lock_timeout` and `statement_timeout` and are retried when they time out waiting for a lock;
 * concurrent index builds and batched backfills run outside a long transaction and resume where
 * they stopped when the upgrade is run again.
 *
 * @throws HeliosError `UPGRADE.NOT_INSTALLED` (install or adopt first), `UPGRADE.CHECKSUM_DRIFT`
 *   (an applied migration was edited), `SCHEMA.AHEAD` (the database is newer than this code),
 *   `UPGRADE.LOCK_TIMEOUT`, `UPGRADE.SQL_FAILED` (the failing migration is named; those before it stay applied).
 * @example
 * ```ts
 * const plan = await upgradeSchema(db, { dryRun: true });
 * console.log(plan.message); // "2 migration(s) pending: 0006_..., 0007_..."
 * await upgradeSchema(db);
 * ```
 */
export async function upgradeSchema(
  db: AnyDb,
  options: UpgradeOptions = {},
): Promise<UpgradeResult> {
  const started = performance.now();
  const migrations = loadMigrations(options.migrationsDir);
  const settings = {
    lockTimeoutMs: options.lockTimeoutMs ?? 500,
    statementTimeoutMs: options.statementTimeoutMs ?? 600_000,
    lockRetries: options.lockRetries ?? 20,
    batchSize: options.batchSize ?? 5_000,
  };
  return db.connection().execute(async (conn) => {
    const locked = !options.dryRun;
    if (locked) {
      await sql`set lock_timeout = 0`.execute(conn);
      await sql`select pg_advisory_lock(hashtext(${INSTALLER_LOCK}))`.execute(conn);
    }
    try {
      const installed = await sql<{
        ok: boolean;
      }>`select to_regclass('helios_meta.schema_versions') is not null as ok`.execute(conn);
      if (!installed.rows[0]?.ok) {
        throw DB_ERRORS.UPGRADE_NOT_INSTALLED({
          message:
            'No Helios schema to upgrade: run `helios db install` (empty database) or `helios db adopt` (predecessor) first',
        });
      }
      const state = compareVersions(await readAppliedVersions(conn), migrations);
      if (state.ahead.length > 0) throw aheadError(state);
      if (state.drifted.length > 0) throw driftError(state);
      const from = state.version ?? BASELINE_VERSION;
      const newestApplied = Math.max(...state.applied.map((a) => a.version));
      const early = state.pending.filter((p) => p.version < newestApplied);
      if (early.length > 0) {
        throw DB_ERRORS.UPGRADE_OUT_OF_ORDER(
          {
            message: `Refusing to upgrade: migration(s) ${early.map((p) => p.version).join(', ')} are older than the applied version ${newestApplied}; renumber them after it`,
          },
          { details: { pending: early.map((p) => p.version), newestApplied } },
        );
      }
      const pending = migrations.filter((m) => state.pending.some((p) => p.version === m.version));
      const listed = pending.map((m) => ({
        version: m.version,
        name: m.name,
        steps: m.steps.map((s) => s.kind),
      }));
      const names = pending.map((m) => m.file.replace(/\.sql$/, '')).join(', ');
      if (options.dryRun) {
        return {
          action: 'dry-run' as const,
          fromVersion: from,
          toVersion: state.latestVersion,
          migrations: listed,
          durationMs: performance.now() - started,
          message:
            pending.length === 0
              ? `Up to date (schema version ${from}); nothing to do`
              : `${pending.length} migration(s) pending (version ${from} -> ${state.latestVersion}): ${names}`,
        };
      }
      await bootstrapMeta(conn);
      // Versions recorded without a checksum (by the schema file, or before checksums) get theirs now.
      for (const m of migrations) {
        if (state.applied.some((a) => a.version === m.version && a.checksum === null)) {
          await sql`update helios_meta.schema_versions set checksum = ${m.checksum} where version = ${m.version} and checksum is null`.execute(
            conn,
          );
        }
      }
      if (pending.length === 0) {
        return {
          action: 'up-to-date' as const,
          fromVersion: from,
          toVersion: from,
          migrations: [],
          durationMs: performance.now() - started,
          message: `Up to date (schema version ${from}); nothing to do`,
        };
      }
      const embedded = await isEmbeddedDatabase(conn);
      const applied: UpgradeResult['migrations'] = [];
      for (const m of pending) {
        const t0 = performance.now();
        await applyMigration(conn, m, embedded, settings, options.onProgress);
        applied.push({
          version: m.version,
          name: m.name,
          steps: m.steps.map((s) => s.kind),
          durationMs: performance.now() - t0,
        });
      }
      return {
        action: 'upgraded' as const,
        fromVersion: from,
        toVersion: pending.at(-1)!.version,
        migrations: applied,
        durationMs: performance.now() - started,
        message: `Upgraded the schema from version ${from} to ${pending.at(-1)!.version}: ${names}`,
      };
    } finally {
      if (locked) {
        await sql`rollback`.execute(conn).catch(() => {});
        await sql`select pg_advisory_unlock(hashtext(${INSTALLER_LOCK}))`
          .execute(conn)
          .catch(() => {});
        await sql`reset lock_timeout`.execute(conn).catch(() => {});
        await sql`reset statement_timeout`.execute(conn).catch(() => {});
      }
    }
  });
}

/** The bookkeeping an installation from before numbered migrations lacks. */
async function bootstrapMeta(conn: AnyDb): Promise<void> {
  await sql`begin`.execute(conn);
  try {
    await sql`alter table helios_meta.schema_versions add column if not exists checksum text`.execute(
      conn,
    );
    await sql`create table if not exists helios_meta.schema_steps (
      version integer NOT NULL,
      step integer NOT NULL,
      checksum text NOT NULL,
      finished_at timestamp with time zone NOT NULL DEFAULT now(),
      PRIMARY KEY (version, step)
    )`.execute(conn);
    await sql`commit`.execute(conn);
  } catch (error) {
    await sql`rollback`.execute(conn).catch(() => {});
    throw error;
  }
}

interface Settings {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  lockRetries: number;
  batchSize: number;
}

async function setTimeouts(conn: AnyDb, settings: Settings, local: boolean): Promise<void> {
  const scope = local ? sql`local ` : sql``;
  await sql`set ${scope}lock_timeout = ${sql.lit(`${settings.lockTimeoutMs}ms`)}`.execute(conn);
  await sql`set ${scope}statement_timeout = ${sql.lit(`${settings.statementTimeoutMs}ms`)}`.execute(
    conn,
  );
}

/** Runs `fn` in a transaction with the timeouts set; retried (after rollback) when it times out on a lock. */
async function inTransaction(
  conn: AnyDb,
  settings: Settings,
  label: string,
  fn: () => Promise<void>,
): Promise<void> {
  await withLockRetries(settings, label, async () => {
    await sql`begin`.execute(conn);
    try {
      await setTimeouts(conn, settings, true);
      await fn();
      await sql`commit`.execute(conn);
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw error;
    }
  });
}

async function withLockRetries(
  settings: Settings,
  label: string,
  fn: () => Promise<void>,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fn();
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '55P03') throw error;
      if (attempt >= settings.lockRetries) {
        throw DB_ERRORS.UPGRADE_LOCK_TIMEOUT(
          {
            message: `${label}: could not get its lock within ${settings.lockTimeoutMs} ms, ${attempt + 1} times; the database is busy: run \`helios db upgrade\` again later (it resumes)`,
          },
          { cause: error, retryable: true },
        );
      }
      await sleep(Math.min(200 * 2 ** attempt, 5_000) * (0.5 + Math.random() / 2));
    }
  }
}

async function applyMigration(
  conn: AnyDb,
  m: Migration,
  embedded: boolean,
  settings: Settings,
  onProgress: UpgradeOptions['onProgress'],
): Promise<void> {
  const label = m.file.replace(/\.sql$/, '');
  const record = () =>
    sql`insert into helios_meta.schema_versions (version, name, method, checksum) values (${m.version}, ${m.name}, 'upgrade', ${m.checksum})`.execute(
      conn,
    );
  try {
    if (embedded) {
      // One connection, no other session: the whole migration in one transaction, indexes built plainly.
      onProgress?.({ step: label, done: 0, total: m.steps.length });
      await sql`begin`.execute(conn);
      try {
        for (const step of m.steps) {
          if (step.kind === 'transaction') await sql.raw(step.sql).execute(conn);
          else if (step.kind === 'concurrently') {
            for (const statement of step.statements)
              await sql.raw(statement.replace(/\s+concurrently\s+/i, ' ')).execute(conn);
          } else await runBatches(conn, step, settings);
        }
        await record();
        await sql`commit`.execute(conn);
      } catch (error) {
        await sql`rollback`.execute(conn).catch(() => {});
        throw error;
      }
      onProgress?.({ step: label, done: m.steps.length, total: m.steps.length });
      return;
    }
    // Steps finished by an earlier, interrupted run of this same file are skipped.
    const finished = await sql<{ step: number }>`
      select step from helios_meta.schema_steps where version = ${m.version} and checksum = ${m.checksum}`.execute(
      conn,
    );
    const done = new Set(finished.rows.map((r) => Number(r.step)));
    await sql`delete from helios_meta.schema_steps where version = ${m.version} and checksum <> ${m.checksum}`.execute(
      conn,
    );
    const markStep = (index: number) =>
      sql`insert into helios_meta.schema_steps (version, step, checksum) values (${m.version}, ${index}, ${m.checksum}) on conflict do nothing`.execute(
        conn,
      );
    for (const [index, step] of m.steps.entries()) {
      onProgress?.({
        step: `${label}: step ${index + 1}/${m.steps.length} (${step.kind})`,
        done: index,
        total: m.steps.length,
      });
      if (done.has(index)) continue;
      const last = index === m.steps.length - 1;
      const where = `${label} step ${index + 1} (${step.kind})`;
      if (step.kind === 'transaction') {
        await inTransaction(conn, settings, where, async () => {
          await sql.raw(step.sql).execute(conn);
          if (last) await record();
          else await markStep(index);
        });
        if (last) break;
        continue;
      }
      if (step.kind === 'concurrently') {
        // SHARE UPDATE EXCLUSIVE and the waits for older transactions block no reader or writer: no short lock timeout.
        await setTimeouts(conn, { ...settings, lockTimeoutMs: settings.statementTimeoutMs }, false);
        try {
          for (const statement of step.statements)
            await buildIndexConcurrently(conn, statement, settings, where);
        } finally {
          await sql`reset lock_timeout`.execute(conn);
          await sql`reset statement_timeout`.execute(conn);
        }
      } else {
        await runBatches(conn, step, settings, where);
      }
      await markStep(index);
    }
    if (m.steps.at(-1)!.kind !== 'transaction') {
      await inTransaction(conn, settings, `${label} record`, async () => {
        await record();
      });
    }
    await sql`delete from helios_meta.schema_steps where version = ${m.version}`.execute(conn);
    onProgress?.({ step: label, done: m.steps.length, total: m.steps.length });
  } catch (error) {
    if (error instanceof HeliosError) throw error;
    const e = error as { code?: string; message?: string };
    throw DB_ERRORS.UPGRADE_SQL_FAILED(
      {
        message: `Migration ${label} failed (${e.code ?? 'error'}): ${e.message}; the migrations before it stay applied, its finished steps are kept and \`helios db upgrade\` resumes from the failed one`,
      },
      {
        cause: error,
        details: { version: m.version, name: m.name, ...(e.code ? { sqlState: e.code } : {}) },
      },
    );
  }
}

/** CREATE INDEX CONCURRENTLY, first dropping an invalid index an interrupted build left behind. */
async function buildIndexConcurrently(
  conn: AnyDb,
  statement: string,
  settings: Settings,
  label: string,
): Promise<void> {
  const name = CONCURRENT_INDEX.exec(statement)?.[2];
  await withLockRetries(settings, label, async () => {
    if (name) {
      const { rows } = await sql<{ valid: boolean }>`
        select x.indisvalid as valid from pg_index x where x.indexrelid = to_regclass(${name})`.execute(
        conn,
      );
      if (rows[0] && !rows[0].valid)
        await sql`drop index concurrently if exists ${sql.id(name)}`.execute(conn);
    }
    await sql.raw(statement).execute(conn);
  });
}

/** Runs a batch step until it updates no row; each batch is its own transaction (outside embedded mode). */
async function runBatches(
  conn: AnyDb,
  step: MigrationStep,
  settings: Settings,
  label?: string,
): Promise<void> {
  const statement = step.statements[0]!;
  const wrapped = `with batch as (${statement}) select (count(*) over ())::int as n, key::text as last from batch order by key desc limit 1`;
  let last: string | null = null;
  for (;;) {
    let row: { n: number; last: string } | undefined;
    const run = async () => {
      const result = await conn.executeQuery<{ n: number; last: string }>(
        CompiledQuery.raw(wrapped, [last, settings.batchSize]),
      );
      row = result.rows[0];
    };
    if (label) await inTransaction(conn, settings, label, run);
    else await run();
    if (!row || row.n === 0) return;
    last = row.last;
  }
}

import { type Kysely, sql, type Transaction } from 'kysely';
import { HeliosError } from '../errors';
import { checkConnection } from './create-db';
import { DB_ERRORS } from './db.errors';
import { introspectSchema, type SchemaFacts } from './introspect';
import {
  INSTALLER_LOCK,
  loadMigrations,
  type MigrationState,
  migrationState,
  upgradeSchema,
} from './migrations';
import { type Drift, diffSchemas } from './schema-diff';
import {
  BASELINE_VERSION,
  readExpectedSchema,
  readLiveManifest,
  readSchemaSections,
  type SchemaSection,
} from './schema-files';

// The installer works on any Kysely handle, typed or not: it runs before the schema exists.
type AnyDb = Kysely<any>;

/** What a database holds, as far as the installer is concerned. */
export type DatabaseState =
  /** No tables or views in `public`: ready for `install`. */
  | 'empty'
  /** Installed by Helios (helios_meta records its version). */
  | 'helios'
  /** Created from the predecessor's live schema (`organization_users.status`): ready for `adopt`. */
  | 'live'
  /** Something else: the installer will not touch it. */
  | 'unrecognized';

/** What `schemaStatus` found in a database. */
export interface DetectedState {
  state: DatabaseState;
  /** Why a database is `unrecognized`, in words. */
  reason?: string;
  tables: number;
  views: number;
}

/** A row of `helios_schema_version`. */
export interface SchemaVersionRow {
  version: number;
  name: string;
  method: string;
  appliedAt: Date;
}

/** What `installSchema` did. */
export interface InstallResult {
  action: 'installed' | 'already-installed';
  version: number;
  durationMs: number;
  message: string;
}

/** What `verifySchema` found: the differences from the expected schema. */
export interface VerifyResult {
  /** True when the database has exactly the expected schema, at the latest version. */
  compatible: boolean;
  state: DatabaseState;
  version: number | null;
  /** The schema version this code installs and upgrades to. */
  latestVersion: number;
  /** Migrations not applied yet (`helios db upgrade` applies them). */
  pending: MigrationState['pending'];
  /** Recorded versions this code does not know: the database is ahead of it. */
  ahead: number[];
  drifts: Drift[];
  message: string;
}

/** What `adoptSchema` did to an existing Helios database. */
export interface AdoptResult {
  action: 'adopted' | 'already-adopted';
  version: number;
  renamedColumns: string[];
  addedColumns: string[];
  addedIndexes: string[];
  addedConstraints: string[];
  /** Live unique keys a migration replaced with a wider one (user_initial_passwords' key, now per cloud). */
  droppedConstraints: string[];
  seededFeatureFlags: number;
  durationMs: number;
  message: string;
}

/** The state of a database's schema (`schemaStatus`). */
export interface StatusResult {
  state: DatabaseState;
  reason?: string;
  version: number | null;
  /** The schema version this code installs and upgrades to. */
  latestVersion: number;
  /** Migrations not applied yet (`helios db upgrade` applies them). */
  pending: MigrationState['pending'];
  /** Recorded versions this code does not know: the database is ahead of it. */
  ahead: number[];
  /** Applied migrations whose file changed since (`helios db upgrade` refuses them). */
  drifted: MigrationState['drifted'];
  versions: SchemaVersionRow[];
  tables: number;
  views: number;
  organizations: number | null;
  message: string;
}

/** Progress of a long installer step, for progress bars. */
export interface InstallerProgress {
  step: string;
  done: number;
  total: number;
}

/** Options of the installer's functions. */
export interface InstallerOptions {
  /** Called after each step, for progress bars. */
  onProgress?: (progress: InstallerProgress) => void;
}

const USER_STATUSES = ['staged', 'invited', 'active', 'suspended', 'blocked', 'deleted'];

/** Reads what the database holds without changing anything. */
export async function detectState(db: AnyDb): Promise<DetectedState> {
  const { rows } = await sql<{
    tables: string;
    views: string;
    meta: boolean;
    has_status: boolean;
    has_user_status: boolean;
  }>`
    select
      (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind in ('r', 'p')) as tables,
      (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind in ('v', 'm')) as views,
      (to_regclass('helios_meta.schema_versions') is not null) as meta,
      exists (select 1 from information_schema.columns where table_schema = 'public' and table_name = 'organization_users' and column_name = 'status') as has_status,
      exists (select 1 from information_schema.columns where table_schema = 'public' and table_name = 'organization_users' and column_name = 'user_status') as has_user_status
  `.execute(db);
  const r = rows[0]!;
  const tables = Number(r.tables);
  const views = Number(r.views);
  if (r.meta) return { state: 'helios', tables, views };
  if (tables === 0 && views === 0) return { state: 'empty', tables, views };
  if (r.has_status && !r.has_user_status) return { state: 'live', tables, views };
  const reason = r.has_user_status
    ? 'organization_users has user_status but helios_meta is missing: it looks half-installed'
    : `public holds ${tables} table(s) and ${views} view(s) that are not a Helios schema`;
  return { state: 'unrecognized', reason, tables, views };
}

/** The schema versions recorded in helios_meta, oldest first (empty when there is none). */
export async function readVersions(db: AnyDb): Promise<SchemaVersionRow[]> {
  const exists = await sql<{
    ok: boolean;
  }>`select to_regclass('helios_meta.schema_versions') is not null as ok`.execute(db);
  if (!exists.rows[0]?.ok) return [];
  const { rows } = await sql<{ version: number; name: string; method: string; applied_at: Date }>`
    select version, name, method, applied_at from helios_meta.schema_versions order by version`.execute(
    db,
  );
  return rows.map((r) => ({
    version: Number(r.version),
    name: r.name,
    method: r.method,
    appliedAt: new Date(r.applied_at),
  }));
}

async function withInstallerLock<T>(
  db: AnyDb,
  fn: (trx: Transaction<any>) => Promise<T>,
): Promise<T> {
  await checkConnection(db);
  try {
    return await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${INSTALLER_LOCK}))`.execute(trx);
      return fn(trx);
    });
  } catch (error) {
    throw translateInstallerError(error);
  }
}

async function runSections(
  trx: AnyDb,
  sections: SchemaSection[],
  options: InstallerOptions,
): Promise<void> {
  const text = readSchemaSections();
  let done = 0;
  for (const section of sections) {
    options.onProgress?.({ step: section, done, total: sections.length });
    await sql.raw(text[section]).execute(trx);
    done++;
  }
  options.onProgress?.({ step: 'done', done, total: sections.length });
}

/**
 * Installs the Helios schema into an empty database, in one transaction. A second run finds it
 * installed and changes nothing. Concurrent runs are serialized by an advisory lock.
 *
 * @throws HeliosError `INSTALL.NOT_EMPTY` when the database holds other tables (use adopt for a
 *   predecessor installation), `DB.*` when the server cannot be reached.
 * @example
 * ```ts
 * const result = await installSchema(createDb({ embedded: { dataDir: '.helios/data' } }));
 * console.log(result.message);
 * ```
 */
export async function installSchema(
  db: AnyDb,
  options: InstallerOptions = {},
): Promise<InstallResult> {
  const started = performance.now();
  return withInstallerLock(db, async (trx) => {
    const detected = await detectState(trx);
    if (detected.state === 'helios') {
      const migrations = await migrationState(trx);
      const version = migrations.version ?? BASELINE_VERSION;
      const behind =
        migrations.pending.length > 0
          ? `; ${migrations.pending.length} migration(s) pending: run \`helios db upgrade\``
          : '';
      return {
        action: 'already-installed' as const,
        version,
        durationMs: performance.now() - started,
        message: `Already installed (schema version ${version}); nothing to do${behind}`,
      };
    }
    if (detected.state === 'live') {
      throw DB_ERRORS.INSTALL_NOT_EMPTY(
        {
          message:
            'This database holds an existing Helios installation from the predecessor schema: run `helios db adopt` instead',
        },
        { details: { ...detected } },
      );
    }
    if (detected.state === 'unrecognized') {
      throw DB_ERRORS.INSTALL_NOT_EMPTY(
        { message: `Refusing to install: ${detected.reason}. Use an empty database.` },
        {
          details: { ...detected },
        },
      );
    }
    await runSections(trx, ['extensions', 'tables', 'routines', 'seeds', 'meta'], options);
    const version = await recordConsolidatedVersions(trx, 'install');
    return {
      action: 'installed' as const,
      version,
      durationMs: performance.now() - started,
      message: `Installed the Helios schema (version ${version})`,
    };
  });
}

/**
 * The schema file records the baseline and every migration it consolidates (method `schema-file`):
 * marks them as installed (or adopted) by this run, with the migrations' checksums. Returns the newest version.
 */
async function recordConsolidatedVersions(
  trx: AnyDb,
  method: 'install' | 'adopt',
): Promise<number> {
  await sql`update helios_meta.schema_versions set method = ${method} where method = 'schema-file'`.execute(
    trx,
  );
  for (const m of loadMigrations()) {
    await sql`update helios_meta.schema_versions set checksum = ${m.checksum} where version = ${m.version} and checksum is null`.execute(
      trx,
    );
  }
  return (await readVersions(trx)).at(-1)?.version ?? BASELINE_VERSION;
}

/**
 * Compares the database with the schema Helios expects and lists every drift: missing or extra
 * tables, columns, types, nullability, defaults, constraints, indexes, views, functions, triggers.
 */
export async function verifySchema(db: AnyDb): Promise<VerifyResult> {
  await checkConnection(db);
  try {
    const detected = await detectState(db);
    const versions = await readVersions(db);
    const actual = await introspectSchema(db);
    const drifts = diffSchemas(actual, readExpectedSchema());
    if (detected.state === 'helios' && versions.length === 0) {
      drifts.push({
        kind: 'missing_table',
        object: 'helios_meta.schema_versions',
        message: 'helios_meta.schema_versions records no version',
      });
    }
    const version = versions.at(-1)?.version ?? null;
    const migrations = await migrationState(db);
    const pending = detected.state === 'helios' ? migrations.pending : [];
    const compatible =
      drifts.length === 0 &&
      detected.state === 'helios' &&
      pending.length === 0 &&
      migrations.ahead.length === 0;
    const message = compatible
      ? `Schema verified: compatible (version ${version})`
      : detected.state === 'empty'
        ? 'The database is empty: run `helios db install`'
        : detected.state === 'live'
          ? `A predecessor installation (${drifts.length} drift(s) from ours): run \`helios db adopt\``
          : migrations.ahead.length > 0
            ? `The database is at schema version ${version}, ahead of this Helios (version ${migrations.latestVersion}); ${drifts.length} drift(s) from the expected schema`
            : pending.length > 0
              ? `The database is at schema version ${version}, behind this Helios (version ${migrations.latestVersion}): run \`helios db upgrade\` (${pending.length} migration(s) pending; ${drifts.length} drift(s) until then)`
              : `${drifts.length} drift(s) from the expected schema`;
    return {
      compatible,
      state: detected.state,
      version,
      latestVersion: migrations.latestVersion,
      pending,
      ahead: migrations.ahead,
      drifts,
      message,
    };
  } catch (error) {
    throw translateInstallerError(error);
  }
}

/**
 * Upgrades, in place and in one transaction, an installation made from the predecessor's live
 * schema: renames organization_users.status to user_status keeping every value, adds the missing
 * foreign-key indexes, columns and checks, replaces functions, triggers and views with ours,
 * loads the seed rows and records the version. No row is lost or changed otherwise.
 *
 * @throws HeliosError `ADOPT.EMPTY` (install instead), `ADOPT.UNRECOGNIZED` (not a live schema),
 *   `ADOPT.LIVE_DRIFT` (the live schema differs from the known one), `ADOPT.BAD_STATUS` (status
 *   values outside the vocabulary).
 */
export async function adoptSchema(db: AnyDb, options: InstallerOptions = {}): Promise<AdoptResult> {
  const started = performance.now();
  const adopted = await withInstallerLock(db, async (trx): Promise<AdoptResult> => {
    const detected = await detectState(trx);
    if (detected.state === 'helios') {
      const version = (await readVersions(trx)).at(-1)?.version ?? BASELINE_VERSION;
      return {
        action: 'already-adopted' as const,
        version,
        renamedColumns: [],
        addedColumns: [],
        addedIndexes: [],
        addedConstraints: [],
        droppedConstraints: [],
        seededFeatureFlags: 0,
        durationMs: performance.now() - started,
        message: `Already a Helios database (schema version ${version}); nothing to do`,
      };
    }
    if (detected.state === 'empty') {
      throw DB_ERRORS.ADOPT_EMPTY();
    }
    if (detected.state === 'unrecognized') {
      throw DB_ERRORS.ADOPT_UNRECOGNIZED(
        { message: `Refusing to adopt: ${detected.reason}` },
        { details: { ...detected } },
      );
    }
    options.onProgress?.({ step: 'compare with the live schema', done: 0, total: 5 });
    const liveDrifts = diffSchemas(await introspectSchema(trx), readLiveManifest());
    if (liveDrifts.length > 0) {
      throw DB_ERRORS.ADOPT_LIVE_DRIFT(
        {
          message: `Refusing to adopt: the database differs from the known live schema in ${liveDrifts.length} place(s): ${liveDrifts
            .slice(0, 5)
            .map((d) => d.message)
            .join('; ')}${liveDrifts.length > 5 ? '; ...' : ''}`,
        },
        { details: { drifts: liveDrifts } },
      );
    }
    const bad = await sql<{ status: string; n: string }>`
      select status, count(*) as n from organization_users
       where status is not null and status not in (${sql.join(USER_STATUSES)})
       group by status order by status`.execute(trx);
    if (bad.rows.length > 0) {
      throw DB_ERRORS.ADOPT_BAD_STATUS(
        {
          message: `Refusing to adopt: organization_users.status holds values outside ${USER_STATUSES.join(', ')}: ${bad.rows.map((r) => `${r.status} (${r.n})`).join(', ')}. Correct them first.`,
        },
        { details: { values: bad.rows } },
      );
    }
    const flagsBefore = Number(
      (await sql<{ n: string }>`select count(*) as n from feature_flags`.execute(trx)).rows[0]!.n,
    );

    options.onProgress?.({ step: 'rename status to user_status', done: 1, total: 5 });
    const expected = readExpectedSchema();
    // Views are rebuilt from our definitions below; drop them first so no column change is blocked.
    for (const view of Object.keys(expected.views)) {
      await sql`drop view if exists ${sql.id(view)}`.execute(trx);
    }
    await sql`alter table organization_users rename column status to user_status`.execute(trx);

    options.onProgress?.({ step: 'add missing columns, checks and indexes', done: 2, total: 5 });
    const additions = diffSchemas(await introspectSchema(trx), expected);
    const result = {
      addedColumns: [] as string[],
      addedIndexes: [] as string[],
      addedConstraints: [] as string[],
      droppedConstraints: [] as string[],
    };
    for (const drift of additions) {
      if (drift.kind === 'missing_column') {
        const col = drift.expected as SchemaFacts['tables'][string]['columns'][number];
        await sql`alter table ${sql.id(drift.object)} add column ${sql.id(col.name)} ${sql.raw(col.type)}${col.default ? sql` default ${sql.raw(col.default)}` : sql``}${col.nullable ? sql`` : sql` not null`}`.execute(
          trx,
        );
        result.addedColumns.push(`${drift.object}.${col.name}`);
      } else if (drift.kind === 'missing_constraint') {
        const c = drift.expected as SchemaFacts['tables'][string]['constraints'][number];
        if (!c.name) continue;
        if (c.kind === 'check' && c.definition) {
          await sql`alter table ${sql.id(drift.object)} add constraint ${sql.id(c.name)} ${sql.raw(c.definition)}`.execute(
            trx,
          );
          result.addedConstraints.push(`${drift.object}: ${c.definition}`);
        } else if (c.kind === 'unique') {
          // A key a migration widened (user_initial_passwords: + provider); the live key it replaces is dropped below.
          await sql`alter table ${sql.id(drift.object)} add constraint ${sql.id(c.name)} unique (${sql.join(c.columns.map((col) => sql.id(col)))})`.execute(
            trx,
          );
          result.addedConstraints.push(`${drift.object}: UNIQUE (${c.columns.join(', ')})`);
        }
      } else if (drift.kind === 'extra_constraint') {
        // The database matched the live manifest: a unique key ours lacks is one a migration replaced.
        const c = drift.actual as SchemaFacts['tables'][string]['constraints'][number];
        if (c.kind !== 'unique' || !c.name) continue;
        await sql`alter table ${sql.id(drift.object)} drop constraint ${sql.id(c.name)}`.execute(
          trx,
        );
        result.droppedConstraints.push(`${drift.object}: UNIQUE (${c.columns.join(', ')})`);
      } else if (drift.kind === 'missing_index') {
        const i = drift.expected as SchemaFacts['tables'][string]['indexes'][number];
        if (!i.name) continue;
        await sql`create ${i.unique ? sql`unique ` : sql``}index ${sql.id(i.name)} on ${sql.id(drift.object)} using ${sql.raw(i.definition)}`.execute(
          trx,
        );
        result.addedIndexes.push(`${drift.object}: ${i.definition}`);
      }
    }

    options.onProgress?.({ step: 'functions, triggers, views and seeds', done: 3, total: 5 });
    await runSections(trx, ['extensions', 'routines', 'seeds', 'meta'], {});
    const version = await recordConsolidatedVersions(trx, 'adopt');

    options.onProgress?.({ step: 'verify', done: 4, total: 5 });
    const remaining = diffSchemas(await introspectSchema(trx), expected);
    if (remaining.length > 0) {
      throw DB_ERRORS.ADOPT_INCOMPLETE(
        {
          message: `Adoption would leave ${remaining.length} drift(s); nothing was changed: ${remaining
            .slice(0, 5)
            .map((d) => d.message)
            .join('; ')}`,
        },
        { details: { drifts: remaining } },
      );
    }
    const flagsAfter = Number(
      (await sql<{ n: string }>`select count(*) as n from feature_flags`.execute(trx)).rows[0]!.n,
    );
    options.onProgress?.({ step: 'done', done: 5, total: 5 });
    return {
      action: 'adopted' as const,
      version,
      renamedColumns: ['organization_users.status -> user_status'],
      ...result,
      seededFeatureFlags: flagsAfter - flagsBefore,
      durationMs: performance.now() - started,
      message: `Adopted the predecessor installation as Helios schema version ${version}`,
    };
  });
  // Adopt lands on the schema file's version; migrations it does not consolidate (none in a release) follow.
  if (adopted.action === 'adopted' && (await migrationState(db)).pending.length > 0) {
    const upgraded = await upgradeSchema(db);
    return {
      ...adopted,
      version: upgraded.toVersion,
      message: `${adopted.message}, then upgraded to version ${upgraded.toVersion}`,
    };
  }
  return adopted;
}

/** What is installed, which version, when. */
export async function schemaStatus(db: AnyDb): Promise<StatusResult> {
  await checkConnection(db);
  try {
    const detected = await detectState(db);
    const versions = await readVersions(db);
    let organizations: number | null = null;
    if (detected.state === 'helios' || detected.state === 'live') {
      const r = await sql<{ n: string }>`select count(*) as n from organizations`.execute(db);
      organizations = Number(r.rows[0]!.n);
    }
    const version = versions.at(-1)?.version ?? null;
    const last = versions.at(-1);
    const migrations = await migrationState(db);
    const pending = detected.state === 'helios' ? migrations.pending : [];
    const standing =
      migrations.ahead.length > 0
        ? `; AHEAD of this Helios (schema version ${migrations.latestVersion}): use a newer release`
        : pending.length > 0
          ? `; ${pending.length} migration(s) pending (version ${migrations.latestVersion} available): run \`helios db upgrade\``
          : '; up to date';
    const drift =
      migrations.drifted.length > 0
        ? `; ${migrations.drifted.length} applied migration(s) changed since (checksum drift)`
        : '';
    const message =
      detected.state === 'helios'
        ? `Helios schema version ${version} (${last?.method} at ${last?.appliedAt.toISOString()}); ${detected.tables} tables, ${organizations} organization(s)${standing}${drift}`
        : detected.state === 'empty'
          ? 'Not installed: the database is empty (run `helios db install`)'
          : detected.state === 'live'
            ? `A predecessor installation with ${detected.tables} tables (run \`helios db adopt\`)`
            : `Not a Helios database: ${detected.reason}`;
    return {
      state: detected.state,
      ...(detected.reason ? { reason: detected.reason } : {}),
      version,
      latestVersion: migrations.latestVersion,
      pending,
      ahead: migrations.ahead,
      drifted: migrations.drifted,
      versions,
      tables: detected.tables,
      views: detected.views,
      organizations,
      message,
    };
  } catch (error) {
    throw translateInstallerError(error);
  }
}

function translateInstallerError(error: unknown): unknown {
  if (error instanceof HeliosError) return error;
  const e = error as { code?: string; message?: string; position?: string };
  if (e?.code === '42501') {
    return DB_ERRORS.PERMISSION_DENIED(
      { message: `The database user lacks a permission the installer needs: ${e.message}` },
      { cause: error },
    );
  }
  if (typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
    return DB_ERRORS.INSTALL_SQL_FAILED(
      { message: `The schema could not be applied (${e.code}): ${e.message}; nothing was changed` },
      {
        cause: error,
        details: { sqlState: e.code },
      },
    );
  }
  return error;
}

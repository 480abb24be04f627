import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@helios/testing';
import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { isHeliosError } from '../errors';
import { createDb } from './create-db';
import { generateDatabaseTypes } from './generate-types';
import { adoptSchema, installSchema, schemaStatus, verifySchema } from './installer';
import { introspectSchema, type SchemaFacts } from './introspect';
import { loadMigrations, upgradeSchema } from './migrations';
import { diffSchemas } from './schema-diff';
import { readExpectedSchema, readLiveManifest, schemaDir } from './schema-files';

const repoRoot = join(schemaDir(), '..');
const sharedManifest = join(repoRoot, '..', 'shared', 'spec', 'schema-manifest.json');

/** The live manifest: ../shared/spec when present (the source of truth), else the repo's copy. */
function liveManifest(): SchemaFacts {
  return existsSync(sharedManifest)
    ? JSON.parse(readFileSync(sharedManifest, 'utf8'))
    : readLiveManifest();
}

const databases: TestDatabase[] = [];
async function fresh(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const t = await createTestDatabase(options);
  databases.push(t);
  return t;
}
afterAll(async () => {
  for (const t of databases) await t.destroy();
});

async function failure(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isHeliosError(error), `expected a HeliosError, got ${String(error)}`).toBe(true);
  return error as { code: string; message: string };
}

/** Columns the schema adds to the live one (nullable; adopt adds them). */
const ADDED_COLUMNS = [
  'organization_users.deleted_at',
  'auth_accounts.refresh_token_expires_at',
  'audit_logs.actor_type',
  'audit_logs.actor_id',
  'audit_logs.sequence',
  'audit_logs.previous_hash',
  'audit_logs.hash',
  'organization_users.two_factor_backup_codes',
  'api_keys.ip_allowlist',
  'api_keys.revoked_at',
  'api_keys.revoked_by',
  'api_keys.environment',
  'user_initial_passwords.provider',
  'access_group_members.membership_source',
  'access_group_members.rule_matched_at',
  'lifecycle_tasks.last_reminder_on',
];

/** Migration 0006 widened user_initial_passwords' unique key with `provider` (one password per cloud), with a CHECK on it. */
const REKEYED = {
  table: 'user_initial_passwords',
  live: 'unique (organization_id, user_email)',
  ours: 'unique (organization_id, user_email, provider)',
};

describe('the installed schema', () => {
  it('matches the live manifest except for the sanctioned differences', async () => {
    const t = await fresh();
    const drifts = diffSchemas(await introspectSchema(t.db), liveManifest());
    const unexpected = drifts.filter((d) => {
      if (d.kind === 'missing_column')
        return !(d.object === 'organization_users' && d.detail === 'status');
      if (d.kind === 'extra_column')
        return ![...ADDED_COLUMNS, 'organization_users.user_status'].includes(
          `${d.object}.${d.detail}`,
        );
      if (d.kind === 'missing_constraint')
        return !(d.object === REKEYED.table && d.detail === REKEYED.live);
      if (d.kind === 'extra_constraint') {
        if (d.object === REKEYED.table)
          return !(d.detail === REKEYED.ours || String(d.detail).includes('provider'));
        if (d.object === 'access_group_members')
          return !String(d.detail).includes('membership_source');
        return !(d.object === 'organization_users' && String(d.detail).includes('user_status'));
      }
      if (d.kind === 'extra_index')
        return (
          !/^btree \(\w+\)$/.test(String(d.detail)) &&
          ![
            'idx_audit_logs_chain',
            'idx_api_keys_key_hash',
            'idx_organization_users_directory_order',
          ].includes(String((d.actual as { name?: string }).name))
        );
      return true;
    });
    expect(unexpected.map((d) => d.message)).toEqual([]);
    expect(drifts.filter((d) => d.kind === 'extra_index')).toHaveLength(36);
  });

  it('holds exactly 86 tables in public, the 4 views, 18 functions, 40 triggers and 48 feature flags', async () => {
    const t = await fresh();
    const facts = await introspectSchema(t.db);
    expect(Object.keys(facts.tables)).toHaveLength(86);
    expect(Object.keys(facts.tables).sort()).toEqual(Object.keys(liveManifest().tables).sort());
    expect(Object.keys(facts.views).sort()).toEqual([
      'campaign_analytics_summary',
      'current_user_assets',
      'dashboard_stats',
      'user_signature_permissions',
    ]);
    expect(facts.functions).toHaveLength(18);
    expect(facts.triggers).toHaveLength(40);
    expect(facts.extensions).toEqual(expect.arrayContaining(['pgcrypto', 'uuid-ossp']));
    const flags = await t.db
      .selectFrom('feature_flags')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(flags.n)).toBe(48);
  });

  it('has an index on every foreign key', async () => {
    const t = await fresh();
    const facts = await introspectSchema(t.db);
    const unindexed: string[] = [];
    let foreignKeys = 0;
    for (const [name, table] of Object.entries(facts.tables)) {
      const leads: string[][] = table.constraints
        .filter((c) => c.kind === 'primary_key' || c.kind === 'unique')
        .map((c) => c.columns);
      for (const index of table.indexes) {
        const m = /^\w+ \(([^)]*)\)(?: WHERE (.*))?$/.exec(index.definition);
        if (!m) continue;
        const cols = m[1]!.split(',').map((c) => c.trim().split(' ')[0]!);
        if (!m[2] || m[2] === `(${cols[0]} IS NOT NULL)`) leads.push(cols);
      }
      for (const fk of table.constraints.filter((c) => c.kind === 'foreign_key')) {
        foreignKeys++;
        if (!leads.some((lead) => fk.columns.every((col, i) => lead[i] === col)))
          unindexed.push(`${name}(${fk.columns.join(', ')})`);
      }
    }
    expect(foreignKeys).toBe(150);
    expect(unindexed).toEqual([]);
  });

  it('is what the committed snapshot and generated types describe (run `npm run db:generate` after a schema change)', async () => {
    const t = await fresh();
    const facts = await introspectSchema(t.db);
    expect(facts).toEqual(readExpectedSchema());
    const committed = readFileSync(
      join(repoRoot, 'packages', 'core', 'src', 'db', 'database.generated.ts'),
      'utf8',
    );
    expect(generateDatabaseTypes(facts)).toBe(committed);
  });

  it("keeps the repository's copy of the live manifest equal to shared/spec", () => {
    if (!existsSync(sharedManifest)) return; // users without ../shared rely on the copy itself
    expect(readFileSync(join(repoRoot, 'database', 'schema-manifest.json'), 'utf8')).toBe(
      readFileSync(sharedManifest, 'utf8'),
    );
  });
});

describe('installSchema', () => {
  it('installs into an empty database, records the version, and a second run is a no-op that says so', async () => {
    const t = await fresh({ empty: true });
    expect((await schemaStatus(t.db)).state).toBe('empty');
    const first = await installSchema(t.db);
    expect(first.action).toBe('installed');
    const second = await installSchema(t.db);
    const latest = loadMigrations().at(-1)!.version;
    expect(second).toMatchObject({ action: 'already-installed', version: latest });
    expect(second.message).toMatch(/Already installed/);
    const status = await schemaStatus(t.db);
    expect(status).toMatchObject({
      state: 'helios',
      version: latest,
      latestVersion: latest,
      pending: [],
      tables: 86,
      organizations: 0,
    });
    expect(status.versions.map((v) => v.method)).toEqual(
      Array.from({ length: latest }, () => 'install'),
    );
    expect((await verifySchema(t.db)).compatible).toBe(true);
  });

  it('leaves an older installation (no audit chain heads) alone and points at `helios db upgrade`, which adds them', async () => {
    const t = await fresh();
    await sql`drop table helios_meta.audit_heads`.execute(t.db);
    // Versions 5 (audit heads) and later were never applied.
    await sql`delete from helios_meta.schema_versions where version >= 5`.execute(t.db);
    const again = await installSchema(t.db);
    expect(again).toMatchObject({ action: 'already-installed', version: 4 });
    expect(again.message).toContain('helios db upgrade');
    expect(
      (
        await sql<{
          ok: boolean;
        }>`select to_regclass('helios_meta.audit_heads') is not null as ok`.execute(t.db)
      ).rows[0]!.ok,
    ).toBe(false);
    expect((await verifySchema(t.db)).compatible).toBe(false);
    expect(await upgradeSchema(t.db)).toMatchObject({
      action: 'upgraded',
      fromVersion: 4,
      toVersion: loadMigrations().at(-1)!.version,
    });
    expect(
      (
        await sql<{
          ok: boolean;
        }>`select to_regclass('helios_meta.audit_heads') is not null as ok`.execute(t.db)
      ).rows[0]!.ok,
    ).toBe(true);
    expect((await verifySchema(t.db)).compatible).toBe(true);
  });

  it('serializes concurrent installers: exactly one installs', async () => {
    const t = await fresh({ empty: true });
    const handles: Kysely<any>[] = t.connectionString
      ? [
          createDb({ connectionString: t.connectionString }),
          createDb({ connectionString: t.connectionString }),
        ]
      : [t.db, t.db];
    try {
      const results = await Promise.all(handles.map((h) => installSchema(h)));
      expect(results.map((r) => r.action).sort()).toEqual(['already-installed', 'installed']);
    } finally {
      if (t.connectionString) await Promise.all(handles.map((h) => h.destroy()));
    }
    expect((await verifySchema(t.db)).compatible).toBe(true);
  });

  it('refuses a database holding other tables and changes nothing', async () => {
    const t = await fresh({ empty: true });
    await sql`create table inventory (id int primary key)`.execute(t.db);
    const error = await failure(installSchema(t.db));
    expect(error.code).toBe('INSTALL.NOT_EMPTY');
    const status = await schemaStatus(t.db);
    expect(status).toMatchObject({ state: 'unrecognized', tables: 1, version: null });
    expect((await failure(adoptSchema(t.db))).code).toBe('ADOPT.UNRECOGNIZED');
  });

  it('refuses to adopt an empty database', async () => {
    const t = await fresh({ empty: true });
    expect((await failure(adoptSchema(t.db))).code).toBe('ADOPT.EMPTY');
  });
});

describe('verifySchema', () => {
  it('reports every planted drift and exits incompatible', async () => {
    const t = await fresh();
    await sql`alter table departments alter column name drop not null`.execute(t.db);
    await sql`alter table organizations alter column is_setup_complete set default true`.execute(
      t.db,
    );
    await sql`alter table gw_groups alter column description type varchar(100)`.execute(t.db);
    await sql`alter table locations drop column timezone`.execute(t.db);
    await sql`alter table assets add column colour text`.execute(t.db);
    await sql`create table stray (id int)`.execute(t.db);
    await sql`drop index idx_audit_logs_created_at`.execute(t.db);
    await sql`drop trigger departments_updated_at on departments`.execute(t.db);
    await sql`create or replace function update_rules_updated_at() returns trigger language plpgsql as $$ begin return new; end $$`.execute(
      t.db,
    );
    await sql`drop view current_user_assets`.execute(t.db);
    const result = await verifySchema(t.db);
    expect(result.compatible).toBe(false);
    const found = result.drifts.map(
      (d) => `${d.kind} ${d.object}${d.detail ? `.${d.detail}` : ''}`,
    );
    expect(found).toEqual(
      expect.arrayContaining([
        'column_nullability departments.name',
        'column_default organizations.is_setup_complete',
        'missing_column locations.timezone',
        'extra_column assets.colour',
        'extra_table stray',
        'missing_index audit_logs.btree (created_at)',
        'missing_trigger departments.departments_updated_at',
        'function_body update_rules_updated_at() returns trigger',
        'missing_view current_user_assets',
      ]),
    );
    expect(found.some((f) => f.startsWith('column_type gw_groups.description'))).toBe(true);
  });
});

describe('adoptSchema', () => {
  /** Turns an installed database back into the predecessor's live shape, with rows in it. */
  async function makeLiveInstallation(db: Kysely<any>): Promise<void> {
    const expected = readExpectedSchema();
    const sanctioned = diffSchemas(expected, liveManifest());
    const statusCheck = expected.tables.organization_users!.constraints.find((c) =>
      c.definition?.includes('user_status'),
    )!;
    await sql`alter table organization_users drop constraint ${sql.id(statusCheck.name!)}`.execute(
      db,
    );
    await sql`alter table organization_users rename column user_status to status`.execute(db);
    for (const d of sanctioned.filter((x) => x.kind === 'extra_index')) {
      await sql`drop index ${sql.id((d.actual as { name: string }).name)}`.execute(db);
    }
    for (const column of ADDED_COLUMNS) {
      const [table, name] = column.split('.') as [string, string];
      await sql`alter table ${sql.id(table)} drop column ${sql.id(name)}`.execute(db);
    }
    // Dropping provider dropped the widened key and its check: the live key comes back.
    await sql`alter table user_initial_passwords add constraint user_initial_passwords_organization_id_user_email_key unique (organization_id, user_email)`.execute(
      db,
    );
    await sql`delete from feature_flags`.execute(db);
    await sql`drop schema helios_meta cascade`.execute(db);

    const org = await db
      .insertInto('organizations')
      .values({ name: 'Acme', domain: 'acme.test' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const dept = await db
      .insertInto('departments')
      .values({ organization_id: org.id, name: 'Engineering' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const statuses = ['active', 'suspended', 'deleted', 'staged', 'invited', 'blocked', null];
    let i = 0;
    for (const status of statuses) {
      i++;
      await db
        .insertInto('organization_users')
        .values({
          organization_id: org.id,
          email: `u${i}@acme.test`,
          first_name: `U${i}`,
          last_name: 'Test',
          status,
          department_id: dept.id,
          role: i === 1 ? 'admin' : 'user',
        })
        .execute();
    }
    await db
      .insertInto('audit_logs')
      .values({ organization_id: org.id, action: 'user.create', resource: 'user' })
      .execute();
  }

  it('upgrades a live-schema installation in place: user_status keeps every value, indexes, seeds and version added, no row lost', async () => {
    const t = await fresh();
    await makeLiveInstallation(t.db);
    const before = await verifySchema(t.db);
    expect(before).toMatchObject({ state: 'live', compatible: false });
    const usersBefore = await sql<
      Record<string, unknown>
    >`select * from organization_users order by email`.execute(t.db);
    const countsBefore = await sql<{ t: string; n: string }>`
      select 'organizations' as t, count(*)::text as n from organizations union all
      select 'departments', count(*)::text from departments union all
      select 'custom_labels', count(*)::text from custom_labels union all
      select 'audit_logs', count(*)::text from audit_logs`.execute(t.db);

    const result = await adoptSchema(t.db);
    // Adopt ends at the latest version: the baseline and every migration, recorded as adopted.
    const latest = loadMigrations().at(-1)!.version;
    expect(result).toMatchObject({ action: 'adopted', version: latest, seededFeatureFlags: 48 });
    expect(result.addedIndexes).toHaveLength(36);
    expect(result.addedColumns.sort()).toEqual([...ADDED_COLUMNS].sort());
    expect(result.addedConstraints).toHaveLength(4);
    expect(result.addedConstraints).toEqual(
      expect.arrayContaining([
        'user_initial_passwords: UNIQUE (organization_id, user_email, provider)',
      ]),
    );
    expect(result.droppedConstraints).toEqual([
      'user_initial_passwords: UNIQUE (organization_id, user_email)',
    ]);

    const after = await verifySchema(t.db);
    expect(after.drifts.map((d) => d.message)).toEqual([]);
    expect(after.compatible).toBe(true);
    const status = await schemaStatus(t.db);
    expect(status.versions.map((v) => [v.version, v.method])).toEqual(
      [1, ...loadMigrations().map((m) => m.version)].map((v) => [v, 'adopt']),
    );
    expect(status.pending).toEqual([]);

    const usersAfter = await sql<
      Record<string, unknown>
    >`select * from organization_users order by email`.execute(t.db);
    expect(usersAfter.rows).toEqual(
      usersBefore.rows.map((row) => {
        const { status: value, ...rest } = row;
        return { ...rest, user_status: value, deleted_at: null, two_factor_backup_codes: null };
      }),
    );
    const countsAfter = await sql<{ t: string; n: string }>`
      select 'organizations' as t, count(*)::text as n from organizations union all
      select 'departments', count(*)::text from departments union all
      select 'custom_labels', count(*)::text from custom_labels union all
      select 'audit_logs', count(*)::text from audit_logs`.execute(t.db);
    expect(countsAfter.rows).toEqual(countsBefore.rows);

    const again = await adoptSchema(t.db);
    expect(again.action).toBe('already-adopted');
  });

  it('refuses status values outside the vocabulary and changes nothing', async () => {
    const t = await fresh();
    await makeLiveInstallation(t.db);
    await sql`update organization_users set status = 'on_leave' where email = 'u2@acme.test'`.execute(
      t.db,
    );
    const error = await failure(adoptSchema(t.db));
    expect(error.code).toBe('ADOPT.BAD_STATUS');
    expect(error.message).toContain('on_leave (1)');
    expect((await schemaStatus(t.db)).state).toBe('live');
    const flags = await sql<{ n: string }>`select count(*)::text as n from feature_flags`.execute(
      t.db,
    );
    expect(flags.rows[0]!.n).toBe('0');
  });

  it('refuses a live-looking database that differs from the known live schema', async () => {
    const t = await fresh();
    await makeLiveInstallation(t.db);
    await sql`alter table assets drop column notes`.execute(t.db);
    const error = await failure(adoptSchema(t.db));
    expect(error.code).toBe('ADOPT.LIVE_DRIFT');
    expect(error.message).toContain('assets.notes');
    expect((await schemaStatus(t.db)).state).toBe('live');
  });
});

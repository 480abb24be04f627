import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@helios/testing';
import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { isHeliosError } from '../errors';
import { createHelios } from '../helios';
import { createSecretBox } from '../shared/secret-box';
import { sealSecret } from '../shared/secret-stores';
import { installSchema, schemaStatus, verifySchema } from './installer';
import { introspectSchema } from './introspect';
import { BIG_TABLES, lintMigration } from './migration-lint';
import {
  loadMigrations,
  migrationState,
  migrationsDir,
  parseMigration,
  readAppliedVersions,
  upgradeSchema,
} from './migrations';
import { readExpectedSchema, readSchemaSections } from './schema-files';

/** The schema file of the first release, frozen: what installations made from it hold. */
const RELEASE_1 = readFileSync(
  fileURLToPath(new URL('./fixtures/schema_organization.v1-399df8c.sql', import.meta.url)),
  'utf8',
);

/** The newest shipped version, and the number of a migration that is not shipped (tests add it to a copy). */
const LATEST = loadMigrations().at(-1)!.version;
const SHIPPED = loadMigrations().map((m) => m.version);
const NEXT = LATEST + 1;
const NEXT_FILE = (name: string) => `${String(NEXT).padStart(4, '0')}_${name}.sql`;
/** A version no release has (yet): what a database "ahead" of this code records. */
const FUTURE = 99;

const databases: TestDatabase[] = [];
const dirs: string[] = [];
async function fresh(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const t = await createTestDatabase(options);
  databases.push(t);
  return t;
}
afterAll(async () => {
  for (const t of databases) await t.destroy();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function failure(
  promise: Promise<unknown>,
): Promise<{ code?: string; message: string; details?: Record<string, unknown> }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isHeliosError(error), `expected a HeliosError, got ${String(error)}`).toBe(true);
  return error as { code: string; message: string };
}

/** A copy of the shipped migrations in a scratch folder, plus `extra` files. */
function migrationsCopy(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'helios-migrations-'));
  dirs.push(dir);
  cpSync(migrationsDir(), dir, { recursive: true });
  for (const [file, text] of Object.entries(extra)) writeFileSync(join(dir, file), text);
  return dir;
}

/** An empty database with the first release's schema, installed as its installer did (version 1, method install). */
async function releaseOneDatabase(): Promise<TestDatabase> {
  const t = await fresh({ empty: true });
  await t.db.transaction().execute(async (trx) => {
    await sql.raw(RELEASE_1).execute(trx);
    await sql`update helios_meta.schema_versions set method = 'install' where version = 1`.execute(
      trx,
    );
  });
  return t;
}

/** Representative rows in the tables the migrations touch (and a few they do not). */
async function seedRows(db: Kysely<any>): Promise<void> {
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
  for (let i = 1; i <= 5; i++) {
    await db
      .insertInto('organization_users')
      .values({
        organization_id: org.id,
        email: `u${i}@acme.test`,
        first_name: `U${i}`,
        last_name: `Last${6 - i}`,
        user_status: i === 2 ? 'suspended' : 'active',
        department_id: dept.id,
        role: i === 1 ? 'admin' : 'user',
      })
      .execute();
  }
  const admin = await db
    .selectFrom('organization_users')
    .select('id')
    .where('email', '=', 'u1@acme.test')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('api_keys')
    .values({
      organization_id: org.id,
      name: 'CI',
      key_hash: 'hash-1',
      key_prefix: 'hk_1',
      created_by: admin.id,
      scopes: ['users:read'],
    })
    .execute();
  for (let i = 0; i < 3; i++) {
    await db
      .insertInto('audit_logs')
      .values({
        organization_id: org.id,
        user_id: admin.id,
        action: `user.update.${i}`,
        resource: 'user',
      })
      .execute();
  }
}

const TABLES = [
  'organizations',
  'departments',
  'organization_users',
  'api_keys',
  'audit_logs',
  'feature_flags',
];
async function snapshotRows(db: Kysely<any>): Promise<Record<string, Record<string, unknown>[]>> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const table of TABLES) {
    out[table] = (
      await sql<Record<string, unknown>>`select * from ${sql.table(table)} order by 1`.execute(db)
    ).rows;
  }
  return out;
}

/** Rows read before the upgrade, with the columns the migrations added (null) and without columns gone: must equal the rows after. */
function withAddedColumns(
  before: Record<string, Record<string, unknown>[]>,
  after: Record<string, Record<string, unknown>[]>,
) {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const [table, rows] of Object.entries(before)) {
    const columns = Object.keys(after[table]![0] ?? {});
    out[table] = rows.map((row) =>
      Object.fromEntries(columns.map((c) => [c, c in row ? row[c] : null])),
    );
  }
  return out;
}

describe('upgrade from the first release', () => {
  it('brings a release-1 database with rows to the latest version: verify passes, the schema equals a fresh install, every row intact', async () => {
    const t = await releaseOneDatabase();
    await seedRows(t.db);
    const before = await snapshotRows(t.db);
    const latest = loadMigrations().at(-1)!.version;

    const verifyBefore = await verifySchema(t.db);
    expect(verifyBefore).toMatchObject({
      compatible: false,
      state: 'helios',
      version: 1,
      latestVersion: latest,
    });
    expect(verifyBefore.pending.map((p) => p.version)).toEqual(SHIPPED);
    expect(verifyBefore.message).toContain('helios db upgrade');
    const statusBefore = await schemaStatus(t.db);
    expect(statusBefore.pending.map((p) => p.name)).toEqual(loadMigrations().map((m) => m.name));
    expect(statusBefore.pending.map((p) => p.name).slice(0, 5)).toEqual([
      'audit_chain_columns',
      'api_keys_and_backup_codes',
      'directory_order_index',
      'audit_heads',
      'initial_passwords_per_provider',
    ]);
    expect(statusBefore.message).toContain(`${SHIPPED.length} migration(s) pending`);

    const result = await upgradeSchema(t.db);
    expect(result).toMatchObject({ action: 'upgraded', fromVersion: 1, toVersion: latest });
    expect(result.migrations.map((m) => m.version)).toEqual(SHIPPED);

    const verify = await verifySchema(t.db);
    expect(verify.drifts.map((d) => d.message)).toEqual([]);
    expect(verify).toMatchObject({ compatible: true, version: latest, pending: [] });
    const after = await snapshotRows(t.db);
    expect(after).toEqual(withAddedColumns(before, after));
    expect(after.organization_users).toHaveLength(5);
    expect(after.audit_logs).toHaveLength(3);

    // The same facts as a fresh install of the consolidated file, helios_meta included.
    const installed = await fresh();
    expect(await introspectSchema(t.db)).toEqual(readExpectedSchema());
    expect(await introspectSchema(t.db, 'helios_meta')).toEqual(
      await introspectSchema(installed.db, 'helios_meta'),
    );

    const versions = await readAppliedVersions(t.db);
    expect(versions.map((v) => [v.version, v.method])).toEqual([
      [1, 'install'],
      ...SHIPPED.map((v) => [v, 'upgrade']),
    ]);
    const checksums = Object.fromEntries(loadMigrations().map((m) => [m.version, m.checksum]));
    for (const v of versions.slice(1)) expect(v.checksum).toBe(checksums[v.version]);

    expect(await upgradeSchema(t.db)).toMatchObject({
      action: 'up-to-date',
      fromVersion: latest,
      toVersion: latest,
      migrations: [],
    });
  });

  it('keeps initial passwords stored before 0006 readable: each by the cloud that sealed it, a bare one by the first cloud to reveal it', async () => {
    const t = await releaseOneDatabase();
    await seedRows(t.db);
    const key = randomBytes(32).toString('base64');
    const box = createSecretBox(key);
    const org = await t.db.selectFrom('organizations').select('id').executeTakeFirstOrThrow();
    const admin = await t.db
      .selectFrom('organization_users')
      .select('id')
      .where('email', '=', 'u1@acme.test')
      .executeTakeFirstOrThrow();
    // Rows as release 1 code wrote them: one per address, the provider only inside the sealed value (or not at all).
    const seal = async (email: string, plain: string) => {
      const row = await t.db
        .insertInto('user_initial_passwords')
        .values({
          organization_id: org.id,
          user_email: email,
          encrypted_password: 'pending',
          created_by: admin.id,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const sealed = sealSecret(box, 'user_initial_passwords', 'encrypted_password', row.id, plain);
      await t.db
        .updateTable('user_initial_passwords')
        .set({ encrypted_password: sealed })
        .where('id', '=', row.id)
        .execute();
    };
    await seal(
      'gw@acme.test',
      JSON.stringify({ provider: 'google_workspace', password: 'Gw-secret-1' }),
    );
    await seal(
      'ms@acme.test',
      JSON.stringify({ provider: 'microsoft_365', password: 'Ms-secret-1' }),
    );
    await seal('old@acme.test', 'Bare-secret-1');
    await seal(
      'twin@acme.test',
      JSON.stringify({ provider: 'google_workspace', password: 'Twin-google-1' }),
    );
    const before = await sql<
      Record<string, unknown>
    >`select * from user_initial_passwords order by user_email`.execute(t.db);

    await upgradeSchema(t.db);
    expect((await verifySchema(t.db)).compatible).toBe(true);
    // The migration cannot open the ciphertext: existing rows keep every value, provider unknown (null).
    const after = await sql<
      Record<string, unknown>
    >`select * from user_initial_passwords order by user_email`.execute(t.db);
    expect(after.rows).toEqual(before.rows.map((row) => ({ ...row, provider: null })));

    const helios = await createHelios({ db: t.db, encryptionKey: key });
    try {
      const as = helios.as({ type: 'user', userId: admin.id });
      await expect(
        as.microsoft.writeback.revealInitialPassword('gw@acme.test'),
      ).rejects.toMatchObject({
        code: 'MICROSOFT_WRITEBACK.INITIAL_PASSWORD_NOT_FOUND',
      });
      expect((await as.google.writeback.revealInitialPassword('gw@acme.test')).password).toBe(
        'Gw-secret-1',
      );
      await expect(as.google.writeback.revealInitialPassword('gw@acme.test')).rejects.toMatchObject(
        { code: 'GOOGLE_WRITEBACK.INITIAL_PASSWORD_REVEALED' },
      );
      await expect(as.google.writeback.revealInitialPassword('ms@acme.test')).rejects.toMatchObject(
        { code: 'GOOGLE_WRITEBACK.INITIAL_PASSWORD_NOT_FOUND' },
      );
      expect((await as.microsoft.writeback.revealInitialPassword('ms@acme.test')).password).toBe(
        'Ms-secret-1',
      );
      expect((await as.microsoft.writeback.revealInitialPassword('old@acme.test')).password).toBe(
        'Bare-secret-1',
      );
      await expect(
        as.google.writeback.revealInitialPassword('old@acme.test'),
      ).rejects.toMatchObject({ code: 'GOOGLE_WRITEBACK.INITIAL_PASSWORD_NOT_FOUND' });
      // Untouched rows stay unresolved and unrevealed; the revealed ones now name the cloud that opened them.
      const rows = await t.db
        .selectFrom('user_initial_passwords')
        .select(['user_email', 'provider', 'revealed_at'])
        .orderBy('user_email')
        .execute();
      expect(rows.map((r) => [r.user_email, r.provider, r.revealed_at !== null])).toEqual([
        ['gw@acme.test', 'google_workspace', true],
        ['ms@acme.test', 'microsoft_365', true],
        ['old@acme.test', 'microsoft_365', true],
        ['twin@acme.test', null, false],
      ]);
    } finally {
      await helios.close();
    }
  });

  it('upgrades a database installed before numbered migrations (everything folded into version 1) with no-ops, recording the versions', async () => {
    const t = await fresh();
    await sql`delete from helios_meta.schema_versions where version > 1`.execute(t.db);
    await sql`alter table helios_meta.schema_versions drop column checksum`.execute(t.db);
    await sql`drop table helios_meta.schema_steps`.execute(t.db);
    await seedRows(t.db);
    const before = await snapshotRows(t.db);
    expect((await installSchema(t.db)).message).toContain(`${SHIPPED.length} migration(s) pending`);

    const result = await upgradeSchema(t.db);
    expect(result.migrations.map((m) => m.version)).toEqual(SHIPPED);
    expect(await snapshotRows(t.db)).toEqual(before);
    expect((await verifySchema(t.db)).compatible).toBe(true);
    expect((await readAppliedVersions(t.db)).every((v) => v.version === 1 || v.checksum)).toBe(
      true,
    );
  });

  it('a fresh install records the baseline and every migration with its checksum; the schema file lists exactly the migrations', async () => {
    const t = await fresh({ empty: true });
    const result = await installSchema(t.db);
    const migrations = loadMigrations();
    expect(result.version).toBe(migrations.at(-1)!.version);
    const versions = await readAppliedVersions(t.db);
    expect(
      versions.map((v) => ({
        version: v.version,
        name: v.name,
        method: v.method,
        checksum: v.checksum,
      })),
    ).toEqual([
      { version: 1, name: 'baseline', method: 'install', checksum: null },
      ...migrations.map((m) => ({
        version: m.version,
        name: m.name,
        method: 'install',
        checksum: m.checksum,
      })),
    ]);
    expect(readSchemaSections().meta).toContain(
      `(${migrations.at(-1)!.version}, '${migrations.at(-1)!.name}', 'schema-file')`,
    );
    expect((await migrationState(t.db)).pending).toEqual([]);
  });
});

describe('upgradeSchema', () => {
  it('--dry-run lists the pending migrations and writes nothing', async () => {
    const t = await releaseOneDatabase();
    const facts = await introspectSchema(t.db);
    const meta = await introspectSchema(t.db, 'helios_meta');
    const versions = await readAppliedVersions(t.db);

    const plan = await upgradeSchema(t.db, { dryRun: true });
    expect(plan).toMatchObject({ action: 'dry-run', fromVersion: 1, toVersion: LATEST });
    expect(plan.migrations.map((m) => [m.version, m.name, m.steps])).toEqual([
      [2, 'audit_chain_columns', ['transaction', 'concurrently']],
      [3, 'api_keys_and_backup_codes', ['transaction', 'concurrently']],
      [4, 'directory_order_index', ['concurrently']],
      [5, 'audit_heads', ['transaction']],
      [6, 'initial_passwords_per_provider', ['transaction']],
      ...loadMigrations()
        .slice(5)
        .map((m) => [m.version, m.name, m.steps.map((x) => x.kind)]),
    ]);
    expect(plan.message).toContain('0002_audit_chain_columns');

    expect(await introspectSchema(t.db)).toEqual(facts);
    expect(await introspectSchema(t.db, 'helios_meta')).toEqual(meta);
    expect(await readAppliedVersions(t.db)).toEqual(versions);
  });

  it('refuses an applied migration whose file changed (checksum drift), naming it, and applies nothing', async () => {
    const t = await fresh();
    const original = readFileSync(
      join(migrationsDir(), '0003_api_keys_and_backup_codes.sql'),
      'utf8',
    );
    const dir = migrationsCopy({
      '0003_api_keys_and_backup_codes.sql': original.replace(
        'ip_allowlist text[]',
        'ip_allowlist inet[]',
      ),
      [NEXT_FILE('notes')]:
        '-- @step transaction\nCREATE TABLE helios_meta.upgrade_probe (id int);\n',
    });
    const error = await failure(upgradeSchema(t.db, { migrationsDir: dir }));
    expect(error.code).toBe('UPGRADE.CHECKSUM_DRIFT');
    expect(error.message).toContain('0003_api_keys_and_backup_codes');
    expect(error.message).toContain('new migration');
    expect(
      (
        await sql<{
          ok: boolean;
        }>`select to_regclass('helios_meta.upgrade_probe') is not null as ok`.execute(t.db)
      ).rows[0]!.ok,
    ).toBe(false);
    expect(
      (await migrationState(t.db, { migrationsDir: dir })).drifted.map((d) => d.version),
    ).toEqual([3]);
    // The dry run refuses too: a plan on top of an edited history means nothing.
    expect((await failure(upgradeSchema(t.db, { migrationsDir: dir, dryRun: true }))).code).toBe(
      'UPGRADE.CHECKSUM_DRIFT',
    );
  });

  it('refuses a database ahead of the code with both version numbers, in upgrade, verify and createHelios', async () => {
    const t = await fresh();
    await sql`insert into helios_meta.schema_versions (version, name, method) values (${FUTURE}, 'from_the_future', 'upgrade')`.execute(
      t.db,
    );
    const error = await failure(upgradeSchema(t.db));
    expect(error.code).toBe('SCHEMA.AHEAD');
    expect(error.message).toContain(`schema version ${FUTURE}`);
    expect(error.message).toContain(`schema version ${LATEST}`);
    expect((await verifySchema(t.db)).compatible).toBe(false);
    expect((await schemaStatus(t.db)).ahead).toEqual([FUTURE]);
    const refused = await failure(createHelios({ db: t.db, autoUpgrade: true }));
    expect(refused.code).toBe('SCHEMA.AHEAD');
    expect(refused.details).toMatchObject({ databaseVersion: FUTURE, codeVersion: LATEST });
  });

  it('refuses to upgrade an empty or predecessor database (install or adopt first)', async () => {
    const t = await fresh({ empty: true });
    const error = await failure(upgradeSchema(t.db));
    expect(error.code).toBe('UPGRADE.NOT_INSTALLED');
    expect(error.message).toContain('helios db install');
  });

  it('runs every step kind (concurrent index, batched NOT NULL backfill, NOT VALID + VALIDATE) and resumes after a failure', async () => {
    const t = await fresh();
    await seedRows(t.db);
    await sql`insert into audit_logs (organization_id, action, resource) select o.id, 'bulk.' || g, 'user' from organizations o, generate_series(1, 40) g`.execute(
      t.db,
    );
    // Two users share a region code: the unique index fails the first time.
    const sample = `-- Not shipped: exercises the step kinds.
-- @step transaction
ALTER TABLE organization_users ADD COLUMN region_code text;
ALTER TABLE audit_logs ADD COLUMN tier smallint;
ALTER TABLE audit_logs ALTER COLUMN tier SET DEFAULT 1;
UPDATE organization_users SET region_code = 'r-' || email;
UPDATE organization_users SET region_code = 'dup' WHERE email IN ('u1@acme.test', 'u2@acme.test');

-- @step concurrently
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_ou_region_code ON organization_users (region_code);

-- @step batch
UPDATE audit_logs SET tier = 1
 WHERE id IN (SELECT id FROM audit_logs WHERE tier IS NULL AND ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2)
RETURNING id AS key;

-- @step transaction
ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_tier_not_null CHECK (tier IS NOT NULL) NOT VALID;

-- @step transaction
ALTER TABLE audit_logs VALIDATE CONSTRAINT audit_logs_tier_not_null;
ALTER TABLE audit_logs ALTER COLUMN tier SET NOT NULL;
ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_tier_not_null;
`;
    const dir = migrationsCopy({ [NEXT_FILE('sample')]: sample });
    const error = await failure(upgradeSchema(t.db, { migrationsDir: dir, batchSize: 7 }));
    expect(error.code).toBe('UPGRADE.SQL_FAILED');
    expect(error.message).toContain(NEXT_FILE('sample').replace('.sql', ''));
    expect(
      (await migrationState(t.db, { migrationsDir: dir })).pending.map((p) => p.version),
    ).toEqual([NEXT]);

    if (t.backend === 'postgres') {
      // The first step committed; the failed concurrent build left an invalid index behind. Fix the data.
      const { rows } = await sql<{
        valid: boolean;
      }>`select indisvalid as valid from pg_index where indexrelid = 'idx_ou_region_code'::regclass`.execute(
        t.db,
      );
      expect(rows).toEqual([{ valid: false }]);
      await sql`update organization_users set region_code = 'r-' || email where region_code = 'dup'`.execute(
        t.db,
      );
    } else {
      // Embedded: the migration is one transaction, rolled back as a whole.
      expect(
        (await introspectSchema(t.db)).tables.organization_users!.columns.some(
          (c) => c.name === 'region_code',
        ),
      ).toBe(false);
    }
    const sampleFixed =
      t.backend === 'postgres'
        ? sample
        : sample.replace(
            "UPDATE organization_users SET region_code = 'dup' WHERE email IN ('u1@acme.test', 'u2@acme.test');\n",
            '',
          );
    const dir2 = migrationsCopy({ [NEXT_FILE('sample')]: sampleFixed });
    const result = await upgradeSchema(t.db, { migrationsDir: dir2, batchSize: 7 });
    expect(result).toMatchObject({ action: 'upgraded', fromVersion: LATEST, toVersion: NEXT });

    const facts = await introspectSchema(t.db);
    expect(facts.tables.audit_logs!.columns.find((c) => c.name === 'tier')).toMatchObject({
      nullable: false,
      default: '1',
    });
    expect(facts.tables.audit_logs!.constraints.some((c) => c.definition?.includes('tier'))).toBe(
      false,
    );
    const index = await sql<{
      valid: boolean;
    }>`select indisvalid as valid from pg_index where indexrelid = 'idx_ou_region_code'::regclass`.execute(
      t.db,
    );
    expect(index.rows).toEqual([{ valid: true }]);
    const tiers = await sql<{
      n: string;
    }>`select count(*)::text as n from audit_logs where tier = 1`.execute(t.db);
    expect(tiers.rows[0]!.n).toBe('43');
    expect(
      (
        await sql<{ n: string }>`select count(*)::text as n from helios_meta.schema_steps`.execute(
          t.db,
        )
      ).rows[0]!.n,
    ).toBe('0');
    const versions = await readAppliedVersions(t.db);
    expect(versions.at(-1)).toMatchObject({
      version: NEXT,
      name: 'sample',
      method: 'upgrade',
      checksum: parseMigration(NEXT_FILE('sample'), sampleFixed).checksum,
    });
  });

  it('createHelios refuses a database behind the code (naming the command) and upgrades it with autoUpgrade or HELIOS_AUTO_UPGRADE=true', async () => {
    const t = await releaseOneDatabase();
    const refused = await failure(createHelios({ db: t.db }));
    expect(refused.code).toBe('SCHEMA.BEHIND');
    expect(refused.message).toContain('helios db upgrade');
    expect(refused.message).toContain('HELIOS_AUTO_UPGRADE=true');
    expect((await migrationState(t.db)).version).toBe(1);

    const previous = process.env.HELIOS_AUTO_UPGRADE;
    process.env.HELIOS_AUTO_UPGRADE = 'true';
    try {
      const helios = await createHelios({ db: t.db });
      await helios.close();
    } finally {
      if (previous === undefined) delete process.env.HELIOS_AUTO_UPGRADE;
      else process.env.HELIOS_AUTO_UPGRADE = previous;
    }
    expect((await migrationState(t.db)).version).toBe(LATEST);
    expect((await verifySchema(t.db)).compatible).toBe(true);

    const other = await releaseOneDatabase();
    const helios = await createHelios({ db: other.db, autoUpgrade: true });
    await helios.close();
    expect((await migrationState(other.db)).pending).toEqual([]);
  });
});

describe('migration lint', () => {
  const lint = (body: string) =>
    lintMigration(parseMigration('0099_probe.sql', body)).map((f) => f.rule);

  it('passes every shipped migration', () => {
    for (const m of loadMigrations()) expect(lintMigration(m), m.file).toEqual([]);
  });

  it('refuses statements that rewrite a big table or hold ACCESS EXCLUSIVE on it for long', () => {
    expect(BIG_TABLES).toEqual(expect.arrayContaining(['organization_users', 'audit_logs']));
    expect(lint('CREATE INDEX idx_x ON audit_logs (action);')).toEqual(['index-concurrently']);
    expect(
      lint('ALTER TABLE organization_users ADD COLUMN seen_at timestamptz DEFAULT now();'),
    ).toEqual(['no-volatile-default']);
    expect(
      lint('ALTER TABLE public.audit_logs ADD COLUMN trace uuid DEFAULT gen_random_uuid();'),
    ).toEqual(['no-volatile-default']);
    expect(lint('ALTER TABLE organization_users ALTER COLUMN email SET NOT NULL;')).toEqual([
      'not-null-by-steps',
    ]);
    expect(lint('ALTER TABLE organization_users ADD COLUMN region text NOT NULL;')).toEqual([
      'not-null-by-steps',
    ]);
    expect(lint('ALTER TABLE audit_logs ALTER COLUMN action TYPE text;')).toEqual([
      'no-table-rewrite',
    ]);
    expect(lint('ALTER TABLE audit_logs ALTER COLUMN action SET DATA TYPE varchar(500);')).toEqual([
      'no-table-rewrite',
    ]);
    expect(lint('ALTER TABLE audit_logs ADD CONSTRAINT c CHECK (sequence > 0);')).toEqual([
      'constraint-not-valid',
    ]);
    expect(lint('ALTER TABLE audit_logs ADD CONSTRAINT u UNIQUE (hash);')).toEqual([
      'constraint-not-valid',
    ]);
    expect(lint('UPDATE audit_logs SET actor_type = $$user$$;')).toEqual(['batched-backfill']);
    expect(lint('VACUUM FULL audit_logs;')).toEqual(['no-table-lock']);
    expect(lint('LOCK TABLE organization_users;')).toEqual(['no-table-lock']);
    expect(lint('BEGIN; ALTER TABLE audit_logs ADD COLUMN x int; COMMIT;')).toEqual([
      'no-transaction-control',
      'no-transaction-control',
    ]);
    expect(lint('CREATE INDEX CONCURRENTLY idx_y ON audit_logs (action);')).toEqual([
      'concurrently-in-transaction',
      'index-concurrently',
    ]);
    expect(
      lint('-- @step concurrently\nCREATE INDEX CONCURRENTLY idx_y ON audit_logs (action);'),
    ).toEqual(['concurrently-step-shape']);
    expect(lint('-- @step batch\nUPDATE audit_logs SET tier = 1 WHERE tier IS NULL;')).toEqual([
      'batch-step-shape',
    ]);
    expect(lint("SET lock_timeout = '1h';")).toEqual(['no-session-settings']);
    expect(
      lint(
        'ALTER TABLE organization_users ADD COLUMN a text; ALTER TABLE audit_logs ADD COLUMN b text;',
      ),
    ).toEqual(['one-big-table-per-step']);
    expect(
      lint(
        'ALTER TABLE organization_users ADD COLUMN a text;\n-- @step transaction\nALTER TABLE audit_logs ADD COLUMN b text;',
      ),
    ).toEqual([]);
  });

  it('accepts the online-safe forms, and anything on small tables', () => {
    expect(
      lint(`ALTER TABLE audit_logs ADD COLUMN tier smallint, ADD COLUMN note text DEFAULT 'none';
ALTER TABLE audit_logs ALTER COLUMN tier SET DEFAULT 1;
ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_tier_nn CHECK (tier IS NOT NULL) NOT VALID;
-- @step concurrently
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_audit_logs_tier ON audit_logs (tier);
-- @step batch
UPDATE audit_logs SET tier = 1 WHERE id IN (SELECT id FROM audit_logs WHERE tier IS NULL AND ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2) RETURNING id AS key;
-- @step transaction
ALTER TABLE audit_logs VALIDATE CONSTRAINT audit_logs_tier_nn;
ALTER TABLE audit_logs ALTER COLUMN tier SET NOT NULL;
SET LOCAL lock_timeout = '500ms';`),
    ).toEqual([]);
    expect(
      lint(
        'CREATE INDEX idx_d ON departments (name); ALTER TABLE departments ALTER COLUMN name TYPE text; UPDATE departments SET name = name;',
      ),
    ).toEqual([]);
  });
});

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDb } from '@helios/core/db';
import { createTestDatabase, type TestDatabase } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { helios, heliosBin, heliosProcess, type Run } from './cli.test-kit';

// The schema versions the repository ships: 1 (the baseline) and each numbered migration.
const MIGRATIONS = readdirSync(
  fileURLToPath(new URL('../../../database/migrations', import.meta.url)),
)
  .filter((f) => /^\d{4}_.+\.sql$/.test(f))
  .map((f) => Number(f.slice(0, 4)))
  .sort((a, b) => a - b);
const LATEST = MIGRATIONS.at(-1) ?? 1;

describe('helios db', { timeout: 400_000 }, () => {
  let t: TestDatabase;
  let cwd: string;
  let target: string[];
  beforeAll(async () => {
    t = await createTestDatabase({ empty: true });
    cwd = mkdtempSync(join(tmpdir(), 'helios-cli-'));
    // On PostgreSQL the command targets the test database; embedded, it uses .helios/data under cwd.
    target = t.connectionString ? ['--database-url', t.connectionString] : [];
  });
  afterAll(async () => {
    await t.destroy();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('installs, then says a second install is a no-op, verifies and reports status', async () => {
    const empty = await helios(['db', 'status', ...target], cwd);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('Not installed');

    const install = await helios(['db', 'install', ...target], cwd);
    expect(install.stderr).toBe('');
    expect(install.code).toBe(0);
    expect(install.stdout).toContain(`Installed the Helios schema (version ${LATEST})`);
    // On PostgreSQL the job queue's schema comes with it (its own schema: verify and the 86 tables are unaffected).
    if (t.connectionString)
      expect(install.stdout).toContain(
        'Job queue schema "graphile_worker" (graphile-worker) installed and up to date',
      );
    else expect(install.stdout).not.toContain('Job queue schema');

    const again = await helios(['db', 'install', ...target], cwd);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Already installed (schema version ${LATEST}); nothing to do`);

    const verify = await helios(['db', 'verify', '--json', ...target], cwd);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({
      compatible: true,
      state: 'helios',
      version: LATEST,
      drifts: [],
      pending: [],
    });

    const status = await helios(['db', 'status', '--json', ...target], cwd);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      state: 'helios',
      version: LATEST,
      latestVersion: LATEST,
      pending: [],
      tables: 86,
      versions: [1, ...MIGRATIONS].map((version) => ({ version, method: 'install' })),
    });

    const adopt = await helios(['db', 'adopt', ...target], cwd);
    expect(adopt.code).toBe(0);
    expect(adopt.stdout).toContain('nothing to do');
  });

  it('exits 1 and prints each drift when the schema has drifted', async () => {
    const db = t.connectionString
      ? createDb({ connectionString: t.connectionString })
      : createDb({ embedded: { dataDir: join(cwd, '.helios', 'data') } });
    try {
      await sql`alter table departments drop column description`.execute(db);
    } finally {
      await db.destroy();
    }
    const verify = await helios(['db', 'verify', ...target], cwd);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain('column departments.description (text) is missing');
  });

  it('explains a bad URL or an unreachable server in one line, exit 2, no stack trace', async () => {
    const bad = await heliosProcess(['db', 'status', '--database-url', 'mysql://nope'], cwd);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^error: Unsupported database URL scheme "mysql:".*\[DB\.BAD_URL\]/);

    const down = await helios(['db', 'install', '--json'], cwd, {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres',
    });
    expect(down.code).toBe(2);
    expect(JSON.parse(down.stdout)).toMatchObject({
      error: { code: 'DB.UNREACHABLE', kind: 'EXTERNAL_SERVICE' },
    });
    expect(down.stdout + down.stderr).not.toMatch(/\n\s+at /);
  });
});

/** The first release's schema file, frozen (packages/core/src/db/fixtures). */
const RELEASE_1 = readFileSync(
  fileURLToPath(
    new URL('../../core/src/db/fixtures/schema_organization.v1-399df8c.sql', import.meta.url),
  ),
  'utf8',
);

// Each command boots its own process (and, embedded, its own PGlite): give the sequences room.
describe('helios db upgrade and helios serve on a database of the first release', {
  timeout: 600_000,
}, () => {
  const made: Array<{ t: TestDatabase; cwd: string }> = [];
  afterAll(async () => {
    for (const { t, cwd } of made) {
      await t.destroy();
      rmSync(cwd, { recursive: true, force: true });
    }
  });
  /** A database holding the release-1 schema, as its installer left it; the CLI target arguments for it. */
  async function releaseOne(): Promise<{ cwd: string; target: string[] }> {
    const t = await createTestDatabase({ empty: true });
    const cwd = mkdtempSync(join(tmpdir(), 'helios-cli-upgrade-'));
    made.push({ t, cwd });
    const db = t.connectionString
      ? createDb({ connectionString: t.connectionString })
      : createDb({ embedded: { dataDir: join(cwd, '.helios', 'data') } });
    try {
      await db.transaction().execute(async (trx) => {
        await sql.raw(RELEASE_1).execute(trx);
        await sql`update helios_meta.schema_versions set method = 'install'`.execute(trx);
      });
      await sql`insert into organizations (name, domain) values ('Acme', 'acme.test')`.execute(db);
    } finally {
      await db.destroy();
    }
    return { cwd, target: t.connectionString ? ['--database-url', t.connectionString] : [] };
  }
  const freePort = () =>
    new Promise<number>((done, fail) => {
      const server = createServer();
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => done(port));
      });
    });
  /** `helios serve`: resolves with its exit when it stops on its own, or stops it (SIGTERM) once it listens. */
  async function serve(
    cwd: string,
    target: string[],
    env: NodeJS.ProcessEnv,
  ): Promise<Run & { listened: boolean }> {
    const port = await freePort();
    const {
      DATABASE_URL: _ignored,
      HELIOS_SCHEMA_DIR: _dir,
      HELIOS_AUTO_UPGRADE: _auto,
      ...base
    } = process.env;
    const child = spawn(process.execPath, [heliosBin, 'serve', '--port', String(port), ...target], {
      cwd,
      env: {
        ...base,
        HELIOS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        BETTER_AUTH_SECRET: randomBytes(32).toString('hex'),
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    let listened = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!listened && stdout.includes('Helios is serving')) {
        listened = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    return { code, stdout, stderr, listened };
  }

  it('status and verify point at the upgrade; serve refuses to start; --dry-run lists and changes nothing; upgrade brings it to the latest version', async () => {
    const { cwd, target } = await releaseOne();
    const status = await helios(['db', 'status', ...target], cwd);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Helios schema version 1');
    expect(status.stdout).toContain(`${MIGRATIONS.length} migration(s) pending`);
    expect(status.stdout).toContain(
      'pending: version 2 audit_chain_columns (transaction, concurrently)',
    );

    const verify = await helios(['db', 'verify', ...target], cwd);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain('run `helios db upgrade`');

    const refused = await serve(cwd, target, {});
    expect(refused.listened).toBe(false);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('helios db upgrade');
    expect(refused.stderr).toContain('[SCHEMA.BEHIND]');

    const plan = await helios(['db', 'upgrade', '--dry-run', '--json', ...target], cwd);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({
      action: 'dry-run',
      fromVersion: 1,
      toVersion: LATEST,
    });
    expect(JSON.parse(plan.stdout).migrations.map((m: { version: number }) => m.version)).toEqual(
      MIGRATIONS,
    );
    expect(
      JSON.parse((await helios(['db', 'status', '--json', ...target], cwd)).stdout),
    ).toMatchObject({ version: 1 });

    const upgrade = await helios(['db', 'upgrade', ...target], cwd);
    expect(upgrade.stderr).toBe('');
    expect(upgrade.code).toBe(0);
    expect(upgrade.stdout).toContain(`Upgraded the schema from version 1 to ${LATEST}`);
    expect(upgrade.stdout).toContain('0004_directory_order_index (concurrently)');
    const after = await helios(['db', 'verify', '--json', ...target], cwd);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ compatible: true, version: LATEST });

    const badFlag = await helios(['db', 'upgrade', '--lock-timeout', 'soon', ...target], cwd);
    expect(badFlag.code).toBe(64);
  });

  it('serve with HELIOS_AUTO_UPGRADE=true upgrades the database and starts', async () => {
    const { cwd, target } = await releaseOne();
    const served = await serve(cwd, target, { HELIOS_AUTO_UPGRADE: 'true' });
    expect(served.stderr).not.toContain('error:');
    expect(served.listened).toBe(true);
    const status = await helios(['db', 'status', '--json', ...target], cwd);
    expect(JSON.parse(status.stdout)).toMatchObject({ version: LATEST, pending: [] });
  });
});

// Roles and grants exist only on a PostgreSQL server; the embedded database has a single superuser.
if (
  (inject('heliosTestDatabase' as never) as { backend: string } | undefined)?.backend === 'postgres'
) {
  describe('helios db as a user without the needed permissions', () => {
    it('says which permission is missing in one line and exits 2, changing nothing', async () => {
      const t = await createTestDatabase({ empty: true });
      const role = `helios_limited_${process.pid}`;
      const admin = createDb({ connectionString: t.connectionString! });
      const cwd = mkdtempSync(join(tmpdir(), 'helios-cli-'));
      try {
        await sql`drop role if exists ${sql.id(role)}`.execute(admin);
        await sql`create role ${sql.id(role)} login`.execute(admin);
        const url = new URL(t.connectionString!);
        url.username = role;
        const run = await helios(['db', 'install', '--database-url', url.toString()], cwd);
        expect(run.code).toBe(2);
        expect(run.stderr.trim().split('\n')).toHaveLength(1);
        expect(run.stderr).toMatch(/permission.*\[DB\.PERMISSION_DENIED\]/);
        const tables = await sql<{
          n: string;
        }>`select count(*)::text as n from pg_tables where schemaname = 'public'`.execute(admin);
        expect(tables.rows[0]!.n).toBe('0');
      } finally {
        await admin.destroy();
        await t.destroy();
        const cleanup = createDb({
          connectionString: process.env.DATABASE_URL ?? t.connectionString!,
        });
        await sql`drop role if exists ${sql.id(role)}`.execute(cleanup).catch(() => {});
        await cleanup.destroy();
        rmSync(cwd, { recursive: true, force: true });
      }
    });
  });
}

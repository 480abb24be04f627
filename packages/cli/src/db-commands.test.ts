import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDb } from '@helios/core/db';
import { createTestDatabase, type TestDatabase } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// These tests run the built `helios` command (npm test builds first), as a user would.
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function helios(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const { DATABASE_URL: _ignored, HELIOS_SCHEMA_DIR: _dir, ...base } = process.env;
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('helios db', () => {
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
    expect(install.stdout).toMatch(/Installed the Helios schema \(version 1\)/);

    const again = await helios(['db', 'install', ...target], cwd);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Already installed \(schema version 1\); nothing to do/);

    const verify = await helios(['db', 'verify', '--json', ...target], cwd);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ compatible: true, state: 'helios', version: 1, drifts: [] });

    const status = await helios(['db', 'status', '--json', ...target], cwd);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'helios', version: 1, tables: 86, versions: [{ version: 1, method: 'install' }] });

    const adopt = await helios(['db', 'adopt', ...target], cwd);
    expect(adopt.code).toBe(0);
    expect(adopt.stdout).toContain('nothing to do');
  });

  it('exits 1 and prints each drift when the schema has drifted', async () => {
    const db = t.connectionString ? createDb({ connectionString: t.connectionString }) : createDb({ embedded: { dataDir: join(cwd, '.helios', 'data') } });
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
    const bad = await helios(['db', 'status', '--database-url', 'mysql://nope'], cwd);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^error: Unsupported database URL scheme "mysql:".*\[DB\.BAD_URL\]/);

    const down = await helios(['db', 'install', '--json'], cwd, { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' });
    expect(down.code).toBe(2);
    expect(JSON.parse(down.stdout)).toMatchObject({ error: { code: 'DB.UNREACHABLE', kind: 'EXTERNAL_SERVICE' } });
    expect(down.stdout + down.stderr).not.toMatch(/\n\s+at /);
  });
});

// Roles and grants exist only on a PostgreSQL server; the embedded database has a single superuser.
if ((inject('heliosTestDatabase' as never) as { backend: string } | undefined)?.backend === 'postgres') {
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
        const tables = await sql<{ n: string }>`select count(*)::text as n from pg_tables where schemaname = 'public'`.execute(admin);
        expect(tables.rows[0]!.n).toBe('0');
      } finally {
        await admin.destroy();
        await t.destroy();
        const cleanup = createDb({ connectionString: process.env.DATABASE_URL ?? t.connectionString! });
        await sql`drop role if exists ${sql.id(role)}`.execute(cleanup).catch(() => {});
        await cleanup.destroy();
        rmSync(cwd, { recursive: true, force: true });
      }
    });
  });
}

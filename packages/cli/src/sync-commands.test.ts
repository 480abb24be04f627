import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHelios, generateEncryptionKey } from '@helios/core';
import { createTestDatabase, type GoogleDirectorySimulator, startGoogleDirectorySimulator, type TestDatabase } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function helios(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const {
      DATABASE_URL: _ignored,
      HELIOS_SCHEMA_DIR: _dir,
      HELIOS_ENCRYPTION_KEY: _key,
      HELIOS_GOOGLE_API_ROOT: _root,
      HELIOS_GOOGLE_TOKEN_URL: _token,
      ...base
    } = process.env;
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const onPostgres = (inject('heliosTestDatabase' as never) as { backend: string } | undefined)?.backend === 'postgres';

describe('helios sync google', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'helios-sync-'));
  });
  afterAll(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it('documents its options', async () => {
    const run = await helios(['sync', 'google', '--help'], cwd);
    expect(run.code).toBe(0);
    for (const option of ['--dry-run', '--allow-large-removals', '--json', '--database-url']) expect(run.stdout).toContain(option);
  });

  // The command needs its own connection to the test's database: a server database.
  if (!onPostgres) return;

  describe('against a PostgreSQL database', () => {
    let t: TestDatabase;
    let sim: GoogleDirectorySimulator;
    const key = generateEncryptionKey();
    beforeAll(async () => {
      t = await createTestDatabase();
      sim = await startGoogleDirectorySimulator({ domain: 'cli-sync.test', seed: { users: 12, groups: 2, membersPerGroup: 3, orgUnits: 2 } });
      const sdk = await createHelios({ db: t.db, encryptionKey: key });
      const { admin } = await sdk.organizations.setup({
        organizationName: 'Acme',
        organizationDomain: 'cli-sync.test',
        admin: { email: 'a@cli-sync.test', firstName: 'A', lastName: 'B' },
      });
      await sdk.as({ type: 'user', userId: admin.id }).googleWorkspace.configure({
        serviceAccountKey: sim.serviceAccountKey,
        adminEmail: sim.adminEmail,
        domain: 'cli-sync.test',
      });
    });
    afterAll(async () => {
      await sim?.close();
      await t?.destroy();
    });

    it('exits 2 with the error code when something other than the safety limit stops it', async () => {
      if (!t.connectionString) throw new Error('expected a PostgreSQL test database');
      // Under another encryption key the stored service account key cannot be read.
      const wrongKey = await helios(['sync', 'google', '--dry-run', '--json', '--database-url', t.connectionString], cwd, {
        HELIOS_ENCRYPTION_KEY: generateEncryptionKey(),
      });
      expect(wrongKey.code).toBe(2);
      expect(JSON.parse(wrongKey.stdout).error.code).toBe('SECRETS.UNKNOWN_KEY');
    });

    it('refuses the simulator knobs (exit 2) until the SDK accepts provider overrides, rather than calling Google', async () => {
      if (!t.connectionString) throw new Error('expected a PostgreSQL test database');
      const run = await helios(['sync', 'google', '--dry-run', '--database-url', t.connectionString], cwd, {
        HELIOS_ENCRYPTION_KEY: key,
        HELIOS_GOOGLE_API_ROOT: sim.url,
        HELIOS_GOOGLE_TOKEN_URL: sim.tokenUrl,
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('[CLI.GOOGLE_ENDPOINTS_UNSUPPORTED]');
      expect(sim.requests.total).toBe(0);
    });
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHelios, generateEncryptionKey } from '@helios/core';
import {
  createTestDatabase,
  type GoogleDirectorySimulator,
  type GraphSimulator,
  startGoogleDirectorySimulator,
  startGraphSimulator,
  type TestDatabase,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helios, heliosProcess, onPostgres } from './cli.test-kit';

describe('helios sync google', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'helios-sync-'));
  });
  afterAll(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it('documents its options', async () => {
    const run = await heliosProcess(['sync', 'google', '--help'], cwd);
    expect(run.code).toBe(0);
    for (const option of ['--dry-run', '--allow-large-removals', '--json', '--database-url'])
      expect(run.stdout).toContain(option);
    const microsoft = await helios(['sync', 'microsoft', '--help'], cwd);
    expect(microsoft.code).toBe(0);
    for (const option of [
      '--dry-run',
      '--full',
      '--allow-large-removals',
      '--json',
      '--database-url',
    ])
      expect(microsoft.stdout).toContain(option);
  });

  it('says where to configure the credentials when none are stored: the REST route and the SDK call, not a configure command', async () => {
    // An organization in the embedded database the CLI opens in this directory, no credentials.
    const key = generateEncryptionKey();
    const dir = mkdtempSync(join(tmpdir(), 'helios-sync-unconfigured-'));
    try {
      const sdk = await createHelios({
        embedded: { dataDir: join(dir, '.helios', 'data') },
        encryptionKey: key,
      });
      await sdk.organizations.setup({
        organizationName: 'Acme',
        organizationDomain: 'unconfigured.test',
        admin: { email: 'a@unconfigured.test', firstName: 'A', lastName: 'B' },
      });
      await sdk.close();
      const google = await helios(['sync', 'google', '--dry-run'], dir, {
        HELIOS_ENCRYPTION_KEY: key,
      });
      expect(google.code, google.stderr).toBe(2);
      expect(google.stderr).toContain('[GOOGLE.NOT_CONFIGURED]');
      expect(google.stderr).toMatch(
        /\nhint: the CLI does not store credentials: .*PUT \/api\/v1\/integrations\/google-workspace\/credentials/,
      );
      expect(google.stderr).toContain('google.credentials.configure(');
      const microsoft = await helios(['sync', 'microsoft', '--dry-run', '--json'], dir, {
        HELIOS_ENCRYPTION_KEY: key,
      });
      expect(microsoft.code, microsoft.stderr).toBe(2);
      const { error, hint } = JSON.parse(microsoft.stdout);
      expect(error).toMatchObject({ kind: 'NOT_FOUND', code: 'MICROSOFT.NOT_CONFIGURED' });
      expect(hint).toContain('PUT /api/v1/integrations/microsoft-365/credentials');
      expect(hint).toContain('microsoft.credentials.configure(');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  // The command needs its own connection to the test's database: a server database.
  if (!onPostgres) return;

  describe('against a PostgreSQL database', () => {
    let t: TestDatabase;
    let sim: GoogleDirectorySimulator;
    const key = generateEncryptionKey();
    beforeAll(async () => {
      t = await createTestDatabase();
      sim = await startGoogleDirectorySimulator({
        domain: 'cli-sync.test',
        seed: { users: 12, groups: 2, membersPerGroup: 3, orgUnits: 2 },
      });
      const sdk = await createHelios({ db: t.db, encryptionKey: key });
      const { admin } = await sdk.organizations.setup({
        organizationName: 'Acme',
        organizationDomain: 'cli-sync.test',
        admin: { email: 'a@cli-sync.test', firstName: 'A', lastName: 'B' },
      });
      await sdk.as({ type: 'user', userId: admin.id }).google.credentials.configure({
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
      const wrongKey = await helios(
        ['sync', 'google', '--dry-run', '--json', '--database-url', t.connectionString],
        cwd,
        {
          HELIOS_ENCRYPTION_KEY: generateEncryptionKey(),
        },
      );
      expect(wrongKey.code).toBe(2);
      expect(JSON.parse(wrongKey.stdout).error.code).toBe('SECRETS.UNKNOWN_KEY');
    });

    const simEnv = () => ({
      HELIOS_ENCRYPTION_KEY: key,
      HELIOS_GOOGLE_API_ROOT: sim.url,
      HELIOS_GOOGLE_TOKEN_URL: sim.tokenUrl,
    });
    const syncedUsers = async () => {
      const rows = await t.db.selectFrom('gw_synced_users').select(['email', 'raw_data']).execute();
      return {
        total: rows.length,
        removed: rows.filter((r) => (r.raw_data as { _helios?: unknown } | null)?._helios).length,
      };
    };

    it('refuses half of the endpoint pair (exit 2) without calling anything', async () => {
      if (!t.connectionString) throw new Error('expected a PostgreSQL test database');
      const before = sim.requests.total;
      const run = await helios(
        ['sync', 'google', '--dry-run', '--database-url', t.connectionString],
        cwd,
        {
          HELIOS_ENCRYPTION_KEY: key,
          HELIOS_GOOGLE_API_ROOT: sim.url,
        },
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('[CONFIG.INVALID]');
      expect(sim.requests.total).toBe(before);
    });

    it('plans with --dry-run (nothing written), then syncs, against the simulator', async () => {
      if (!t.connectionString) throw new Error('expected a PostgreSQL test database');
      const plan = await helios(
        ['sync', 'google', '--dry-run', '--json', '--database-url', t.connectionString],
        cwd,
        simEnv(),
      );
      expect(plan.code).toBe(0);
      const planned = JSON.parse(plan.stdout);
      expect(planned).toMatchObject({
        dryRun: true,
        status: 'planned',
        fetched: { users: 13, groups: 2 },
      });
      expect(planned.counts.users.created).toBe(13);
      expect((await syncedUsers()).total).toBe(0);

      const run = await helios(
        ['sync', 'google', '--database-url', t.connectionString],
        cwd,
        simEnv(),
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Sync completed');
      expect(run.stdout).toMatch(/users\s+created 13, updated 0, unchanged 0, deactivated 0/);
      expect((await syncedUsers()).total).toBe(13);
    });

    it('exits 1 at the safety limit (nothing written), and removes with --allow-large-removals', async () => {
      if (!t.connectionString) throw new Error('expected a PostgreSQL test database');
      const victims = [...sim.state.users.values()]
        .filter((u) => u.primaryEmail.startsWith('user0000'))
        .slice(0, 3);
      for (const v of victims) sim.state.users.delete(v.id);
      const stopped = await helios(
        ['sync', 'google', '--database-url', t.connectionString],
        cwd,
        simEnv(),
      );
      expect(stopped.code).toBe(1);
      expect(stopped.stderr).toContain('[SYNC.SAFETY_LIMIT]');
      expect((await syncedUsers()).removed).toBe(0);
      const allowed = await helios(
        [
          'sync',
          'google',
          '--allow-large-removals',
          '--json',
          '--database-url',
          t.connectionString,
        ],
        cwd,
        simEnv(),
      );
      expect(allowed.code).toBe(0);
      expect(JSON.parse(allowed.stdout).counts.users.deactivated).toBe(3);
      expect((await syncedUsers()).removed).toBe(3);
    });
  });

  describe('microsoft, against a PostgreSQL database', () => {
    let t: TestDatabase;
    let sim: GraphSimulator;
    const key = generateEncryptionKey();
    const env = () => ({
      HELIOS_ENCRYPTION_KEY: key,
      HELIOS_MICROSOFT_GRAPH_URL: sim.url,
      HELIOS_MICROSOFT_LOGIN_URL: sim.authorityHost,
    });
    beforeAll(async () => {
      t = await createTestDatabase();
      sim = await startGraphSimulator({
        domain: 'cli-ms.test',
        seed: { users: 15, groups: 2, membersPerGroup: 3 },
      });
      const sdk = await createHelios({ db: t.db, encryptionKey: key });
      const { admin } = await sdk.organizations.setup({
        organizationName: 'Acme',
        organizationDomain: 'cli-ms.test',
        admin: { email: 'a@cli-ms.test', firstName: 'A', lastName: 'B' },
      });
      await sdk.as({ type: 'user', userId: admin.id }).microsoft.credentials.configure({
        tenantId: sim.tenantId,
        clientId: sim.clientId,
        clientSecret: sim.clientSecret,
      });
    });
    afterAll(async () => {
      await sim?.close();
      await t?.destroy();
    });

    it('plans, syncs in full, then incrementally, and reconciles with --full', async () => {
      if (!t.connectionString) throw new Error('expected a PostgreSQL test database');
      const url = ['--database-url', t.connectionString];
      const plan = await helios(['sync', 'microsoft', '--dry-run', '--json', ...url], cwd, env());
      expect(plan.code).toBe(0);
      expect(JSON.parse(plan.stdout)).toMatchObject({
        dryRun: true,
        mode: 'full',
        counts: { users: { created: 16 } },
      });
      const first = await helios(['sync', 'microsoft', ...url], cwd, env());
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('mode         full');
      expect(first.stdout).toMatch(/users\s+created 16, updated 0/);
      const user = [...sim.state.users.values()].find(
        (u) => u.userPrincipalName === 'user000002@cli-ms.test',
      );
      sim.touchUser(user.id, { jobTitle: 'Changed' });
      const next = await helios(['sync', 'microsoft', '--json', ...url], cwd, env());
      expect(next.code).toBe(0);
      expect(JSON.parse(next.stdout)).toMatchObject({
        mode: 'incremental',
        counts: { users: { updated: 1, created: 0 } },
      });
      const full = await helios(['sync', 'microsoft', '--full', '--json', ...url], cwd, env());
      expect(JSON.parse(full.stdout)).toMatchObject({
        mode: 'full',
        counts: { users: { created: 0, updated: 0, deactivated: 0 } },
      });
    });

    it('exits 1 at the safety limit', async () => {
      if (!t.connectionString) throw new Error('expected a PostgreSQL test database');
      for (const u of [...sim.state.users.values()].filter((x) =>
        /user00000[1-4]@/.test(x.userPrincipalName),
      ))
        sim.deleteUser(u.id);
      const stopped = await helios(
        ['sync', 'microsoft', '--database-url', t.connectionString],
        cwd,
        env(),
      );
      expect(stopped.code).toBe(1);
      expect(stopped.stderr).toContain('[SYNC.SAFETY_LIMIT]');
    });
  });
});

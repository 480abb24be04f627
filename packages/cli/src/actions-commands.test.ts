import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHelios, generateEncryptionKey, type Helios } from '@helios/core';
import { createHeliosAuth } from '@helios/core/auth';
import { createServer } from '@helios/server';
import {
  createTestDatabase,
  type GoogleDirectorySimulator,
  startGoogleDirectorySimulator,
  type TestDatabase,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, helios, heliosBin, heliosProcess, onPostgres } from './cli.test-kit';

// `helios actions ...` and `helios worker` end to end: an API-only server (in this process, no
// worker) schedules a due suspend over REST; a `helios worker` child process runs it; the action is
// completed, the user suspended locally and on the Google simulator (one write call).

describe('helios actions', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'helios-actions-'));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('documents its sub-commands and options', async () => {
    const run = await heliosProcess(['actions', '--help'], cwd);
    expect(run.code).toBe(0);
    for (const command of ['list', 'get', 'create', 'cancel', 'approve', 'reject'])
      expect(run.stdout).toContain(command);
    const list = await helios(['actions', 'list', '--help'], cwd);
    for (const option of [
      '--status',
      '--action-type',
      '--user-id',
      '--limit',
      '--cursor',
      '--json',
      '--database-url',
    ])
      expect(list.stdout).toContain(option);
  });

  it('lists, shows, approves and cancels actions in the embedded database, and exits 2 with the code on an unknown id', async () => {
    const key = generateEncryptionKey();
    const dir = mkdtempSync(join(tmpdir(), 'helios-actions-embedded-'));
    try {
      const sdk = await createHelios({
        embedded: { dataDir: join(dir, '.helios', 'data') },
        encryptionKey: key,
      });
      const { admin } = await sdk.organizations.setup({
        organizationName: 'Acme',
        organizationDomain: 'actions.test',
        admin: { email: 'a@actions.test', firstName: 'A', lastName: 'B' },
      });
      const asAdmin = sdk.as({ type: 'user', userId: admin.id });
      const user = await asAdmin.users.create({
        email: 'grace@actions.test',
        firstName: 'Grace',
        lastName: 'Hopper',
      });
      const waiting = await asAdmin.scheduledActions.create({
        actionType: 'suspend',
        userId: user.id,
        scheduledFor: '2031-01-01T00:00:00Z',
        requiresApproval: true,
      });
      const other = await asAdmin.scheduledActions.create({
        actionType: 'delete',
        userId: user.id,
        scheduledFor: '2031-02-01T00:00:00Z',
      });
      await sdk.close();
      const env = { HELIOS_ENCRYPTION_KEY: key };

      const list = await helios(['actions', 'list', '--json'], dir, env);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout).items.map((a: { id: string }) => a.id)).toEqual([
        waiting.id,
        other.id,
      ]);
      const human = await helios(['actions', 'list', '--action-type', 'delete'], dir, env);
      expect(human.stdout).toContain(other.id);
      expect(human.stdout).not.toContain(waiting.id);

      const approved = await helios(
        ['actions', 'approve', waiting.id, '--notes', 'ok', '--json'],
        dir,
        env,
      );
      expect(approved.code, approved.stderr).toBe(0);
      expect(JSON.parse(approved.stdout)).toMatchObject({
        id: waiting.id,
        status: 'pending',
        approvalNotes: 'ok',
      });
      expect(JSON.parse(approved.stdout).approvedAt).toEqual(expect.any(String));

      const cancelled = await helios(
        ['actions', 'cancel', other.id, '--reason', 'not needed'],
        dir,
        env,
      );
      expect(cancelled.code, cancelled.stderr).toBe(0);
      expect(cancelled.stdout).toContain(`Cancelled ${other.id}`);
      const shown = await helios(['actions', 'get', other.id], dir, env);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/status\s+cancelled/);

      // Created from the command line (by email), then rejected: cancelled with the reason, never run.
      const created = await helios(
        [
          'actions',
          'create',
          '--type',
          'unsuspend',
          '--email',
          'GRACE@actions.test',
          '--at',
          '2031-03-01T09:00:00Z',
          '--requires-approval',
          '--json',
        ],
        dir,
        env,
      );
      expect(created.code, created.stderr).toBe(0);
      const made = JSON.parse(created.stdout);
      expect(made).toMatchObject({
        actionType: 'unsuspend',
        userId: user.id,
        status: 'pending',
        requiresApproval: true,
        scheduledFor: '2031-03-01T09:00:00.000Z',
      });
      const rejected = await helios(
        ['actions', 'reject', made.id, '--reason', 'not this time'],
        dir,
        env,
      );
      expect(rejected.code, rejected.stderr).toBe(0);
      expect(rejected.stdout).toContain(`Rejected ${made.id}`);
      expect(rejected.stdout).toMatch(/status\s+cancelled/);
      const noReason = await helios(['actions', 'reject', made.id], dir, env);
      expect(noReason.code).not.toBe(0);
      expect(noReason.stderr).toContain('--reason');
      const nobody = await helios(
        ['actions', 'create', '--type', 'suspend', '--email', 'nobody@actions.test'],
        dir,
        env,
      );
      expect(nobody.code).toBe(2);
      expect(nobody.stderr).toContain('[USERS.NOT_FOUND]');
      const bad = await helios(
        ['actions', 'create', '--type', 'explode', '--user', user.id],
        dir,
        env,
      );
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('VALIDATION');

      const missing = await helios(
        ['actions', 'get', '00000000-0000-4000-8000-000000000000'],
        dir,
        env,
      );
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('[SCHEDULED_ACTIONS.NOT_FOUND]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  // Separate processes on one database: PostgreSQL only (the embedded database has one process).
  if (!onPostgres) return;

  describe('an API-only server and a `helios worker` on one PostgreSQL database', () => {
    let t: TestDatabase;
    let sim: GoogleDirectorySimulator;
    let server: Helios;
    let worker: ChildProcess | undefined;
    const key = generateEncryptionKey();

    beforeAll(async () => {
      t = await createTestDatabase();
      sim = await startGoogleDirectorySimulator({
        domain: 'e2e-actions.test',
        seed: { users: 3, groups: 1, membersPerGroup: 1, orgUnits: 1 },
      });
      server = await createHelios({
        db: t.db,
        encryptionKey: key,
        integrations: { google: { rootUrl: sim.url, tokenUrl: sim.tokenUrl } },
      });
    }, 60_000);
    afterAll(async () => {
      if (worker && worker.exitCode === null) worker.kill('SIGKILL');
      await server?.close();
      await sim?.close();
      await t?.destroy();
    });

    it('schedules a due suspend over REST; the worker process runs it once: completed, suspended locally and in Google', async () => {
      if (!t.connectionString) throw new Error('expected a PostgreSQL test database');
      const { admin } = await server.organizations.setup({
        organizationName: 'Acme',
        organizationDomain: 'e2e-actions.test',
        admin: { email: 'a@e2e-actions.test', firstName: 'A', lastName: 'B' },
      });
      const asAdmin = server.as({ type: 'user', userId: admin.id });
      await asAdmin.google.credentials.configure({
        serviceAccountKey: sim.serviceAccountKey,
        adminEmail: sim.adminEmail,
        domain: 'e2e-actions.test',
      });
      await asAdmin.organizations.modules.enable('google_workspace');
      const cloudUser = [...sim.state.users.values()].find(
        (u) => !u.suspended && u.primaryEmail !== sim.adminEmail,
      );
      if (!cloudUser) throw new Error('the simulator has no user to suspend');
      const local = await asAdmin.users.create({
        email: cloudUser.primaryEmail,
        firstName: 'Cloud',
        lastName: 'User',
      });
      await server.db
        .updateTable('organization_users')
        .set({ google_workspace_id: cloudUser.id })
        .where('id', '=', local.id)
        .execute();
      const { secret } = await asAdmin.apiKeys.create({
        name: 'e2e',
        scopes: ['users:write'],
        rateLimitPerMinute: 100_000,
      });

      // The API server: no worker in this process (HELIOS_WORKER=off).
      const auth = createHeliosAuth(server, {
        secret: 's'.repeat(40),
        baseURL: 'http://localhost',
      });
      const app = createServer({ helios: server, auth });
      expect(await (await app.request('/ready')).json()).toMatchObject({ worker: 'stopped' });
      const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
      const created = await app.request('/api/v1/scheduled-actions', {
        method: 'POST',
        headers,
        body: JSON.stringify({
          actionType: 'suspend',
          userId: local.id,
          scheduledFor: new Date(Date.now() - 1000).toISOString(),
        }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
      const action = (await created.json()) as { id: string; status: string };
      expect(action.status).toBe('pending');
      const writesBefore =
        (sim.requests.byRoute['users.update'] ?? 0) + (sim.requests.byRoute['users.patch'] ?? 0);

      // The worker process.
      const child = spawn(process.execPath, [heliosBin, 'worker', '--concurrency', '2'], {
        cwd: mkdtempSync(join(tmpdir(), 'helios-worker-')),
        env: childEnv({
          DATABASE_URL: t.connectionString,
          HELIOS_ENCRYPTION_KEY: key,
          HELIOS_GOOGLE_API_ROOT: sim.url,
          HELIOS_GOOGLE_TOKEN_URL: sim.tokenUrl,
        }),
      });
      worker = child;
      let output = '';
      child.stdout?.on('data', (d) => (output += d));
      child.stderr?.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((resolve) =>
        child.on('close', (code) => resolve(code)),
      );

      // Wait for the action to finish (a deadline, not a timing assertion).
      let current:
        | {
            status: string;
            startedAt: string | null;
            completedAt: string | null;
            errorMessage: string | null;
          }
        | undefined;
      for (const deadline = Date.now() + 90_000; Date.now() < deadline; ) {
        const res = await app.request(`/api/v1/scheduled-actions/${action.id}`, { headers });
        current = (await res.json()) as typeof current;
        if (current && ['completed', 'failed'].includes(current.status)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(current, output).toMatchObject({ status: 'completed', errorMessage: null });
      expect(current?.startedAt).toEqual(expect.any(String));
      expect(current?.completedAt).toEqual(expect.any(String));

      expect(sim.state.users.get(cloudUser.id)).toMatchObject({ suspended: true });
      const writes =
        (sim.requests.byRoute['users.update'] ?? 0) + (sim.requests.byRoute['users.patch'] ?? 0);
      expect(writes - writesBefore).toBe(1);
      const row = await server.db
        .selectFrom('organization_users')
        .select(['user_status'])
        .where('id', '=', local.id)
        .executeTakeFirstOrThrow();
      expect(row.user_status).toBe('suspended');
      const logs = (await (
        await app.request(`/api/v1/scheduled-actions/${action.id}/logs`, { headers })
      ).json()) as { stepName: string }[];
      expect(logs.length).toBeGreaterThan(0);

      // The CLI sees the same, and the worker stops gracefully on SIGTERM.
      const got = await helios(
        ['actions', 'get', action.id, '--json', '--database-url', t.connectionString],
        tmpdir(),
        { HELIOS_ENCRYPTION_KEY: key },
      );
      expect(got.code, got.stderr).toBe(0);
      expect(JSON.parse(got.stdout)).toMatchObject({ id: action.id, status: 'completed' });
      child.kill('SIGTERM');
      expect(await exited, output).toBe(0);
    }, 180_000);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHelios, generateEncryptionKey, type Helios } from '@helios/core';
import {
  createTestDatabase,
  type GraphSimulator,
  startGraphSimulator,
  type TestDatabase,
} from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helios, heliosProcess, onPostgres } from './cli.test-kit';

// `helios lifecycle` run as a process against the Graph simulator over HTTP: on the test's
// PostgreSQL database (graphile-worker) or, on the embedded backend, an embedded database in a
// temporary directory (the in-process queue). The command runs the run's jobs itself.

const DOMAIN = 'cli-lifecycle.test';

describe('helios lifecycle', () => {
  let cwd: string;
  let sim: GraphSimulator;
  let t: TestDatabase | undefined;
  const key = generateEncryptionKey();
  let url: string[] = [];

  /** Opens the SDK on the database the command uses (the embedded one only while no command runs). */
  const open = () =>
    t
      ? createHelios({ db: t.db, encryptionKey: key })
      : createHelios({ embedded: { dataDir: join(cwd, '.helios', 'data') }, encryptionKey: key });
  const close = async (sdk: Helios) => {
    if (!t) await sdk.close();
  };
  const rows = async () => {
    const sdk = await open();
    const count = async (table: string) =>
      Number(
        (
          await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)}`.execute(
            sdk.db,
          )
        ).rows[0]?.n,
      );
    try {
      return {
        users: await count('organization_users'),
        runs: await count('scheduled_user_actions'),
        logs: await count('user_lifecycle_logs'),
        audit: await count('audit_logs'),
      };
    } finally {
      await close(sdk);
    }
  };
  const env = () => ({
    HELIOS_ENCRYPTION_KEY: key,
    HELIOS_MICROSOFT_GRAPH_URL: sim.url,
    HELIOS_MICROSOFT_LOGIN_URL: sim.authorityHost,
  });
  const run = (args: string[]) => helios(['lifecycle', ...args, ...url], cwd, env());
  const created = () => sim.requests.byRoute['users.create'] ?? 0;

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'helios-lifecycle-'));
    sim = await startGraphSimulator({
      domain: DOMAIN,
      seed: { users: 2, groups: 0, membersPerGroup: 0 },
    });
    if (onPostgres) {
      t = await createTestDatabase();
      if (!t.connectionString) throw new Error('expected a PostgreSQL test database');
      url = ['--database-url', t.connectionString];
    }
    const sdk = await open();
    const { admin } = await sdk.organizations.setup({
      organizationName: 'Acme',
      organizationDomain: DOMAIN,
      admin: { email: `admin@${DOMAIN}`, firstName: 'Ada', lastName: 'Admin' },
    });
    const asAdmin = sdk.as({ type: 'user', userId: admin.id });
    await asAdmin.microsoft.credentials.configure({
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
    });
    await asAdmin.organizations.modules.enable('microsoft_365');
    await close(sdk);
  }, 300_000);

  afterAll(async () => {
    await sim?.close();
    await t?.destroy();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('documents its commands and options', async () => {
    const top = await heliosProcess(['lifecycle', '--help'], cwd);
    expect(top.code).toBe(0);
    for (const command of ['onboard', 'offboard', 'runs', 'run', 'resume'])
      expect(top.stdout).toContain(command);
    const onboard = await helios(['lifecycle', 'onboard', '--help'], cwd);
    expect(onboard.code).toBe(0);
    for (const option of [
      '--email',
      '--first-name',
      '--last-name',
      '--personal-email',
      '--template',
      '--start-date',
      '--manager',
      '--department',
      '--job-title',
      '--request',
      '--set',
      '--plan',
      '--json',
      '--database-url',
    ])
      expect(onboard.stdout).toContain(option);
    const offboard = await helios(['lifecycle', 'offboard', '--help'], cwd);
    for (const option of ['--user', '--template', '--last-day', '--confirm-wipe', '--plan'])
      expect(offboard.stdout).toContain(option);
    const runs = await helios(['lifecycle', 'runs', '--help'], cwd);
    for (const option of ['--kind', '--status', '--json']) expect(runs.stdout).toContain(option);
    const resume = await helios(['lifecycle', 'resume', '--help'], cwd);
    expect(resume.stdout).toContain('<id>');
  });

  it('--plan prints the ordered steps with their calls and reasons and writes nothing', async () => {
    const before = { rows: await rows(), graph: sim.requests.total };
    const email = `plan@${DOMAIN}`;
    const human = await run([
      'onboard',
      '--email',
      email,
      '--first-name',
      'Pat',
      '--last-name',
      'Plan',
      '--job-title',
      'Engineer',
      '--plan',
    ]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`Onboarding plan for ${email} (nothing written)`);
    expect(human.stdout).toMatch(/1\. local\s+local\.create_user/);
    expect(human.stdout).toMatch(/microsoft\s+microsoft\.create_account\n\s+call\s+createUser\(/);
    expect(human.stdout).toContain('<local.create_user>');
    expect(human.stdout).toMatch(
      /google\s+google\.create_account\n\s+skipped: Google Workspace is not connected/,
    );
    expect(human.stdout).toContain('mail.welcome');
    const json = await run([
      'onboard',
      '--email',
      email,
      '--first-name',
      'Pat',
      '--last-name',
      'Plan',
      '--manager',
      `ADMIN@${DOMAIN}`,
      '--plan',
      '--json',
    ]);
    expect(json.code, json.stderr).toBe(0);
    const plan = JSON.parse(json.stdout);
    expect(plan).toMatchObject({ kind: 'onboard', email });
    // --manager takes an email address as --user does (the id goes into the plan).
    expect(plan.steps[0].call.args[0].managerId).toMatch(/^[0-9a-f-]{36}$/);
    expect(plan.steps.map((s: { id: string; state: string }) => [s.id, s.state])).toEqual([
      ['local.create_user', 'planned'],
      ['google.create_account', 'skipped'],
      ['microsoft.create_account', 'planned'],
      ['mail.welcome', 'skipped'],
    ]);
    const offboard = await run(['offboard', '--user', `admin@${DOMAIN}`, '--plan', '--json']);
    expect(offboard.code, offboard.stderr).toBe(0);
    expect(JSON.parse(offboard.stdout)).toMatchObject({ kind: 'offboard' });
    expect({ rows: await rows(), graph: sim.requests.total }).toEqual(before);
  }, 300_000);

  it('refuses bad input with the error code (exit 2) and a malformed --set (exit 64), writing nothing', async () => {
    const before = await rows();
    const missing = await run(['onboard', '--email', `x@${DOMAIN}`, '--plan']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('[VALIDATION.FAILED]');
    const unknown = await run(['offboard', '--user', `nobody@${DOMAIN}`, '--json']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).error.code).toBe('USERS.NOT_FOUND');
    const badSet = await run(['offboard', '--user', `admin@${DOMAIN}`, '--set', 'oops']);
    expect(badSet.code).toBe(64);
    expect(badSet.stderr).toContain('--set takes key=value');
    const badField = await run([
      'offboard',
      '--user',
      `admin@${DOMAIN}`,
      '--set',
      'name=x',
      '--plan',
    ]);
    expect(badField.code).toBe(2);
    expect(badField.stderr).toContain('[VALIDATION.FAILED]');
    expect(await rows()).toEqual(before);
  }, 300_000);

  it('onboards: the steps end succeeded or skipped, each printed as it ends; runs and run show it', async () => {
    const email = `ann@${DOMAIN}`;
    const before = created();
    const applied = await run([
      'onboard',
      '--email',
      email,
      '--first-name',
      'Ann',
      '--last-name',
      'Lee',
      '--job-title',
      'Engineer',
    ]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Run [0-9a-f-]{36} started \(4 steps\)/);
    expect(applied.stdout).toMatch(/ok {3}local\.create_user\s+changed/);
    expect(applied.stdout).toMatch(/ok {3}microsoft\.create_account\s+changed/);
    expect(applied.stdout).toMatch(/skip mail\.welcome\s+skipped: /);
    expect(applied.stdout).toMatch(/Run [0-9a-f-]{36} completed: 2 succeeded, 2 skipped/);
    expect(created() - before).toBe(1);
    expect(
      [...sim.state.users.values()].some(
        (u: { userPrincipalName: string }) => u.userPrincipalName === email,
      ),
    ).toBe(true);
    const id = /Run ([0-9a-f-]{36}) completed/.exec(applied.stdout)?.[1] as string;
    const list = await run(['runs', '--kind', 'onboard', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).items[0]).toMatchObject({ id, status: 'completed', email });
    const shown = await run(['run', id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('status     completed');
    expect(shown.stdout).toMatch(/succeeded\s+microsoft\.create_account/);
    expect(shown.stdout).toMatch(/started\s+microsoft\.create_account/);
  }, 300_000);

  it('a failed step exits 1 naming it; resume runs only that step and finishes the run', async () => {
    // The address is taken in Microsoft 365 by an account Helios does not know: creating it fails.
    const taken = [...sim.state.users.values()].find((u: { userPrincipalName: string }) =>
      u.userPrincipalName.startsWith('user000001@'),
    ) as { id: string; userPrincipalName: string };
    const email = taken.userPrincipalName;
    const failed = await run([
      'onboard',
      '--email',
      email,
      '--first-name',
      'Tak',
      '--last-name',
      'En',
      '--json',
    ]);
    expect(failed.code, failed.stderr).toBe(1);
    const result = JSON.parse(failed.stdout);
    expect(result.status).toBe('failed');
    const states = Object.fromEntries(
      result.steps.map((s: { id: string; state: string }) => [s.id, s.state]),
    );
    expect(states).toMatchObject({
      'local.create_user': 'succeeded',
      'microsoft.create_account': 'failed',
    });
    const human = await run(['run', result.id]);
    expect(human.stdout).toMatch(/FAIL microsoft\.create_account/);

    sim.deleteUser(taken.id);
    const before = { created: created(), rows: await rows() };
    const resumed = await run(['resume', result.id]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`Run ${result.id} resumed (1 step(s) to run again)`);
    expect(resumed.stdout).toMatch(/ok {3}microsoft\.create_account/);
    expect(resumed.stdout).not.toContain('local.create_user');
    expect(resumed.stdout).toContain(`Run ${result.id} completed`);
    expect(created() - before.created).toBe(1);
    const after = await rows();
    expect(after.users).toBe(before.rows.users);
    expect(after.runs).toBe(before.rows.runs);
    const again = await run(['resume', result.id]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('[LIFECYCLE.RUN_NOT_RESUMABLE]');
  }, 300_000);
});

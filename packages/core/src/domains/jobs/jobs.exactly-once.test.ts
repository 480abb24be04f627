import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  createTestDatabase,
  type GoogleDirectorySimulator,
  startGoogleDirectorySimulator,
  type TestDatabase,
} from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHelios, type Helios } from '../../helios';
import { RUN_TASK } from '../scheduled-actions';

// Exactly once across processes (PostgreSQL): 4 worker processes run 1,000 due scheduled suspend
// actions (`helios.scheduledActions`, its `scheduled-actions.run` task) whose Google step calls the
// Google simulator over HTTP; one worker is killed with SIGKILL midway; every action completes and
// the simulator saw each user suspended exactly once (calls counted on the simulator). On the
// embedded database (one process), duplicate jobs of the same actions do nothing.

const postgres =
  (inject('heliosTestDatabase' as never) as { backend: string } | undefined)?.backend ===
  'postgres';
const fixture = fileURLToPath(new URL('./jobs.exactly-once-fixture.ts', import.meta.url));
const DOMAIN = 'once.test';
const USERS = postgres ? 1000 : 20;
const encryptionKey = randomBytes(32).toString('base64');

let t: TestDatabase;
let sim: GoogleDirectorySimulator;
let helios: Helios;
let organizationId: string;
let actionIds: string[];

beforeAll(async () => {
  [t, sim] = await Promise.all([
    createTestDatabase(),
    startGoogleDirectorySimulator({
      domain: DOMAIN,
      seed: { users: USERS, groups: 0, orgUnits: 1 },
    }),
  ]);
  helios = await createHelios({
    ...(t.connectionString ? { databaseUrl: t.connectionString } : { db: t.db }),
    encryptionKey,
    integrations: { google: { rootUrl: sim.url, tokenUrl: sim.tokenUrl } },
  });
  const setup = await helios.organizations.setup({
    organizationName: 'Once',
    organizationDomain: DOMAIN,
    admin: { email: `admin@${DOMAIN}`, firstName: 'Ada', lastName: 'Admin' },
  });
  organizationId = setup.organization.id;
  const admin = helios.as({ type: 'user', userId: setup.admin.id });
  await admin.google.credentials.configure({
    serviceAccountKey: sim.serviceAccountKey,
    adminEmail: sim.adminEmail,
    domain: DOMAIN,
  });
  expect((await admin.google.credentials.testConnection()).ok).toBe(true);
  // Every simulated user (but the admin) linked to an organization user, each with a due suspend action.
  const googleUsers = [...sim.state.users.values()]
    .filter((u) => u.primaryEmail !== sim.adminEmail)
    .slice(0, USERS);
  expect(googleUsers).toHaveLength(USERS);
  for (const u of googleUsers) {
    // The seed suspends a few users: every one starts active here.
    u.suspended = false;
    delete u.suspensionReason;
  }
  const users = await helios.db
    .insertInto('organization_users')
    .values(
      googleUsers.map((u, i) => ({
        organization_id: organizationId,
        email: String(u.primaryEmail),
        first_name: 'Once',
        last_name: `User ${i}`,
        role: 'user',
        user_status: 'active',
        is_active: true,
        google_workspace_id: String(u.id),
      })),
    )
    .returning('id')
    .execute();
  // Due now: each create queues its run job (keyed by the action); no worker runs in this process.
  actionIds = [];
  for (const u of users)
    actionIds.push(
      (
        await admin.scheduledActions.create({
          actionType: 'suspend',
          userId: u.id,
          scheduledFor: new Date(),
        })
      ).id,
    );
}, 300_000);

afterAll(async () => {
  await helios?.close();
  await sim?.close();
  await t?.destroy();
});

/** One more run job per action, without a key (duplicates of the jobs `create` queued). */
async function enqueueDuplicates(): Promise<void> {
  await helios.transaction(async (tx) => {
    for (const actionId of actionIds) await tx.jobs.enqueue(RUN_TASK, { actionId });
  });
}

async function statusCounts(): Promise<Record<string, number>> {
  const { rows } = await sql<{
    status: string;
    n: string;
  }>`select status, count(*) as n from scheduled_user_actions group by status`.execute(helios.db);
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Every linked Google user was suspended in the simulator by exactly one call. */
async function expectEachSuspendedOnce(): Promise<void> {
  const { rows } = await sql<{
    google_workspace_id: string;
  }>`select u.google_workspace_id from scheduled_user_actions a
    join organization_users u on u.id = a.user_id`.execute(helios.db);
  const linked = rows.map((r) => r.google_workspace_id).sort();
  expect([...sim.suspensionCalls.suspend.keys()].sort()).toEqual(linked);
  const counts = [...sim.suspensionCalls.suspend.values()];
  expect(counts.filter((n) => n !== 1)).toEqual([]);
  expect(linked.filter((id) => sim.state.users.get(id)?.suspended !== true)).toEqual([]);
}

if (postgres) {
  describe('scheduled actions run exactly once across worker processes (PostgreSQL)', () => {
    it('4 workers, 1,000 due suspend actions, one worker killed with SIGKILL midway: all completed, each user suspended once', {
      timeout: 600_000,
    }, async () => {
      const children: ChildProcess[] = [];
      const start = (name: string) => {
        const args = [t.connectionString!, encryptionKey, sim.url, sim.tokenUrl];
        const child = fork(fixture, args, {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        });
        children.push(child);
        return new Promise<ChildProcess>((resolve, reject) => {
          child.once('message', () => resolve(child));
          child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code}`)));
        });
      };
      try {
        const [victim, ...others] = await Promise.all([
          start('victim'),
          start('w1'),
          start('w2'),
          start('w3'),
        ]);

        // Midway (an outcome, not a duration): a quarter of the actions completed.
        while (((await statusCounts()).completed ?? 0) < USERS / 4)
          await new Promise((resolve) => setTimeout(resolve, 50));
        const killed = new Promise((resolve) => victim!.once('exit', resolve));
        victim!.kill('SIGKILL');
        await killed;

        for (;;) {
          const { rows } = await sql<{
            left: string;
          }>`select count(*) as left from graphile_worker._private_jobs`.execute(helios.db);
          if ((await statusCounts()).completed === USERS && Number(rows[0]!.left) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(await statusCounts()).toEqual({ completed: USERS });
        await expectEachSuspendedOnce();

        // Whatever the victim held when it died (claimed actions, locked jobs) was recovered: every
        // action completed above; the dead worker's registration is gone.
        expect((await helios.jobs.status()).workers.map((w) => w.pid).sort()).toEqual(
          others.map((c) => c.pid).sort(),
        );

        const exits = others.map(
          (child) =>
            new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
        );
        for (const child of others) child.send('stop');
        expect(await Promise.all(exits)).toEqual([0, 0, 0]);
      } finally {
        for (const child of children)
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    });
  });
} else {
  describe('scheduled actions in process (embedded)', () => {
    it('duplicate jobs of the same due actions do nothing: each user suspended once (exactly-once across processes needs PostgreSQL)', async () => {
      // Each action has its keyed job (queued by create) and a duplicate without a key.
      await enqueueDuplicates();
      await helios.jobs.runOnce();
      expect(await statusCounts()).toEqual({ completed: USERS });
      await expectEachSuspendedOnce();
    });
  });
}

import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { createHelios, type Helios } from '../../helios';
import { defineTask } from './jobs.task';

// Process-level tests, one file with one shared setup: on PostgreSQL, jobs are shared by every
// worker process and each runs exactly once; on the embedded database, jobs stay in process.

const postgres =
  (inject('heliosTestDatabase' as never) as { backend: string } | undefined)?.backend ===
  'postgres';
const fixture = fileURLToPath(new URL('./jobs.process-fixture.ts', import.meta.url));
const count = defineTask({
  name: 'test.count',
  payload: z.object({ n: z.number().int() }),
  handler: async () => {},
});
const hang = defineTask({
  name: 'test.hang',
  payload: z.object({ n: z.number().int() }),
  handler: async () => {},
});

let t: TestDatabase;
let helios: Helios;

beforeAll(async () => {
  t = await createTestDatabase();
  helios = await createHelios({
    ...(t.connectionString ? { databaseUrl: t.connectionString } : { db: t.db }),
    jobs: { tasks: [count, hang] },
  });
});

/** Forks a worker process (fixture) and resolves once it says it is ready. */
function startWorker(
  children: ChildProcess[],
  name: string,
  ...args: string[]
): Promise<ChildProcess> {
  const child = fork(fixture, [t.connectionString!, name, ...args], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code}`)));
  });
}

/** Polls `check` until it returns true (the test's timeout bounds the wait: outcomes, not durations). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

afterAll(async () => {
  await helios?.close();
  await t?.destroy();
});

if (postgres) {
  describe('jobs across processes (PostgreSQL)', () => {
    it('queues with the caller transaction: a rolled back enqueue leaves no job', async () => {
      await expect(
        helios.transaction(async (tx) => {
          await tx.jobs.enqueue(count, { n: 1 });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect((await helios.jobs.status()).queued).toBe(0);
      await helios.transaction((tx) => tx.jobs.enqueue(count, { n: 1 }, { jobKey: 'tx-test' }));
      expect((await helios.jobs.status()).queued).toBe(1);
      await helios.jobs.runOnce();
      expect((await helios.jobs.status()).queued).toBe(0);
    });

    it('two worker processes run 200 jobs exactly once, then stop gracefully', async () => {
      await sql`create schema jobs_test`.execute(helios.db);
      await sql`create table jobs_test.runs (n int not null, worker text not null, attempt int)`.execute(
        helios.db,
      );
      const children: ChildProcess[] = [];
      try {
        // Both start at once (each compiles the sources with tsx: the slow part of this test).
        await Promise.all(['w1', 'w2'].map((name) => startWorker(children, name)));
        await helios.transaction(async (tx) => {
          for (let n = 0; n < 200; n++) await tx.jobs.enqueue(count, { n });
        });
        // Wait for the outcome (not a duration): every job done, none left in the queue.
        for (;;) {
          const [row] = (
            await sql<{
              runs: string;
              left: string;
            }>`select (select count(*) from jobs_test.runs) as runs, (select count(*) from graphile_worker._private_jobs) as left`.execute(
              helios.db,
            )
          ).rows;
          if (Number(row!.runs) >= 200 && Number(row!.left) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const { rows } = await sql<{
          total: string;
          distinct_n: string;
        }>`select count(*) as total, count(distinct n) as distinct_n from jobs_test.runs`.execute(
          helios.db,
        );
        expect(rows[0]).toEqual({ total: '200', distinct_n: '200' });
        const exits = children.map(
          (child) =>
            new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
        );
        for (const child of children) child.send('stop');
        expect(await Promise.all(exits)).toEqual([0, 0]);
        // A graceful stop unregisters: no live worker is left.
        expect((await helios.jobs.status()).workers).toEqual([]);
      } finally {
        for (const child of children) if (child.exitCode === null) child.kill();
      }
    });

    it('recovers the job of a worker killed with SIGKILL: another worker runs it to completion', async () => {
      await sql`truncate jobs_test.runs`.execute(helios.db);
      const children: ChildProcess[] = [];
      const runsOf = async () =>
        (
          await sql<{
            worker: string;
            attempt: number;
          }>`select worker, attempt from jobs_test.runs where n = 7 order by attempt`.execute(
            helios.db,
          )
        ).rows;
      try {
        // The victim takes the job and hangs in it: graphile-worker alone would leave it locked for 4 hours.
        const victim = await startWorker(children, 'victim', '200');
        await helios.jobs.enqueue(hang, { n: 7 });
        await until(async () => (await runsOf()).length === 1);
        const rescuer = await startWorker(children, 'rescuer', '200');
        // A starting worker queues its start tasks (the lifecycle runs sweep) before it says ready:
        // wait until they ran (none queued, only the hanging job running), and look at that status.
        let before = await helios.jobs.status();
        await until(async () => {
          before = await helios.jobs.status();
          return before.queued === 0 && before.running === 1;
        });
        expect(before.workers.map((w) => w.pid).sort()).toEqual([victim.pid, rescuer.pid].sort());
        expect(
          before.workers.every((w) => !w.self && w.concurrency === 4 && w.poolIds.length === 1),
        ).toBe(true);

        const killed = new Promise((resolve) => victim.once('exit', resolve));
        victim.kill('SIGKILL');
        await killed;
        // The rescuer's sweeper finds the dead worker (its advisory lock is gone), releases its job,
        // and runs it on its second attempt; the queue is then empty.
        await until(async () => {
          const { rows } = await sql<{
            left: string;
          }>`select count(*) as left from graphile_worker._private_jobs`.execute(helios.db);
          return (await runsOf()).length === 2 && Number(rows[0]!.left) === 0;
        });
        expect(await runsOf()).toEqual([
          { worker: 'victim', attempt: 1 },
          { worker: 'rescuer', attempt: 2 },
        ]);
        const after = await helios.jobs.status();
        expect(after.workers.map((w) => w.pid)).toEqual([rescuer.pid]);
        expect(after).toMatchObject({ running: 0, queued: 0, failed: 0 });
        const { rows } = await sql<{
          n: string;
        }>`select count(*) as n from helios_jobs.workers`.execute(helios.db);
        expect(rows[0]!.n).toBe('1');

        const exited = new Promise<number | null>((resolve) =>
          rescuer.once('exit', (code) => resolve(code)),
        );
        rescuer.send('stop');
        expect(await exited).toBe(0);
      } finally {
        for (const child of children)
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    });
  });
} else {
  describe('jobs on the embedded database', () => {
    it('run in this process through the same interface (exactly-once across processes needs PostgreSQL)', async () => {
      expect(helios.jobs.backend).toBe('in-process');
      await helios.jobs.enqueue(count, { n: 1 });
      await helios.jobs.runOnce();
      expect((await helios.jobs.status()).queued).toBe(0);
    });
  });
}

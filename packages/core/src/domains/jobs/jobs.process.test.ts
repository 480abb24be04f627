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

const postgres = (inject('heliosTestDatabase' as never) as { backend: string } | undefined)?.backend === 'postgres';
const fixture = fileURLToPath(new URL('./jobs.process-fixture.ts', import.meta.url));
const count = defineTask({ name: 'test.count', payload: z.object({ n: z.number().int() }), handler: async () => {} });

let t: TestDatabase;
let helios: Helios;

beforeAll(async () => {
  t = await createTestDatabase();
  helios = await createHelios({ ...(t.connectionString ? { databaseUrl: t.connectionString } : { db: t.db }), jobs: { tasks: [count] } });
});

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
      await sql`create table jobs_test.runs (n int not null, worker text not null)`.execute(helios.db);
      const children: ChildProcess[] = [];
      try {
        // Both start at once (each compiles the sources with tsx: the slow part of this test).
        await Promise.all(
          ['w1', 'w2'].map((name) => {
            const child = fork(fixture, [t.connectionString!, name], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
            children.push(child);
            return new Promise<void>((resolve, reject) => {
              child.once('message', () => resolve());
              child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code}`)));
            });
          }),
        );
        await helios.transaction(async (tx) => {
          for (let n = 0; n < 200; n++) await tx.jobs.enqueue(count, { n });
        });
        // Wait for the outcome (not a duration): every job done, none left in the queue.
        for (;;) {
          const [row] = (
            await sql<{
              runs: string;
              left: string;
            }>`select (select count(*) from jobs_test.runs) as runs, (select count(*) from graphile_worker._private_jobs) as left`.execute(helios.db)
          ).rows;
          if (Number(row!.runs) >= 200 && Number(row!.left) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const { rows } = await sql<{
          total: string;
          distinct_n: string;
        }>`select count(*) as total, count(distinct n) as distinct_n from jobs_test.runs`.execute(helios.db);
        expect(rows[0]).toEqual({ total: '200', distinct_n: '200' });
        const exits = children.map((child) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))));
        for (const child of children) child.send('stop');
        expect(await Promise.all(exits)).toEqual([0, 0]);
      } finally {
        for (const child of children) if (child.exitCode === null) child.kill();
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

import { createTestDatabase, type TestDatabase } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHelios, type Helios } from '../../helios';
import { fixedClock } from '../../shared/clock';
import type { LogFields, Logger } from '../../shared/logger';
import { defineTask, type TaskContext } from './jobs.task';

// The same tests on both backends: graphile-worker on PostgreSQL (DATABASE_URL) and the in-process
// queue of the embedded database. Time is moved, never waited for: the in-process queue reads the
// Helios clock; graphile-worker's run_at is moved back in its table (its clock is PostgreSQL's now()).

const clock = fixedClock(new Date());
const logs: Array<{ level: string; message: string; fields?: LogFields }> = [];
const logger: Logger = {
  debug() {},
  info() {},
  warn: (message, fields) => logs.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
  error: (message, fields) => logs.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
};

const runs: Array<{ task: string; payload: unknown; context: TaskContext }> = [];
const echo = defineTask({
  name: 'test.echo',
  payload: z.object({ n: z.number().int() }),
  handler: async (payload, context) => {
    runs.push({ task: 'test.echo', payload, context });
  },
});
const flaky = defineTask({
  name: 'test.flaky',
  payload: z.object({ reason: z.string() }),
  maxAttempts: 2,
  handler: async ({ reason }) => {
    runs.push({ task: 'test.flaky', payload: { reason }, context: null as never });
    throw new Error(reason);
  },
});
const nightly = defineTask({
  name: 'test.nightly',
  payload: z.object({}),
  cron: '0 3 * * *',
  handler: async () => {},
});

let t: TestDatabase;
let helios: Helios;

/** The queue's now: the Helios clock in process, PostgreSQL's now() for graphile-worker. */
function queueNow(): Date {
  return helios.jobs.backend === 'postgres' ? new Date() : clock.now();
}

/** Time passes by `ms` for the queue. */
async function timePasses(ms: number): Promise<void> {
  clock.advance(ms);
  if (helios.jobs.backend === 'postgres') {
    await sql`update graphile_worker._private_jobs set run_at = run_at - make_interval(secs => ${ms / 1000})`.execute(
      helios.db,
    );
  }
}

beforeAll(async () => {
  t = await createTestDatabase();
  helios = await createHelios({
    ...(t.connectionString ? { databaseUrl: t.connectionString } : { db: t.db }),
    clock,
    logger,
    jobs: { tasks: [echo, flaky, nightly] },
  });
  await helios.organizations.setup({
    organizationName: 'Acme',
    organizationDomain: 'acme.test',
    admin: { email: 'admin@acme.test', firstName: 'Ada', lastName: 'Admin' },
  });
  await helios.jobs.status(); // installs graphile-worker's schema on first use
});

afterAll(async () => {
  await helios?.close();
  await t?.destroy();
});

beforeEach(async () => {
  runs.length = 0;
  logs.length = 0;
  // Whatever an earlier test left scheduled runs now, so each test starts with an empty queue.
  await timePasses(365 * 24 * 3600 * 1000);
  await helios.jobs.runOnce();
  runs.length = 0;
  logs.length = 0;
});

describe(`helios.jobs (${process.env.DATABASE_URL ? 'PostgreSQL: graphile-worker' : 'embedded: in process'})`, () => {
  it('uses graphile-worker on PostgreSQL and the in-process queue when embedded', () => {
    expect(helios.jobs.backend).toBe(t.connectionString ? 'postgres' : 'in-process');
  });

  it('runs queued jobs as the system actor, outside any transaction, with the parsed payload', async () => {
    const first = await helios.jobs.enqueue(echo, { n: 1 });
    await helios.jobs.enqueue('test.echo', { n: 2 });
    expect(first).toMatchObject({ task: 'test.echo', key: null });
    expect((await helios.jobs.status()).queued).toBe(2);
    await helios.jobs.runOnce();
    expect(runs.map((r) => r.payload)).toEqual([{ n: 1 }, { n: 2 }]);
    const { context } = runs[0]!;
    expect(context.helios.actor).toEqual({ type: 'system', name: 'job:test.echo' });
    expect(context.helios.db.isTransaction).toBe(false);
    expect(context.job).toMatchObject({
      id: first.id,
      task: 'test.echo',
      attempt: 1,
      maxAttempts: 25,
      key: null,
    });
    expect(await helios.jobs.status()).toMatchObject({
      queued: 0,
      scheduled: 0,
      running: 0,
      failed: 0,
    });
  });

  it('dedupes by job key: the waiting job takes the newer payload and runs once', async () => {
    const a = await helios.jobs.enqueue(echo, { n: 1 }, { jobKey: 'echo:user-1' });
    const b = await helios.jobs.enqueue(echo, { n: 2 }, { jobKey: 'echo:user-1' });
    expect(b.id).toBe(a.id);
    expect((await helios.jobs.status()).queued).toBe(1);
    await helios.jobs.runOnce();
    expect(runs.map((r) => r.payload)).toEqual([{ n: 2 }]);
  });

  it('queues many jobs at once as one by one: ids in order, keys coalesced, validated first, in the caller transaction (PostgreSQL)', async () => {
    const keyed = await helios.jobs.enqueue(echo, { n: 0 }, { jobKey: 'echo:many' });
    const jobs = await helios.jobs.enqueueMany([
      { task: echo, payload: { n: 1 }, options: { priority: 5 } },
      { task: 'test.echo', payload: { n: 2 }, options: { jobKey: 'echo:many' } },
      { task: echo, payload: { n: 3 }, options: { priority: -1 } },
    ]);
    expect(jobs.map((j) => j.key)).toEqual([null, 'echo:many', null]);
    expect(jobs[1]!.id).toBe(keyed.id);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(3);
    expect(await helios.jobs.enqueueMany([])).toEqual([]);
    // One bad job: none is queued.
    await expect(
      helios.jobs.enqueueMany([
        { task: echo, payload: { n: 4 } },
        { task: echo, payload: { n: 'five' } },
      ]),
    ).rejects.toMatchObject({ code: 'JOBS.INVALID_PAYLOAD' });
    // On PostgreSQL the jobs are the caller transaction's: rolled back, nothing is queued (the
    // in-process queue of the embedded database is not transactional).
    if (helios.jobs.backend === 'postgres')
      await expect(
        helios.transaction(async (tx) => {
          await tx.jobs.enqueueMany([{ task: echo, payload: { n: 6 } }]);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
    expect((await helios.jobs.status()).queued).toBe(3);
    await helios.jobs.runOnce();
    expect(runs.map((r) => r.payload)).toEqual([{ n: 3 }, { n: 2 }, { n: 1 }]);
  });

  it('runs a smaller priority first', async () => {
    await helios.jobs.enqueue(echo, { n: 1 }, { priority: 10 });
    await helios.jobs.enqueue(echo, { n: 2 }, { priority: -5 });
    await helios.jobs.enqueue(echo, { n: 3 });
    await helios.jobs.runOnce();
    expect(runs.map((r) => r.payload)).toEqual([{ n: 2 }, { n: 3 }, { n: 1 }]);
  });

  it('does not run a job before its runAt', async () => {
    const inAnHour = new Date(queueNow().getTime() + 3600_000);
    await helios.jobs.enqueue(echo, { n: 1 }, { runAt: inAnHour });
    await helios.jobs.enqueue(echo, { n: 2 });
    await helios.jobs.runOnce();
    expect(runs.map((r) => r.payload)).toEqual([{ n: 2 }]);
    expect(await helios.jobs.status()).toMatchObject({ queued: 0, scheduled: 1 });
    await timePasses(3600_000 + 1000);
    await helios.jobs.runOnce();
    expect(runs.map((r) => r.payload)).toEqual([{ n: 2 }, { n: 1 }]);
  });

  it('retries a failing job after its backoff, then marks it failed with its error, one log line per failure and an audit row', async () => {
    const job = await helios.jobs.enqueue(flaky, { reason: 'upstream said no' });
    await helios.jobs.runOnce();
    expect(runs).toHaveLength(1);
    // The retry waits for its backoff (e^1 s): not run again yet.
    await helios.jobs.runOnce();
    expect(runs).toHaveLength(1);
    expect(await helios.jobs.status()).toMatchObject({ scheduled: 1, failed: 0 });
    await timePasses(60_000);
    await helios.jobs.runOnce();
    expect(runs).toHaveLength(2);
    const status = await helios.jobs.status();
    expect(status).toMatchObject({ queued: 0, scheduled: 0, failed: 1 });
    expect(status.failures[0]).toMatchObject({
      id: job.id,
      task: 'test.flaky',
      attempts: 2,
      maxAttempts: 2,
      lastError: expect.stringContaining('upstream said no'),
    });
    expect(logs.map((l) => [l.level, l.message])).toEqual([
      [
        'warn',
        `Job ${job.id} (test.flaky) failed on attempt 1 of 2: upstream said no (retrying with backoff)`,
      ],
      [
        'error',
        `Job ${job.id} (test.flaky) failed on attempt 2 of 2: upstream said no (no attempts left: marked failed)`,
      ],
    ]);
    const audit = await helios.db
      .selectFrom('audit_logs')
      .select(['action', 'details'])
      .where('action', '=', 'jobs.failed')
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0]!.details)).toContain('upstream said no');
  });

  it('refuses a bad payload, an unknown task and bad options with typed errors, queueing nothing', async () => {
    await expect(helios.jobs.enqueue('test.echo', { n: 'one' })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'JOBS.INVALID_PAYLOAD',
      details: { issues: [expect.objectContaining({ path: 'n' })] },
    });
    await expect(helios.jobs.enqueue('test.nope', {})).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'JOBS.UNKNOWN_TASK',
    });
    await expect(helios.jobs.enqueue(echo, { n: 1 }, { maxAttempts: 0 })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'JOBS.INVALID_OPTIONS',
    });
    expect(await helios.jobs.status()).toMatchObject({ queued: 0, scheduled: 0 });
  });

  it('refuses malformed tasks and a second task of the same name with JOBS.INVALID_TASK', () => {
    expect(() =>
      defineTask({ name: 'Bad Name', payload: z.object({}), handler: async () => {} }),
    ).toThrow(expect.objectContaining({ code: 'JOBS.INVALID_TASK' }));
    expect(() =>
      defineTask({
        name: 'test.cron',
        payload: z.object({}),
        cron: '61 * * * *',
        handler: async () => {},
      }),
    ).toThrow(expect.objectContaining({ code: 'JOBS.INVALID_TASK' }));
    expect(() => helios.jobs.register(echo)).toThrow(
      expect.objectContaining({ code: 'JOBS.INVALID_TASK' }),
    );
  });

  it('lists each cron schedule with its next run', async () => {
    const { crons } = await helios.jobs.status();
    const next = new Date(clock.now());
    next.setUTCHours(3, 0, 0, 0);
    if (next <= clock.now()) next.setUTCDate(next.getUTCDate() + 1);
    // Every instance also has the built-in schedules (scheduled-actions.dispatch, every minute).
    expect(crons.filter((cron) => cron.task.startsWith('test.'))).toEqual([
      { identifier: 'test.nightly', task: 'test.nightly', nextRunAt: next },
    ]);
  });

  it('stops gracefully: the job in flight finishes before stop() resolves', async () => {
    const events: string[] = [];
    let started!: () => void;
    const isStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    helios.jobs.register(
      defineTask({
        name: 'test.slow',
        payload: z.object({}),
        handler: async () => {
          events.push('started');
          started();
          await released;
          events.push('finished');
        },
      }),
    );
    expect((await helios.jobs.status()).workers).toEqual([]);
    await helios.jobs.start({ concurrency: 2 });
    expect(helios.jobs.workerState()).toBe('running');
    // The running worker is listed as a live worker (on PostgreSQL: registered for dead-worker recovery).
    expect((await helios.jobs.status()).workers).toEqual([
      expect.objectContaining({
        pid: process.pid,
        concurrency: 2,
        self: true,
        startedAt: expect.any(Date),
        lastSeenAt: expect.any(Date),
      }),
    ]);
    expect(() =>
      helios.jobs.register(
        defineTask({ name: 'test.late', payload: z.object({}), handler: async () => {} }),
      ),
    ).toThrow(expect.objectContaining({ code: 'JOBS.WORKER_STARTED' }));
    await helios.jobs.enqueue('test.slow', {});
    await isStarted;
    const stopped = helios.jobs.stop().then(() => events.push('stopped'));
    expect(helios.jobs.workerState()).toBe('stopping');
    release();
    await stopped;
    expect(events).toEqual(['started', 'finished', 'stopped']);
    expect(helios.jobs.workerState()).toBe('stopped');
    expect(await helios.jobs.status()).toMatchObject({ queued: 0, running: 0, workers: [] });
  });

  it('queues the tasks that run at start when the worker starts (or runOnce is asked to)', async () => {
    let ran = 0;
    helios.jobs.register(
      defineTask({
        name: 'test.at-start',
        payload: z.object({}),
        runAtStart: true,
        handler: async () => {
          ran++;
        },
      }),
    );
    await helios.jobs.runOnce();
    expect(ran).toBe(0);
    await helios.jobs.runOnce({ startTasks: true });
    expect(ran).toBe(1);
    await helios.jobs.start({ concurrency: 1 });
    try {
      for (let i = 0; i < 200 && ran < 2; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await helios.jobs.stop();
    }
    expect(ran).toBe(2);
    expect(() =>
      defineTask({
        name: 'test.at-start-needs-input',
        payload: z.object({ userId: z.uuid() }),
        runAtStart: true,
        handler: async () => {},
      }),
    ).toThrow(expect.objectContaining({ code: 'JOBS.INVALID_TASK' }));
  });

  it('refuses a malformed recovery or poll interval', async () => {
    const options = {
      ...(t.connectionString ? { databaseUrl: t.connectionString } : { db: t.db }),
      clock,
      logger,
    };
    for (const recovery of [
      { intervalMs: 10 },
      { intervalMs: 1000, staleAfterMs: 2000 },
      { intervalMs: 1.5 },
    ]) {
      await expect(createHelios({ ...options, jobs: { recovery } })).rejects.toMatchObject({
        code: 'JOBS.INVALID_TASK',
      });
    }
    await expect(createHelios({ ...options, jobs: { pollIntervalMs: 50 } })).rejects.toMatchObject({
      code: 'JOBS.INVALID_TASK',
    });
  });
});

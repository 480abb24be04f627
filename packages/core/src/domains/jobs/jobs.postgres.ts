/**
 * The PostgreSQL job backend: graphile-worker 0.17 in its own schema (`graphile_worker`, never
 * `public`). Jobs are queued with `graphile_worker.add_job` on the caller's handle, so a job queued
 * inside `helios.transaction` exists only if the transaction commits; workers in any number of
 * processes take each job exactly once (SKIP LOCKED) and hear of new jobs by LISTEN/NOTIFY.
 */
import { EventEmitter } from 'node:events';
import {
  Logger as GraphileLogger,
  type Runner,
  run,
  runMigrations,
  runOnce,
  type TaskList,
  type WorkerEvents,
  type WorkerPool,
} from 'graphile-worker';
import { sql } from 'kysely';
import pg from 'pg';
import type { Logger } from '../../shared/logger';
import type { FailedJob, JobBackend, JobExecutor, QueueSnapshot } from './jobs.backend';
import {
  DEFAULT_RECOVERY_INTERVAL_MS,
  DEFAULT_STALE_AFTER_MS,
  installLivenessSchema,
  type JobsRecoveryOptions,
  type LivenessSession,
  listLiveWorkers,
  startLiveness,
} from './jobs.liveness';

/** graphile-worker's schema. */
export const JOBS_SCHEMA = 'graphile_worker';

/** Where the PostgreSQL backend connects. */
export interface PostgresJobsConnection {
  /** The database's URL (the worker opens its own pool: LISTEN needs a dedicated connection). */
  connectionString?: string;
  /** Or a pg pool you own (Helios never ends it). */
  pgPool?: pg.Pool;
}

/** graphile-worker's log lines go to the Helios logger at debug level; failures are logged once by the runtime. */
export function graphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger(
    (scope) => (_level, message, meta) =>
      logger.debug(`graphile-worker: ${message}`, {
        ...scope,
        ...(meta ? { meta: String(meta) } : {}),
      }),
  );
}

/**
 * Installs or upgrades graphile-worker's schema (`graphile_worker`) and Helios's worker registry
 * (`helios_jobs.workers`, for dead-worker recovery) in the database of `connection`; a second run
 * changes nothing.
 *
 * @example
 * ```ts
 * await installJobsSchema({ connectionString: process.env.DATABASE_URL! });
 * ```
 */
export async function installJobsSchema(
  connection: PostgresJobsConnection,
  logger?: Logger,
): Promise<void> {
  await runMigrations({ ...connectionOf(connection), logger: graphileLogger(logger ?? silent) });
  const pool =
    connection.pgPool ?? new pg.Pool({ connectionString: connection.connectionString, max: 1 });
  try {
    await installLivenessSchema(pool);
  } finally {
    if (!connection.pgPool) await pool.end();
  }
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function connectionOf(
  connection: PostgresJobsConnection,
): { pgPool: pg.Pool } | { connectionString: string } {
  if (connection.pgPool) return { pgPool: connection.pgPool };
  return { connectionString: connection.connectionString as string };
}

/**
 * Completions and failures go through graphile-worker's batchers (flushed at once), so that
 * stopping the worker, or the end of `runOnce`, waits for them to be written.
 */
const FLUSHED_ON_RELEASE = { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } } as const;

function taskList(names: string[], execute: JobExecutor): TaskList {
  const list: TaskList = {};
  for (const name of names) {
    list[name] = async (payload, helpers) => {
      await execute({
        id: helpers.job.id,
        task: name,
        payload,
        key: helpers.job.key,
        attempt: helpers.job.attempts,
        maxAttempts: helpers.job.max_attempts,
      });
    };
  }
  return list;
}

/**
 * How often an idle worker looks for jobs that became due (a future `runAt`, a retry's backoff):
 * graphile-worker's default is 2 s; new jobs that are due at once are heard of at once (LISTEN).
 */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;

/** Checked recovery settings. */
export function recoverySettings(options: JobsRecoveryOptions = {}): {
  intervalMs: number;
  staleAfterMs: number;
} {
  const intervalMs = options.intervalMs ?? DEFAULT_RECOVERY_INTERVAL_MS;
  const staleAfterMs = options.staleAfterMs ?? Math.max(DEFAULT_STALE_AFTER_MS, intervalMs * 3);
  return { intervalMs, staleAfterMs };
}

/**
 * The graphile-worker backend (its pool: concurrency + 2 connections, plus one held by a running
 * worker for its liveness lock). A started worker registers itself for dead-worker recovery (see
 * jobs.liveness.ts).
 */
export function createPostgresBackend(
  connection: PostgresJobsConnection,
  logger: Logger,
  recovery: JobsRecoveryOptions = {},
  pollIntervalMs: number = DEFAULT_POLL_INTERVAL_MS,
): JobBackend {
  const { intervalMs, staleAfterMs } = recoverySettings(recovery);
  let liveness: LivenessSession | null = null;
  let pool: pg.Pool | null = connection.pgPool ?? null;
  const ownsPool = !connection.pgPool;
  let migrated: Promise<void> | null = null;
  let runner: Runner | null = null;
  const gLogger = graphileLogger(logger);

  const poolFor = (size: number): pg.Pool => {
    if (!pool) {
      pool = new pg.Pool({ connectionString: connection.connectionString, max: size });
      // An idle client's error (the server restarted) is logged; the next query reconnects.
      pool.on('error', (error) =>
        logger.warn('Job worker connection lost', { error: error.message }),
      );
      // A checked-out client's error (graphile-worker's LISTEN connection) is logged too; its owner reconnects.
      pool.on('connect', (client) =>
        client.on('error', (error) =>
          logger.debug('Job worker connection error', { error: error.message }),
        ),
      );
    }
    return pool;
  };
  const migrate = (size = 4) => {
    migrated ??= (async () => {
      await runMigrations({ pgPool: poolFor(size), logger: gLogger });
      await installLivenessSchema(poolFor(size));
    })().catch((error: unknown) => {
      migrated = null;
      throw error;
    });
    return migrated;
  };

  return {
    kind: 'postgres',
    async enqueue(db, job) {
      await migrate();
      const { rows } = await sql<{
        id: string;
      }>`select (j).id::text as id from (select graphile_worker.add_job(
        identifier => ${job.task},
        payload => ${JSON.stringify(job.payload ?? {})}::json,
        run_at => ${job.runAt ? job.runAt.toISOString() : null}::timestamptz,
        max_attempts => ${job.maxAttempts}::int,
        job_key => ${job.key}::text,
        priority => ${job.priority}::int
      ) as j) as added`.execute(db);
      return rows[0]!.id;
    },
    async enqueueMany(db, list) {
      if (list.length === 0) return [];
      await migrate();
      const specs = list.map((job) => ({
        task: job.task,
        payload: job.payload ?? {},
        run_at: job.runAt ? job.runAt.toISOString() : null,
        max_attempts: job.maxAttempts,
        job_key: job.key,
        priority: job.priority,
      }));
      // add_job once a row, in the order given (a lateral call: exactly once each), one round trip.
      const { rows } = await sql<{ id: string }>`select added.id::text as id
        from rows from (jsonb_to_recordset(${JSON.stringify(specs)}::jsonb)
          as (task text, payload json, run_at timestamptz, max_attempts int, job_key text, priority int))
          with ordinality as spec(task, payload, run_at, max_attempts, job_key, priority, n)
        cross join lateral graphile_worker.add_job(
          identifier => spec.task,
          payload => spec.payload,
          run_at => spec.run_at,
          max_attempts => spec.max_attempts,
          job_key => spec.job_key,
          priority => spec.priority
        ) as added
        order by spec.n`.execute(db);
      return rows.map((r) => r.id);
    },
    async start(plan) {
      if (runner) return;
      const pgPool = poolFor(plan.concurrency + 2);
      await migrate();
      // Registered before the pool exists, so the pool's id is recorded as soon as it is created.
      let workerPool: WorkerPool | null = null;
      const session = await startLiveness({
        pool: pgPool,
        connect: async () => {
          if (connection.connectionString) {
            const client = new pg.Client({ connectionString: connection.connectionString });
            client.on('error', (error) =>
              logger.warn('Job worker liveness connection lost', { error: error.message }),
            );
            await client.connect();
            return { client, end: () => client.end() };
          }
          const client = await pgPool.connect();
          return { client, end: async () => client.release(true) };
        },
        concurrency: plan.concurrency,
        intervalMs,
        staleAfterMs,
        logger,
        onRecovered: () => workerPool?.nudge(plan.concurrency),
      });
      liveness = session;
      const events: WorkerEvents = new EventEmitter() as WorkerEvents;
      events.on('pool:create', ({ workerPool: created }) => {
        workerPool = created;
        session.addPool(created.id);
      });
      try {
        runner = await run({
          pgPool,
          concurrency: plan.concurrency,
          noHandleSignals: true,
          logger: gLogger,
          events,
          preset: { worker: { ...FLUSHED_ON_RELEASE.worker, pollInterval: pollIntervalMs } },
          taskList: taskList(plan.taskNames, plan.execute),
          parsedCronItems: plan.cron,
        });
      } catch (error) {
        liveness = null;
        await session.close();
        throw error;
      }
      const started = runner;
      started.promise.catch((error: unknown) => {
        if (runner !== started) return;
        runner = null;
        const session = liveness;
        liveness = null;
        session?.close().catch(() => {});
        logger.error('The job worker stopped on a fatal error', {
          error: error instanceof Error ? error.message : String(error),
        });
        plan.onFatal?.(error);
      });
    },
    async stop() {
      const current = runner;
      runner = null;
      const session = liveness;
      liveness = null;
      try {
        if (current) await current.stop();
      } finally {
        // After the jobs in flight are done: until then this process still owns their locks.
        await session?.close();
      }
    },
    async runOnce(plan) {
      const pgPool = poolFor(4);
      await migrate();
      await runOnce({
        pgPool,
        noHandleSignals: true,
        logger: gLogger,
        preset: FLUSHED_ON_RELEASE,
        taskList: taskList(plan.taskNames, plan.execute),
      });
    },
    async snapshot(failureLimit): Promise<QueueSnapshot> {
      const pgPool = poolFor(4);
      await migrate();
      const counts = await pgPool.query<{
        queued: string;
        scheduled: string;
        running: string;
        failed: string;
      }>(
        `select
           count(*) filter (where locked_at is null and attempts < max_attempts and run_at <= now()) as queued,
           count(*) filter (where locked_at is null and attempts < max_attempts and run_at > now()) as scheduled,
           count(*) filter (where locked_at is not null) as running,
           count(*) filter (where locked_at is null and attempts >= max_attempts) as failed
         from ${JOBS_SCHEMA}.jobs`,
      );
      const failed = await pgPool.query<{
        id: string;
        task_identifier: string;
        key: string | null;
        attempts: number;
        max_attempts: number;
        last_error: string | null;
        updated_at: Date;
      }>(
        `select id::text as id, task_identifier, key, attempts, max_attempts, last_error, updated_at
           from ${JOBS_SCHEMA}.jobs where locked_at is null and attempts >= max_attempts
          order by updated_at desc, id desc limit $1`,
        [failureLimit],
      );
      const c = counts.rows[0]!;
      const failures: FailedJob[] = failed.rows.map((r) => ({
        id: r.id,
        task: r.task_identifier,
        key: r.key,
        attempts: r.attempts,
        maxAttempts: r.max_attempts,
        lastError: r.last_error,
        failedAt: r.updated_at,
      }));
      const workers = await listLiveWorkers(pgPool, staleAfterMs, liveness?.id ?? null);
      return {
        queued: Number(c.queued),
        scheduled: Number(c.scheduled),
        running: Number(c.running),
        failed: Number(c.failed),
        failures,
        workers,
      };
    },
    async close() {
      await this.stop();
      if (pool && ownsPool) await pool.end();
      pool = null;
      migrated = null;
    },
  };
}

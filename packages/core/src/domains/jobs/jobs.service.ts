/**
 * `helios.jobs`: queue typed jobs, run a worker, read the queue's state. One runtime per Helios
 * instance (the backend, the task registry, the worker); each scope binds it to its db handle, so
 * `enqueue` inside `helios.transaction` queues with the transaction on PostgreSQL.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/database.generated';
import type { HeliosScope } from '../../helios';
import type { AuditEntry, InstanceState, ServiceRuntime } from '../../runtime';
import type { Logger } from '../../shared/logger';
import { parseInput } from '../../shared/validation';
import { systemActor } from '../policy/actor';
import type { FailedJob, JobBackend, NewJob, RunnableJob } from './jobs.backend';
import { JOBS_ERRORS } from './jobs.errors';
import type { JobsRecoveryOptions, LiveWorker } from './jobs.liveness';
import { createMemoryBackend } from './jobs.memory';
import {
  createPostgresBackend,
  type PostgresJobsConnection,
  recoverySettings,
} from './jobs.postgres';
import {
  type AnyTaskDefinition,
  createTaskRegistry,
  DEFAULT_MAX_ATTEMPTS,
  nextCronRun,
  type TaskRegistry,
} from './jobs.task';

/** createHelios `jobs`: the tasks, and where jobs are queued. */
export interface JobsOptions {
  /** The tasks of this instance (more with `helios.jobs.register` before the worker starts). */
  tasks?: readonly AnyTaskDefinition[];
  /**
   * `postgres` (graphile-worker; the default with `databaseUrl`, `connectionString` or `pgPool`)
   * or `in-process` (the default otherwise, e.g. embedded: jobs run in this process only).
   */
  backend?: 'postgres' | 'in-process';
  /** The database URL for the worker's connections (default: createHelios `databaseUrl`). */
  connectionString?: string;
  /** Or a pg pool for them (Helios never ends it). */
  pgPool?: PostgresJobsConnection['pgPool'];
  /**
   * Dead-worker recovery on PostgreSQL: each running worker process registers in
   * `helios_jobs.workers`, refreshes its heartbeat and sweeps every `intervalMs` (default 5 s); the
   * jobs of a process that died (SIGKILL, crash, lost host) are released for another worker within
   * about one interval (graphile-worker alone waits 4 hours). See docs/jobs.md.
   */
  recovery?: JobsRecoveryOptions;
  /**
   * PostgreSQL: how often an idle worker looks for jobs that became due (a future `runAt`, a retry's
   * backoff), in milliseconds (default 1000, from 100 to 60000); jobs due at once start at once.
   */
  pollIntervalMs?: number;
}

/** Options of `enqueue`. */
export interface EnqueueOptions {
  /** Dedupes: a waiting job with this key is replaced (payload, runAt...) instead of adding another. */
  jobKey?: string;
  /** Not before this instant (default now). */
  runAt?: Date;
  /** Smaller runs first (default: the task's priority, else 0). */
  priority?: number;
  /** Attempts before the job is marked failed (default: the task's, else 25). */
  maxAttempts?: number;
}

/** A queued job. */
export interface EnqueuedJob {
  id: string;
  task: string;
  key: string | null;
}

/** The worker of this process. */
export type WorkerState = 'stopped' | 'running' | 'stopping';

/** The queue and this process's worker. */
export interface JobsStatus {
  backend: 'postgres' | 'in-process';
  worker: { state: WorkerState; concurrency: number | null };
  /** Due and waiting for a worker. */
  queued: number;
  /** Waiting for their run time (a future `runAt`, or a retry's backoff). */
  scheduled: number;
  running: number;
  /** Out of attempts, kept with their last error. */
  failed: number;
  /** The 20 most recent failed jobs. */
  failures: FailedJob[];
  /** Each cron schedule and its next run (UTC minutes). */
  crons: Array<{ identifier: string; task: string; nextRunAt: Date | null }>;
  /**
   * The live worker processes: on PostgreSQL every process whose worker runs (registered for
   * dead-worker recovery; `self` marks this one), in process this process while its worker runs.
   */
  workers: LiveWorker[];
}

/** One job of `enqueueMany`: its task (or the task's name), payload and options. */
export interface JobToQueue {
  task: AnyTaskDefinition | string;
  payload: unknown;
  options?: EnqueueOptions;
}

/** `helios.jobs`. */
export interface JobsService {
  /** `postgres` (graphile-worker) or `in-process` (embedded). */
  readonly backend: 'postgres' | 'in-process';
  /**
   * Adds a task to the registry (before the worker starts).
   * @throws HeliosError `JOBS.INVALID_TASK` (malformed, or the name is taken), `JOBS.WORKER_STARTED`
   */
  register(task: AnyTaskDefinition): void;
  /**
   * Queues a job of a registered task; the payload is parsed with the task's schema first.
   * @param task - the task (typed payload) or its name
   * @throws HeliosError INVALID_INPUT `JOBS.UNKNOWN_TASK`, `JOBS.INVALID_PAYLOAD`, `JOBS.INVALID_OPTIONS`
   * @example
   * ```ts
   * await helios.jobs.enqueue(remind, { userId }, { jobKey: `remind:${userId}`, runAt: tomorrow });
   * ```
   */
  enqueue<T extends AnyTaskDefinition>(
    task: T,
    payload: z.input<T['payload']>,
    options?: EnqueueOptions,
  ): Promise<EnqueuedJob>;
  /** Queues a job of a registered task named by its name (the payload is parsed with the task's schema). */
  enqueue(task: string, payload: unknown, options?: EnqueueOptions): Promise<EnqueuedJob>;
  /**
   * Queues several jobs at once, as `enqueue` would one by one (same validation, job keys and
   * transaction), in one statement on PostgreSQL; every job is validated before any is queued.
   * Returns the jobs in the order given.
   * @throws HeliosError INVALID_INPUT `JOBS.UNKNOWN_TASK`, `JOBS.INVALID_PAYLOAD`, `JOBS.INVALID_OPTIONS`
   * @example
   * ```ts
   * await helios.jobs.enqueueMany(userIds.map((userId) => ({ task: 'training.remind', payload: { userId } })));
   * ```
   */
  enqueueMany(jobs: ReadonlyArray<JobToQueue>): Promise<EnqueuedJob[]>;
  /**
   * Starts this process's worker (default concurrency 4) and queues the tasks that run at start
   * (`runAtStart`, e.g. the lifecycle runs sweep); `helios.close()` stops it.
   */
  start(options?: { concurrency?: number }): Promise<void>;
  /** Stops the worker: no new jobs; waits for the jobs in flight (they finish, or are released for a retry). */
  stop(): Promise<void>;
  /**
   * Runs every due job in this process, one at a time, until none is due (no cron): for tests and
   * scripts. `startTasks` first queues the tasks that run when a worker starts (`runAtStart`), as
   * `start()` does: for a process that runs its jobs this way instead of a worker.
   */
  runOnce(options?: { startTasks?: boolean }): Promise<void>;
  /** This process's worker state. */
  workerState(): WorkerState;
  /** The queue's counts, recent failures and cron schedules. */
  status(): Promise<JobsStatus>;
}

const enqueueOptionsSchema = z
  .object({
    jobKey: z.string().min(1).max(512).optional(),
    runAt: z.date().optional(),
    priority: z.number().int().min(-32767).max(32767).optional(),
    maxAttempts: z.number().int().min(1).max(32767).optional(),
  })
  .strict();

/** The instance-wide part: backend, registry, worker. */
export interface JobsRuntime {
  readonly backend: JobBackend;
  readonly registry: TaskRegistry;
  state: WorkerState;
  concurrency: number | null;
  execute(job: RunnableJob): Promise<void>;
  close(): Promise<void>;
}

const JOBS_KEY = 'jobs';
const AUDIT_WRITER = Symbol('helios.jobs.audit');

type BoundJobs = JobsService & { [AUDIT_WRITER](entry: AuditEntry): Promise<void> };

/**
 * Creates the jobs runtime of an instance (once, from createHelios) and keeps it in `instance`.
 * @internal
 */
export function attachJobs(
  instance: InstanceState,
  root: HeliosScope,
  options: JobsOptions & { databaseUrl?: string | undefined },
): void {
  const registry = createTaskRegistry(options.tasks ?? []);
  const connectionString = options.connectionString ?? options.databaseUrl;
  const usePostgres = options.backend
    ? options.backend === 'postgres'
    : Boolean(connectionString || options.pgPool);
  if (usePostgres && !connectionString && !options.pgPool)
    throw JOBS_ERRORS.INVALID_TASK({
      task: '(options)',
      reason: 'the postgres backend needs `databaseUrl`, `jobs.connectionString` or `jobs.pgPool`',
    });
  checkRecovery(options.recovery);
  const poll = options.pollIntervalMs;
  if (poll !== undefined && !(Number.isInteger(poll) && poll >= 100 && poll <= 60_000))
    throw JOBS_ERRORS.INVALID_TASK({
      task: '(options)',
      reason: '`jobs.pollIntervalMs` must be an integer from 100 to 60000',
    });
  const backend: JobBackend = usePostgres
    ? createPostgresBackend(
        options.pgPool
          ? { pgPool: options.pgPool }
          : { connectionString: connectionString as string },
        root.logger,
        options.recovery,
        options.pollIntervalMs,
      )
    : createMemoryBackend(root.clock);
  const runtime: JobsRuntime = {
    backend,
    registry,
    state: 'stopped',
    concurrency: null,
    execute: (job) => executeJob(root, registry, job),
    async close() {
      runtime.state = 'stopping';
      await backend.close();
      runtime.state = 'stopped';
    },
  };
  instance.singletons.set(JOBS_KEY, runtime);
  instance.closers.unshift(() => runtime.close());
}

function checkRecovery(recovery: JobsRecoveryOptions | undefined): void {
  if (!recovery) return;
  const { intervalMs, staleAfterMs } = recoverySettings(recovery);
  if (!(Number.isInteger(intervalMs) && intervalMs >= 100 && intervalMs <= 3_600_000))
    throw JOBS_ERRORS.INVALID_TASK({
      task: '(options)',
      reason: '`jobs.recovery.intervalMs` must be an integer from 100 to 3600000',
    });
  if (!(Number.isInteger(staleAfterMs) && staleAfterMs >= intervalMs * 3))
    throw JOBS_ERRORS.INVALID_TASK({
      task: '(options)',
      reason: '`jobs.recovery.staleAfterMs` must be an integer of at least 3 intervals',
    });
}

async function executeJob(
  root: HeliosScope,
  registry: TaskRegistry,
  job: RunnableJob,
): Promise<void> {
  const task = registry.get(job.task);
  const scope = root.as(systemActor(`job:${job.task}`));
  const audit = (entry: AuditEntry) =>
    (scope.jobs as BoundJobs)[AUDIT_WRITER](entry).catch((error: unknown) =>
      root.logger.debug('Job audit row not written', {
        task: job.task,
        jobId: job.id,
        reason: error instanceof Error ? error.message : String(error),
      }),
    );
  const fields = {
    task: job.task,
    jobId: job.id,
    attempt: job.attempt,
    maxAttempts: job.maxAttempts,
    ...(job.key ? { jobKey: job.key } : {}),
  };
  const logger: Logger = {
    debug: (m, f) => root.logger.debug(m, { ...fields, ...f }),
    info: (m, f) => root.logger.info(m, { ...fields, ...f }),
    warn: (m, f) => root.logger.warn(m, { ...fields, ...f }),
    error: (m, f) => root.logger.error(m, { ...fields, ...f }),
  };
  try {
    if (!task) throw JOBS_ERRORS.UNKNOWN_TASK({ task: job.task });
    // Cron jobs carry graphile-worker's `_cron` ({ ts, backfilled }); the task's schema never sees it.
    const { _cron: _ignored, ...rest } = (job.payload ?? {}) as Record<string, unknown>;
    const payload = parseInput(task.payload, rest, JOBS_ERRORS.INVALID_PAYLOAD);
    await task.handler(payload, {
      helios: scope,
      job: {
        id: job.id,
        task: job.task,
        attempt: job.attempt,
        maxAttempts: job.maxAttempts,
        key: job.key,
      },
      logger,
    });
    if (task.audit === 'runs')
      await audit({ action: 'jobs.run', resource: 'job', details: fields });
  } catch (error) {
    const final = job.attempt >= job.maxAttempts;
    const reason = error instanceof Error ? error.message : String(error);
    const code =
      error && typeof error === 'object' && 'code' in error
        ? String((error as { code: unknown }).code)
        : undefined;
    const line = `Job ${job.id} (${job.task}) failed on attempt ${job.attempt} of ${job.maxAttempts}: ${reason}${final ? ' (no attempts left: marked failed)' : ' (retrying with backoff)'}`;
    (final ? logger.error : logger.warn)(line, { error: reason, ...(code ? { code } : {}), final });
    if (final)
      await audit({
        action: 'jobs.failed',
        resource: 'job',
        details: { ...fields, error: reason, ...(code ? { code } : {}) },
      });
    throw error;
  }
}

/**
 * True when the instance has a job queue with the task `task` (createHelios attaches one; a bare
 * test runtime has none).
 * @internal
 */
export function jobsAttached(instance: InstanceState, task?: string): boolean {
  const runtime = instance.singletons.get(JOBS_KEY) as JobsRuntime | undefined;
  if (!runtime) return false;
  return task === undefined || runtime.registry.get(task) !== undefined;
}

function runtimeOf(instance: InstanceState): JobsRuntime {
  return instance.singletons.get(JOBS_KEY) as JobsRuntime;
}

/** A job to queue, validated: the task known, its payload and the options parsed. */
function newJob(
  registry: TaskRegistry,
  taskOrName: AnyTaskDefinition | string,
  payload: unknown,
  options: EnqueueOptions,
): NewJob {
  const name = typeof taskOrName === 'string' ? taskOrName : taskOrName.name;
  const task = registry.get(name);
  if (!task) throw JOBS_ERRORS.UNKNOWN_TASK({ task: name });
  const opts = parseInput(enqueueOptionsSchema, options, JOBS_ERRORS.INVALID_OPTIONS);
  return {
    task: name,
    payload: parseInput(task.payload, payload, JOBS_ERRORS.INVALID_PAYLOAD),
    key: opts.jobKey ?? null,
    runAt: opts.runAt ?? null,
    priority: opts.priority ?? task.priority ?? 0,
    maxAttempts: opts.maxAttempts ?? task.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  };
}

/**
 * `enqueueMany` on the scope's db handle (its transaction on PostgreSQL).
 * @internal
 */
export async function enqueueJobs(
  rt: ServiceRuntime,
  jobs: ReadonlyArray<JobToQueue>,
): Promise<EnqueuedJob[]> {
  if (jobs.length === 0) return [];
  const { backend, registry } = runtimeOf(rt.instance);
  const parsed = jobs.map((j) => newJob(registry, j.task, j.payload, j.options ?? {}));
  const ids = await backend.enqueueMany(rt.db as Kysely<Database>, parsed);
  return parsed.map((job, i) => ({ id: ids[i]!, task: job.task, key: job.key }));
}

/**
 * `helios.jobs` for one scope: enqueue on the scope's db handle.
 * @internal
 */
export function bindJobs(rt: ServiceRuntime): JobsService {
  const runtime = runtimeOf(rt.instance);
  const { backend, registry } = runtime;
  const plan = () => ({ taskNames: registry.list().map((t) => t.name), execute: runtime.execute });
  /** Queues one job of each task that runs at start (keyed, so starting twice queues it once). */
  const queueStartTasks = async () => {
    for (const task of registry.list()) {
      if (!task.runAtStart) continue;
      await service.enqueue(task.name, {}, { jobKey: `${task.name}:start` });
    }
  };
  const service: BoundJobs = {
    backend: backend.kind,
    register(task) {
      if (runtime.state !== 'stopped') throw JOBS_ERRORS.WORKER_STARTED();
      registry.add(task);
    },
    async enqueue(
      taskOrName: AnyTaskDefinition | string,
      payload: unknown,
      options: EnqueueOptions = {},
    ) {
      const job = newJob(registry, taskOrName, payload, options);
      const id = await backend.enqueue(rt.db as Kysely<Database>, job);
      return { id, task: job.task, key: job.key };
    },
    enqueueMany: (jobs) => enqueueJobs(rt, jobs),
    async start(options = {}) {
      if (runtime.state !== 'stopped') return;
      const concurrency = options.concurrency ?? 4;
      if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 100)) {
        throw JOBS_ERRORS.INVALID_OPTIONS({
          issues: [
            { path: 'concurrency', message: 'Must be an integer from 1 to 100', code: 'too_small' },
          ],
        });
      }
      runtime.state = 'running';
      runtime.concurrency = concurrency;
      try {
        await backend.start({
          ...plan(),
          concurrency,
          cron: registry.cronItems(),
          onFatal: () => {
            runtime.state = 'stopped';
            runtime.concurrency = null;
          },
        });
      } catch (error) {
        runtime.state = 'stopped';
        runtime.concurrency = null;
        throw error;
      }
      await queueStartTasks();
    },
    async stop() {
      if (runtime.state !== 'running') return;
      runtime.state = 'stopping';
      try {
        await backend.stop();
      } finally {
        runtime.state = 'stopped';
        runtime.concurrency = null;
      }
    },
    async runOnce(options = {}) {
      if (options.startTasks) await queueStartTasks();
      await backend.runOnce(plan());
    },
    workerState: () => runtime.state,
    async status() {
      const snapshot = await backend.snapshot(20);
      const now = rt.clock.now();
      const crons = registry.cronItems().map((item) => ({
        identifier: item.identifier,
        task: item.task,
        nextRunAt: nextCronRun(item, now),
      }));
      return {
        backend: backend.kind,
        worker: { state: runtime.state, concurrency: runtime.concurrency },
        ...snapshot,
        crons,
      };
    },
    [AUDIT_WRITER]: (entry) => rt.write(undefined, (s) => s.audit(entry)),
  };
  return service;
}

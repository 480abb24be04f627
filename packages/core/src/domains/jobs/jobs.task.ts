/**
 * Task definitions: a name, a zod payload schema, a handler and its retry and schedule options.
 * Each domain defines its tasks with `defineTask` and adds them to the registry (createHelios
 * `jobs.tasks`, or `helios.jobs.register`) before the worker starts.
 */
import { type CronItem, type ParsedCronItem, parseCronItem } from 'graphile-worker';
import type { z } from 'zod';
import type { HeliosScope } from '../../helios';
import type { Logger } from '../../shared/logger';
import { JOBS_ERRORS } from './jobs.errors';

/** The job a handler is running. */
export interface JobInfo {
  /** The job's id (a decimal string). */
  readonly id: string;
  readonly task: string;
  /** This attempt's number, from 1. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** The job key it was queued with, or null. */
  readonly key: string | null;
}

/**
 * What a handler gets besides its payload. `helios` acts as the system actor `job:<task>` and is
 * never inside a transaction: each service call commits on its own, and calls to Google, Microsoft
 * or SMTP run with no transaction open (open `helios.transaction` only around database work).
 */
export interface TaskContext {
  readonly helios: HeliosScope;
  readonly job: JobInfo;
  /** The Helios logger, with the job's fields. */
  readonly logger: Logger;
}

/** A cron schedule of a task (UTC, graphile-worker's crontab syntax: `m h dom mon dow`). */
export interface TaskSchedule {
  /** The cron pattern, e.g. `0 3 * * *` (03:00 UTC daily). */
  pattern: string;
  /** The payload of the scheduled jobs (validated with the task's schema at definition). */
  payload?: Record<string, unknown>;
  /** A stable name for this schedule (default: the task's name, then `<task>:<n>`). */
  identifier?: string;
}

/** A task: what `defineTask` returns and the registry holds. */
export interface TaskDefinition<S extends z.ZodType = z.ZodType> {
  /** The task's name (`<domain>.<what>`, e.g. `notifications.send`). */
  readonly name: string;
  /** The payload schema; `enqueue` refuses a payload it rejects with `JOBS.INVALID_PAYLOAD`. */
  readonly payload: S;
  /**
   * Runs one job. Must be idempotent (a job can run again after a crash or a retry); throw to fail
   * the attempt (it is retried with exponential backoff until `maxAttempts`).
   */
  readonly handler: (payload: z.output<S>, context: TaskContext) => Promise<void>;
  /** Attempts before the job is marked failed (default 25, graphile-worker's). */
  readonly maxAttempts?: number;
  /** Default priority of its jobs (smaller runs first; default 0). */
  readonly priority?: number;
  /** Cron schedules: a pattern, or several schedules. */
  readonly cron?: string | readonly TaskSchedule[];
  /**
   * Also queue one job (payload `{}`, job key `<name>:start`) when a worker starts
   * (`helios.jobs.start()`, or `helios.jobs.runOnce({ startTasks: true })`): for the catch-up work
   * a crash can leave behind, which a cron schedule alone would only pick up later.
   */
  readonly runAtStart?: boolean;
  /**
   * Which runs write an audit row (action `jobs.run` / `jobs.failed`): `failures` (default: the
   * last failed attempt of a job) or `runs` (every completed run, and failures).
   */
  readonly audit?: 'failures' | 'runs';
}

/** A task of any payload (what registries and lists hold). */
export type AnyTaskDefinition = TaskDefinition<any>;

const TASK_NAME = /^[a-z][a-z0-9_]*(?:[.:-][a-z0-9_]+)*$/;

/** The default number of attempts of a job (graphile-worker's default). */
export const DEFAULT_MAX_ATTEMPTS = 25;

/**
 * Defines a job task with a typed payload.
 *
 * @param task - name, zod payload schema, handler, and optionally maxAttempts, priority, cron, audit
 * @returns the same definition, checked (add it to createHelios `jobs.tasks` or `helios.jobs.register`)
 * @throws HeliosError INVALID_INPUT `JOBS.INVALID_TASK` for a malformed name, cron pattern or maxAttempts
 * @example
 * ```ts
 * const sendReminder = defineTask({
 *   name: 'training.remind',
 *   payload: z.object({ userId: z.uuid() }),
 *   maxAttempts: 5,
 *   handler: async ({ userId }, { helios }) => { await helios.users.get(userId); },
 * });
 * const helios = await createHelios({ databaseUrl, jobs: { tasks: [sendReminder] } });
 * await helios.jobs.enqueue('training.remind', { userId }, { jobKey: `remind:${userId}` });
 * ```
 */
export function defineTask<S extends z.ZodType>(task: TaskDefinition<S>): TaskDefinition<S> {
  const invalid = (reason: string) => JOBS_ERRORS.INVALID_TASK({ task: String(task.name), reason });
  if (typeof task.name !== 'string' || task.name.length > 100 || !TASK_NAME.test(task.name)) {
    throw invalid(
      'the name must be lower-case words joined by `.`, `:` or `-` (at most 100 characters)',
    );
  }
  if (
    task.maxAttempts !== undefined &&
    !(Number.isInteger(task.maxAttempts) && task.maxAttempts >= 1 && task.maxAttempts <= 32767)
  ) {
    throw invalid('maxAttempts must be an integer from 1 to 32767');
  }
  if (
    task.priority !== undefined &&
    !(Number.isInteger(task.priority) && Math.abs(task.priority) <= 32767)
  ) {
    throw invalid('priority must be an integer from -32767 to 32767');
  }
  if (typeof task.handler !== 'function') throw invalid('the handler must be a function');
  if (task.runAtStart && !task.payload.safeParse({}).success)
    throw invalid('a task that runs at start must accept the payload {}');
  cronItemsOf(task);
  return task;
}

/** The cron items of a task, parsed by graphile-worker (no backfill; the task's attempts and priority). */
export function cronItemsOf(task: AnyTaskDefinition): ParsedCronItem[] {
  if (task.cron === undefined) return [];
  const schedules: readonly TaskSchedule[] =
    typeof task.cron === 'string' ? [{ pattern: task.cron }] : task.cron;
  return schedules.map((schedule, index) => {
    const identifier = schedule.identifier ?? (index === 0 ? task.name : `${task.name}:${index}`);
    const parsed = task.payload.safeParse(schedule.payload ?? {});
    if (!parsed.success)
      throw JOBS_ERRORS.INVALID_TASK({
        task: task.name,
        reason: `the payload of schedule "${identifier}" does not match the schema`,
      });
    const item: CronItem = {
      task: task.name,
      match: schedule.pattern,
      identifier,
      options: {
        backfillPeriod: 0,
        maxAttempts: task.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        ...(task.priority !== undefined ? { priority: task.priority } : {}),
      },
      ...(schedule.payload ? { payload: schedule.payload } : {}),
    };
    try {
      return parseCronItem(item, identifier);
    } catch (error) {
      throw JOBS_ERRORS.INVALID_TASK({
        task: task.name,
        reason: `bad cron pattern "${schedule.pattern}": ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  });
}

/** The first minute at or after `from` (UTC) that `item` matches, within a year; null if none. */
export function nextCronRun(item: ParsedCronItem, from: Date): Date | null {
  const at = new Date(from.getTime());
  if (at.getUTCSeconds() > 0 || at.getUTCMilliseconds() > 0)
    at.setUTCMinutes(at.getUTCMinutes() + 1, 0, 0);
  for (let i = 0; i < 366 * 24 * 60; i++) {
    const digest = {
      min: at.getUTCMinutes(),
      hour: at.getUTCHours(),
      date: at.getUTCDate(),
      month: at.getUTCMonth() + 1,
      dow: at.getUTCDay(),
    };
    if (item.match(digest)) return at;
    at.setUTCMinutes(at.getUTCMinutes() + 1);
  }
  return null;
}

/** The tasks of one Helios instance by name. */
export interface TaskRegistry {
  add(task: AnyTaskDefinition): void;
  get(name: string): AnyTaskDefinition | undefined;
  list(): AnyTaskDefinition[];
  /** Every task's cron items. */
  cronItems(): ParsedCronItem[];
}

/** A registry holding `tasks`. */
export function createTaskRegistry(tasks: readonly AnyTaskDefinition[] = []): TaskRegistry {
  const byName = new Map<string, AnyTaskDefinition>();
  const registry: TaskRegistry = {
    add(task) {
      defineTask(task);
      if (byName.has(task.name))
        throw JOBS_ERRORS.INVALID_TASK({
          task: task.name,
          reason: 'a task of this name is already registered',
        });
      byName.set(task.name, task);
    },
    get: (name) => byName.get(name),
    list: () => [...byName.values()],
    cronItems: () => [...byName.values()].flatMap(cronItemsOf),
  };
  for (const task of tasks) registry.add(task);
  return registry;
}

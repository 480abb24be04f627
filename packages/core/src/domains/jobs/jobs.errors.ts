/**
 * The error codes of the job runtime (`helios.jobs`), with their kind and message.
 */
import { codesOf, defineErrors } from '../../errors';
import { issuesSpec } from '../../errors/core.errors';

/** Every error the job runtime throws itself. */
export const JOBS_ERRORS = defineErrors({
  /** The payload does not match the task's zod schema; nothing was queued. */
  INVALID_PAYLOAD: issuesSpec(
    'JOBS.INVALID_PAYLOAD',
    "The job's payload does not match its task's schema (`details.issues`); nothing was queued.",
  ),
  /** The enqueue options (`jobKey`, `runAt`, `priority`, `maxAttempts`) are malformed. */
  INVALID_OPTIONS: issuesSpec(
    'JOBS.INVALID_OPTIONS',
    'The enqueue options are malformed (`details.issues`).',
  ),
  /** No task of this name is registered. */
  UNKNOWN_TASK: {
    code: 'JOBS.UNKNOWN_TASK',
    kind: 'INVALID_INPUT',
    message: (p: { task: string }) => `No job task is registered under the name "${p.task}".`,
    details: (p: { task: string }) => p,
    summary: 'No job task is registered under this name (`details.task`).',
  },
  /** A task definition is malformed (name, cron pattern, maxAttempts) or its name is taken. */
  INVALID_TASK: {
    code: 'JOBS.INVALID_TASK',
    kind: 'INVALID_INPUT',
    message: (p: { task: string; reason: string }) => `Job task "${p.task}": ${p.reason}`,
    details: (p: { task: string; reason: string }) => p,
    summary: 'A task definition is malformed or its name is already registered (`details.reason`).',
  },
  /** Tasks are registered before the worker starts (its task list and cron schedule are fixed then). */
  WORKER_STARTED: {
    code: 'JOBS.WORKER_STARTED',
    kind: 'PRECONDITION_FAILED',
    message: 'The job worker is already running: register tasks before `helios.jobs.start()`.',
  },
  /** A worker in its own process shares the queue through PostgreSQL; the embedded database has one process. */
  NEEDS_POSTGRES: {
    code: 'JOBS.NEEDS_POSTGRES',
    kind: 'PRECONDITION_FAILED',
    message:
      'A separate worker process needs PostgreSQL (DATABASE_URL); with the embedded database, `helios serve` runs the jobs in process.',
  },
});

/** The codes of {@link JOBS_ERRORS} by name. */
export const JOBS_ERROR_CODES = codesOf(JOBS_ERRORS);

/**
 * Background jobs: typed tasks (`defineTask`), `helios.jobs` (enqueue, worker, status), on
 * graphile-worker with PostgreSQL and in process with the embedded database.
 * @packageDocumentation
 */
export type { FailedJob } from './jobs.backend';
export { JOBS_ERROR_CODES, JOBS_ERRORS } from './jobs.errors';
export type { JobsRecoveryOptions, LiveWorker } from './jobs.liveness';
export type {
  EnqueuedJob,
  EnqueueOptions,
  JobsOptions,
  JobsService,
  JobsStatus,
  JobToQueue,
  WorkerState,
} from './jobs.service';
export { bindJobs, enqueueJobs, jobsAttached } from './jobs.service';
export type {
  AnyTaskDefinition,
  JobInfo,
  TaskContext,
  TaskDefinition,
  TaskSchedule,
} from './jobs.task';
export { DEFAULT_MAX_ATTEMPTS, defineTask } from './jobs.task';

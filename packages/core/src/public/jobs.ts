// Background jobs: typed tasks (`defineTask`) and `helios.jobs`.

export type {
  AnyTaskDefinition,
  EnqueuedJob,
  EnqueueOptions,
  FailedJob,
  JobInfo,
  JobsOptions,
  JobsRecoveryOptions,
  JobsService,
  JobsStatus,
  JobToQueue,
  LiveWorker,
  TaskContext,
  TaskDefinition,
  TaskSchedule,
  WorkerState,
} from '../domains/jobs';
export { DEFAULT_MAX_ATTEMPTS, defineTask, JOBS_ERROR_CODES, JOBS_ERRORS } from '../domains/jobs';

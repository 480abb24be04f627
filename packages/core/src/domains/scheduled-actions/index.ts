/**
 * Scheduled user actions (`helios.scheduledActions`): onboard, offboard, suspend, unsuspend,
 * delete and restore at a given time, with approval, dependencies, retries and recurrence, run
 * exactly once by the `scheduled-actions.run` job.
 * @packageDocumentation
 */

export {
  SCHEDULED_ACTIONS_ERROR_CODES,
  SCHEDULED_ACTIONS_ERRORS,
} from './scheduled-actions.errors';
export type { LifecycleLog, ScheduledAction } from './scheduled-actions.model';
// For the lifecycle run engine (a run is a scheduled action): queue a run and its dependants.
export { enqueueDependents, enqueueRun } from './scheduled-actions.queue';
export type {
  CreateScheduledActionInput,
  ListScheduledActionsInput,
  PendingApprovalInput,
  RecurrenceInterval,
  ScheduledActionStatus,
  ScheduledActionType,
  UpdateScheduledActionInput,
} from './scheduled-actions.schema';
export {
  SCHEDULED_ACTION_INTERVALS,
  SCHEDULED_ACTION_STATUSES,
  SCHEDULED_ACTION_TYPES,
} from './scheduled-actions.schema';
export type { ScheduledActionsService } from './scheduled-actions.service';
export { DISPATCH_TASK, RUN_TASK } from './scheduled-actions.service';
export {
  dispatchScheduledActionsTask,
  runScheduledActionTask,
  SCHEDULED_ACTIONS_TASKS,
} from './scheduled-actions.tasks';

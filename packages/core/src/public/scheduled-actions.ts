export type {
  CreateScheduledActionInput,
  LifecycleLog,
  ListScheduledActionsInput,
  PendingApprovalInput,
  RecurrenceInterval,
  ScheduledAction,
  ScheduledActionStatus,
  ScheduledActionsService,
  ScheduledActionType,
  UpdateScheduledActionInput,
} from '../domains/scheduled-actions';
export {
  SCHEDULED_ACTION_INTERVALS,
  SCHEDULED_ACTION_STATUSES,
  SCHEDULED_ACTION_TYPES,
  SCHEDULED_ACTIONS_ERROR_CODES,
  SCHEDULED_ACTIONS_ERRORS,
} from '../domains/scheduled-actions';

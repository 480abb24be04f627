export type {
  DashboardRequest,
  LifecycleDashboard,
  LifecycleDashboardService,
} from '../domains/lifecycle/lifecycle.dashboard';
export type { ReminderRun } from '../domains/lifecycle/lifecycle.reminders';
export {
  LIFECYCLE_REMINDER_TASKS,
  lifecycleTaskRemindersTask,
  TASK_REMINDERS_TASK,
} from '../domains/lifecycle/lifecycle.reminders.tasks';
export type { LifecycleTasksService } from '../domains/lifecycle/lifecycle.tasks';
export {
  LIFECYCLE_TASKS_ERROR_CODES,
  LIFECYCLE_TASKS_ERRORS,
} from '../domains/lifecycle/lifecycle.tasks.errors';
export type {
  CompleteTaskInput,
  LifecycleAssigneeType,
  LifecyclePool,
  LifecycleTask,
  LifecycleTaskCounts,
  LifecycleTaskRequest,
  LifecycleTaskStatus,
  ListTasksInput,
  PoolMembers,
  PoolMembersInput,
  ReminderPreferenceInput,
  SendRemindersInput,
  SkipTaskInput,
  TaskCountsInput,
} from '../domains/lifecycle/lifecycle.tasks.schema';
export {
  LIFECYCLE_ASSIGNEE_TYPES,
  LIFECYCLE_POOLS,
  LIFECYCLE_TASK_STATUSES,
} from '../domains/lifecycle/lifecycle.tasks.schema';

/**
 * The inputs of `helios.lifecycle.tasks` and `helios.lifecycle.dashboard` (zod), and their DTOs.
 */
import { z } from 'zod';

/** The states of a lifecycle task (the table's CHECK). */
export const LIFECYCLE_TASK_STATUSES = [
  'pending',
  'in_progress',
  'completed',
  'skipped',
  'blocked',
] as const;
/** The state of a lifecycle task. */
export type LifecycleTaskStatus = (typeof LIFECYCLE_TASK_STATUSES)[number];

/** Who a task is for (the table's CHECK). */
export const LIFECYCLE_ASSIGNEE_TYPES = ['user', 'manager', 'hr', 'it', 'system'] as const;
/** Who a task is for. */
export type LifecycleAssigneeType = (typeof LIFECYCLE_ASSIGNEE_TYPES)[number];

/** The role pools a task may be assigned to (no portal role exists for them: members are named in a setting). */
export const LIFECYCLE_POOLS = ['hr', 'it'] as const;
/** A role pool. */
export type LifecyclePool = (typeof LIFECYCLE_POOLS)[number];

/** A calendar day, `YYYY-MM-DD`, that exists. */
export const isoDaySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'A day as YYYY-MM-DD')
  .refine((value) => {
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
  }, 'Not a calendar day');

/** A task or request id. */
export const taskIdSchema = z.uuid();

/** `list`'s filter. */
export const listTasksSchema = z.strictObject({
  /**
   * `mine` (default): the tasks the caller must act on (see the service). `all`: every task of the
   * organization (administrators only).
   */
  scope: z.enum(['mine', 'all']).default('mine'),
  /** Default: pending and in progress. */
  status: z
    .array(z.enum(LIFECYCLE_TASK_STATUSES))
    .min(1)
    .max(LIFECYCLE_TASK_STATUSES.length)
    .optional(),
  /** Only tasks due before this day (tasks without a due date are left out). */
  dueBefore: isoDaySchema.optional(),
  /** Only the tasks of this request. */
  requestId: z.uuid().optional(),
  cursor: z.string().min(1).max(4000).nullable().optional(),
  limit: z.int().min(1).max(500).default(50),
});
/** `list`'s filter. */
export type ListTasksInput = z.input<typeof listTasksSchema>;

/** `counts`' input. */
export const countsSchema = z.strictObject({
  scope: z.enum(['mine', 'all']).default('mine'),
});
/** `counts`' input. */
export type TaskCountsInput = z.input<typeof countsSchema>;

/** `complete`'s input. */
export const completeTaskSchema = z.strictObject({
  notes: z.string().trim().max(5000).optional(),
});
/** `complete`'s input. */
export type CompleteTaskInput = z.input<typeof completeTaskSchema>;

/** `skip`'s input: a reason is required. */
export const skipTaskSchema = z.strictObject({
  reason: z.string().trim().min(1, 'Required').max(5000),
});
/** `skip`'s input. */
export type SkipTaskInput = z.input<typeof skipTaskSchema>;

const poolMembers = z
  .array(z.uuid())
  .max(200)
  .refine((ids) => new Set(ids).size === ids.length, 'Each user once');

/** The named members of the hr and it pools. */
export const poolMembersSchema = z.strictObject({
  hr: poolMembers.default([]),
  it: poolMembers.default([]),
});
/** `setPoolMembers`' input. */
export type PoolMembersInput = z.input<typeof poolMembersSchema>;
/** The named members of the hr and it pools. */
export type PoolMembers = z.output<typeof poolMembersSchema>;

/** `setReminderPreference`'s input. */
export const reminderPreferenceSchema = z.strictObject({
  /** Whether the daily digest of due-soon and overdue tasks is mailed. */
  enabled: z.boolean(),
  /** Another user's preference (administrators only); default the caller. */
  userId: z.uuid().optional(),
});
/** `setReminderPreference`'s input. */
export type ReminderPreferenceInput = z.input<typeof reminderPreferenceSchema>;

/** `sendReminders`' input. */
export const sendRemindersSchema = z.strictObject({
  /** A task due within this many days (from today, UTC) counts as due soon (default 2). */
  dueSoonDays: z.int().min(0).max(30).default(2),
});
/** `sendReminders`' input. */
export type SendRemindersInput = z.input<typeof sendRemindersSchema>;

/** The request a task belongs to, as shown with the task. */
export interface LifecycleTaskRequest {
  id: string;
  requestType: string;
  status: string;
  email: string;
  firstName: string;
  lastName: string;
  managerId: string | null;
  startDate: string | null;
  endDate: string | null;
}

/** A lifecycle task as returned. */
export interface LifecycleTask {
  id: string;
  requestId: string | null;
  /** The user the task is about (the hire, the leaver), when known. */
  userId: string | null;
  title: string;
  description: string | null;
  category: string | null;
  assigneeType: LifecycleAssigneeType;
  /** A named assignee (null for the hr/it pools). */
  assigneeId: string | null;
  assigneeRole: string | null;
  /** `YYYY-MM-DD`, or null. */
  dueDate: string | null;
  status: LifecycleTaskStatus;
  /** True when open (pending or in progress) and due before today (UTC). */
  overdue: boolean;
  completedAt: Date | null;
  completedBy: string | null;
  /** The completion notes, or the reason it was skipped. */
  completionNotes: string | null;
  actionType: string | null;
  sequenceOrder: number;
  /** The task that must be completed or skipped first. */
  dependsOnTaskId: string | null;
  /** The day of the last reminder digest that named it. */
  lastReminderOn: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  request: LifecycleTaskRequest | null;
}

/** The counters of a task list. */
export interface LifecycleTaskCounts {
  pending: number;
  inProgress: number;
  blocked: number;
  /** Open (pending or in progress) and due before today. */
  overdue: number;
  /** Completed or skipped today (UTC). */
  doneToday: number;
}

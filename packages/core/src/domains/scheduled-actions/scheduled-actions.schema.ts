/**
 * The inputs of `helios.scheduledActions` (zod): create, update, list, cancel, approve, reject.
 */
import { z } from 'zod';
import { jsonObject } from '../../shared/validation';

/** What a scheduled action does to a user. */
export const SCHEDULED_ACTION_TYPES = [
  'onboard',
  'offboard',
  'suspend',
  'unsuspend',
  'delete',
  'restore',
] as const;
/** What a scheduled action does to a user. */
export type ScheduledActionType = (typeof SCHEDULED_ACTION_TYPES)[number];

/** The states of an action (the table's CHECK). */
export const SCHEDULED_ACTION_STATUSES = [
  'pending',
  'in_progress',
  'completed',
  'failed',
  'cancelled',
  'skipped',
] as const;
/** The state of an action. */
export type ScheduledActionStatus = (typeof SCHEDULED_ACTION_STATUSES)[number];

/** How often a recurring action repeats. */
export const SCHEDULED_ACTION_INTERVALS = ['daily', 'weekly', 'monthly'] as const;
/** How often a recurring action repeats. */
export type RecurrenceInterval = (typeof SCHEDULED_ACTION_INTERVALS)[number];

/** The actions that act on an existing Helios user (and need `userId`). */
export const USER_ACTIONS: readonly ScheduledActionType[] = [
  'offboard',
  'suspend',
  'unsuspend',
  'delete',
  'restore',
];

const id = z.uuid({ message: 'A uuid' });
/** A Date or an ISO 8601 string with a time zone. */
const instant = z
  .union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))])
  .refine((d) => !Number.isNaN(d.getTime()), 'A valid date');
const shortText = (max: number) => z.string().trim().min(1, 'Required').max(max);
const optionalNote = z.string().trim().max(2000).optional();

const targetSchema = z.strictObject({
  email: z
    .email()
    .max(255)
    .transform((e) => e.toLowerCase()),
  firstName: shortText(255).optional(),
  lastName: shortText(255).optional(),
  personalEmail: z.email().max(255).optional(),
});

const recurrenceSchema = z.strictObject({
  interval: z.enum(SCHEDULED_ACTION_INTERVALS),
  until: instant.optional(),
});

const fields = {
  userId: id.optional(),
  target: targetSchema.optional(),
  onboardingTemplateId: id.optional(),
  offboardingTemplateId: id.optional(),
  config: jsonObject().optional(),
  configOverrides: jsonObject().optional(),
  scheduledFor: instant,
  recurrence: recurrenceSchema.optional(),
  maxRetries: z.int().min(0).max(10).optional(),
  requiresApproval: z.boolean().optional(),
  dependsOnActionId: id.optional(),
};

/** `create`: an action, its target, its time and its options. */
export const createScheduledActionSchema = z
  .strictObject({ actionType: z.enum(SCHEDULED_ACTION_TYPES), ...fields })
  .superRefine((input, ctx) => {
    if (USER_ACTIONS.includes(input.actionType) && !input.userId) {
      ctx.addIssue({
        code: 'custom',
        path: ['userId'],
        message: `Required for a ${input.actionType} action`,
      });
    }
    if (input.actionType === 'onboard' && !input.userId && !input.target) {
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message: 'An onboard action needs `target` (or `userId`)',
      });
    }
    if (input.recurrence && (input.actionType === 'onboard' || input.actionType === 'offboard')) {
      ctx.addIssue({
        code: 'custom',
        path: ['recurrence'],
        message: `An ${input.actionType} action runs once: it cannot recur`,
      });
    }
    if (
      input.recurrence?.until &&
      input.recurrence.until.getTime() <= input.scheduledFor.getTime()
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['recurrence', 'until'],
        message: 'Must be after scheduledFor',
      });
    }
  });
/** `create`'s input. */
export type CreateScheduledActionInput = z.input<typeof createScheduledActionSchema>;

/** `update`: any of the fields of `create` but the type; `null` clears an optional one. */
export const updateScheduledActionSchema = z
  .strictObject({
    userId: id.nullable().optional(),
    target: targetSchema.nullable().optional(),
    onboardingTemplateId: id.nullable().optional(),
    offboardingTemplateId: id.nullable().optional(),
    config: jsonObject().optional(),
    configOverrides: jsonObject().optional(),
    scheduledFor: instant.optional(),
    recurrence: recurrenceSchema.nullable().optional(),
    maxRetries: z.int().min(0).max(10).optional(),
    requiresApproval: z.boolean().optional(),
    dependsOnActionId: id.nullable().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, { message: 'Nothing to change' });
/** `update`'s patch. */
export type UpdateScheduledActionInput = z.input<typeof updateScheduledActionSchema>;

/** `list`'s filter and page. */
export const listScheduledActionsSchema = z.strictObject({
  status: z.enum(SCHEDULED_ACTION_STATUSES).optional(),
  actionType: z.enum(SCHEDULED_ACTION_TYPES).optional(),
  userId: id.optional(),
  dueAfter: instant.optional(),
  dueBefore: instant.optional(),
  cursor: z.string().min(1).max(4000).nullable().optional(),
  limit: z.int().min(1).max(500).default(50),
});
/** `list`'s filter. */
export type ListScheduledActionsInput = z.input<typeof listScheduledActionsSchema>;

/** `pendingApproval`'s page. */
export const pageSchema = z.strictObject({
  cursor: z.string().min(1).max(4000).nullable().optional(),
  limit: z.int().min(1).max(500).default(50),
});
/** `pendingApproval`'s page. */
export type PendingApprovalInput = z.input<typeof pageSchema>;

/** `cancel`. */
export const cancelSchema = z.strictObject({ reason: optionalNote });
/** `approve`. */
export const approveSchema = z.strictObject({ notes: optionalNote });
/** `reject`: a reason is required. */
export const rejectSchema = z.strictObject({ reason: shortText(2000) });
/** `dispatchDue`. */
export const dispatchSchema = z.strictObject({ limit: z.int().min(1).max(1000).default(100) });

/** An action id. */
export const actionIdSchema = id;

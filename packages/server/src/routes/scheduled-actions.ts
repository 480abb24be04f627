/**
 * Scheduled user actions (tag Scheduled actions): onboard, offboard, suspend, unsuspend, delete or
 * restore a user at a given time, once or again and again, optionally after an approval or after
 * another action. Creating one queues a job keyed by the action id; a worker (`helios serve`, or
 * `helios worker` next to API-only servers) runs it exactly once when it is due. Every handler only
 * calls `c.var.sdk.scheduledActions`, which decides who may.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { type Caller, cursorQuery, defineRoute, dto, IdParam, limitQuery, pageOf } from '../route';
import type { RouteDeps } from './index';

// Who may call (decided by helios.scheduledActions): reading is `users:read` (administrators and
// users:read keys see every action, a manager the actions about themself and their reports, a user
// those about themself); scheduling, changing and cancelling need an administrator or a users:write
// key; approving and rejecting an administrator or an admin:full key.
const ALL: Caller[] = ['admin', 'manager', 'user'];
const READ = 'users:read';
const WRITE = 'users:write';
const APPROVE = 'admin:full';

const ACTION_TYPES = ['onboard', 'offboard', 'suspend', 'unsuspend', 'delete', 'restore'] as const;
const ACTION_STATUSES = [
  'pending',
  'in_progress',
  'completed',
  'failed',
  'cancelled',
  'skipped',
] as const;
const INTERVALS = ['daily', 'weekly', 'monthly'] as const;

const nullableString = z.string().nullable();
const nullableNumber = z.number().nullable();
/** An instant: ISO 8601 with an offset (`2031-01-01T09:00:00Z`). */
const instant = z.iso.datetime({ offset: true });
const config = z.record(z.string(), z.unknown());

/** A scheduled action as the SDK returns it (camelCase of every column of scheduled_user_actions). */
const ScheduledActionDto = dto('ScheduledAction', {
  id: z.string(),
  organizationId: z.string(),
  userId: nullableString,
  targetEmail: nullableString,
  targetFirstName: nullableString,
  targetLastName: nullableString,
  targetPersonalEmail: nullableString,
  actionType: z.string(),
  status: nullableString,
  scheduledFor: z.string(),
  isRecurring: z.boolean().nullable(),
  recurrenceInterval: nullableString,
  recurrenceUntil: nullableString,
  startedAt: nullableString,
  completedAt: nullableString,
  totalSteps: nullableNumber,
  completedSteps: nullableNumber,
  currentStep: nullableString,
  errorMessage: nullableString,
  retryCount: nullableNumber,
  maxRetries: nullableNumber,
  nextRetryAt: nullableString,
  requiresApproval: z.boolean().nullable(),
  approvedBy: nullableString,
  approvedAt: nullableString,
  rejectedBy: nullableString,
  dependsOnActionId: nullableString,
  actionConfig: config,
  configOverrides: config,
  onboardingTemplateId: nullableString,
  offboardingTemplateId: nullableString,
  lastRecurrenceAt: nullableString,
  errorDetails: config.nullable(),
  rejectedAt: nullableString,
  rejectionReason: nullableString,
  approvalNotes: nullableString,
  cancelledAt: nullableString,
  cancelledBy: nullableString,
  cancellationReason: nullableString,
  createdAt: nullableString,
  createdBy: nullableString,
  updatedAt: nullableString,
});
/** One journaled step of an action (a `user_lifecycle_logs` row). */
const LifecycleLogDto = dto('LifecycleLog', {
  id: z.string(),
  organizationId: z.string(),
  actionId: nullableString,
  userId: nullableString,
  stepName: z.string(),
  stepType: z.string(),
  status: z.string(),
  details: z.unknown(),
  errorMessage: nullableString,
  durationMs: nullableNumber,
  createdAt: nullableString,
});

const target = z
  .object({
    email: z.email().max(255),
    firstName: z.string().min(1).max(255).optional(),
    lastName: z.string().min(1).max(255).optional(),
    personalEmail: z.email().max(255).optional(),
  })
  .strict()
  .openapi({ description: 'The person to onboard when there is no user yet' });
const recurrence = z
  .object({ interval: z.enum(INTERVALS), until: instant.optional() })
  .strict()
  .openapi({ description: 'Run again every day, week or month (until the given instant)' });

// The route's own view of the SDK's input (the SDK parses it again with its own schema).
const CreateBody = z
  .object({
    actionType: z.enum(ACTION_TYPES),
    userId: z
      .uuid()
      .optional()
      .openapi({ description: 'The user acted on (every action type but onboard names one)' }),
    target: target.optional(),
    onboardingTemplateId: z.uuid().optional(),
    offboardingTemplateId: z.uuid().optional(),
    config: config
      .optional()
      .openapi({ description: 'Settings of the action (stored in action_config)' }),
    configOverrides: config.optional(),
    scheduledFor: instant.openapi({
      description: 'When it is due (now or in the past: as soon as a worker is free)',
    }),
    recurrence: recurrence.optional(),
    maxRetries: z.number().int().min(0).max(10).optional(),
    requiresApproval: z
      .boolean()
      .optional()
      .openapi({ description: 'Wait for POST /scheduled-actions/{id}/approve before running' }),
    dependsOnActionId: z
      .uuid()
      .optional()
      .openapi({ description: 'Run only after this action completed (fail if it failed)' }),
  })
  .strict()
  .openapi('CreateScheduledAction');
const UpdateBody = z
  .object({
    scheduledFor: instant.optional(),
    userId: z.uuid().nullable().optional(),
    target: target.nullable().optional(),
    onboardingTemplateId: z.uuid().nullable().optional(),
    offboardingTemplateId: z.uuid().nullable().optional(),
    config: config.optional(),
    configOverrides: config.optional(),
    recurrence: recurrence.nullable().optional(),
    maxRetries: z.number().int().min(0).max(10).optional(),
    requiresApproval: z.boolean().optional(),
    dependsOnActionId: z.uuid().nullable().optional(),
  })
  .strict()
  .openapi('UpdateScheduledAction');

/** `/api/v1/scheduled-actions`: list, create, get, update, cancel, approve, reject, pending approval, logs. */
export function registerScheduledActionRoutes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  const tag = 'Scheduled actions';
  defineRoute(app, {
    method: 'get',
    path: '/scheduled-actions',
    tag,
    summary: 'Scheduled actions, soonest due first, one page at a time',
    description:
      'Administrators and users:read keys see every action; a manager the actions about themself and their reports; a user those about themself.',
    callers: ALL,
    scope: READ,
    query: z.object({
      status: z
        .enum(ACTION_STATUSES)
        .optional()
        .openapi({ description: 'Only actions in this state' }),
      actionType: z.enum(ACTION_TYPES).optional(),
      userId: z.uuid().optional(),
      dueAfter: instant
        .optional()
        .openapi({ description: 'Only actions due at or after this instant' }),
      dueBefore: instant
        .optional()
        .openapi({ description: 'Only actions due before this instant' }),
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(ScheduledActionDto),
    handler: (c, { query }) => c.var.sdk.scheduledActions.list(query),
  });
  defineRoute(app, {
    method: 'post',
    path: '/scheduled-actions',
    tag,
    summary: 'Schedule an action on a user',
    description:
      'Queues a job keyed by the action id that a worker runs when it is due (and approved, when it requires approval). 400 when `userId`, a template or `dependsOnActionId` does not exist (SCHEDULED_ACTIONS.USER_NOT_FOUND, TEMPLATE_NOT_FOUND, BAD_DEPENDENCY).',
    scope: WRITE,
    body: CreateBody,
    response: ScheduledActionDto,
    handler: (c, { body }) => c.var.sdk.scheduledActions.create(body as never),
  });
  defineRoute(app, {
    method: 'get',
    path: '/scheduled-actions/pending-approval',
    operationId: 'listScheduledActionsPendingApproval',
    tag,
    summary: 'Pending actions waiting for an approval, soonest due first',
    callers: ALL,
    scope: READ,
    query: z.object({ limit: limitQuery, cursor: cursorQuery }),
    response: pageOf(ScheduledActionDto),
    handler: (c, { query }) => c.var.sdk.scheduledActions.pendingApproval(query),
  });
  defineRoute(app, {
    method: 'get',
    path: '/scheduled-actions/{id}',
    tag,
    summary: 'One scheduled action, with its progress and last error',
    callers: ALL,
    scope: READ,
    params: IdParam,
    response: ScheduledActionDto,
    handler: (c, { params }) => c.var.sdk.scheduledActions.get(params.id),
  });
  defineRoute(app, {
    method: 'patch',
    path: '/scheduled-actions/{id}',
    tag,
    summary:
      'Change a pending action (409 SCHEDULED_ACTIONS.NOT_PENDING once it started, finished or was cancelled)',
    scope: WRITE,
    params: IdParam,
    body: UpdateBody,
    response: ScheduledActionDto,
    handler: (c, { params, body }) => c.var.sdk.scheduledActions.update(params.id, body as never),
  });
  defineRoute(app, {
    method: 'post',
    path: '/scheduled-actions/{id}/cancel',
    tag,
    summary: 'Cancel a pending action: it never runs',
    scope: WRITE,
    params: IdParam,
    body: z
      .object({ reason: z.string().min(1).max(2000).optional() })
      .strict()
      .openapi('CancelScheduledAction'),
    response: ScheduledActionDto,
    status: 200,
    handler: (c, { params, body }) => c.var.sdk.scheduledActions.cancel(params.id, body),
  });
  defineRoute(app, {
    method: 'post',
    path: '/scheduled-actions/{id}/approve',
    tag,
    summary: 'Approve an action that requires approval: it runs when due',
    scope: APPROVE,
    params: IdParam,
    body: z
      .object({ notes: z.string().min(1).max(2000).optional() })
      .strict()
      .openapi('ApproveScheduledAction'),
    response: ScheduledActionDto,
    status: 200,
    handler: (c, { params, body }) => c.var.sdk.scheduledActions.approve(params.id, body),
  });
  defineRoute(app, {
    method: 'post',
    path: '/scheduled-actions/{id}/reject',
    tag,
    summary: 'Reject an action that requires approval: it never runs',
    scope: APPROVE,
    params: IdParam,
    body: z
      .object({ reason: z.string().trim().min(1).max(2000) })
      .strict()
      .openapi('RejectScheduledAction'),
    response: ScheduledActionDto,
    status: 200,
    handler: (c, { params, body }) => c.var.sdk.scheduledActions.reject(params.id, body),
  });
  defineRoute(app, {
    method: 'get',
    path: '/scheduled-actions/{id}/logs',
    tag,
    summary: "The action's journaled steps (user_lifecycle_logs), oldest first",
    callers: ALL,
    scope: READ,
    params: IdParam,
    response: z.array(LifecycleLogDto),
    handler: (c, { params }) => c.var.sdk.scheduledActions.logs(params.id),
  });
}

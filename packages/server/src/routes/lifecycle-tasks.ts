/**
 * Lifecycle tasks (tag Lifecycle tasks): the HR queue — my tasks, their counters, start / complete /
 * skip, the dashboard, the named hr/it pool members and reminder preferences. Every handler only
 * calls `c.var.sdk.lifecycle`, which decides who may: a user sees and acts on their own tasks (a
 * task assigned to them, a manager task of a request they manage, a pool task of a pool they are
 * named in), administrators on every task; API keys need `admin:full`.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { type Caller, cursorQuery, defineRoute, dto, IdParam, limitQuery, pageOf } from '../route';
import type { RouteDeps } from './index';

const ALL: Caller[] = ['admin', 'manager', 'user'];
const ADMIN = 'admin:full';

const STATUSES = ['pending', 'in_progress', 'completed', 'skipped', 'blocked'] as const;
const nullableString = z.string().nullable();
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .openapi({ format: 'date' });

const TaskRequestDto = dto('LifecycleTaskRequest', {
  id: z.string(),
  requestType: z.string(),
  status: z.string(),
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  managerId: nullableString,
  startDate: nullableString,
  endDate: nullableString,
});

/** A lifecycle task as the SDK returns it. */
const LifecycleTaskDto = dto('LifecycleTask', {
  id: z.string(),
  requestId: nullableString,
  userId: nullableString,
  title: z.string(),
  description: nullableString,
  category: nullableString,
  assigneeType: z.string(),
  assigneeId: nullableString,
  assigneeRole: nullableString,
  dueDate: nullableString,
  status: z.string(),
  overdue: z.boolean(),
  completedAt: nullableString,
  completedBy: nullableString,
  completionNotes: nullableString,
  actionType: nullableString,
  sequenceOrder: z.number(),
  dependsOnTaskId: nullableString,
  lastReminderOn: nullableString,
  createdAt: nullableString,
  updatedAt: nullableString,
  request: TaskRequestDto.nullable(),
});

const CountsDto = z
  .object({
    pending: z.number(),
    inProgress: z.number(),
    blocked: z.number(),
    overdue: z.number(),
    doneToday: z.number(),
  })
  .openapi('LifecycleTaskCounts');

const DashboardRequestDto = dto('LifecycleDashboardRequest', {
  id: z.string(),
  requestType: z.string(),
  status: z.string(),
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  jobTitle: nullableString,
  managerId: nullableString,
  userId: nullableString,
  startDate: nullableString,
  endDate: nullableString,
  tasksTotal: z.number(),
  tasksCompleted: z.number(),
  overdueTasks: z.number(),
});

const DashboardDto = z
  .object({
    day: z.string(),
    activeOnboardings: z.array(DashboardRequestDto),
    attention: z.object({
      overdue: z.number(),
      blocked: z.number(),
      tasks: z.array(LifecycleTaskDto),
    }),
    myTeam: z.array(DashboardRequestDto),
    myTasks: CountsDto,
  })
  .openapi('LifecycleDashboard');

const PoolMembersDto = z
  .object({
    hr: z.array(z.string()),
    it: z.array(z.string()),
  })
  .openapi('LifecyclePoolMembers');

const scopeQuery = z
  .enum(['mine', 'all'])
  .optional()
  .openapi({ description: '`mine` (default): your tasks; `all`: every task (administrators)' });

/** `/api/v1/lifecycle/tasks`, `/lifecycle/dashboard`, `/lifecycle/pool-members`, reminders. */
export function registerLifecycleTaskRoutes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  const tag = 'Lifecycle tasks';
  defineRoute(app, {
    method: 'get',
    path: '/lifecycle/tasks',
    tag,
    summary: 'My lifecycle tasks, soonest due first, one page at a time',
    description:
      'The tasks you must act on: assigned to you, manager tasks of requests you manage, pool tasks of the hr/it pool you are named in (administrators: both pools). `scope=all` lists every task (administrators).',
    callers: ALL,
    scope: ADMIN,
    query: z.object({
      scope: scopeQuery,
      status: z
        .string()
        .regex(/^[a-z_]+(,[a-z_]+)*$/)
        .max(200)
        .optional()
        .openapi({
          description: `Comma-separated states (${STATUSES.join(', ')}); default pending,in_progress`,
        }),
      dueBefore: day.optional().openapi({ description: 'Only tasks due before this day' }),
      requestId: z.uuid().optional(),
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(LifecycleTaskDto),
    handler: (c, { query }) =>
      c.var.sdk.lifecycle.tasks.list({
        ...query,
        status: query.status ? (query.status.split(',') as never) : undefined,
      }),
  });
  defineRoute(app, {
    method: 'get',
    path: '/lifecycle/tasks/counts',
    operationId: 'countLifecycleTasks',
    tag,
    summary: 'Counters of my tasks: pending, in progress, blocked, overdue, done today',
    callers: ALL,
    scope: ADMIN,
    query: z.object({ scope: scopeQuery }),
    response: CountsDto,
    handler: (c, { query }) => c.var.sdk.lifecycle.tasks.counts(query),
  });
  defineRoute(app, {
    method: 'get',
    path: '/lifecycle/tasks/{id}',
    tag,
    summary: 'One task you may act on (403 LIFECYCLE.TASK_FORBIDDEN otherwise)',
    callers: ALL,
    scope: ADMIN,
    params: IdParam,
    response: LifecycleTaskDto,
    handler: (c, { params }) => c.var.sdk.lifecycle.tasks.get(params.id),
  });
  defineRoute(app, {
    method: 'post',
    path: '/lifecycle/tasks/{id}/start',
    tag,
    summary: 'Start a pending task (409 LIFECYCLE.TASK_BLOCKED while its dependency is open)',
    callers: ALL,
    scope: ADMIN,
    params: IdParam,
    response: LifecycleTaskDto,
    status: 200,
    handler: (c, { params }) => c.var.sdk.lifecycle.tasks.start(params.id),
  });
  defineRoute(app, {
    method: 'post',
    path: '/lifecycle/tasks/{id}/complete',
    tag,
    summary: 'Complete a task; the tasks waiting for it are unblocked',
    description:
      'The request completes when every task is completed or skipped. 403 LIFECYCLE.TASK_FORBIDDEN for a task that is not yours; 409 LIFECYCLE.TASK_BLOCKED, LIFECYCLE.TASK_INVALID_TRANSITION.',
    callers: ALL,
    scope: ADMIN,
    params: IdParam,
    body: z
      .object({ notes: z.string().max(5000).optional() })
      .strict()
      .openapi('CompleteLifecycleTask'),
    response: LifecycleTaskDto,
    status: 200,
    handler: (c, { params, body }) => c.var.sdk.lifecycle.tasks.complete(params.id, body),
  });
  defineRoute(app, {
    method: 'post',
    path: '/lifecycle/tasks/{id}/skip',
    tag,
    summary: 'Skip a task with a reason; the tasks waiting for it are unblocked',
    callers: ALL,
    scope: ADMIN,
    params: IdParam,
    body: z
      .object({ reason: z.string().trim().min(1).max(5000) })
      .strict()
      .openapi('SkipLifecycleTask'),
    response: LifecycleTaskDto,
    status: 200,
    handler: (c, { params, body }) => c.var.sdk.lifecycle.tasks.skip(params.id, body),
  });
  defineRoute(app, {
    method: 'get',
    path: '/lifecycle/dashboard',
    tag,
    summary: 'Active onboardings, tasks needing attention, my team and my task counters',
    description:
      'Administrators see the whole organization; anyone else the onboardings they manage and their own tasks.',
    callers: ALL,
    scope: ADMIN,
    response: DashboardDto,
    handler: (c) => c.var.sdk.lifecycle.dashboard.get(),
  });
  defineRoute(app, {
    method: 'get',
    path: '/lifecycle/pool-members',
    operationId: 'getLifecyclePoolMembers',
    tag,
    summary: 'The users named in the hr and it task pools',
    scope: ADMIN,
    response: PoolMembersDto,
    handler: (c) => c.var.sdk.lifecycle.tasks.poolMembers(),
  });
  defineRoute(app, {
    method: 'put',
    path: '/lifecycle/pool-members',
    operationId: 'setLifecyclePoolMembers',
    tag,
    summary: 'Name the members of the hr and it task pools (active users of the organization)',
    scope: ADMIN,
    body: z
      .object({
        hr: z.array(z.uuid()).max(200).optional(),
        it: z.array(z.uuid()).max(200).optional(),
      })
      .strict()
      .openapi('SetLifecyclePoolMembers'),
    response: PoolMembersDto,
    handler: (c, { body }) => c.var.sdk.lifecycle.tasks.setPoolMembers(body),
  });
  defineRoute(app, {
    method: 'put',
    path: '/lifecycle/reminder-preference',
    operationId: 'setLifecycleReminderPreference',
    tag,
    summary: 'Turn the daily task digest on or off (yours; administrators: anyone’s)',
    callers: ALL,
    scope: ADMIN,
    body: z
      .object({ enabled: z.boolean(), userId: z.uuid().optional() })
      .strict()
      .openapi('SetLifecycleReminderPreference'),
    response: z
      .object({ userId: z.string(), enabled: z.boolean() })
      .openapi('LifecycleReminderPreference'),
    handler: (c, { body }) => c.var.sdk.lifecycle.tasks.setReminderPreference(body),
  });
  defineRoute(app, {
    method: 'post',
    path: '/lifecycle/reminders/send',
    operationId: 'sendLifecycleReminders',
    tag,
    summary: "Queue today's task digests now (the daily job does it at 07:00 UTC)",
    description: 'Each task is mailed at most once per day, whoever runs it.',
    scope: ADMIN,
    body: z
      .object({ dueSoonDays: z.number().int().min(0).max(30).optional() })
      .strict()
      .openapi('SendLifecycleReminders'),
    response: z
      .object({
        day: z.string(),
        tasks: z.number(),
        digests: z.array(
          z.object({
            userId: z.string(),
            to: z.string(),
            taskIds: z.array(z.string()),
            jobId: z.string(),
          }),
        ),
      })
      .openapi('LifecycleReminderRun'),
    status: 200,
    handler: (c, { body }) => c.var.sdk.lifecycle.tasks.sendReminders(body),
  });
}

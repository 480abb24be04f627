/**
 * What the lifecycle task services share: who the caller is for tasks (administrator, named hr/it
 * pool member), the one "my tasks" condition (§6.3 of the predecessor, enforced in SQL and, for a
 * single row, in code with the same rule), the task query with its request, the DTO mapper and the
 * counters. Internal to the lifecycle domain.
 *
 * "My tasks" are the open tasks the caller must act on:
 * - a task assigned to them by id (`assignee_id`);
 * - a `user` task about them (`user_id`);
 * - a `manager` task of a request they are the manager of (`user_requests.manager_id`);
 * - an `hr`/`it` pool task (no named assignee) when they are named in that pool
 *   (setting `lifecycle.pool_members`) or are an administrator.
 * Administrators may act on every task of the organization (`scope: 'all'` lists them).
 */
import { type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { Row } from '../../repositories/types';
import type { OperationScope } from '../../runtime';
import { assertAdministrator } from '../policy/policy';
import {
  type LifecyclePool,
  type LifecycleTask,
  type LifecycleTaskCounts,
  type LifecycleTaskStatus,
  type PoolMembers,
  poolMembersSchema,
} from './lifecycle.tasks.schema';

/** The organization setting naming the hr and it pool members (JSON `{ hr: [ids], it: [ids] }`). */
export const POOL_SETTING_KEY = 'lifecycle.pool_members';

/** The preference key in `organization_users.preferences` (false: no reminder digest). */
export const REMINDER_PREFERENCE_KEY = 'lifecycleTaskReminders';

/** The statuses of an open task. */
export const OPEN_STATUSES: readonly LifecycleTaskStatus[] = ['pending', 'in_progress'];

/** Who asks, for tasks. */
export interface TaskViewer {
  userId: string | null;
  administrator: boolean;
  /** The pools the caller is named in. */
  pools: LifecyclePool[];
}

/** The day (UTC) of an instant, `YYYY-MM-DD`. */
export function dayOf(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** `day` plus `days` days. */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return dayOf(date);
}

/**
 * The pool members as stored; a malformed or hand-written value counts as no members (and ids are
 * only ever compared, never trusted to exist).
 */
export async function readPoolMembers(
  db: Kysely<Database>,
  organizationId: string,
): Promise<PoolMembers> {
  const row = await db
    .selectFrom('organization_settings')
    .select('value')
    .where('organization_id', '=', organizationId)
    .where('key', '=', POOL_SETTING_KEY)
    .executeTakeFirst();
  if (!row?.value) return { hr: [], it: [] };
  try {
    const parsed = poolMembersSchema.safeParse(JSON.parse(row.value));
    return parsed.success ? parsed.data : { hr: [], it: [] };
  } catch {
    return { hr: [], it: [] };
  }
}

/**
 * The caller as a task viewer. API keys without `admin:full` have no tasks (they are nobody's
 * assignee): FORBIDDEN.
 * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN` for an API key without `admin:full`
 */
export async function viewerOf(s: OperationScope): Promise<TaskViewer> {
  if (s.principal.actor.type === 'apiKey')
    assertAdministrator(s.principal, 'users:read', 'Lifecycle tasks through an API key');
  const members = await readPoolMembers(s.db, s.organizationId);
  const userId = s.principal.userId;
  const pools: LifecyclePool[] = [];
  if (userId && members.hr.includes(userId)) pools.push('hr');
  if (userId && members.it.includes(userId)) pools.push('it');
  return { userId, administrator: s.principal.isAdministrator, pools };
}

type TaskQueryDb = Database & {
  t: Database['lifecycle_tasks'];
  r: Database['user_requests'];
};

/** The "my tasks" condition on `lifecycle_tasks as t` left-joined to `user_requests as r`. */
export function mineCondition(eb: ExpressionBuilder<TaskQueryDb, 't' | 'r'>, viewer: TaskViewer) {
  const ors = [];
  if (viewer.userId) {
    ors.push(eb('t.assignee_id', '=', viewer.userId));
    ors.push(eb.and([eb('t.assignee_type', '=', 'user'), eb('t.user_id', '=', viewer.userId)]));
    ors.push(
      eb.and([eb('t.assignee_type', '=', 'manager'), eb('r.manager_id', '=', viewer.userId)]),
    );
  }
  const pools: LifecyclePool[] = viewer.administrator ? ['hr', 'it'] : viewer.pools;
  if (pools.length > 0)
    ors.push(eb.and([eb('t.assignee_type', 'in', pools), eb('t.assignee_id', 'is', null)]));
  return ors.length > 0 ? eb.or(ors) : sql<SqlBool>`false`;
}

/** The same rule for one task: is it one of the caller's tasks. */
export function isMine(
  viewer: TaskViewer,
  task: Pick<Row<'lifecycle_tasks'>, 'assignee_id' | 'assignee_type' | 'user_id'>,
  requestManagerId: string | null,
): boolean {
  const me = viewer.userId;
  if (me && task.assignee_id === me) return true;
  if (me && task.assignee_type === 'user' && task.user_id === me) return true;
  if (me && task.assignee_type === 'manager' && requestManagerId === me) return true;
  const pools: string[] = viewer.administrator ? ['hr', 'it'] : viewer.pools;
  return task.assignee_id === null && pools.includes(task.assignee_type);
}

/** Whether the caller may act on (and read) one task: theirs, or any task for an administrator. */
export function canAct(
  viewer: TaskViewer,
  task: Pick<Row<'lifecycle_tasks'>, 'assignee_id' | 'assignee_type' | 'user_id'>,
  requestManagerId: string | null,
): boolean {
  return viewer.administrator || isMine(viewer, task, requestManagerId);
}

/** Tasks of the organization with their request (left join, same organization). */
export function taskQuery(db: Kysely<Database>, organizationId: string) {
  return db
    .selectFrom('lifecycle_tasks as t')
    .leftJoin('user_requests as r', (join) =>
      join.onRef('r.id', '=', 't.request_id').on('r.organization_id', '=', organizationId),
    )
    .where('t.organization_id', '=', organizationId);
}

/** The columns `toTask` maps. */
export function selectTask(query: ReturnType<typeof taskQuery>) {
  return query.select([
    't.id',
    't.request_id',
    't.user_id',
    't.title',
    't.description',
    't.category',
    't.assignee_type',
    't.assignee_id',
    't.assignee_role',
    't.status',
    't.completed_at',
    't.completed_by',
    't.completion_notes',
    't.action_type',
    't.sequence_order',
    't.depends_on_task_id',
    't.created_at',
    't.updated_at',
    sql<string | null>`to_char(t.due_date, 'YYYY-MM-DD')`.as('due_day'),
    sql<string | null>`to_char(t.last_reminder_on, 'YYYY-MM-DD')`.as('last_reminder_day'),
    'r.id as r_id',
    'r.request_type as r_request_type',
    'r.status as r_status',
    'r.email as r_email',
    'r.first_name as r_first_name',
    'r.last_name as r_last_name',
    'r.manager_id as r_manager_id',
    sql<string | null>`to_char(r.start_date, 'YYYY-MM-DD')`.as('r_start_day'),
    sql<string | null>`to_char(r.end_date, 'YYYY-MM-DD')`.as('r_end_day'),
  ]);
}

/** A row of `selectTask`. */
export type TaskRow = Awaited<ReturnType<ReturnType<typeof selectTask>['executeTakeFirstOrThrow']>>;

/** The DTO of a task row (`today` decides `overdue`). */
export function toTask(row: Omit<TaskRow, `__page_k${number}`>, today: string): LifecycleTask {
  const status = (row.status ?? 'pending') as LifecycleTaskStatus;
  return {
    id: row.id,
    requestId: row.request_id,
    userId: row.user_id,
    title: row.title,
    description: row.description,
    category: row.category,
    assigneeType: row.assignee_type as LifecycleTask['assigneeType'],
    assigneeId: row.assignee_id,
    assigneeRole: row.assignee_role,
    dueDate: row.due_day,
    status,
    overdue: OPEN_STATUSES.includes(status) && row.due_day !== null && row.due_day < today,
    completedAt: row.completed_at,
    completedBy: row.completed_by,
    completionNotes: row.completion_notes,
    actionType: row.action_type,
    sequenceOrder: row.sequence_order ?? 0,
    dependsOnTaskId: row.depends_on_task_id,
    lastReminderOn: row.last_reminder_day,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    request: row.r_id
      ? {
          id: row.r_id,
          requestType: row.r_request_type ?? '',
          status: row.r_status ?? 'pending',
          email: row.r_email ?? '',
          firstName: row.r_first_name ?? '',
          lastName: row.r_last_name ?? '',
          managerId: row.r_manager_id,
          startDate: row.r_start_day,
          endDate: row.r_end_day,
        }
      : null,
  };
}

/** The counters over `query`'s tasks. */
export async function countTasks(
  query: ReturnType<typeof taskQuery>,
  today: string,
  startOfToday: Date,
): Promise<LifecycleTaskCounts> {
  const row = await query
    .select([
      sql<string>`count(*) filter (where t.status = 'pending')`.as('pending'),
      sql<string>`count(*) filter (where t.status = 'in_progress')`.as('in_progress'),
      sql<string>`count(*) filter (where t.status = 'blocked')`.as('blocked'),
      sql<string>`count(*) filter (where t.status in ('pending', 'in_progress') and t.due_date < ${today}::date)`.as(
        'overdue',
      ),
      sql<string>`count(*) filter (where t.status in ('completed', 'skipped') and t.completed_at >= ${startOfToday})`.as(
        'done_today',
      ),
    ])
    .executeTakeFirstOrThrow();
  return {
    pending: Number(row.pending),
    inProgress: Number(row.in_progress),
    blocked: Number(row.blocked),
    overdue: Number(row.overdue),
    doneToday: Number(row.done_today),
  };
}

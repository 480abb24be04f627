/**
 * Lifecycle task reminders: the daily digest and the per-user opt-out.
 *
 * `sendTaskReminders` (run daily by the `lifecycle.task-reminders` cron task, as the system) picks
 * the open tasks (pending or in progress) of open requests that are overdue or due within
 * `dueSoonDays`, resolves who must act on each (the named assignee; the hire for a `user` task; the
 * request's manager for a `manager` task; the named members of the hr/it pool for a pool task),
 * leaves out users who are not active or turned reminders off, then in ONE transaction claims the
 * tasks not reminded today (`last_reminder_on`, a conditional update: two runs on the same day, even
 * at once, mail a task once) and queues one `lifecycle.task-digest` notification per recipient
 * (a `notifications.send` job: no mail is sent inside the transaction). "Today" is the UTC day of
 * the Helios clock.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { ServiceRuntime } from '../../runtime';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import { bindJobs } from '../jobs';
import { DEFAULT_TEMPLATE_KEYS, sendNotificationTask } from '../notifications';
import type { CallOptions } from '../policy/actor';
import { assertAdministrator } from '../policy/policy';
import { LIFECYCLE_TASKS_ERRORS } from './lifecycle.tasks.errors';
import {
  addDays,
  dayOf,
  OPEN_STATUSES,
  REMINDER_PREFERENCE_KEY,
  readPoolMembers,
} from './lifecycle.tasks.query';
import {
  type ReminderPreferenceInput,
  reminderPreferenceSchema,
  type SendRemindersInput,
  sendRemindersSchema,
} from './lifecycle.tasks.schema';

/** What one digest run did. */
export interface ReminderRun {
  /** The day (UTC) the run counted as today. */
  day: string;
  /** Tasks named in a digest (claimed for today). */
  tasks: number;
  /** One entry per queued digest. */
  digests: Array<{ userId: string; to: string; taskIds: string[]; jobId: string }>;
}

/** At most this many tasks per run (the next run takes the rest). */
const MAX_TASKS_PER_RUN = 5000;
/** At most this many lines in one mail. */
const MAX_LINES = 50;
const TITLE_LENGTH = 120;

interface Candidate {
  id: string;
  title: string;
  due_day: string;
  assignee_type: string;
  assignee_id: string | null;
  user_id: string | null;
  manager_id: string | null;
  first_name: string | null;
  last_name: string | null;
  request_type: string | null;
}

/** One line of the digest. */
function lineOf(task: Candidate, today: string): string {
  const title =
    task.title.length > TITLE_LENGTH ? `${task.title.slice(0, TITLE_LENGTH - 1)}…` : task.title;
  const who = [task.first_name, task.last_name].filter(Boolean).join(' ');
  const about = who ? ` (${task.request_type ?? 'request'}: ${who})` : '';
  const flag = task.due_day < today ? 'OVERDUE ' : '';
  return `- ${flag}due ${task.due_day}: ${title}${about}`;
}

/** Queues today's digests; see the module comment. */
export function sendTaskReminders(
  rt: ServiceRuntime,
  input: SendRemindersInput | undefined,
  options: CallOptions | undefined,
): Promise<ReminderRun> {
  return rt.write(options, async (s) => {
    assertAdministrator(s.principal, 'users:write', 'Sending lifecycle task reminders');
    const data = parseInput(sendRemindersSchema, input ?? {});
    const today = dayOf(s.now);
    const horizon = addDays(today, data.dueSoonDays);
    const candidates = (await s.db
      .selectFrom('lifecycle_tasks as t')
      .leftJoin('user_requests as r', (join) =>
        join.onRef('r.id', '=', 't.request_id').on('r.organization_id', '=', s.organizationId),
      )
      .where('t.organization_id', '=', s.organizationId)
      .where('t.status', 'in', OPEN_STATUSES)
      .where('t.due_date', 'is not', null)
      .where('t.due_date', '<=', sql<Date>`${horizon}::date`)
      .where((eb) =>
        eb.or([
          eb('t.last_reminder_on', 'is', null),
          eb('t.last_reminder_on', '<', sql<Date>`${today}::date`),
        ]),
      )
      .where((eb) =>
        eb.or([eb('r.id', 'is', null), eb('r.status', 'not in', ['cancelled', 'rejected'])]),
      )
      .select([
        't.id',
        't.title',
        sql<string>`to_char(t.due_date, 'YYYY-MM-DD')`.as('due_day'),
        't.assignee_type',
        't.assignee_id',
        't.user_id',
        'r.manager_id',
        'r.first_name',
        'r.last_name',
        'r.request_type',
      ])
      .orderBy('t.due_date')
      .orderBy('t.sequence_order')
      .orderBy('t.id')
      .limit(MAX_TASKS_PER_RUN)
      .execute()) as Candidate[];
    if (candidates.length === 0) return { day: today, tasks: 0, digests: [] };

    const pools = await readPoolMembers(s.db, s.organizationId);
    const recipientsOf = (task: Candidate): string[] => {
      if (task.assignee_id) return [task.assignee_id];
      if (task.assignee_type === 'user') return task.user_id ? [task.user_id] : [];
      if (task.assignee_type === 'manager') return task.manager_id ? [task.manager_id] : [];
      if (task.assignee_type === 'hr') return pools.hr;
      if (task.assignee_type === 'it') return pools.it;
      return [];
    };
    const wanted = new Map(candidates.map((task) => [task.id, recipientsOf(task)]));
    const userIds = [...new Set([...wanted.values()].flat())];
    const users =
      userIds.length === 0
        ? []
        : await s.db
            .selectFrom('organization_users')
            .select(['id', 'email', 'first_name'])
            .where('organization_id', '=', s.organizationId)
            .where('id', 'in', userIds)
            .where('user_status', '=', 'active')
            .where('deleted_at', 'is', null)
            .where(
              sql<boolean>`coalesce(preferences->>${REMINDER_PREFERENCE_KEY}, 'true') <> 'false'`,
            )
            .execute();
    const byId = new Map(users.map((u) => [u.id, u]));
    const mailable = candidates.filter((task) =>
      (wanted.get(task.id) ?? []).some((id) => byId.has(id)),
    );
    if (mailable.length === 0) return { day: today, tasks: 0, digests: [] };

    // The claim: only tasks no other run reminded today are mailed by this one.
    const claimed = await s.db
      .updateTable('lifecycle_tasks')
      .set({ last_reminder_on: sql<Date>`${today}::date` })
      .where('organization_id', '=', s.organizationId)
      .where(
        'id',
        'in',
        mailable.map((task) => task.id),
      )
      .where((eb) =>
        eb.or([
          eb('last_reminder_on', 'is', null),
          eb('last_reminder_on', '<', sql<Date>`${today}::date`),
        ]),
      )
      .returning('id')
      .execute();
    const claimedIds = new Set(claimed.map((r) => r.id));

    const perUser = new Map<string, Candidate[]>();
    for (const task of mailable) {
      if (!claimedIds.has(task.id)) continue;
      for (const userId of wanted.get(task.id) ?? []) {
        if (!byId.has(userId)) continue;
        const list = perUser.get(userId) ?? [];
        list.push(task);
        perUser.set(userId, list);
      }
    }

    const jobs = bindJobs({ ...rt, db: s.db } as ServiceRuntime);
    const digests: ReminderRun['digests'] = [];
    for (const [userId, tasks] of perUser) {
      const user = byId.get(userId)!;
      const overdue = tasks.filter((task) => task.due_day < today).length;
      const lines = tasks.slice(0, MAX_LINES).map((task) => lineOf(task, today));
      if (tasks.length > MAX_LINES) lines.push(`… and ${tasks.length - MAX_LINES} more`);
      const taskIds = tasks.map((task) => task.id);
      // One waiting job per recipient, day and set of tasks: a second run the same day claims
      // other tasks (if any), so it never replaces the first run's waiting mail.
      const hash = createHash('sha256').update(taskIds.join(',')).digest('hex').slice(0, 16);
      const jobKey = `${sendNotificationTask.name}:${DEFAULT_TEMPLATE_KEYS.LIFECYCLE_TASK_DIGEST}:${userId}:${today}:${hash}`;
      const job = await jobs.enqueue(
        sendNotificationTask.name,
        {
          templateKey: DEFAULT_TEMPLATE_KEYS.LIFECYCLE_TASK_DIGEST,
          to: user.email,
          variables: {
            firstName: user.first_name || user.email,
            overdueCount: overdue,
            dueSoonCount: tasks.length - overdue,
            taskList: lines.join('\n'),
          },
        },
        { jobKey },
      );
      digests.push({ userId, to: user.email, taskIds, jobId: job.id });
    }
    await s.audit({
      action: 'lifecycle.task_reminders',
      resource: 'lifecycle_task',
      details: {
        day: today,
        dueSoonDays: data.dueSoonDays,
        tasks: claimedIds.size,
        recipients: digests.length,
      },
    });
    return { day: today, tasks: claimedIds.size, digests };
  });
}

/** Turns the digest on or off for a user; see `LifecycleTasksService.setReminderPreference`. */
export function setReminderPreference(
  rt: ServiceRuntime,
  input: ReminderPreferenceInput,
  options: CallOptions | undefined,
): Promise<{ userId: string; enabled: boolean }> {
  return rt.write(options, async (s) => {
    const data = parseInput(reminderPreferenceSchema, input);
    const userId = data.userId ?? s.principal.userId;
    if (!userId) assertAdministrator(s.principal, 'users:write', 'Setting a reminder preference');
    if (!userId || userId !== s.principal.userId)
      assertAdministrator(
        s.principal,
        'users:write',
        "Changing another user's reminder preference",
      );
    const target = userId as string;
    const before = await s.db
      .selectFrom('organization_users')
      .select(
        sql<boolean>`coalesce(preferences->>${REMINDER_PREFERENCE_KEY}, 'true') <> 'false'`.as(
          'enabled',
        ),
      )
      .where('organization_id', '=', s.organizationId)
      .where('id', '=', target)
      .executeTakeFirst();
    if (!before) throw LIFECYCLE_TASKS_ERRORS.TASK_USER_NOT_FOUND({ userId: target });
    await s.db
      .updateTable('organization_users')
      .set({
        preferences: sql`coalesce(preferences, '{}'::jsonb) || jsonb_build_object(${REMINDER_PREFERENCE_KEY}::text, ${data.enabled}::boolean)`,
      })
      .where('organization_id', '=', s.organizationId)
      .where('id', '=', target)
      .execute();
    await s.audit({
      action: 'lifecycle.reminder_preference',
      resource: 'user',
      resourceId: target,
      details: summarizeChange({ enabled: before.enabled }, { enabled: data.enabled }),
    });
    return { userId: target, enabled: data.enabled };
  });
}

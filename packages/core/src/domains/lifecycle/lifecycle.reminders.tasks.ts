/**
 * The job task of lifecycle reminders, registered by createHelios for every instance:
 * `lifecycle.task-reminders` (cron, daily at 07:00 UTC) queues the day's task digests as the
 * system (see lifecycle.reminders.ts). Running it again the same day mails no task twice.
 */
import { z } from 'zod';
import { defineTask } from '../jobs';

/** The task's name. */
export const TASK_REMINDERS_TASK = 'lifecycle.task-reminders';

/** `lifecycle.task-reminders`: the daily digest of due-soon and overdue lifecycle tasks. */
export const lifecycleTaskRemindersTask = defineTask({
  name: TASK_REMINDERS_TASK,
  payload: z.object({ dueSoonDays: z.int().min(0).max(30).optional() }),
  cron: [{ pattern: '0 7 * * *' }],
  maxAttempts: 3,
  handler: async ({ dueSoonDays }, { helios }) => {
    if (!(await helios.organizationId())) return;
    await helios.lifecycle.tasks.sendReminders(dueSoonDays === undefined ? {} : { dueSoonDays });
  },
});

/** The lifecycle reminder tasks createHelios registers on every instance. */
export const LIFECYCLE_REMINDER_TASKS = [lifecycleTaskRemindersTask] as const;

/**
 * The job tasks of scheduled user actions, registered by createHelios for every instance (so
 * `helios worker` and `helios serve` run them with no configuration):
 * - `scheduled-actions.run` `{ actionId }`: claims and runs one action (queued with the job key
 *   `scheduled-action:<id>` at its due time by create, update, approve, a retry, a dependency
 *   ending and a recurrence). Action failures are recorded on the action and retried by the action's
 *   own rules (`max_retries`, `next_retry_at`), so the job itself only fails (and is retried by the
 *   queue) when the database or the process fails under it.
 * - `scheduled-actions.dispatch` (cron, every minute): queues every due, runnable action, a safety
 *   net for a queue that lost a job (the embedded in-process queue does not survive a restart).
 */
import { z } from 'zod';
import { defineTask } from '../jobs';
import {
  DISPATCH_TASK,
  RUN_ACTION,
  RUN_TASK,
  type ScheduledActionsInternal,
} from './scheduled-actions.service';

/** `scheduled-actions.run`: runs one action. */
export const runScheduledActionTask = defineTask({
  name: RUN_TASK,
  payload: z.object({ actionId: z.uuid() }),
  maxAttempts: 10,
  handler: async ({ actionId }, { helios, job }) => {
    await (helios.scheduledActions as ScheduledActionsInternal)[RUN_ACTION](actionId, job);
  },
});

/** `scheduled-actions.dispatch`: every minute, queues the due actions. */
export const dispatchScheduledActionsTask = defineTask({
  name: DISPATCH_TASK,
  payload: z.object({ limit: z.int().min(1).max(1000).optional() }),
  cron: '* * * * *',
  maxAttempts: 1,
  handler: async ({ limit }, { helios }) => {
    if (!(await helios.organizationId())) return;
    await helios.scheduledActions.dispatchDue(limit ? { limit } : {});
  },
});

/** The tasks createHelios registers on every instance. */
export const SCHEDULED_ACTIONS_TASKS = [
  runScheduledActionTask,
  dispatchScheduledActionsTask,
] as const;

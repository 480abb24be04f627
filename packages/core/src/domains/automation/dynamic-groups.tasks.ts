/**
 * The job task of rules that run on their own, registered by createHelios for every instance:
 * `automation.refresh` re-evaluates and applies every enabled dynamic group rule (and pushes the
 * groups that push). It is queued, debounced per organization (job key `automation:refresh`, a few
 * seconds ahead), after a user is created, updated or changes status and after a directory sync
 * applies; and it runs every hour at minute 17 as a safety net. Applying is idempotent, so a
 * refresh that finds nothing to change writes only its evaluation log rows.
 */
import { z } from 'zod';
import { defineTask } from '../jobs';
import { EVENTS_TASK, REFRESH_TASK } from './automation.queue';

/** `automation.refresh`: applies every enabled dynamic group rule. */
export const refreshAutomationTask = defineTask({
  name: REFRESH_TASK,
  payload: z.object({}),
  cron: '17 * * * *',
  maxAttempts: 3,
  handler: async (_payload, { helios, logger }) => {
    if (!(await helios.organizationId())) return;
    const result = await helios.dynamicGroups.refresh();
    if (result.failed.length > 0)
      logger.warn('Some dynamic groups were not refreshed', {
        applied: result.applied,
        failed: result.failed.length,
      });
  },
});

/**
 * `automation.events`: runs the enabled `notification` rules over the events since their previous
 * run (see automation.events.ts). Queued, debounced (job key `automation:events`, a few seconds
 * ahead), after a user is created, updated or changes status and after a lifecycle request is
 * created (once it committed); it also runs every hour at minute 23 as a safety net, and every day
 * at 06:00 UTC with `schedule: true` for the rules with the `schedule` event.
 */
export const automationEventsTask = defineTask({
  name: EVENTS_TASK,
  payload: z.object({ schedule: z.boolean().optional() }),
  cron: [
    { pattern: '23 * * * *', identifier: EVENTS_TASK },
    { pattern: '0 6 * * *', payload: { schedule: true }, identifier: `${EVENTS_TASK}:schedule` },
  ],
  maxAttempts: 3,
  handler: async ({ schedule }, { helios, logger }) => {
    if (!(await helios.organizationId())) return;
    const runs = await helios.automation.rules.runEvents({ schedule: schedule === true });
    const mails = runs.reduce((n, r) => n + r.mails.length, 0);
    if (mails > 0) logger.info('Automation rules queued notifications', { mails });
  },
});

/** The automation tasks createHelios registers on every instance. */
export const AUTOMATION_TASKS = [refreshAutomationTask, automationEventsTask] as const;

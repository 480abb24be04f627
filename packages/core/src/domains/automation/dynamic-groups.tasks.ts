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
import { REFRESH_TASK } from './automation.queue';

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

/** The automation tasks createHelios registers on every instance. */
export const AUTOMATION_TASKS = [refreshAutomationTask] as const;

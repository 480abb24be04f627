/**
 * For jobs.exactly-once.test.ts and its worker processes (not exported): a task that runs a due
 * `suspend` row of `scheduled_user_actions` against Google the way scheduled actions must run
 * exactly once:
 * 1. claim the row with a conditional update: `pending → in_progress`, or a row this same job
 *    claimed on an earlier attempt (a re-run after its worker died); any other job does nothing;
 * 2. read the user in Google first and suspend only if not suspended yet (so a re-run after a crash
 *    between the call and the completion does not call again), through `helios.google.writeback`;
 * 3. mark the row completed.
 * Each step is journaled in `jobs_test.steps` (action, worker, attempt, step) for the test.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { HeliosScope } from '../../helios';
import type { GoogleWorkspaceProvider } from '../google-workspace/provider';
import { defineTask } from './jobs.task';

/** The name of the task. */
export const SUSPEND_TASK = 'test.scheduled-suspend';

/** The test's journal table (created by the test). */
export const STEPS_DDL = `create table if not exists jobs_test.steps (action_id uuid not null, worker text not null, attempt int not null, step text not null)`;

/**
 * The task. `provider` reads Google's state; `worker` names this process in the journal; `pauseMs`
 * waits after the Google step (the window in which the test kills a worker).
 */
export function suspendActionTask(options: { provider: () => Promise<GoogleWorkspaceProvider>; worker: string; pauseMs?: number }) {
  return defineTask({
    name: SUSPEND_TASK,
    payload: z.object({ actionId: z.uuid() }),
    maxAttempts: 5,
    handler: async ({ actionId }, { helios, job }) => {
      const step = (name: string) =>
        sql`insert into jobs_test.steps (action_id, worker, attempt, step) values (${actionId}, ${options.worker}, ${job.attempt}, ${name})`.execute(helios.db);
      const owner = `job:${job.id}`;
      const claimed = await sql<{ user_id: string }>`update scheduled_user_actions
          set status = 'in_progress', started_at = coalesce(started_at, now()), current_step = ${owner}, updated_at = now()
        where id = ${actionId} and scheduled_for <= now()
          and (status = 'pending' or (status = 'in_progress' and current_step = ${owner}))
        returning user_id`.execute(helios.db);
      if (claimed.rows.length === 0) {
        await step('skipped');
        return;
      }
      await step('claimed');
      const googleId = await googleIdOf(helios, claimed.rows[0]!.user_id);
      const google = await options.provider();
      if ((await google.getUser(googleId)).suspended !== true) {
        await helios.google.writeback.suspendUser(googleId);
        await step('suspended');
      }
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
      await sql`update scheduled_user_actions set status = 'completed', completed_at = now(), completed_steps = 1, total_steps = 1, current_step = null, updated_at = now()
        where id = ${actionId} and current_step = ${owner}`.execute(helios.db);
      await step('completed');
    },
  });
}

async function googleIdOf(helios: HeliosScope, userId: string): Promise<string> {
  const row = await helios.db.selectFrom('organization_users').select('google_workspace_id').where('id', '=', userId).executeTakeFirstOrThrow();
  if (!row.google_workspace_id) throw new Error(`user ${userId} is not linked to Google`);
  return row.google_workspace_id;
}

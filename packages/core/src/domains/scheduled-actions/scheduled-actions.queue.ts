/**
 * Queueing the run job of an action (job key `scheduled-action:<id>`, run at its due time), shared
 * by the service and the run task.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { bindJobs } from '../jobs';
import { dueAt, runJobKey } from './scheduled-actions.model';

/** The name of the task that runs one action. */
export const RUN_TASK = 'scheduled-actions.run';
/** The name of the cron task that queues every due action (a safety net). */
export const DISPATCH_TASK = 'scheduled-actions.dispatch';

/** Queues (or moves) the run job of an action, on `db` (in its transaction on PostgreSQL). */
export async function enqueueRun(
  rt: ServiceRuntime,
  db: Kysely<Database>,
  row: Pick<Row<'scheduled_user_actions'>, 'id' | 'scheduled_for' | 'next_retry_at'>,
): Promise<void> {
  const jobs = bindJobs({ ...rt, db } as ServiceRuntime);
  // Due now: run now. Later: graphile-worker compares run_at with PostgreSQL's now() and the
  // in-process queue with the Helios clock, so the delay (Helios clock) is applied to the queue's.
  const delay = dueAt(row).getTime() - rt.clock.now().getTime();
  const runAt =
    delay <= 0
      ? undefined
      : jobs.backend === 'postgres'
        ? new Date(Date.now() + delay)
        : dueAt(row);
  await jobs.enqueue(
    RUN_TASK,
    { actionId: row.id },
    { jobKey: runJobKey(row.id), ...(runAt ? { runAt } : {}) },
  );
}

/** Queues the run jobs of the pending actions that depend on `actionId` (it ended: they may run, or fail). */
export async function enqueueDependents(
  rt: ServiceRuntime,
  s: Pick<OperationScope, 'db' | 'organizationId'>,
  actionId: string,
): Promise<void> {
  const dependents = await s.db
    .selectFrom('scheduled_user_actions')
    .select(['id', 'scheduled_for', 'next_retry_at'])
    .where('organization_id', '=', s.organizationId)
    .where('depends_on_action_id', '=', actionId)
    .where('status', '=', 'pending')
    .execute();
  for (const row of dependents) await enqueueRun(rt, s.db, row);
}

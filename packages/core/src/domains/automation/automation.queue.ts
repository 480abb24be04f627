/**
 * Queueing the `automation.refresh` job: one job per organization (job key `automation:refresh`), a
 * few seconds ahead, so a burst of changes (a bulk import, a sync applying a thousand users)
 * coalesces into one refresh. Called by the users service (user created, updated, status changed),
 * the directory syncs (a run applied) and the schedule.
 *
 * On PostgreSQL the job is queued on the caller's handle, so inside a write it commits (or rolls
 * back) with it. The in-process queue (embedded database) holds jobs in memory: the job is queued
 * at once, and a rolled-back change costs one refresh that changes nothing.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { ServiceRuntime } from '../../runtime';
import { bindJobs, jobsAttached } from '../jobs';

/** The name of the task that re-evaluates and applies every enabled rule. */
export const REFRESH_TASK = 'automation.refresh';
/** The job key of the refresh (one waiting job per installation: a new one replaces it). */
export const REFRESH_JOB_KEY = 'automation:refresh';
/** How far ahead a refresh is queued, so a burst of changes coalesces. */
export const REFRESH_DELAY_MS = 5_000;

/**
 * Queues (or moves) the refresh job when the organization has an enabled rule that runs on its own;
 * does nothing otherwise (no job for installations without rules) or when the instance has no
 * queue or no refresh task.
 */
export async function queueAutomationRefresh(
  rt: ServiceRuntime,
  db: Kysely<Database>,
  organizationId: string,
): Promise<boolean> {
  if (!jobsAttached(rt.instance, REFRESH_TASK)) return false;
  const rule = await sql<{ one: number }>`select 1 as one from automation_rules
    where organization_id = ${organizationId}::uuid and rule_type = 'dynamic_group' and is_enabled is not false limit 1`.execute(
    db,
  );
  if (rule.rows.length === 0) return false;
  const jobs = bindJobs({ ...rt, db } as ServiceRuntime);
  // graphile-worker compares run_at with PostgreSQL's clock, the in-process queue with the Helios clock.
  const runAt =
    jobs.backend === 'postgres'
      ? new Date(Date.now() + REFRESH_DELAY_MS)
      : new Date(rt.clock.now().getTime() + REFRESH_DELAY_MS);
  await jobs.enqueue(REFRESH_TASK, {}, { jobKey: REFRESH_JOB_KEY, runAt });
  return true;
}

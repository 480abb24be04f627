/**
 * Queueing the `automation.refresh` and `automation.events` jobs: one job per organization (job key `automation:refresh`), a
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

/** The name of the task that runs the `notification` rules over the events since their last run. */
export const EVENTS_TASK = 'automation.events';
/** The job key of the events run (one waiting job per installation: a new one moves it). */
export const EVENTS_JOB_KEY = 'automation:events';

async function queueJob(
  rt: ServiceRuntime,
  db: Kysely<Database>,
  task: string,
  jobKey: string,
): Promise<void> {
  const jobs = bindJobs({ ...rt, db } as ServiceRuntime);
  // graphile-worker compares run_at with PostgreSQL's clock, the in-process queue with the Helios clock.
  const runAt =
    jobs.backend === 'postgres'
      ? new Date(Date.now() + REFRESH_DELAY_MS)
      : new Date(rt.clock.now().getTime() + REFRESH_DELAY_MS);
  await jobs.enqueue(task, {}, { jobKey, runAt });
}

/** The rule types with at least one enabled rule that runs on events (dynamic_group, notification). */
async function enabledEventRuleTypes(
  db: Kysely<Database>,
  organizationId: string,
): Promise<Set<string>> {
  const rows = await sql<{ rule_type: string }>`select distinct rule_type from automation_rules
    where organization_id = ${organizationId}::uuid and rule_type in ('dynamic_group', 'notification')
      and is_enabled is not false`.execute(db);
  return new Set(rows.rows.map((r) => r.rule_type));
}

/**
 * Queues (or moves) the refresh job when the organization has an enabled dynamic group rule, and
 * the events job when it has an enabled notification rule; does nothing otherwise (no job for
 * installations without rules) or when the instance has no queue or no such task.
 * @returns whether the refresh job was queued.
 */
export async function queueAutomationRefresh(
  rt: ServiceRuntime,
  db: Kysely<Database>,
  organizationId: string,
): Promise<boolean> {
  const refresh = jobsAttached(rt.instance, REFRESH_TASK);
  const events = jobsAttached(rt.instance, EVENTS_TASK);
  if (!refresh && !events) return false;
  const types = await enabledEventRuleTypes(db, organizationId);
  if (events && types.has('notification')) await queueJob(rt, db, EVENTS_TASK, EVENTS_JOB_KEY);
  if (!refresh || !types.has('dynamic_group')) return false;
  await queueJob(rt, db, REFRESH_TASK, REFRESH_JOB_KEY);
  return true;
}

/**
 * Queues (or moves) the events job when the organization has an enabled notification rule (the
 * lifecycle requests service calls it after a request is created, once the request committed).
 * @returns whether the job was queued.
 */
export async function queueAutomationEvents(
  rt: ServiceRuntime,
  db: Kysely<Database>,
  organizationId: string,
): Promise<boolean> {
  if (!jobsAttached(rt.instance, EVENTS_TASK)) return false;
  const types = await enabledEventRuleTypes(db, organizationId);
  if (!types.has('notification')) return false;
  await queueJob(rt, db, EVENTS_TASK, EVENTS_JOB_KEY);
  return true;
}

// The handler of the jobs benchmark, shared by the worker processes (as a `helios.jobs` task) and the
// baseline (called in a plain loop): it runs one due action of `scheduled_user_actions` the way a
// scheduled action must run exactly once. It claims the row with a conditional update
// (`pending -> in_progress` where due, `started_at` = the claim's clock time); if another run has it
// already it stops. Otherwise it records the effect in `bench_jobs.effects` (no unique constraint:
// duplicates show up as extra rows) and marks the row completed.

import { sql } from 'kysely';

export const TASK = 'bench.action';

export const DDL = `
create schema if not exists bench_jobs;
create table if not exists bench_jobs.effects (action_id uuid not null, worker text not null);
create table if not exists bench_jobs.invocations (action_id uuid not null);
`;

/** Runs the action `actionId` on `db` (a Kysely handle); `worker` names the process in the effects. */
export async function runAction(db, actionId, worker) {
  await sql`insert into bench_jobs.invocations (action_id) values (${actionId})`.execute(db);
  const claimed = await sql`update scheduled_user_actions
      set status = 'in_progress', started_at = clock_timestamp(), updated_at = clock_timestamp()
    where id = ${actionId} and status = 'pending' and scheduled_for <= clock_timestamp()
    returning id`.execute(db);
  if (claimed.rows.length === 0) return false;
  await sql`insert into bench_jobs.effects (action_id, worker) values (${actionId}, ${worker})`.execute(
    db,
  );
  await sql`update scheduled_user_actions set status = 'completed', completed_at = clock_timestamp(), completed_steps = 1, total_steps = 1
    where id = ${actionId}`.execute(db);
  return true;
}

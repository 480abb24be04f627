/**
 * The sweep of lifecycle runs, so a run never stalls: every in_progress run's due `queued` steps get
 * their job again (the embedded in-process queue loses its jobs with the process), and a `running`
 * step claimed longer ago than the lease (its worker died) is taken over: back to `queued` and
 * queued again. Steps are idempotent and jobs keyed (`lifecycle-run:<run>:<step>`), so the sweep is
 * safe to run any time: `lifecycle.runs-sweep` runs every five minutes (cron) and when a worker
 * starts (`runAtStart`: `helios.jobs.start()`, `helios worker`, the CLI's in-process runs).
 */
import { z } from 'zod';
import type { ServiceRuntime } from '../../runtime';
import { defineTask } from '../jobs';
import { configOf, sweepRun } from './lifecycle.runs.engine';

/** The task name of the sweep. */
export const SWEEP_TASK = 'lifecycle.runs-sweep';
/** How long a step may stay `running` before the sweep takes it over (15 minutes). */
export const STEP_LEASE_MS = 15 * 60_000;

/** What a sweep did: the steps (`<run>:<step>`) queued again and the running ones taken over. */
export interface RunsSweepResult {
  requeued: string[];
  retaken: string[];
}

/** Sweeps every in_progress run (one short transaction per run, the run locked). */
export async function sweepRuns(
  rt: ServiceRuntime,
  options: { leaseMs?: number } = {},
): Promise<RunsSweepResult> {
  const result: RunsSweepResult = { requeued: [], retaken: [] };
  const organizationId = await rt.organizationId();
  if (!organizationId) return result;
  const rows = await rt.db
    .selectFrom('scheduled_user_actions')
    .select(['id', 'action_config'])
    .where('organization_id', '=', organizationId)
    .where('action_type', 'in', ['onboard', 'offboard'])
    .where('status', '=', 'in_progress')
    .execute();
  const staleBefore = new Date(rt.clock.now().getTime() - (options.leaseMs ?? STEP_LEASE_MS));
  for (const row of rows) {
    if (!configOf(row)) continue;
    const swept = await rt.write(undefined, (s) => sweepRun(rt, s, row.id, staleBefore));
    result.requeued.push(...swept.requeued.map((id) => `${row.id}:${id}`));
    result.retaken.push(...swept.retaken.map((id) => `${row.id}:${id}`));
  }
  return result;
}

/** @internal The sweep's entry point on the runs service. */
export const SWEEP_RUNS = Symbol.for('helios.lifecycle.runs.sweep');

/** `lifecycle.runs-sweep`: at worker start and every five minutes, re-queues lost steps and takes over stale ones. */
export const sweepLifecycleRunsTask = defineTask({
  name: SWEEP_TASK,
  payload: z.object({ leaseMs: z.int().min(0).max(86_400_000).optional() }),
  cron: '*/5 * * * *',
  runAtStart: true,
  maxAttempts: 1,
  handler: async ({ leaseMs }, { helios }) => {
    if (!(await helios.organizationId())) return;
    const runs = helios.lifecycle.runs as unknown as {
      [SWEEP_RUNS](options: { leaseMs?: number }): Promise<RunsSweepResult>;
    };
    await runs[SWEEP_RUNS](leaseMs !== undefined ? { leaseMs } : {});
  },
});

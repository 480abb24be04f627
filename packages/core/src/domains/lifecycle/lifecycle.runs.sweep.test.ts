import { describe, expect, it } from 'vitest';
import { type RunsSweepResult, SWEEP_RUNS } from './lifecycle.runs.sweep';
import {
  admin,
  graph,
  HOUR,
  helios,
  linkedUser,
  m,
  stateOf,
  timePasses,
  useRunsTestBed,
} from './lifecycle.runs.test-kit';

// The sweep: a queued step whose job was lost is queued again; a running step whose worker died is
// taken over after the lease; a fresh running step is left alone.

useRunsTestBed();

const sweep = () =>
  (
    helios.as({ type: 'system', name: 'job:lifecycle.runs-sweep' }).lifecycle.runs as unknown as {
      [SWEEP_RUNS](o: { leaseMs?: number }): Promise<RunsSweepResult>;
    }
  )[SWEEP_RUNS]({});

/** Puts a finished run back in progress with some steps in the given states (a crash). */
async function crash(runId: string, states: Record<string, { state: string; claimedAt?: Date }>) {
  const row = await helios.db
    .selectFrom('scheduled_user_actions')
    .select('action_config')
    .where('id', '=', runId)
    .executeTakeFirstOrThrow();
  const cfg = row.action_config as { steps: Array<Record<string, unknown>> };
  for (const step of cfg.steps) {
    const to = states[step.id as string];
    if (!to) continue;
    step.state = to.state;
    step.jobId = to.state === 'running' ? 'a-dead-worker-job' : null;
    step.claimedAt = to.claimedAt ? to.claimedAt.toISOString() : null;
  }
  await helios.db
    .updateTable('scheduled_user_actions')
    .set({ status: 'in_progress', completed_at: null, action_config: JSON.stringify(cfg) })
    .where('id', '=', runId)
    .execute();
}

/** An offboarding of a licensed, linked user that ran to completion (the crash is made after). */
async function completedRun() {
  const { user } = await linkedUser({ licensed: true });
  const run = await admin.lifecycle.offboard.apply({
    userId: user.id,
    overrides: { accountAction: 'suspend_immediately', notifyItAdmin: false, emailAction: 'keep' },
  });
  await helios.jobs.runOnce();
  expect((await admin.lifecycle.runs.get(run.id)).status).toBe('completed');
  return { user, run };
}

describe(`helios.lifecycle runs: the sweep (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('re-queues a queued step with no job, retakes a stale running step, leaves a fresh one', async () => {
    const { user, run } = await completedRun();
    // Nothing to do for a finished run.
    expect(await sweep()).toEqual({ requeued: [], retaken: [] });

    const now = helios.clock.now().getTime();
    await crash(run.id, {
      'microsoft.sign_out': { state: 'queued' },
      'google.sign_out': { state: 'running', claimedAt: new Date(now - 20 * 60_000) },
      'microsoft.reset_password': { state: 'running', claimedAt: new Date(now - 60_000) },
    });
    const signOuts = m('users.revokeSignInSessions');
    // No job exists for these steps: without the sweep nothing moves.
    await helios.jobs.runOnce();
    expect(m('users.revokeSignInSessions')).toBe(signOuts);
    expect(await sweep()).toEqual({
      requeued: [`${run.id}:microsoft.sign_out`],
      retaken: [`${run.id}:google.sign_out`],
    });
    await helios.jobs.runOnce();
    let current = await admin.lifecycle.runs.get(run.id);
    expect(stateOf(current)).toMatchObject({
      'microsoft.sign_out': 'succeeded',
      'google.sign_out': 'succeeded',
      'microsoft.reset_password': 'running',
    });
    expect(current.status).toBe('in_progress');
    expect(m('users.revokeSignInSessions') - signOuts).toBe(1);
    // Sweeping again is harmless: the fresh claim is still within its lease.
    expect(await sweep()).toEqual({ requeued: [], retaken: [] });

    await timePasses(HOUR);
    expect(await sweep()).toEqual({
      requeued: [],
      retaken: [`${run.id}:microsoft.reset_password`],
    });
    await helios.jobs.runOnce();
    current = await admin.lifecycle.runs.get(run.id);
    expect(current.status).toBe('completed');
    expect(stateOf(current)['microsoft.reset_password']).toBe('succeeded');
    expect(graph.state.users.get(user.msId)).toMatchObject({ accountEnabled: false });
  });

  it('runs when a worker starts: a step a crash left queued with no job is picked up at once', async () => {
    const { run } = await completedRun();
    await crash(run.id, { 'microsoft.sign_out': { state: 'queued' } });
    const signOuts = m('users.revokeSignInSessions');
    await helios.jobs.runOnce();
    expect(m('users.revokeSignInSessions')).toBe(signOuts);
    // What a starting worker does (helios.jobs.start(), helios worker, the CLI's in-process runs),
    // without the worker's cron schedules: the sweep runs first, then the step's job.
    await helios.jobs.runOnce({ startTasks: true });
    await helios.jobs.runOnce();
    const current = await admin.lifecycle.runs.get(run.id);
    expect(current.status).toBe('completed');
    expect(stateOf(current)['microsoft.sign_out']).toBe('succeeded');
    expect(m('users.revokeSignInSessions') - signOuts).toBe(1);
  });
});

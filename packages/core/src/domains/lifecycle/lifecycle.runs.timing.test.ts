import { describe, expect, it } from 'vitest';
import { systemActor } from '../policy/actor';
import { type LifecycleRunsInternal, RUN_STEP } from './lifecycle.runs';
import {
  admin,
  clock,
  DOMAIN,
  google,
  graph,
  groups,
  HOUR,
  helios,
  linkedUser,
  m,
  stateOf,
  timePasses,
  unique,
  useRunsTestBed,
} from './lifecycle.runs.test-kit';

// Lifecycle runs and time: two workers, runs scheduled for later, suspension on the last day, requests.

useRunsTestBed();

describe(`helios.lifecycle runs: workers and time (${process.env.DATABASE_URL ? 'PostgreSQL: graphile-worker' : 'embedded: in process'})`, () => {
  it('two workers never run the same step twice', async () => {
    const { user } = await linkedUser();
    const run = await admin.lifecycle.offboard.apply({
      userId: user.id,
      overrides: {
        accountAction: 'suspend_immediately',
        licenseAction: 'keep',
        removeFromAllGroups: false,
        notifyManager: false,
        notifyItAdmin: false,
        emailAction: 'keep',
      },
    });
    const runs = helios.as(systemActor('job:lifecycle.run-step')).lifecycle
      .runs as LifecycleRunsInternal;
    const job = (id: string) => ({
      id,
      task: 'lifecycle.run-step',
      attempt: 1,
      maxAttempts: 10,
      key: `lifecycle-run:${run.id}:microsoft.sign_out`,
    });
    const before = m('users.revokeSignInSessions');
    await Promise.all([
      runs[RUN_STEP](run.id, 'microsoft.sign_out', job('9001')),
      runs[RUN_STEP](run.id, 'microsoft.sign_out', job('9002')),
    ]);
    await helios.jobs.runOnce();
    expect(m('users.revokeSignInSessions') - before).toBe(1);
    const done = await admin.lifecycle.runs.get(run.id);
    expect(done.status).toBe('completed');
    expect(
      done.journal.filter((j) => j.stepId === 'microsoft.sign_out').map((j) => j.status),
    ).toEqual(['started', 'succeeded']);
  });

  it('a run scheduled for later is a pending scheduled action that starts at its time', async () => {
    const { user } = await linkedUser();
    const run = await admin.lifecycle.offboard.apply({
      userId: user.id,
      scheduledFor: new Date(clock.now().getTime() + 3 * HOUR),
      overrides: {
        accountAction: 'keep_active',
        licenseAction: 'keep',
        removeFromAllGroups: false,
        notifyManager: false,
        notifyItAdmin: false,
        emailAction: 'keep',
      },
    });
    expect(run.status).toBe('pending');
    const before = m('users.revokeSignInSessions');
    await helios.jobs.runOnce();
    expect((await admin.lifecycle.runs.get(run.id)).status).toBe('pending');
    expect(m('users.revokeSignInSessions')).toBe(before);
    await timePasses(3 * HOUR);
    await helios.jobs.runOnce();
    await helios.jobs.runOnce();
    const done = await admin.lifecycle.runs.get(run.id);
    expect(done.status).toBe('completed');
    expect(stateOf(done)['microsoft.sign_out']).toBe('succeeded');
    expect(m('users.revokeSignInSessions') - before).toBe(1);
    expect(done.journal[0]).toMatchObject({ stepId: 'claim', status: 'started' });
  });

  it('suspends on the last day: a scheduled suspend fires on the date, the licence leaves with it', async () => {
    const { user } = await linkedUser({ licensed: true });
    const lastDay = new Date(clock.now().getTime() + 24 * HOUR).toISOString().slice(0, 10);
    const run = await admin.lifecycle.offboard.apply({
      userId: user.id,
      lastDay,
      overrides: {
        notifyItAdmin: false,
        notifyManager: false,
        removeFromAllGroups: false,
        emailAction: 'keep',
      },
    });
    await helios.jobs.runOnce();
    let current = await admin.lifecycle.runs.get(run.id);
    expect(current.status).toBe('in_progress');
    expect(stateOf(current)).toMatchObject({
      'local.schedule_suspend': 'succeeded',
      'microsoft.remove_licenses': 'queued',
    });
    const actionId = current.steps.find((s) => s.id === 'local.schedule_suspend')!.output!;
    expect(await admin.scheduledActions.get(actionId)).toMatchObject({
      actionType: 'suspend',
      status: 'pending',
    });
    expect(graph.state.users.get(user.msId)).toMatchObject({ accountEnabled: true });
    await timePasses(12 * HOUR);
    await helios.jobs.runOnce();
    expect(graph.state.users.get(user.msId)).toMatchObject({ accountEnabled: true });
    await timePasses(2 * 24 * HOUR);
    await helios.jobs.runOnce();
    expect(await admin.scheduledActions.get(actionId)).toMatchObject({ status: 'completed' });
    expect(google.state.users.get(user.googleId)).toMatchObject({ suspended: true });
    expect(graph.state.users.get(user.msId)).toMatchObject({
      accountEnabled: false,
      assignedLicenses: [],
    });
    current = await admin.lifecycle.runs.get(run.id);
    expect(current.status).toBe('completed');
  });

  it('a run from an approved request moves it to in progress and completes its system tasks', async () => {
    const template = await admin.lifecycle.templates.onboarding.create({
      name: `Req ${unique()}`,
      groupIds: [groups.local],
      timeline: [
        {
          trigger: 'on_approval',
          actions: [
            { type: 'system', action: 'create_account', title: 'Accounts' },
            { type: 'system', action: 'add_to_groups', title: 'Groups' },
            { type: 'task', title: 'Order a laptop', assignee: 'it' },
          ],
        },
      ],
    });
    const email = `req${unique()}@${DOMAIN}`;
    const request = await admin.lifecycle.requests.create({
      requestType: 'onboard',
      email,
      firstName: 'Rex',
      lastName: 'Quest',
      templateId: template.id,
      startDate: '2027-04-01',
    } as never);
    const approved = await admin.lifecycle.requests.approve(request.id);
    expect(approved.tasks.map((t) => [t.actionType, t.status])).toEqual(
      expect.arrayContaining([
        ['create_account', 'pending'],
        ['add_to_groups', 'pending'],
      ]),
    );
    const run = await admin.lifecycle.onboard.apply({ requestId: request.id });
    expect((await admin.lifecycle.requests.get(request.id)).status).toBe('in_progress');
    await helios.jobs.runOnce();
    expect((await admin.lifecycle.runs.get(run.id)).status).toBe('completed');
    const after = await admin.lifecycle.requests.get(request.id);
    expect(after.userId).toBeTruthy();
    const byAction = Object.fromEntries(
      after.tasks.map((t) => [t.actionType ?? t.title, t.status]),
    );
    expect(byAction).toMatchObject({
      create_account: 'completed',
      add_to_groups: 'completed',
      'Order a laptop': 'pending',
    });
  });
});

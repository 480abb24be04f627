import { describe, expect, it } from 'vitest';
import {
  admin,
  clock,
  counts,
  DOMAIN,
  graph,
  groups,
  helios,
  linkedUser,
  timePasses,
  unique,
  useRunsTestBed,
} from './lifecycle.runs.test-kit';

// A scheduled onboard/offboard action is a lifecycle run: its stored plan runs step by step as the
// system, and without a plan it is planned as the system with its overrides. Neither may be set
// through helios.scheduledActions by a caller the lifecycle runs would refuse.
useRunsTestBed();

const key = () => helios.as({ type: 'apiKey', keyId: 'k', scopes: ['users:write', 'users:read'] });

/** A plan whose one step creates an administrator. */
const forgedPlan = (email: string) => ({
  engine: 'lifecycle-run',
  plan: { kind: 'onboard', templateId: null, userId: null, email, requestId: null },
  started: false,
  steps: [
    {
      id: 'local.create_user',
      kind: 'create_account',
      platform: 'local',
      call: {
        operation: 'users.create',
        args: [{ email, firstName: 'Eve', lastName: 'Il', role: 'admin' }],
      },
      reason: 'forged',
      dependsOn: [],
      state: 'planned',
      skipReason: null,
      attempts: 0,
      output: null,
      change: null,
      error: null,
    },
  ],
});

describe('scheduled onboard and offboard actions cannot bypass the lifecycle runs checks', () => {
  it('refuses a stored run plan in config (create and update, even for an administrator)', async () => {
    const email = `eve${unique()}@${DOMAIN}`;
    const before = await counts();
    const input = {
      actionType: 'onboard',
      target: { email: `new${unique()}@${DOMAIN}`, firstName: 'N', lastName: 'H' },
      scheduledFor: clock.now().toISOString(),
    };
    for (const caller of [key(), admin])
      await expect(
        caller.scheduledActions.create({ ...input, config: forgedPlan(email) } as never),
      ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    const later = await admin.scheduledActions.create({
      ...input,
      scheduledFor: new Date(clock.now().getTime() + 86_400_000).toISOString(),
    } as never);
    await expect(
      admin.scheduledActions.update(later.id, { config: forgedPlan(email) } as never),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    for (let i = 0; i < 4; i++) await helios.jobs.runOnce();
    expect((await admin.users.list({ q: email, status: 'all' })).items).toEqual([]);
    expect((await counts()).users).toBe(before.users);
  });

  it("needs an administrator to set an onboarding's or offboarding's config or overrides", async () => {
    const { user } = await linkedUser();
    const thief = (await linkedUser()).user;
    const overrides = {
      emailAction: 'forward_user',
      emailForwardToUserId: thief.id,
      driveAction: 'transfer_user',
      driveTransferToUserId: thief.id,
    };
    const at = clock.now().toISOString();
    const offboard = { actionType: 'offboard', userId: user.id, scheduledFor: at };
    await expect(
      key().scheduledActions.create({ ...offboard, configOverrides: overrides } as never),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(
      key().scheduledActions.create({
        actionType: 'onboard',
        target: { email: `new${unique()}@${DOMAIN}` },
        scheduledFor: at,
        configOverrides: { groupIds: [] },
      } as never),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    const later = new Date(clock.now().getTime() + 86_400_000).toISOString();
    const plain = await key().scheduledActions.create({
      ...offboard,
      scheduledFor: later,
    } as never);
    for (const patch of [{ configOverrides: overrides }, { config: {} }])
      await expect(key().scheduledActions.update(plain.id, patch as never)).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
    // An administrator may, and a suspend keeps its config for a users:write key.
    const steered = await admin.scheduledActions.create({
      ...offboard,
      scheduledFor: later,
      configOverrides: overrides,
    } as never);
    expect(steered.configOverrides).toEqual(overrides);
    const suspend = await key().scheduledActions.create({
      actionType: 'suspend',
      userId: user.id,
      scheduledFor: later,
      config: { note: 'x' },
    } as never);
    expect(suspend.actionType).toBe('suspend');
  });

  it("needs an administrator for an offboarding template's targets, groups:write for an onboarding template's groups", async () => {
    const { user } = await linkedUser();
    const thief = (await linkedUser()).user;
    const k = helios.as({
      type: 'apiKey',
      keyId: 'k2',
      scopes: ['users:write', 'organization:write'],
    });
    const steering = {
      driveAction: 'transfer_user',
      driveTransferToUserId: thief.id,
      emailAction: 'forward_user',
      emailForwardToUserId: thief.id,
    };
    await expect(
      k.lifecycle.templates.offboarding.create({ name: `t${unique()}`, ...steering } as never),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    const plain = await k.lifecycle.templates.offboarding.create({ name: `t${unique()}` } as never);
    await expect(
      k.lifecycle.templates.offboarding.update(plain.id, steering as never),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    const plan = await k.lifecycle.offboard.plan({ userId: user.id, templateId: plain.id });
    expect(JSON.stringify(plan.steps)).not.toContain(thief.email);
    await expect(
      k.lifecycle.templates.onboarding.create({
        name: `o${unique()}`,
        groupIds: [groups.local],
      } as never),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    // An administrator may.
    const chosen = await admin.lifecycle.templates.offboarding.create({
      name: `t${unique()}`,
      ...steering,
    } as never);
    expect(chosen.emailForwardToUserId).toBe(thief.id);
    const onboarding = await admin.lifecycle.templates.onboarding.create({
      name: `o${unique()}`,
      groupIds: [groups.local],
    } as never);
    expect(onboarding.groupIds).toEqual([groups.local]);
  });

  it('needs an administrator to resume the offboarding of someone who is an administrator now', async () => {
    const { user } = await linkedUser();
    const template = await admin.lifecycle.templates.offboarding.create({
      name: `Leave ${unique()}`,
      emailAction: 'auto_reply',
      emailAutoReplySubject: 'Gone',
      emailAutoReplyMessage: 'Gone.',
      accountAction: 'suspend_immediately',
      notifyItAdmin: false,
      notifyManager: false,
    } as never);
    graph.setFaults({ rate: 1, kinds: ['503'] });
    const run = await admin.lifecycle.offboard.apply({ userId: user.id, templateId: template.id });
    for (const ms of [0, 2_000, 8_000]) {
      await timePasses(ms);
      await helios.jobs.runOnce();
    }
    graph.setFaults(null);
    expect((await admin.lifecycle.runs.get(run.id)).status).toBe('failed');
    await helios.db
      .updateTable('organization_users')
      .set({ role: 'admin' })
      .where('id', '=', user.id)
      .execute();
    await expect(key().lifecycle.runs.resume(run.id)).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    expect((await admin.lifecycle.runs.resume(run.id)).status).toBe('in_progress');
  });

  it('a leaver cannot read their scheduled offboarding (plan or journal) through scheduledActions', async () => {
    const { user } = await linkedUser();
    const run = await admin.lifecycle.offboard.apply({
      userId: user.id,
      scheduledFor: new Date(clock.now().getTime() + 7 * 86_400_000),
    });
    const suspend = await admin.scheduledActions.create({
      actionType: 'suspend',
      userId: user.id,
      scheduledFor: new Date(clock.now().getTime() + 7 * 86_400_000).toISOString(),
    });
    const leaver = helios.as({ type: 'user', userId: user.id });
    await expect(leaver.lifecycle.runs.get(run.id)).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(leaver.scheduledActions.get(run.id)).rejects.toMatchObject({ kind: 'NOT_FOUND' });
    await expect(leaver.scheduledActions.logs(run.id)).rejects.toMatchObject({ kind: 'NOT_FOUND' });
    const mine = await leaver.scheduledActions.list();
    expect(mine.items.map((a) => a.id)).toEqual([suspend.id]);
    expect((await admin.scheduledActions.get(run.id)).actionType).toBe('offboard');
  });
});

import { GOOGLE_DIRECTORY_SCOPES, GOOGLE_WORKSPACE_EXTRA_SCOPES } from '@helios/testing';
import { describe, expect, it } from 'vitest';
import {
  admin,
  g,
  google,
  graph,
  helios,
  linkedUser,
  m,
  stateOf,
  timePasses,
  useRunsTestBed,
} from './lifecycle.runs.test-kit';

// The mobile wipe of an offboarding on both simulators: skipped without the confirmation (nothing
// called), the organization's account wiped off each phone with it (Google account wipe, Intune
// retire), and neither a resume nor a second run wipes a device twice.

useRunsTestBed();

/** An offboarding that does nothing but the mobile wipe (and asks for the confirmation). */
const ONLY_WIPE = {
  driveAction: 'keep',
  emailAction: 'keep',
  calendarTransferMeetingOwnership: false,
  removeFromAllGroups: false,
  removeFromSharedDrives: false,
  revokeOauthTokens: false,
  revokeAppPasswords: false,
  signOutAllDevices: false,
  resetPassword: false,
  accountAction: 'keep_active',
  notifyManager: false,
  notifyItAdmin: false,
  wipeMobileDevices: true,
  wipeRequiresConfirmation: true,
} as const;

const googleActions = () => google.writeCalls.filter((c) => c.route === 'mobiledevices.action');
/** The user's phones on both clouds: two Google devices (one wiped already), three Intune ones. */
function phones(user: { email: string; msId: string }) {
  const ws = google.workspace;
  const android = ws.addMobileDevice(user.email);
  const iphone = ws.addMobileDevice(user.email, { type: 'IOS_SYNC' });
  const old = ws.addMobileDevice(user.email, { status: 'ACCOUNT_WIPED' });
  return {
    google: { android, iphone, old },
    graph: {
      android: graph.addManagedDevice(user.msId),
      iphone: graph.addManagedDevice(user.msId, { operatingSystem: 'iOS' }),
      laptop: graph.addManagedDevice(user.msId, { operatingSystem: 'Windows' }),
    },
  };
}

describe(`helios.lifecycle offboarding: mobile wipe (${process.env.DATABASE_URL ? 'PostgreSQL: graphile-worker' : 'embedded: in process'})`, () => {
  it('without confirmWipe skips the wipe on both clouds and calls neither', async () => {
    const { user } = await linkedUser();
    const devices = phones(user);
    const before = { gList: g('mobiledevices.list'), mList: m('users.managedDevices') };
    const actions = googleActions().length;
    const plan = await admin.lifecycle.offboard.plan({ userId: user.id, overrides: ONLY_WIPE });
    for (const cloud of ['google', 'microsoft'])
      expect(plan.steps.find((s) => s.id === `${cloud}.wipe_mobile_devices`)).toMatchObject({
        state: 'skipped',
        call: null,
        skipReason: 'skipped: a wipe needs the explicit confirmation confirmWipe: true',
      });
    const run = await admin.lifecycle.offboard.apply({ userId: user.id, overrides: ONLY_WIPE });
    await helios.jobs.runOnce();
    expect((await admin.lifecycle.runs.get(run.id)).status).toBe('completed');
    expect({ gList: g('mobiledevices.list'), mList: m('users.managedDevices') }).toEqual(before);
    expect(googleActions().length).toBe(actions);
    expect(google.workspace.mobileDevices(user.email).map((d) => d.actions)).toEqual([[], [], []]);
    for (const id of Object.values(devices.graph))
      expect(graph.state.managedDevices.get(id)).toMatchObject({
        managementState: 'managed',
        actions: [],
      });
  });

  it('with confirmWipe wipes the account off every phone on both clouds; resume and a second run wipe nothing twice', async () => {
    const { user } = await linkedUser();
    const devices = phones(user);
    const input = { userId: user.id, overrides: ONLY_WIPE, confirmWipe: true };
    const plan = await admin.lifecycle.offboard.plan(input);
    expect(plan.steps.find((s) => s.id === 'google.wipe_mobile_devices')).toMatchObject({
      state: 'planned',
      call: { operation: 'wipeMobileDevices', args: [user.googleId] },
    });
    expect(plan.steps.find((s) => s.id === 'microsoft.wipe_mobile_devices')).toMatchObject({
      state: 'planned',
      call: { operation: 'wipeMobileDevices', args: [user.msId] },
    });

    // Google's delegation lacks the mobile device scope: Google's step fails, Microsoft's runs.
    const clientId = google.serviceAccountKey.client_id;
    const all = [...GOOGLE_DIRECTORY_SCOPES, ...GOOGLE_WORKSPACE_EXTRA_SCOPES];
    google.grantDelegation(
      clientId,
      all.filter((s) => !s.includes('device.mobile')),
    );
    const run = await admin.lifecycle.offboard.apply(input);
    // The step is retried with backoff (an admin may be granting the scope), then fails.
    await helios.jobs.runOnce();
    await timePasses(2_000);
    await helios.jobs.runOnce();
    await timePasses(8_000);
    await helios.jobs.runOnce();
    let current = await admin.lifecycle.runs.get(run.id);
    expect(current.status).toBe('failed');
    expect(stateOf(current)).toMatchObject({
      'google.wipe_mobile_devices': 'failed',
      'microsoft.wipe_mobile_devices': 'succeeded',
    });
    const failed = current.steps.find((s) => s.id === 'google.wipe_mobile_devices');
    expect(failed?.error).toMatchObject({ code: 'GOOGLE.DELEGATION_NOT_GRANTED' });
    expect(failed?.error?.message).toContain('admin.directory.device.mobile.action');
    // Intune: both phones retired (the organization's data only), the laptop left to IT.
    const intune = (id: string) => graph.state.managedDevices.get(id);
    for (const id of [devices.graph.android, devices.graph.iphone])
      expect(intune(id)).toMatchObject({ managementState: 'retirePending', actions: ['retire'] });
    expect(intune(devices.graph.laptop)).toMatchObject({ managementState: 'managed', actions: [] });
    expect(current.steps.find((s) => s.id === 'microsoft.wipe_mobile_devices')?.change).toEqual({
      changed: true,
      items: [devices.graph.android, devices.graph.iphone].sort(),
    });

    // The scope granted again, resume: Google wipes its phones, Microsoft retires nothing again.
    google.grantDelegation(clientId, all);
    const retires = m('managedDevices.retire');
    await admin.lifecycle.runs.resume(run.id);
    await helios.jobs.runOnce();
    current = await admin.lifecycle.runs.get(run.id);
    expect(current.status).toBe('completed');
    expect(m('managedDevices.retire')).toBe(retires);
    const mine = (id: string) =>
      google.workspace.mobileDevices(user.email).find((d) => d.resourceId === id);
    for (const id of [devices.google.android, devices.google.iphone])
      expect(mine(id)).toMatchObject({
        status: 'ACCOUNT_WIPING',
        actions: ['admin_account_wipe'],
      });
    expect(mine(devices.google.old)).toMatchObject({ status: 'ACCOUNT_WIPED', actions: [] });

    // A second offboarding: the devices are read, none is wiped again.
    const actions = googleActions().length;
    const again = await admin.lifecycle.offboard.apply(input);
    await helios.jobs.runOnce();
    const second = await admin.lifecycle.runs.get(again.id);
    expect(second.status).toBe('completed');
    for (const cloud of ['google', 'microsoft'])
      expect(second.steps.find((s) => s.id === `${cloud}.wipe_mobile_devices`)).toMatchObject({
        state: 'succeeded',
        change: { changed: false, items: [] },
      });
    expect(googleActions().length).toBe(actions);
    expect(m('managedDevices.retire')).toBe(retires);
    expect(graph.state.managedDevices.get(devices.graph.android).actions).toEqual(['retire']);
    const audit = await admin.audit.list({ action: 'google_workspace.mobile_wipe', limit: 10 });
    expect(audit.items).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import {
  admin,
  clock,
  google,
  graph,
  HOUR,
  helios,
  linkedUser,
  m,
  oneDriveRoles,
  stateOf,
  timePasses,
  unique,
  useRunsTestBed,
} from './lifecycle.runs.test-kit';

// Offboarding's data and mail steps on the simulators: a leaver's Drive archived into a shared
// drive, deleted N days on, and mail forwarding that ends N days on.

useRunsTestBed();

const FOLDER = 'application/vnd.google-apps.folder';
const DAY = 24 * HOUR;
const quiet = {
  licenseAction: 'keep',
  removeFromAllGroups: false,
  revokeOauthTokens: false,
  revokeAppPasswords: false,
  signOutAllDevices: false,
  resetPassword: false,
  notifyManager: false,
  notifyItAdmin: false,
} as const;
const calls = (route: string, subject: string) =>
  google.writeCalls.filter((c) => c.route === route && c.subject === subject).length;

/** A leaver's Drive: a file at the root, a folder of theirs with one of their files and one of the manager's, one of theirs in the manager's folder, one in the trash. */
function seedDrive(user: { email: string }, manager: { email: string }) {
  const ws = google.workspace;
  const folder = ws.addDriveFile(user.email, 'Projects', { mimeType: FOLDER });
  const theirs = ws.addDriveFile(manager.email, 'Boss notes', { parentId: folder });
  const bossFolder = ws.addDriveFile(manager.email, 'Team', { mimeType: FOLDER });
  return {
    folder,
    theirs,
    bossFolder,
    root: ws.addDriveFile(user.email, 'Plan'),
    inner: ws.addDriveFile(user.email, 'Roadmap', { parentId: folder }),
    inBoss: ws.addDriveFile(user.email, 'Budget', { parentId: bossFolder }),
    trashed: ws.addDriveFile(user.email, 'Old', { trashed: true }),
  };
}

describe(`helios.lifecycle offboarding: Drive and mail (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('archives exactly the files the user owns into "<address> (archived)" before leaving the drive and the suspension; a rerun moves nothing twice', async () => {
    const { user, manager } = await linkedUser();
    const ws = google.workspace;
    const drive = ws.addSharedDrive(`Archive ${unique()}`, [
      { email: google.adminEmail, role: 'organizer' },
    ]);
    const f = seedDrive(user, manager);
    const overrides = {
      ...quiet,
      driveAction: 'archive',
      driveArchiveSharedDriveId: drive,
      emailAction: 'keep',
      accountAction: 'keep_active',
      removeFromSharedDrives: false,
    } as const;
    const run = await admin.lifecycle.offboard.apply({ userId: user.id, overrides });
    expect(run.steps.find((s) => s.id === 'google.archive_files')).toMatchObject({
      state: 'queued',
      call: { operation: 'archiveUserFiles', args: [user.googleId, drive] },
    });
    await helios.jobs.runOnce();
    const done = await admin.lifecycle.runs.get(run.id);
    expect(done.status).toBe('completed');
    expect(stateOf(done)).toMatchObject({
      'google.archive_files': 'succeeded',
      'microsoft.archive_files': 'skipped',
      'google.mail': 'skipped',
    });
    expect(done.steps.find((s) => s.id === 'microsoft.archive_files')?.skipReason).toContain(
      'skipped: the archive target is a Google shared drive, which Microsoft 365 cannot move OneDrive files into',
    );
    const step = done.steps.find((s) => s.id === 'google.archive_files');
    expect([...(step?.change?.items ?? [])].sort()).toEqual([f.root, f.inner, f.inBoss].sort());
    // One folder for the user at the drive's root, holding exactly their files; the drive owns them.
    const folders = ws.driveItems(drive).filter((i) => i.name === `${user.email} (archived)`);
    expect(folders).toHaveLength(1);
    expect(ws.driveItems(folders[0]!.id)).toEqual([
      { id: f.inBoss, name: 'Budget', mimeType: expect.any(String), owner: null },
      { id: f.root, name: 'Plan', mimeType: expect.any(String), owner: null },
      { id: f.inner, name: 'Roadmap', mimeType: expect.any(String), owner: null },
    ]);
    // Left: their folder (Drive moves no folder into a shared drive) and the trashed file; the
    // manager's file stays in the user's folder.
    expect(ws.driveFilesOwnedBy(user.email).sort()).toEqual([f.folder, f.trashed].sort());
    expect(ws.driveItems(f.folder).map((i) => i.id)).toEqual([f.theirs]);
    expect(ws.sharedDriveMembers(drive)).toContainEqual({
      email: user.email,
      role: 'fileOrganizer',
    });
    expect(calls('drive.files.update', user.email)).toBe(3);
    expect(calls('drive.files.create', user.email)).toBe(1);

    // A rerun finds the folder and moves only what is new.
    const late = ws.addDriveFile(user.email, 'Late');
    const again = await admin.lifecycle.offboard.apply({ userId: user.id, overrides });
    await helios.jobs.runOnce();
    const second = await admin.lifecycle.runs.get(again.id);
    expect(second.steps.find((s) => s.id === 'google.archive_files')?.change).toEqual({
      changed: true,
      items: [late],
    });
    expect(calls('drive.files.update', user.email)).toBe(4);
    expect(calls('drive.files.create', user.email)).toBe(1);
    expect(ws.driveItems(folders[0]!.id).map((i) => i.id)).toContain(late);
    // Nothing left: a third pass changes nothing.
    const third = await admin.lifecycle.offboard.apply({ userId: user.id, overrides });
    await helios.jobs.runOnce();
    expect(
      (await admin.lifecycle.runs.get(third.id)).steps.find((s) => s.id === 'google.archive_files')
        ?.change,
    ).toEqual({ changed: false, items: [] });
    expect(calls('drive.files.update', user.email)).toBe(4);
  });

  it('orders the archive before leaving the shared drives and before the suspension', async () => {
    const { user, manager } = await linkedUser();
    const ws = google.workspace;
    const drive = ws.addSharedDrive(`Archive ${unique()}`, [
      { email: google.adminEmail, role: 'organizer' },
    ]);
    const f = seedDrive(user, manager);
    const run = await admin.lifecycle.offboard.apply({
      userId: user.id,
      overrides: {
        ...quiet,
        driveAction: 'archive',
        driveArchiveSharedDriveId: drive,
        emailAction: 'keep',
        accountAction: 'suspend_immediately',
        removeFromSharedDrives: true,
      },
    });
    const byId = new Map(run.steps.map((s) => [s.id, s]));
    // An order, not a condition: they go after the archive whatever its outcome.
    expect(byId.get('google.suspend')).toMatchObject({ dependsOn: [] });
    expect(byId.get('google.suspend')?.after).toContain('google.archive_files');
    expect(byId.get('google.remove_from_shared_drives')).toMatchObject({
      dependsOn: [],
      after: ['google.archive_files'],
    });
    await helios.jobs.runOnce();
    const done = await admin.lifecycle.runs.get(run.id);
    expect(done.status).toBe('completed');
    const order = done.journal.filter((j) => j.status === 'succeeded').map((j) => j.stepId);
    expect(order.indexOf('google.archive_files')).toBeLessThan(order.indexOf('google.suspend'));
    expect(order.indexOf('google.archive_files')).toBeLessThan(
      order.indexOf('google.remove_from_shared_drives'),
    );
    expect(ws.driveFilesOwnedBy(user.email).sort()).toEqual([f.folder, f.trashed].sort());
    // The user's access to the archive drive went with the other shared drives.
    expect(ws.sharedDriveMembers(drive).map((x) => x.email)).not.toContain(user.email);
    expect(google.state.users.get(user.googleId)).toMatchObject({ suspended: true });
  });

  it('deletes the owned files N days after the last day, not before; forwarding ends after its N days', async () => {
    const { user, manager } = await linkedUser();
    const ws = google.workspace;
    const f = seedDrive(user, manager);
    const oneDrive = [
      graph.addDriveItem(user.msId, { name: 'Plan.docx' }),
      graph.addDriveItem(user.msId, { name: 'Projects', folder: true }),
    ];
    const run = await admin.lifecycle.offboard.apply({
      userId: user.id,
      overrides: {
        ...quiet,
        driveAction: 'delete',
        driveDeleteAfterDays: 10,
        emailAction: 'forward_manager',
        emailForwardDurationDays: 5,
        accountAction: 'keep_active',
        removeFromSharedDrives: false,
      },
    });
    await helios.jobs.runOnce();
    let now = await admin.lifecycle.runs.get(run.id);
    expect(stateOf(now)).toMatchObject({
      'google.mail_forwarding': 'succeeded',
      'google.end_mail_forwarding': 'queued',
      'google.delete_drive_files': 'queued',
      'microsoft.delete_drive_files': 'queued',
    });
    expect(now.steps.find((s) => s.id === 'microsoft.delete_drive_files')).toMatchObject({
      notBefore: new Date(clock.now().getTime() + 10 * DAY).toISOString(),
      call: { operation: 'deleteUserFiles', args: [user.msId] },
    });
    expect(ws.gmail(user.email).autoForwarding).toMatchObject({
      enabled: true,
      emailAddress: manager.email,
    });
    await timePasses(5 * DAY - HOUR);
    await helios.jobs.runOnce();
    expect(ws.gmail(user.email).autoForwarding.enabled).toBe(true);
    await timePasses(HOUR);
    await helios.jobs.runOnce();
    expect(ws.gmail(user.email).autoForwarding.enabled).toBe(false);
    now = await admin.lifecycle.runs.get(run.id);
    expect(stateOf(now)['google.end_mail_forwarding']).toBe('succeeded');
    expect(stateOf(now)['microsoft.end_mail_forwarding']).toBe('succeeded');
    // Day 9: nothing deleted yet.
    await timePasses(4 * DAY);
    await helios.jobs.runOnce();
    expect(ws.driveFileExists(f.root)).toBe(true);
    expect(calls('drive.files.delete', user.email)).toBe(0);
    expect(graph.drive(user.msId)?.items).toHaveLength(2);
    // Day 10: the owned files go for good (a folder with its owner's files in it); others' stay.
    await timePasses(DAY);
    await helios.jobs.runOnce();
    now = await admin.lifecycle.runs.get(run.id);
    expect(now.status).toBe('completed');
    for (const id of [f.root, f.folder, f.inner, f.inBoss])
      expect(ws.driveFileExists(id)).toBe(false);
    for (const id of [f.theirs, f.bossFolder, f.trashed]) expect(ws.driveFileExists(id)).toBe(true);
    expect(calls('drive.files.delete', user.email)).toBe(3);
    expect(
      [
        ...(now.steps.find((s) => s.id === 'google.delete_drive_files')?.change?.items ?? []),
      ].sort(),
    ).toEqual([f.root, f.folder, f.inBoss].sort());
    // The OneDrive's items went for good (no recycle bin).
    expect(graph.drive(user.msId)).toMatchObject({ items: [], recycled: [] });
    expect(now.steps.find((s) => s.id === 'microsoft.delete_drive_files')).toMatchObject({
      state: 'succeeded',
      change: { changed: true, items: [...oneDrive].sort() },
    });
  });

  it('gives the manager write access to the OneDrive once, and a rerun grants nothing twice', async () => {
    const { user, manager: heir } = await linkedUser();
    const overrides = {
      ...quiet,
      driveAction: 'transfer_manager',
      calendarTransferMeetingOwnership: false,
      calendarDeclineFutureMeetings: false,
      emailAction: 'keep',
      accountAction: 'suspend_immediately',
      removeFromSharedDrives: false,
    } as const;
    const invites = m('drive.invite');
    const run = await admin.lifecycle.offboard.apply({
      userId: user.id,
      overrides,
    });
    expect(run.steps.find((s) => s.id === 'microsoft.transfer_data')).toMatchObject({
      state: 'queued',
      reason: `Write access to the OneDrive files for ${heir.email} (OneDrive has no ownership transfer)`,
      call: { operation: 'grantDriveAccess', args: [user.msId, heir.msId] },
    });
    await helios.jobs.runOnce();
    const done = await admin.lifecycle.runs.get(run.id);
    expect(done.status).toBe('completed');
    // Application permissions act on the blocked account too: no ordering before the suspension.
    expect(done.steps.find((s) => s.id === 'microsoft.transfer_data')).toMatchObject({
      state: 'succeeded',
      change: { changed: true, items: [heir.msId] },
    });
    expect(m('drive.invite') - invites).toBe(1);
    const again = await admin.lifecycle.offboard.apply({
      userId: user.id,
      overrides,
    });
    await helios.jobs.runOnce();
    expect(
      (await admin.lifecycle.runs.get(again.id)).steps.find(
        (s) => s.id === 'microsoft.transfer_data',
      )?.change,
    ).toEqual({ changed: false, items: [] });
    expect(m('drive.invite') - invites).toBe(1);
    expect(oneDriveRoles(user.msId, heir.msId)).toEqual([['write']]);
  });

  it('reports nothing changed when the account is already gone at deletion time', async () => {
    const { user, manager } = await linkedUser();
    const f = seedDrive(user, manager);
    const run = await admin.lifecycle.offboard.apply({
      userId: user.id,
      overrides: {
        ...quiet,
        driveAction: 'delete',
        driveDeleteAfterDays: 3,
        emailAction: 'keep',
        accountAction: 'keep_active',
        removeFromSharedDrives: false,
      },
    });
    await helios.jobs.runOnce();
    await admin.google.writeback.deleteUser(user.googleId);
    await timePasses(3 * DAY);
    await helios.jobs.runOnce();
    const done = await admin.lifecycle.runs.get(run.id);
    expect(done.status).toBe('completed');
    expect(done.steps.find((s) => s.id === 'google.delete_drive_files')).toMatchObject({
      state: 'succeeded',
      change: { changed: false, items: [] },
    });
    expect(calls('drive.files.delete', user.email)).toBe(0);
    expect(f.root).toBeTruthy();
  });

  it('plans no Drive deletion or forwarding end a suspension would make impossible, and says why', async () => {
    const { user } = await linkedUser();
    const plan = await admin.lifecycle.offboard.plan({
      userId: user.id,
      lastDay: '2027-03-05',
      overrides: {
        driveAction: 'delete',
        driveDeleteAfterDays: 30,
        accountAction: 'suspend_on_last_day',
        emailForwardDurationDays: 14,
      },
    });
    const byId = new Map(plan.steps.map((s) => [s.id, s]));
    expect(byId.get('google.delete_drive_files')?.skipReason).toContain(
      'Google gives no access to a suspended account',
    );
    expect(byId.get('google.end_mail_forwarding')?.skipReason).toContain(
      'a suspended Google account receives no mail',
    );
    // Microsoft forwarding is an inbox rule the app manages: it ends on its day.
    expect(byId.get('microsoft.end_mail_forwarding')).toMatchObject({
      state: 'planned',
      notBefore: '2027-03-20T00:00:00.000Z',
      dependsOn: ['microsoft.mail_forwarding'],
      call: { operation: 'setMailForwarding', args: [user.msId, null] },
    });
    const keep = await admin.lifecycle.offboard.plan({
      userId: user.id,
      overrides: { driveAction: 'keep', emailAction: 'archive' },
    });
    expect(keep.steps.find((s) => s.id === 'google.mail')?.skipReason).toContain(
      'Helios has no mailbox archive',
    );
  });
  it('a failed step that acts as the user does not keep the account active: the suspension goes after it all the same', async () => {
    const { user } = await linkedUser();
    const ws = google.workspace;
    const drive = ws.addSharedDrive(`Archive ${unique()}`, [
      { email: google.adminEmail, role: 'organizer' },
    ]);
    // The archive drive is gone by the time the run acts: the archive fails for good.
    const run = await admin.lifecycle.offboard.apply({
      userId: user.id,
      overrides: {
        ...quiet,
        driveAction: 'archive',
        driveArchiveSharedDriveId: `${drive}gone`,
        emailAction: 'keep',
        accountAction: 'suspend_immediately',
        removeFromSharedDrives: true,
      },
    });
    for (let i = 0; i < 4; i++) {
      await helios.jobs.runOnce();
      await timePasses(60_000);
    }
    const done = await admin.lifecycle.runs.get(run.id);
    expect(stateOf(done)).toMatchObject({
      'google.archive_files': 'failed',
      'google.remove_from_shared_drives': 'succeeded',
      'google.suspend': 'succeeded',
    });
    expect(done.status).toBe('failed');
    expect(google.state.users.get(user.googleId)).toMatchObject({ suspended: true });
    const order = done.journal.filter((j) => j.status !== 'started').map((j) => j.stepId);
    expect(order.indexOf('google.archive_files')).toBeLessThan(order.indexOf('google.suspend'));
  });
});

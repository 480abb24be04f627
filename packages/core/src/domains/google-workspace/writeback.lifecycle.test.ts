/**
 * The Google lifecycle operations through `helios.integrations.get('google')`, over HTTP to the
 * Google simulator: each does what it says on the simulator's state, a second call changes nothing
 * and sends no write, a 503 is retried, a scope missing from the delegation is a clear GOOGLE.* error.
 */
import {
  GOOGLE_DIRECTORY_SCOPES,
  GOOGLE_WORKSPACE_EXTRA_SCOPES,
  type GoogleDirectorySimulator,
  type TestHelios,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryIntegration, LifecycleOperation } from '../integrations/contract';
import { closeTestBed } from '../integrations/writeback.test-kit';
import { startGoogleIntegrationBed } from './integration.test-kit';

const DOMAIN = 'life.test';
const SKU = 'Google-Apps/1010020027';
const U = (i: number) => `user00000${i}@${DOMAIN}`;
let t: TestHelios;
let sim: GoogleDirectorySimulator;
let google: DirectoryIntegration;

const idOf = (email: string) =>
  [...sim.state.users.values()].find((u: any) => u.primaryEmail === email).id as string;
const calls = (route: string) => sim.requests.byRoute[route] ?? 0;
/** The write routes' counts, to check that a repeated operation sends no write. */
const writes = () =>
  Object.entries(sim.requests.byRoute)
    .filter(([route]) => /\.(insert|create|update|patch|delete|signOut)$/.test(route))
    .reduce((sum, [, n]) => sum + n, 0);

beforeAll(async () => {
  ({ t, sim, google } = await startGoogleIntegrationBed(
    {
      domain: DOMAIN,
      seed: { users: 6, groups: 2, membersPerGroup: 3, orgUnits: 2 },
      licenses: { [SKU]: 1, 'Google-Apps/1010020028': null },
    },
    {
      retry: { maxRetries: 4, baseDelayMs: 5, maxDelayMs: 20 },
      licenseSkus: [SKU, 'Google-Apps/1010020028'],
    },
  ));
}, 60_000);
afterAll(() => closeTestBed(t, sim));

describe('Google lifecycle operations', () => {
  it('are all supported', () => {
    const ops: LifecycleOperation[] = [
      'listUserGroups',
      'moveToOrgUnit',
      'listUserLicenses',
      'licenseAvailability',
      'revokeTokens',
      'revokeAppPasswords',
      'transferData',
      'getDataTransfer',
      'setMailForwarding',
      'setAutoReply',
      'addToSharedDrive',
      'removeFromSharedDrives',
      'shareCalendar',
    ];
    for (const op of [
      ...ops,
      'signOut',
      'resetPassword',
      'assignLicense',
      'removeLicense',
    ] as const)
      expect(google.supports.has(op), op).toBe(true);
  });

  it('refuses callers without users:write before calling Google', async () => {
    const readOnly = t.helios.as({
      type: 'apiKey',
      keyId: '00000000-0000-4000-8000-000000000001',
      scopes: ['users:read'],
    });
    const cloud = readOnly.integrations.get('google');
    const id = idOf(U(1));
    const before = sim.requests.total;
    for (const call of [
      () => cloud.revokeTokens(id),
      () => cloud.setMailForwarding(id, U(2)),
      () => cloud.assignLicense(id, [SKU]),
      () => cloud.removeFromSharedDrives(id),
      () => cloud.transferData(id, idOf(U(2)), ['drive']),
    ])
      await expect(call()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(google.assignLicense(id, ['not a sku'])).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    expect(sim.requests.total).toBe(before);
  });

  it('revokes tokens and app passwords, once', async () => {
    const id = idOf(U(1));
    sim.workspace.addToken(U(1), { clientId: 'a.apps.googleusercontent.com' });
    sim.workspace.addToken(U(1), { clientId: 'b.apps.googleusercontent.com' });
    sim.workspace.addAppPassword(U(1), 'Phone');
    expect(await google.revokeTokens(id)).toEqual({
      changed: true,
      items: ['a.apps.googleusercontent.com', 'b.apps.googleusercontent.com'],
    });
    expect((await google.revokeAppPasswords(id)).changed).toBe(true);
    expect(sim.workspace.tokens(U(1))).toEqual([]);
    expect(sim.workspace.appPasswords(U(1))).toEqual([]);
    const before = writes();
    expect(await google.revokeTokens(id)).toEqual({ changed: false, items: [] });
    expect((await google.revokeAppPasswords(id)).changed).toBe(false);
    expect(writes()).toBe(before);
    const audit = await t.asAdmin.audit.list({
      action: 'google_workspace.tokens_revoke',
      limit: 10,
    });
    expect(audit.items).toHaveLength(1);
  });

  it('signs out and resets the password (stored for one reveal, changed at next login)', async () => {
    const id = idOf(U(2));
    const out = await google.signOut(id);
    expect(out).toMatchObject({ googleId: id, signedOutAt: expect.any(Date) });
    expect(sim.workspace.signOuts(U(2))).toBe(1);
    const reset = await google.resetPassword(id);
    expect(reset).toMatchObject({ googleId: id, email: U(2), changePasswordAtNextLogin: true });
    const revealed = await t.asAdmin.googleWriteback.revealInitialPassword(U(2));
    expect(sim.state.passwords.get(id)).toBe(revealed.password);
    expect(sim.state.users.get(id).changePasswordAtNextLogin).toBe(true);
  });

  it('assigns and removes licences only when needed; no free seat is GOOGLE.NO_FREE_SEATS', async () => {
    const id = idOf(U(3));
    expect(await google.assignLicense(id, [SKU])).toMatchObject({ changed: true, items: [SKU] });
    const inserts = calls('licenses.insert');
    expect(await google.assignLicense(id, [SKU])).toMatchObject({ changed: false });
    expect(calls('licenses.insert')).toBe(inserts);
    expect(await google.listUserLicenses(id)).toEqual([SKU]);
    expect(await google.licenseAvailability([SKU])).toEqual([{ skuId: SKU, available: null }]);
    const refused = google.assignLicense(idOf(U(4)), [SKU]);
    await expect(refused).rejects.toMatchObject({ code: 'GOOGLE.NO_FREE_SEATS' });
    await expect(refused).rejects.toThrow(/No free seat/);
    expect(sim.workspace.licenseHolders(SKU)).toEqual([U(3)]);
    expect(await google.removeLicense(id, [SKU, 'Google-Apps/1010020028'])).toMatchObject({
      items: [SKU],
    });
    const deletes = calls('licenses.delete');
    expect(await google.removeLicense(id, [SKU])).toMatchObject({ changed: false });
    expect(calls('licenses.delete')).toBe(deletes);
    expect(await google.listUserLicenses(id)).toEqual([]);
  });

  it('transfers Drive data once and reads the transfer', async () => {
    const file = sim.workspace.addDriveFile(U(5), 'Roadmap');
    const transfer = await google.transferData(idOf(U(5)), idOf(U(6)), ['drive', 'calendar']);
    expect(transfer).toMatchObject({ status: 'inProgress', applications: ['drive', 'calendar'] });
    expect(sim.workspace.driveFilesOwnedBy(U(6))).toEqual([file]);
    expect(await google.getDataTransfer(transfer.id)).toEqual({ ...transfer, status: 'completed' });
    const again = await google.transferData(idOf(U(5)), idOf(U(6)), ['drive']);
    expect(again.id).toBe(transfer.id);
    expect(calls('datatransfer.transfers.insert')).toBe(1);
  });

  it('forwards mail to an accepted address once, refuses an unconfirmed one, stops', async () => {
    const id = idOf(U(1));
    expect(await google.setMailForwarding(id, U(6))).toEqual({ changed: true, items: [U(6)] });
    expect(sim.workspace.gmail(U(1)).autoForwarding).toEqual({
      enabled: true,
      emailAddress: U(6),
      disposition: 'leaveInInbox',
    });
    const before = writes();
    expect((await google.setMailForwarding(id, U(6))).changed).toBe(false);
    expect(writes()).toBe(before);
    await expect(google.setMailForwarding(id, 'someone@elsewhere.test')).rejects.toMatchObject({
      code: 'GOOGLE.INVALID_REQUEST',
      message: expect.stringMatching(/confirm/),
    });
    expect(sim.workspace.gmail(U(1)).autoForwarding.emailAddress).toBe(U(6));
    expect((await google.setMailForwarding(id, null)).changed).toBe(true);
    expect((await google.setMailForwarding(id, null)).changed).toBe(false);
    expect(sim.workspace.gmail(U(1)).autoForwarding.enabled).toBe(false);
  });

  it('sets and removes the automatic reply, once', async () => {
    const id = idOf(U(2));
    const reply = {
      enabled: true,
      subject: 'Gone',
      message: 'I left.',
      endsAt: '2030-01-01T00:00:00Z',
    };
    expect((await google.setAutoReply(id, reply)).changed).toBe(true);
    expect(sim.workspace.gmail(U(2)).vacation).toMatchObject({
      enableAutoReply: true,
      responseSubject: 'Gone',
      responseBodyPlainText: 'I left.',
      endTime: String(Date.parse('2030-01-01T00:00:00Z')),
    });
    const updates = calls('gmail.vacation.update');
    expect((await google.setAutoReply(id, reply)).changed).toBe(false);
    expect(calls('gmail.vacation.update')).toBe(updates);
    expect((await google.setAutoReply(id, { enabled: false })).changed).toBe(true);
    expect(sim.workspace.gmail(U(2)).vacation.enableAutoReply).toBe(false);
  });

  it('adds to a shared drive and removes from every shared drive, once', async () => {
    const id = idOf(U(3));
    const a = sim.workspace.addSharedDrive('A', [{ email: U(1), role: 'organizer' }]);
    const b = sim.workspace.addSharedDrive('B', [{ email: U(3), role: 'reader' }]);
    expect((await google.addToSharedDrive(a, id, 'writer')).changed).toBe(true);
    expect((await google.addToSharedDrive(a, id, 'writer')).changed).toBe(false);
    expect(sim.workspace.sharedDriveMembers(a)).toContainEqual({ email: U(3), role: 'writer' });
    const other = sim.workspace.addSharedDrive('C', [{ email: U(1), role: 'organizer' }]);
    // Per user: the user's drives (listed as them) and their permission id, no drive's list.
    const lists = calls('drive.permissions.list');
    const deletes = calls('drive.permissions.delete');
    const removed = await google.removeFromSharedDrives(id);
    expect(removed.changed).toBe(true);
    expect(removed.items?.sort()).toEqual([a, b].sort());
    expect(sim.workspace.sharedDriveMembers(a)).toEqual([{ email: U(1), role: 'organizer' }]);
    expect(sim.workspace.sharedDriveMembers(b)).toEqual([]);
    expect(sim.workspace.sharedDriveMembers(other)).toEqual([{ email: U(1), role: 'organizer' }]);
    expect(calls('drive.permissions.list')).toBe(lists);
    expect(calls('drive.permissions.delete')).toBe(deletes + 2);
    expect((await google.removeFromSharedDrives(id)).changed).toBe(false);
    expect(calls('drive.permissions.delete')).toBe(deletes + 2);
  });

  it('a suspended user: shared drives removed as the admin, what acts as the user refused with the reason', async () => {
    const id = idOf(U(5));
    const drive = sim.workspace.addSharedDrive('Suspended', [{ email: U(5), role: 'writer' }]);
    const user = sim.state.users.get(id) as { suspended: boolean };
    user.suspended = true;
    try {
      const removed = await google.removeFromSharedDrives(id);
      expect(removed).toMatchObject({ changed: true, items: [drive] });
      expect(sim.workspace.sharedDriveMembers(drive)).toEqual([]);
      expect((await google.removeFromSharedDrives(id)).changed).toBe(false);
      // Not the token endpoint's invalid_grant read as a wrong admin setting (GOOGLE.ADMIN_NOT_FOUND).
      for (const asUser of [
        () => google.setMailForwarding(id, U(6)),
        () => google.setAutoReply(id, { enabled: true, subject: 'Away' }),
        () => google.declineFutureMeetings(id, 'keep'),
        () => google.setSignature(id, 'Left the company'),
      ])
        await expect(asUser()).rejects.toMatchObject({
          code: 'GOOGLE.INVALID_REQUEST',
          message: expect.stringMatching(/refuses to act as .*: the account is suspended/),
        });
    } finally {
      user.suspended = false;
    }
  });

  it("shares a user's calendar and a group calendar of the admin, once", async () => {
    const id = idOf(U(4));
    expect((await google.shareCalendar(U(1), id, 'reader')).changed).toBe(true);
    expect((await google.shareCalendar(U(1), id, 'reader')).changed).toBe(false);
    expect(sim.workspace.calendarAcl(U(1))).toContainEqual({ id: `user:${U(4)}`, role: 'reader' });
    const team = sim.workspace.addCalendar(sim.adminEmail, 'Team');
    expect((await google.shareCalendar(team, id, 'writer')).changed).toBe(true);
    expect(sim.workspace.calendarAcl(team)).toContainEqual({ id: `user:${U(4)}`, role: 'writer' });
    expect(calls('calendar.acl.insert')).toBe(2);
  });

  it('lists groups and moves the org unit, once', async () => {
    const id = idOf(U(1));
    const groups = await google.listUserGroups(id);
    expect(groups.length).toBeGreaterThan(0);
    expect(groups[0]).toEqual({
      id: expect.any(String),
      email: expect.any(String),
      name: expect.any(String),
    });
    const target = [...sim.state.orgUnits.keys()].find(
      (p) => p !== '/' && p !== sim.state.users.get(id).orgUnitPath,
    )!;
    expect((await google.moveToOrgUnit(id, target)).changed).toBe(true);
    expect(sim.state.users.get(id).orgUnitPath).toBe(target);
    const updates = calls('users.update');
    expect((await google.moveToOrgUnit(id, target)).changed).toBe(false);
    expect(calls('users.update')).toBe(updates);
  });

  it('retries 503 faults', async () => {
    sim.workspace.addToken(U(5), { clientId: 'c.apps.googleusercontent.com' });
    const faults = sim.requests.faultsInjected;
    sim.setFaults({ rate: 0.5, kinds: ['503'], seed: 3 });
    try {
      expect((await google.revokeTokens(idOf(U(5)))).changed).toBe(true);
      expect((await google.setAutoReply(idOf(U(5)), { enabled: true, message: 'x' })).changed).toBe(
        true,
      );
    } finally {
      sim.setFaults(null);
    }
    expect(sim.requests.faultsInjected).toBeGreaterThan(faults);
    expect(sim.workspace.tokens(U(5))).toEqual([]);
  });

  it('names the scope missing from the delegation', async () => {
    const client = sim.serviceAccountKey.client_id;
    const all = [...GOOGLE_DIRECTORY_SCOPES, ...GOOGLE_WORKSPACE_EXTRA_SCOPES];
    sim.grantDelegation(
      client,
      all.filter((s) => !s.endsWith('gmail.settings.sharing')),
    );
    try {
      const failed = google.setMailForwarding(idOf(U(3)), U(1));
      await expect(failed).rejects.toMatchObject({ code: 'GOOGLE.DELEGATION_NOT_GRANTED' });
      await expect(failed).rejects.toThrow(/gmail\.settings\.sharing/);
      // The other APIs still work.
      expect((await google.setAutoReply(idOf(U(3)), { enabled: false })).changed).toBe(false);
    } finally {
      sim.grantDelegation(client, all);
    }
    expect((await google.setMailForwarding(idOf(U(3)), U(1))).changed).toBe(true);
  });
});

import {
  GRAPH_APPLICATION_PERMISSIONS,
  type GraphSimulator,
  type TestHelios,
} from '@helios/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryIntegration } from '../integrations/contract';
import { closeTestBed } from '../integrations/writeback.test-kit';
import { startMicrosoftIntegrationBed } from './integration.test-kit';
import { MICROSOFT_FORWARDING_RULE_NAME } from './writeback.lifecycle';

// The lifecycle operations of Microsoft 365 through the integrations contract, over HTTP to the
// Graph simulator, on whichever backend DATABASE_URL selects.

const DOMAIN = 'life.test';
const E5 = 'c7df2760-2c81-4ef7-b578-5b5392b571df';
const PBI = 'f8a1db68-be16-40ed-86d5-cb42ce701560';
const upn = (i: number) => `user${String(i).padStart(6, '0')}@${DOMAIN}`;
let t: TestHelios;
let sim: GraphSimulator;
let cloud: DirectoryIntegration;

const idOf = (i: number) =>
  [...sim.state.users.values()].find((u) => u.userPrincipalName === upn(i))!.id as string;
const count = (route: string) => sim.requests.byRoute[route] ?? 0;
const WRITES = [
  'users.mailboxSettings.update',
  'messageRules.create',
  'messageRules.update',
  'messageRules.delete',
  'users.assignLicense',
  'groups.members.remove',
  'calendarPermissions.create',
  'calendarPermissions.update',
];
const writes = () => WRITES.reduce((n, route) => n + count(route), 0);
const auditCount = async (action: string) =>
  (await t.asAdmin.audit.list({ action, limit: 100 })).items.length;
const replies = (id: string) => sim.state.mailboxSettings.get(id)?.automaticRepliesSetting;
const rules = (id: string) => [...(sim.state.messageRules.get(id)?.values() ?? [])];

beforeAll(async () => {
  ({ t, sim, cloud } = await startMicrosoftIntegrationBed(
    {
      domain: DOMAIN,
      seed: { users: 8, groups: 3, membersPerGroup: 2 },
      skus: [
        { skuId: E5, skuPartNumber: 'ENTERPRISEPREMIUM', enabled: 20, consumed: 3 },
        { skuId: PBI, skuPartNumber: 'POWER_BI_PRO', enabled: 2, consumed: 2 },
      ],
    },
    {
      pageSize: 2,
      retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 50 },
      timeoutMs: 5000,
    },
  ));
}, 60_000);
afterAll(() => closeTestBed(t, sim));
afterEach(() => {
  sim.setFaults(null);
  sim.grantPermissions([...GRAPH_APPLICATION_PERMISSIONS]);
});

describe(`Microsoft 365 lifecycle operations (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('supports what Graph offers and refuses the rest with INTEGRATIONS.UNSUPPORTED', async () => {
    for (const op of [
      'listUserGroups',
      'listUserLicenses',
      'licenseAvailability',
      'setAutoReply',
      'setMailForwarding',
      'shareCalendar',
    ] as const)
      expect(cloud.supports.has(op)).toBe(true);
    for (const op of [
      'moveToOrgUnit',
      'revokeTokens',
      'revokeAppPasswords',
      'transferData',
      'getDataTransfer',
      'addToSharedDrive',
      'removeFromSharedDrives',
    ] as const)
      expect(cloud.supports.has(op)).toBe(false);
    await expect(cloud.revokeTokens(idOf(1))).rejects.toMatchObject({
      code: 'INTEGRATIONS.UNSUPPORTED',
      details: { integration: 'Microsoft 365', operation: 'revokeTokens' },
    });
  });

  it('lists the groups of a user from every page of memberOf, groups only', async () => {
    const id = idOf(7);
    const groupIds = [...sim.state.groups.keys()].sort();
    for (const gid of groupIds)
      if (!sim.state.members.get(gid)?.has(id)) sim.addGroupMember(gid, id);
    const before = count('users.memberOf.groups');
    const groups = await cloud.listUserGroups(id);
    expect(groups.map((g) => g.id)).toEqual(groupIds);
    const g0 = sim.state.groups.get(groupIds[0]!);
    expect(groups[0]).toEqual({ id: g0.id, email: g0.mail ?? null, name: g0.displayName });
    // Three groups at two per page: two requests.
    expect(count('users.memberOf.groups') - before).toBe(2);
    expect(await cloud.listUserGroups(idOf(8))).toEqual(
      groupIds
        .filter((gid) => sim.state.members.get(gid)?.has(idOf(8)))
        .map((gid) => expect.objectContaining({ id: gid })),
    );
  });

  it('lists licences and free units; refuses a full SKU before calling Graph; adds and removes only what changes', async () => {
    const holder = idOf(1);
    const other = idOf(5);
    expect(await cloud.listUserLicenses(holder)).toEqual([E5, PBI]);
    expect(await cloud.listUserLicenses(other)).toEqual([]);
    expect(await cloud.licenseAvailability([E5, PBI])).toEqual([
      { skuId: E5, available: 17 },
      { skuId: PBI, available: 0 },
    ]);
    await expect(
      cloud.licenseAvailability(['00000000-0000-4000-8000-00000000abcd']),
    ).rejects.toMatchObject({ code: 'MICROSOFT_WRITEBACK.UNKNOWN_SKU' });

    const assigns = count('users.assignLicense');
    await expect(cloud.assignLicense(other, [PBI])).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'MICROSOFT.NO_LICENSES_AVAILABLE',
    });
    expect(count('users.assignLicense')).toBe(assigns);

    // Removing a SKU the user does not hold: nothing to do, nothing sent.
    expect(await cloud.removeLicense(other, [E5])).toMatchObject({ changed: false, removed: [] });
    expect(count('users.assignLicense')).toBe(assigns);

    expect(await cloud.assignLicense(other, [E5])).toMatchObject({ changed: true, added: [E5] });
    expect(sim.state.users.get(other).assignedLicenses).toEqual([{ skuId: E5, disabledPlans: [] }]);
    expect(await cloud.licenseAvailability([E5])).toEqual([{ skuId: E5, available: 16 }]);
    expect(await cloud.assignLicense(other, [E5])).toMatchObject({ changed: false, added: [] });
    expect(count('users.assignLicense')).toBe(assigns + 1);

    // A removal reads the user once (what it holds) and writes once: no re-read after the write.
    const reads = count('users.get');
    expect(await cloud.removeLicense(other, [E5])).toMatchObject({ changed: true, removed: [E5] });
    expect(count('users.get')).toBe(reads + 1);
    expect(await cloud.removeLicense(other, [E5])).toMatchObject({ changed: false });
    expect(count('users.assignLicense')).toBe(assigns + 2);
    expect(sim.state.skus.get(E5).consumedUnits).toBe(3);
  });

  it('sets, schedules and turns off the automatic reply; a repeat sends nothing', async () => {
    const id = idOf(2);
    const audited = await auditCount('microsoft_365.auto_reply_set');
    const w = writes();
    expect(await cloud.setAutoReply(id, { enabled: true, message: 'I have left Acme.' })).toEqual({
      changed: true,
      items: ['alwaysEnabled'],
    });
    expect(replies(id)).toMatchObject({
      status: 'alwaysEnabled',
      internalReplyMessage: 'I have left Acme.',
      externalReplyMessage: 'I have left Acme.',
    });
    expect(
      await cloud.setAutoReply(id, { enabled: true, message: 'I have left Acme.' }),
    ).toMatchObject({ changed: false });
    expect(writes()).toBe(w + 1);

    const endsAt = new Date(Date.now() + 30 * 86_400_000);
    endsAt.setUTCMilliseconds(0);
    const scheduled = { enabled: true, message: 'Gone.', endsAt: endsAt.toISOString() };
    expect(await cloud.setAutoReply(id, scheduled)).toMatchObject({ changed: true });
    expect(replies(id)).toMatchObject({
      status: 'scheduled',
      internalReplyMessage: 'Gone.',
      scheduledEndDateTime: { dateTime: endsAt.toISOString().replace(/Z$/, ''), timeZone: 'UTC' },
    });
    expect(await cloud.setAutoReply(id, scheduled)).toMatchObject({ changed: false });
    expect(writes()).toBe(w + 2);

    expect(await cloud.setAutoReply(id, { enabled: false })).toMatchObject({ changed: true });
    expect(replies(id)).toMatchObject({ status: 'disabled' });
    expect(await cloud.setAutoReply(id, { enabled: false })).toMatchObject({ changed: false });
    expect(writes()).toBe(w + 3);
    // Audited when something changed, not for the repeats.
    expect(await auditCount('microsoft_365.auto_reply_set')).toBe(audited + 3);

    await expect(
      cloud.setAutoReply(id, { enabled: true, endsAt: '2001-01-01T00:00:00Z' }),
    ).rejects.toMatchObject({ code: 'MICROSOFT.INVALID_REQUEST' });
    await expect(cloud.setAutoReply(id, { enabled: 'yes' } as never)).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    expect(writes()).toBe(w + 3);
  });

  it('forwards mail through one named inbox rule: created once, updated, removed; other rules kept', async () => {
    const id = idOf(3);
    // A rule of the user's own is left alone.
    sim.state.messageRules.set(
      id,
      new Map([
        [
          'own=',
          {
            id: 'own=',
            displayName: 'Newsletters',
            sequence: 1,
            isEnabled: true,
            conditions: {},
            actions: { moveToFolder: 'x' },
          },
        ],
      ]),
    );
    const w = writes();
    expect(await cloud.setMailForwarding(id, 'Manager@Life.test')).toEqual({
      changed: true,
      items: ['manager@life.test'],
    });
    const ours = () => rules(id).filter((r) => r.displayName === MICROSOFT_FORWARDING_RULE_NAME);
    expect(ours()).toEqual([
      expect.objectContaining({
        sequence: 2,
        isEnabled: true,
        actions: {
          forwardTo: [{ emailAddress: { address: 'manager@life.test' } }],
          stopProcessingRules: false,
        },
      }),
    ]);
    const ruleId = ours()[0]!.id;
    expect(await cloud.setMailForwarding(id, 'manager@life.test')).toMatchObject({
      changed: false,
    });
    expect(writes()).toBe(w + 1);

    expect(await cloud.setMailForwarding(id, 'hr@life.test')).toMatchObject({ changed: true });
    expect(ours()).toEqual([
      expect.objectContaining({
        id: ruleId,
        actions: expect.objectContaining({
          forwardTo: [{ emailAddress: { address: 'hr@life.test' } }],
        }),
      }),
    ]);
    expect(await cloud.setMailForwarding(id, null)).toEqual({ changed: true, items: [ruleId] });
    expect(ours()).toEqual([]);
    expect(await cloud.setMailForwarding(id, null)).toEqual({ changed: false, items: [] });
    expect(writes()).toBe(w + 3);
    expect(rules(id).map((r) => r.id)).toEqual(['own=']);
    expect(await auditCount('microsoft_365.mail_forwarding_set')).toBe(3);
    await expect(cloud.setMailForwarding(id, 'not an address')).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
  });

  it('shares a calendar once, changes the role, and refuses a role Microsoft 365 lacks', async () => {
    const owner = idOf(4);
    const recipient = idOf(5);
    const shared = () =>
      [...(sim.state.calendarPermissions.get(owner)?.values() ?? [])].filter(
        (p) => p.emailAddress.address === upn(5),
      );
    const w = writes();
    const first = await cloud.shareCalendar(owner, recipient, 'reader');
    expect(first).toMatchObject({ changed: true, items: [expect.any(String)] });
    expect(shared()).toEqual([
      expect.objectContaining({ id: first.items![0], role: 'read', isInsideOrganization: true }),
    ]);
    expect(await cloud.shareCalendar(owner, recipient, 'reader')).toMatchObject({
      changed: false,
    });
    expect(writes()).toBe(w + 1);
    expect(await cloud.shareCalendar(owner, recipient, 'writer')).toMatchObject({ changed: true });
    expect(shared()).toEqual([expect.objectContaining({ id: first.items![0], role: 'write' })]);
    expect(writes()).toBe(w + 2);
    // The organization's free/busy permission is still there, untouched.
    expect(sim.state.calendarPermissions.get(owner)?.get('RGVmYXVsdA==')).toMatchObject({
      role: 'freeBusyRead',
    });
    await expect(cloud.shareCalendar(owner, recipient, 'owner')).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    expect(writes()).toBe(w + 2);
    expect(await auditCount('microsoft_365.calendar_share')).toBe(2);
  });

  it('removes a member already gone without an error (changed false), but not from a group that is gone', async () => {
    const id = idOf(7);
    const gid = [...sim.state.groups.keys()].sort()[0]!;
    expect(sim.state.members.get(gid)?.has(id)).toBe(true);
    // The sync mirrors memberships; this one was added behind its back, so sync again.
    await t.asAdmin.microsoft.sync.sync();
    expect(await cloud.removeMember(gid, id)).toMatchObject({ changed: true });
    expect(sim.state.members.get(gid)?.has(id)).toBe(false);
    expect(await cloud.removeMember(gid, id)).toMatchObject({ changed: false });
    sim.state.groups.delete(gid);
    await expect(cloud.removeMember(gid, id)).rejects.toMatchObject({
      code: 'MICROSOFT.NOT_FOUND',
    });
  });

  it('retries throttled calls (429) and still sets the reply once', async () => {
    const id = idOf(4);
    sim.setFaults({ rate: 0.6, kinds: ['429'], retryAfterSeconds: 0, seed: 7 });
    const faults = sim.requests.faultsInjected;
    expect(await cloud.setAutoReply(id, { enabled: true, message: 'Retry me' })).toMatchObject({
      changed: true,
    });
    expect(await cloud.setMailForwarding(id, 'boss@life.test')).toMatchObject({ changed: true });
    expect(sim.requests.faultsInjected).toBeGreaterThan(faults);
    sim.setFaults(null);
    expect(replies(id)).toMatchObject({
      status: 'alwaysEnabled',
      internalReplyMessage: 'Retry me',
    });
    expect(rules(id)).toHaveLength(1);
  });

  it('names the missing application permission when Graph refuses, and checks the caller’s scope first', async () => {
    const id = idOf(6);
    sim.grantPermissions(
      GRAPH_APPLICATION_PERMISSIONS.filter((p) => !p.startsWith('MailboxSettings.')),
    );
    const error = await cloud.setAutoReply(id, { enabled: true, message: 'x' }).catch((e) => e);
    expect(error).toMatchObject({ code: 'MICROSOFT.PERMISSION_MISSING' });
    expect((error as Error).message).toContain('MailboxSettings.Read');
    const forwarding = await cloud.setMailForwarding(id, 'a@life.test').catch((e) => e);
    expect(forwarding).toMatchObject({ code: 'MICROSOFT.PERMISSION_MISSING' });
    expect((forwarding as Error).message).toContain('MailboxSettings.Read');
    expect(sim.state.mailboxSettings.has(id)).toBe(false);

    sim.grantPermissions(GRAPH_APPLICATION_PERMISSIONS.filter((p) => !p.startsWith('Calendars.')));
    const calendar = await cloud.shareCalendar(idOf(1), id, 'reader').catch((e) => e);
    expect(calendar).toMatchObject({ code: 'MICROSOFT.PERMISSION_MISSING' });
    expect((calendar as Error).message).toContain('Calendars.Read');

    sim.grantPermissions(['User.Read.All']);
    const groups = await cloud.listUserGroups(id).catch((e) => e);
    expect(groups).toMatchObject({ code: 'MICROSOFT.PERMISSION_MISSING' });
    expect((groups as Error).message).toContain('GroupMember.Read.All');
    sim.grantPermissions([...GRAPH_APPLICATION_PERMISSIONS]);

    const requests = sim.requests.total;
    const reader = t.helios
      .as({ type: 'apiKey', keyId: '00000000-0000-4000-8000-000000000001', scopes: ['users:read'] })
      .integrations.get('microsoft');
    await expect(reader.setAutoReply(id, { enabled: false })).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(reader.setMailForwarding(id, null)).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    const groupsKey = t.helios
      .as({
        type: 'apiKey',
        keyId: '00000000-0000-4000-8000-000000000002',
        scopes: ['groups:read'],
      })
      .integrations.get('microsoft');
    await expect(groupsKey.listUserGroups(id)).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    expect(sim.requests.total).toBe(requests);
    expect(await reader.listUserLicenses(id)).toEqual([]);
  });
});

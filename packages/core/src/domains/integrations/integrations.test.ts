import type { GoogleDirectorySimulator, GraphSimulator, TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateInitialPassword } from './initial-passwords';
import { closeBothClouds, startBothClouds } from './writeback.test-kit';

// One domain in both clouds: the same address exists in Google and in Microsoft 365.
const DOMAIN = 'both.test';
let t: TestHelios;
let google: GoogleDirectorySimulator;
let graph: GraphSimulator;

const ids = async () => (await t.asAdmin.integrations.connected()).map((cloud) => cloud.id);

beforeAll(async () => {
  [t, google, graph] = await startBothClouds(DOMAIN, 3);
}, 60_000);
afterAll(() => closeBothClouds(t, google, graph));

describe('helios.integrations', () => {
  it('lists no connected cloud before any credentials, then Google only, then both', async () => {
    expect(await ids()).toEqual([]);
    expect(
      t.asAdmin.integrations.all().map((cloud) => [cloud.id, cloud.displayName, cloud.moduleSlug]),
    ).toEqual([
      ['google', 'Google Workspace', 'google_workspace'],
      ['microsoft', 'Microsoft 365', 'microsoft_365'],
    ]);

    // Stored but never tested (and the module off): not connected yet.
    await t.asAdmin.googleWorkspace.configure({
      serviceAccountKey: google.serviceAccountKey,
      adminEmail: google.adminEmail,
      domain: DOMAIN,
    });
    expect(await ids()).toEqual([]);
    expect((await t.asAdmin.googleWorkspace.testConnection()).ok).toBe(true);
    expect(await ids()).toEqual(['google']);

    await t.asAdmin.microsoft365.configure({
      tenantId: graph.tenantId,
      clientId: graph.clientId,
      clientSecret: graph.clientSecret,
    });
    expect(await ids()).toEqual(['google']);
    // An enabled module counts as connected too.
    await t.asAdmin.organizations.modules.enable('microsoft_365');
    expect(await ids()).toEqual(['google', 'microsoft']);
    expect(t.asAdmin.integrations.get('microsoft').services.writeback).toBe(
      t.asAdmin.microsoftWriteback,
    );
  });

  it('writes back to every connected cloud through the contract, with one vocabulary', async () => {
    const address = `twin@${DOMAIN}`;
    const googleUser = await t.asAdmin.integrations
      .get('google')
      .createUser({ primaryEmail: address, givenName: 'Twin', familyName: 'Both' });
    const msUser = await t.asAdmin.integrations.get('microsoft').createUser({
      userPrincipalName: address,
      displayName: 'Twin Both',
      givenName: 'Twin',
      surname: 'Both',
    });
    const target = {
      google: (googleUser as { googleId: string }).googleId,
      microsoft: (msUser as { msId: string }).msId,
    };
    for (const cloud of await t.asAdmin.integrations.connected())
      await cloud.suspendUser(target[cloud.id]);
    expect(google.state.users.get(target.google)).toMatchObject({ suspended: true });
    expect((await t.asAdmin.microsoftDirectory.getUser(target.microsoft)).isAccountEnabled).toBe(
      false,
    );
    for (const cloud of await t.asAdmin.integrations.connected())
      await cloud.restoreUser(target[cloud.id]);
    expect(google.state.users.get(target.google)).toMatchObject({ suspended: false });
    expect((await t.asAdmin.microsoftDirectory.getUser(target.microsoft)).isAccountEnabled).toBe(
      true,
    );
  });

  it("reads an account live from each cloud (getUser): the cloud's state, not the stale mirror, which it refreshes", async () => {
    const address = `live@${DOMAIN}`;
    const googleId = (
      await t.asAdmin.googleWriteback.createUser({
        primaryEmail: address,
        givenName: 'Live',
        familyName: 'Read',
      })
    ).googleId;
    const msId = (
      await t.asAdmin.microsoftWriteback.createUser({
        userPrincipalName: address,
        displayName: 'Live Read',
      })
    ).msId;
    const target = { google: googleId, microsoft: msId };
    // Changed in the clouds behind Helios's back: the mirrors still say active.
    google.state.users.get(googleId)!.suspended = true;
    graph.state.users.get(msId)!.accountEnabled = false;
    expect((await t.asAdmin.googleDirectory.getUser(googleId)).isSuspended).toBe(false);
    expect((await t.asAdmin.microsoftDirectory.getUser(msId)).isAccountEnabled).toBe(true);

    const auditRows = async () =>
      (
        await t.helios.db
          .selectFrom('audit_logs')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n;
    const auditedBefore = await auditRows();
    for (const cloud of await t.asAdmin.integrations.connected()) {
      const account = await cloud.getUser(target[cloud.id]);
      expect(account).toMatchObject({
        id: target[cloud.id],
        email: address,
        blocked: true,
        localUserId: null,
      });
    }
    // The mirrors followed; nothing was audited for a read.
    expect((await t.asAdmin.googleDirectory.getUser(googleId)).isSuspended).toBe(true);
    expect((await t.asAdmin.microsoftDirectory.getUser(msId)).isAccountEnabled).toBe(false);
    expect(await auditRows()).toBe(auditedBefore);

    // An account the cloud does not have: null, in both clouds.
    expect(await t.asAdmin.integrations.get('google').getUser('109999999999999999999')).toBeNull();
    expect(
      await t.asAdmin.integrations.get('microsoft').getUser('00000000-0000-4000-8000-000000000000'),
    ).toBeNull();
    // Reading needs users:read.
    const groupsOnly = t.helios.as({
      type: 'apiKey',
      keyId: '00000000-0000-4000-8000-000000000001',
      scopes: ['groups:read'],
    });
    await expect(groupsOnly.integrations.get('google').getUser(googleId)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(groupsOnly.integrations.get('microsoft').getUser(msId)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
  });

  it('refuses what a cloud lacks with INTEGRATIONS.UNSUPPORTED and an unknown id with INTEGRATIONS.UNKNOWN', async () => {
    const cloud = t.asAdmin.integrations.get('google');
    expect(cloud.supports.has('deleteGroup')).toBe(false);
    await expect(cloud.deleteGroup('03x8tuzt1m4r0ap')).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'INTEGRATIONS.UNSUPPORTED',
      details: { integration: 'Google Workspace', operation: 'deleteGroup' },
    });
    await expect(t.asAdmin.integrations.get('microsoft').createGroup({})).rejects.toMatchObject({
      code: 'INTEGRATIONS.UNSUPPORTED',
    });
    expect(() => t.asAdmin.integrations.get('slack' as 'google')).toThrow(
      expect.objectContaining({ code: 'INTEGRATIONS.UNKNOWN' }),
    );
  });
});

describe('initial passwords keyed by provider', () => {
  it('never lets a Google reveal open a password Microsoft stored, nor the reverse', async () => {
    // Microsoft stores a reset password for an address: Google cannot open it, and it stays unrevealed.
    const msUser = await t.asAdmin.microsoftWriteback.createUser({
      userPrincipalName: `ms-only@${DOMAIN}`,
      displayName: 'Ms Only',
    });
    await expect(
      t.asAdmin.googleWriteback.revealInitialPassword(`ms-only@${DOMAIN}`),
    ).rejects.toMatchObject({
      code: 'GOOGLE_WRITEBACK.INITIAL_PASSWORD_NOT_FOUND',
    });
    const msPassword = await t.asAdmin.microsoftWriteback.revealInitialPassword(
      `ms-only@${DOMAIN}`,
    );
    expect(msPassword.password).toBe(graph.state.passwords.get(msUser.msId));

    // Google stores one: Microsoft cannot open it.
    const gwUser = await t.asAdmin.googleWriteback.createUser({
      primaryEmail: `gw-only@${DOMAIN}`,
      givenName: 'Gw',
      familyName: 'Only',
    });
    await expect(
      t.asAdmin.microsoftWriteback.revealInitialPassword(`gw-only@${DOMAIN}`),
    ).rejects.toMatchObject({
      code: 'MICROSOFT_WRITEBACK.INITIAL_PASSWORD_NOT_FOUND',
    });
    const gwPassword = await t.asAdmin.googleWriteback.revealInitialPassword(`gw-only@${DOMAIN}`);
    expect(gwPassword.password).toBe(google.state.passwords.get(gwUser.googleId));
  });

  it('generates strong passwords: 20 characters with every class', () => {
    const password = generateInitialPassword();
    expect(password).toHaveLength(20);
    for (const set of [/[A-Z]/, /[a-z]/, /[0-9]/, /[!#$%&*+\-=?@_]/]) expect(password).toMatch(set);
  });
});

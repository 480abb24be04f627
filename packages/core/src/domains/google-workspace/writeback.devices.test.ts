/**
 * The Google mobile wipe (`wipeMobileDevices`, Directory `mobiledevices`) through
 * `helios.integrations.get('google')`, over HTTP to the Google simulator: the account wipe on every
 * device of the user over every page, none twice, only the user's own devices, the scope named when
 * the delegation lacks it.
 */
import {
  GOOGLE_DIRECTORY_SCOPES,
  GOOGLE_WORKSPACE_EXTRA_SCOPES,
  type GoogleDirectorySimulator,
  type TestHelios,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryIntegration } from '../integrations/contract';
import { closeTestBed } from '../integrations/writeback.test-kit';
import { startGoogleIntegrationBed } from './integration.test-kit';

const DOMAIN = 'wipe.test';
const U = (i: number) => `user00000${i}@${DOMAIN}`;
let t: TestHelios;
let sim: GoogleDirectorySimulator;
let google: DirectoryIntegration;

const idOf = (email: string) =>
  [...sim.state.users.values()].find((u: any) => u.primaryEmail === email).id as string;
const actions = () => sim.writeCalls.filter((c) => c.route === 'mobiledevices.action').length;

beforeAll(async () => {
  ({ t, sim, google } = await startGoogleIntegrationBed(
    {
      domain: DOMAIN,
      seed: { users: 4, groups: 0, membersPerGroup: 0, orgUnits: 1 },
    },
    {
      retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20 },
    },
  ));
}, 60_000);
afterAll(() => closeTestBed(t, sim));

describe('Google wipeMobileDevices', () => {
  it("account-wipes every device of the user over every page, once, and only the user's", async () => {
    expect(google.supports.has('wipeMobileDevices')).toBe(true);
    const ws = sim.workspace;
    const mine = Array.from({ length: 101 }, (_, i) =>
      ws.addMobileDevice(U(1), i % 2 ? { type: 'IOS_SYNC' } : {}),
    );
    const wiped = ws.addMobileDevice(U(1), { status: 'ACCOUNT_WIPED' });
    const wiping = ws.addMobileDevice(U(1), { status: 'WIPING' });
    // Google's email: search also finds user000001.b@ (a prefix): not the user's, left alone.
    await t.asAdmin.google.writeback.createUser({
      primaryEmail: `user000001.b@${DOMAIN}`,
      givenName: 'B',
      familyName: 'Bee',
    });
    const notMine = ws.addMobileDevice(`user000001.b@${DOMAIN}`);
    const lists = sim.requests.byRoute['mobiledevices.list'] ?? 0;
    const first = await google.wipeMobileDevices(idOf(U(1)));
    expect(first.changed).toBe(true);
    expect([...(first.items ?? [])].sort()).toEqual([...mine].sort());
    expect((sim.requests.byRoute['mobiledevices.list'] ?? 0) - lists).toBe(2);
    const byId = new Map(ws.mobileDevices(U(1)).map((d) => [d.resourceId, d]));
    for (const id of mine)
      expect(byId.get(id)).toMatchObject({
        status: 'ACCOUNT_WIPING',
        actions: ['admin_account_wipe'],
      });
    expect(byId.get(wiped)).toMatchObject({ status: 'ACCOUNT_WIPED', actions: [] });
    expect(byId.get(wiping)).toMatchObject({ status: 'WIPING', actions: [] });
    expect(ws.mobileDevices(`user000001.b@${DOMAIN}`)).toEqual([
      expect.objectContaining({ resourceId: notMine, status: 'APPROVED', actions: [] }),
    ]);
    const n = actions();
    expect(await google.wipeMobileDevices(idOf(U(1)))).toEqual({ changed: false, items: [] });
    expect(actions()).toBe(n);
    const audit = await t.asAdmin.audit.list({ action: 'google_workspace.mobile_wipe', limit: 10 });
    expect(audit.items).toHaveLength(1);
    expect(await google.wipeMobileDevices(idOf(U(2)))).toEqual({ changed: false, items: [] });
  });

  it('names the scope missing from the delegation and wipes nothing', async () => {
    const phone = sim.workspace.addMobileDevice(U(3));
    const client = sim.serviceAccountKey.client_id;
    const all = [...GOOGLE_DIRECTORY_SCOPES, ...GOOGLE_WORKSPACE_EXTRA_SCOPES];
    sim.grantDelegation(
      client,
      all.filter((s) => !s.includes('device.mobile')),
    );
    try {
      const failed = google.wipeMobileDevices(idOf(U(3)));
      await expect(failed).rejects.toMatchObject({ code: 'GOOGLE.DELEGATION_NOT_GRANTED' });
      await expect(failed).rejects.toThrow(/admin\.directory\.device\.mobile\.action/);
    } finally {
      sim.grantDelegation(client, all);
    }
    expect(sim.workspace.mobileDevices(U(3))).toEqual([
      expect.objectContaining({ resourceId: phone, actions: [] }),
    ]);
    expect(await google.wipeMobileDevices(idOf(U(3)))).toEqual({ changed: true, items: [phone] });
  });
});

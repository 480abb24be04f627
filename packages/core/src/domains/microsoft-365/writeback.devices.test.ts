import {
  GRAPH_APPLICATION_PERMISSIONS,
  type GraphSimulator,
  type TestHelios,
} from '@helios/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryIntegration } from '../integrations/contract';
import { closeTestBed } from '../integrations/writeback.test-kit';
import { startMicrosoftIntegrationBed } from './integration.test-kit';

// The mobile wipe of Microsoft 365 (Intune retire) through the integrations contract, over HTTP to
// the Graph simulator: mobile devices only, every page, once; permissions named when missing.

const DOMAIN = 'wipe.test';
const upn = (i: number) => `user${String(i).padStart(6, '0')}@${DOMAIN}`;
let t: TestHelios;
let sim: GraphSimulator;
let cloud: DirectoryIntegration;

const idOf = (i: number) =>
  [...sim.state.users.values()].find((u) => u.userPrincipalName === upn(i))!.id as string;
const retires = () => sim.requests.byRoute['managedDevices.retire'] ?? 0;
const device = (id: string) => sim.state.managedDevices.get(id);

beforeAll(async () => {
  ({ t, sim, cloud } = await startMicrosoftIntegrationBed(
    { domain: DOMAIN, seed: { users: 6, groups: 0 } },
    {
      pageSize: 2,
      retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 50 },
    },
  ));
}, 60_000);
afterAll(() => closeTestBed(t, sim));
afterEach(() => {
  sim.setFaults(null);
  sim.grantPermissions([...GRAPH_APPLICATION_PERMISSIONS]);
});

describe(`Microsoft 365 wipeMobileDevices (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('retires every mobile device over every page, leaves computers alone, and retires nothing twice', async () => {
    expect(cloud.supports.has('wipeMobileDevices')).toBe(true);
    const id = idOf(1);
    const phones = [
      sim.addManagedDevice(id),
      sim.addManagedDevice(id, { operatingSystem: 'iOS' }),
      sim.addManagedDevice(id, { operatingSystem: 'iPadOS' }),
    ];
    const laptop = sim.addManagedDevice(id, { operatingSystem: 'Windows' });
    const other = sim.addManagedDevice(idOf(2));
    const before = sim.requests.byRoute['users.managedDevices'] ?? 0;
    const first = await cloud.wipeMobileDevices(id);
    expect(first).toEqual({ changed: true, items: [...phones].sort() });
    // Four devices, pages of two.
    expect((sim.requests.byRoute['users.managedDevices'] ?? 0) - before).toBe(2);
    for (const p of phones)
      expect(device(p)).toMatchObject({ managementState: 'retirePending', actions: ['retire'] });
    expect(device(laptop)).toMatchObject({ managementState: 'managed', actions: [] });
    expect(device(other)).toMatchObject({ actions: [] });
    const n = retires();
    expect(await cloud.wipeMobileDevices(id)).toEqual({ changed: false, items: [] });
    expect(retires()).toBe(n);
    const audit = await t.asAdmin.audit.list({ action: 'microsoft_365.mobile_wipe', limit: 10 });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]?.details).toMatchObject({ msId: id, retired: [...phones].sort() });
  });

  it('retires again a device whose retire failed, not one whose retire is pending', async () => {
    const id = idOf(3);
    const failed = sim.addManagedDevice(id, { managementState: 'retireFailed' });
    const pending = sim.addManagedDevice(id, {
      deviceActionResults: [{ actionName: 'retire', actionState: 'pending' }],
    });
    const wiping = sim.addManagedDevice(id, { managementState: 'wipePending' });
    expect(await cloud.wipeMobileDevices(id)).toEqual({ changed: true, items: [failed] });
    expect(device(pending).actions).toEqual([]);
    expect(device(wiping).actions).toEqual([]);
  });

  it('names the missing Intune permission, and refuses a caller without users:write before calling Graph', async () => {
    const id = idOf(4);
    const phone = sim.addManagedDevice(id);
    sim.grantPermissions(
      GRAPH_APPLICATION_PERMISSIONS.filter((p) => !p.endsWith('PrivilegedOperations.All')),
    );
    const error = await cloud.wipeMobileDevices(id).catch((e) => e);
    expect(error).toMatchObject({ code: 'MICROSOFT.PERMISSION_MISSING' });
    expect((error as Error).message).toContain(
      'DeviceManagementManagedDevices.PrivilegedOperations.All',
    );
    sim.grantPermissions(
      GRAPH_APPLICATION_PERMISSIONS.filter((p) => !p.startsWith('DeviceManagementManagedDevices.')),
    );
    const read = await cloud.wipeMobileDevices(id).catch((e) => e);
    expect(read).toMatchObject({ code: 'MICROSOFT.PERMISSION_MISSING' });
    expect((read as Error).message).toContain('DeviceManagementManagedDevices.Read.All');
    expect(device(phone).actions).toEqual([]);

    const readOnly = t.helios.as({
      type: 'apiKey',
      keyId: '00000000-0000-4000-8000-000000000002',
      scopes: ['users:read'],
    });
    const total = sim.requests.total;
    await expect(
      readOnly.integrations.get('microsoft').wipeMobileDevices(id),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    expect(sim.requests.total).toBe(total);
  });
});

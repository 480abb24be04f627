import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GRAPH_APPLICATION_PERMISSIONS, type GraphSimulator, startGraphSimulator } from './graph';
import { call, expectGraphError, followAll, token, UPN } from './graph.test-kit';

// The Graph simulator's Intune managed devices: a user's devices (paged), one device, and the
// retire and wipe actions with their permissions and the state they leave.

describe('Graph simulator: Intune managed devices', () => {
  let sim: GraphSimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGraphSimulator({ links: 'local', seed: { users: 4, groups: 0 } });
    tok = await token(sim);
  });
  afterAll(() => sim.close());
  afterEach(() => {
    sim.grantPermissions([...GRAPH_APPLICATION_PERMISSIONS]);
    sim.setFaults(null);
  });

  const idOf = (i: number) =>
    [...sim.state.users.values()].find((u) => u.userPrincipalName === UPN(i))!.id as string;

  it("pages a user's managed devices with $top and $select, and needs a device read permission", async () => {
    const mine = [
      sim.addManagedDevice(UPN(1)),
      sim.addManagedDevice(UPN(1), { operatingSystem: 'iOS' }),
      sim.addManagedDevice(idOf(1), { operatingSystem: 'Windows' }),
    ];
    sim.addManagedDevice(UPN(2));
    const path = `users/${idOf(1)}/managedDevices?$top=2`;
    const first = await call(sim, tok, 'GET', path);
    expect(first.status).toBe(200);
    expect(first.body.value).toHaveLength(2);
    expect(first.body.value[0]).toMatchObject({
      userId: idOf(1),
      managementState: 'managed',
      userPrincipalName: UPN(1),
      deviceActionResults: [],
    });
    expect(first.body.value[0].actions).toBeUndefined();
    const { items, pages } = await followAll(sim, tok, path);
    expect(pages).toBe(2);
    expect(items.map((d) => d.id)).toEqual([...mine].sort());
    const selected = await call(
      sim,
      tok,
      'GET',
      `users/${UPN(1)}/managedDevices?$select=id,operatingSystem,managementState`,
    );
    expect(Object.keys(selected.body.value[0]).sort()).toEqual([
      'id',
      'managementState',
      'operatingSystem',
    ]);
    expectGraphError(
      await call(sim, tok, 'GET', `users/${idOf(1)}/managedDevices?$select=nope`),
      400,
      'Request_BadRequest',
    );
    const one = await call(sim, tok, 'GET', `deviceManagement/managedDevices/${mine[1]}`);
    expect(one.body).toMatchObject({ id: mine[1], operatingSystem: 'iOS' });
    expectGraphError(
      await call(sim, tok, 'GET', `deviceManagement/managedDevices/${crypto.randomUUID()}`),
      404,
      'ResourceNotFound',
    );
    sim.grantPermissions(['User.Read.All']);
    expectGraphError(
      await call(sim, tok, 'GET', `users/${idOf(1)}/managedDevices`),
      403,
      'Authorization_RequestDenied',
    );
  });

  it('retires a device (retirePending, a pending action result) only with PrivilegedOperations.All', async () => {
    const device = sim.addManagedDevice(UPN(3));
    const retire = `deviceManagement/managedDevices/${device}/retire`;
    sim.grantPermissions(['DeviceManagementManagedDevices.ReadWrite.All']);
    expectGraphError(await call(sim, tok, 'POST', retire), 403, 'Authorization_RequestDenied');
    expect(sim.state.managedDevices.get(device).actions).toEqual([]);
    sim.grantPermissions(['DeviceManagementManagedDevices.PrivilegedOperations.All']);
    const done = await call(sim, tok, 'POST', retire);
    expect(done.status).toBe(204);
    expect(sim.requests.byRoute['managedDevices.retire']).toBe(2);
    expect(sim.state.managedDevices.get(device)).toMatchObject({
      managementState: 'retirePending',
      deviceActionResults: [{ actionName: 'retire', actionState: 'pending' }],
      actions: ['retire'],
    });
    expectGraphError(
      await call(sim, tok, 'GET', `deviceManagement/managedDevices/${device}/retire`),
      405,
      'Request_BadRequest',
    );
    // A full wipe (factory reset) is there too; Helios does not send it.
    const other = sim.addManagedDevice(UPN(3), { operatingSystem: 'iOS' });
    expectGraphError(
      await call(sim, tok, 'POST', `deviceManagement/managedDevices/${other}/wipe`, {
        keepUserData: 'yes',
      }),
      400,
      'BadRequest',
    );
    expect(
      (
        await call(sim, tok, 'POST', `deviceManagement/managedDevices/${other}/wipe`, {
          keepEnrollmentData: false,
          keepUserData: false,
        })
      ).status,
    ).toBe(204);
    expect(sim.state.managedDevices.get(other)).toMatchObject({
      managementState: 'wipePending',
      actions: ['wipe'],
    });
  });

  it('answers injected faults on these routes too', async () => {
    sim.setFaults({ rate: 1, kinds: ['503'] });
    expectGraphError(
      await call(sim, tok, 'GET', `users/${idOf(4)}/managedDevices`),
      503,
      'serviceNotAvailable',
    );
  });
});

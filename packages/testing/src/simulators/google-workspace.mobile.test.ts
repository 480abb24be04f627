/**
 * The Directory API mobile devices of the Google simulator, over real HTTP: the list with the
 * `email:` search field and paging, get, the actions and the status they set, scopes and faults.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GoogleDirectorySimulator, startGoogleDirectorySimulator } from './google-directory';
import { type ApiResult, apiAt, expectGoogleError, token } from './google-directory.test-kit';

const DOMAIN = 'mobile.test';
const A = (s: string) => `https://www.googleapis.com/auth/admin.directory.${s}`;
const U1 = `user000001@${DOMAIN}`;
const U2 = `user000002@${DOMAIN}`;
const BASE = 'admin/directory/v1/customer/my_customer/devices/mobile';
let sim: GoogleDirectorySimulator;

const call = (tok: string, method: string, path: string, body?: unknown): Promise<ApiResult> =>
  apiAt(sim, tok, method, path, body);
const as = (...scopes: string[]) =>
  token(sim, { sub: sim.adminEmail, scope: scopes.map(A).join(' ') });

beforeAll(async () => {
  sim = await startGoogleDirectorySimulator({
    domain: DOMAIN,
    seed: { users: 12, groups: 0, membersPerGroup: 0, orgUnits: 1 },
  });
});
afterAll(() => sim.close());

describe('Google simulator: mobile devices', () => {
  it('lists by email: (local part as a prefix, as Google matches), pages, and reads one device', async () => {
    const phone = sim.workspace.addMobileDevice(U1);
    const ipad = sim.workspace.addMobileDevice(U1, { type: 'IOS_SYNC', model: 'iPad13,1' });
    // user000001.b's address starts with user000001: the search finds it too, as Google's would.
    const admin = await as('user');
    const created = await call(admin, 'POST', 'admin/directory/v1/users', {
      primaryEmail: `user000001.b@${DOMAIN}`,
      name: { givenName: 'B', familyName: 'Bee' },
      password: 'a-long-password-1',
    });
    expect(created.status).toBe(200);
    const other = sim.workspace.addMobileDevice(`user000001.b@${DOMAIN}`);
    sim.workspace.addMobileDevice(U2);
    const tok = await as('device.mobile.readonly');
    const q = `?query=${encodeURIComponent(`email:${U1}`)}&maxResults=2`;
    const first = await call(tok, 'GET', `${BASE}${q}`);
    expect(first.status).toBe(200);
    expect(first.body.kind).toBe('admin#directory#mobiledevices');
    expect(first.body.mobiledevices).toHaveLength(2);
    expect(first.body.mobiledevices[0]).toMatchObject({
      kind: 'admin#directory#mobiledevice',
      status: 'APPROVED',
      email: [expect.stringMatching(/^user000001(\.b)?@/)],
    });
    expect(first.body.mobiledevices[0].firstSync).toBeUndefined(); // BASIC projection
    const second = await call(tok, 'GET', `${BASE}${q}&pageToken=${first.body.nextPageToken}`);
    expect(second.body.nextPageToken).toBeUndefined();
    const ids = [...first.body.mobiledevices, ...second.body.mobiledevices].map(
      (d: any) => d.resourceId,
    );
    expect(ids.sort()).toEqual([phone, ipad, other].sort());
    // A page token of another query is refused.
    expectGoogleError(
      await call(tok, 'GET', `${BASE}?query=email:${U2}&pageToken=${first.body.nextPageToken}`),
      400,
      'invalid',
    );
    const one = await call(tok, 'GET', `${BASE}/${ipad}?projection=FULL`);
    expect(one.body).toMatchObject({ resourceId: ipad, type: 'IOS_SYNC', model: 'iPad13,1' });
    expect(typeof one.body.firstSync).toBe('string');
    expectGoogleError(await call(tok, 'GET', `${BASE}/nope`), 404, 'notFound');
    expectGoogleError(
      await call(tok, 'GET', 'admin/directory/v1/customer/C0other/devices/mobile'),
      400,
      'badRequest',
    );
  });

  it('wipes the account off a device with admin_account_wipe, and needs an action scope', async () => {
    const U3 = `user000003@${DOMAIN}`;
    const phone = sim.workspace.addMobileDevice(U3);
    const readOnly = await as('device.mobile.readonly');
    expectGoogleError(
      await call(readOnly, 'POST', `${BASE}/${phone}/action`, { action: 'admin_account_wipe' }),
      403,
      'insufficientPermissions',
    );
    const tok = await as('device.mobile.action');
    expectGoogleError(
      await call(tok, 'POST', `${BASE}/${phone}/action`, { action: 'factory_reset' }),
      400,
      'invalid',
    );
    const writes = sim.writeCalls.length;
    const wiped = await call(tok, 'POST', `${BASE}/${phone}/action`, {
      action: 'admin_account_wipe',
    });
    expect(wiped.status).toBe(204);
    expect(sim.writeCalls.slice(writes)).toEqual([
      {
        route: 'mobiledevices.action',
        method: 'POST',
        path: `/${BASE}/${phone}/action`,
        subject: sim.adminEmail,
      },
    ]);
    expect(sim.workspace.mobileDevices(U3)).toEqual([
      {
        resourceId: phone,
        type: 'ANDROID',
        status: 'ACCOUNT_WIPING',
        actions: ['admin_account_wipe'],
      },
    ]);
    // The action scope reads too; the status shows in the list.
    const list = await call(tok, 'GET', `${BASE}?query=email:${U3}`);
    expect(list.body.mobiledevices.map((d: any) => d.status)).toEqual(['ACCOUNT_WIPING']);
    // A remote wipe and its cancellation.
    const other = sim.workspace.addMobileDevice(U3);
    await call(tok, 'POST', `${BASE}/${other}/action`, { action: 'admin_remote_wipe' });
    expect(sim.workspace.mobileDevices(U3)[1]?.status).toBe('WIPING');
    await call(tok, 'POST', `${BASE}/${other}/action`, {
      action: 'cancel_remote_wipe_then_block',
    });
    expect(sim.workspace.mobileDevices(U3)[1]?.status).toBe('BLOCKED');
  });

  it('answers injected faults and quota on these routes too', async () => {
    const tok = await as('device.mobile');
    sim.setFaults({ rate: 1, kinds: ['503'] });
    expect((await call(tok, 'GET', BASE)).status).toBe(503);
    sim.setFaults(null);
    sim.setQuota({ perMinute: 1 });
    expect((await call(tok, 'GET', BASE)).status).toBe(200);
    expectGoogleError(await call(tok, 'GET', BASE), 403, 'userRateLimitExceeded', 'usageLimits');
    sim.setQuota(null);
  });
});

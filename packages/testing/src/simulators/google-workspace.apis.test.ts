/**
 * The Workspace APIs of the Google simulator beyond the Directory, over real HTTP: Directory
 * security (tokens, asps, signOut), Licensing, Data Transfer, Drive, Gmail settings, Calendar ACL;
 * scopes, acting as the subject, and faults.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CALENDAR_APPLICATION_ID,
  DRIVE_APPLICATION_ID,
  type GoogleDirectorySimulator,
  startGoogleDirectorySimulator,
} from './google-directory';
import { type ApiResult, apiAt, expectGoogleError, token } from './google-directory.test-kit';

const DOMAIN = 'ws.test';
const A = (s: string) => `https://www.googleapis.com/auth/${s}`;
const U1 = `user000001@${DOMAIN}`;
const U2 = `user000002@${DOMAIN}`;
const SKU = 'Google-Apps/1010020027';
let sim: GoogleDirectorySimulator;

const call = (tok: string, method: string, path: string, body?: unknown): Promise<ApiResult> =>
  apiAt(sim, tok, method, path, body);
const as = (sub: string, ...scopes: string[]) => token(sim, { sub, scope: scopes.join(' ') });

beforeAll(async () => {
  sim = await startGoogleDirectorySimulator({
    domain: DOMAIN,
    seed: { users: 4, groups: 1, membersPerGroup: 2, orgUnits: 1 },
    licenses: { [SKU]: 2 },
  });
});
afterAll(() => sim.close());

describe('Directory security', () => {
  it('lists and deletes tokens and asps, signs out, and needs the security scope', async () => {
    sim.workspace.addToken(U1, { clientId: 'app-1.apps.googleusercontent.com' });
    const code = sim.workspace.addAppPassword(U1, 'Thunderbird');
    const tok = await as(sim.adminEmail, A('admin.directory.user.security'));
    const list = await call(tok, 'GET', `admin/directory/v1/users/${U1}/tokens`);
    expect(list.status).toBe(200);
    expect(list.body.kind).toBe('admin#directory#tokenList');
    expect(list.body.items.map((t: any) => t.clientId)).toEqual([
      'app-1.apps.googleusercontent.com',
    ]);
    const del = await call(
      tok,
      'DELETE',
      `admin/directory/v1/users/${U1}/tokens/app-1.apps.googleusercontent.com`,
    );
    expect(del.status).toBe(204);
    expect(sim.workspace.tokens(U1)).toEqual([]);
    expectGoogleError(
      await call(
        tok,
        'DELETE',
        `admin/directory/v1/users/${U1}/tokens/app-1.apps.googleusercontent.com`,
      ),
      404,
      'notFound',
    );
    const asps = await call(tok, 'GET', `admin/directory/v1/users/${U1}/asps`);
    expect(asps.body.items[0]).toMatchObject({
      kind: 'admin#directory#asp',
      codeId: code,
      name: 'Thunderbird',
    });
    expect((await call(tok, 'DELETE', `admin/directory/v1/users/${U1}/asps/${code}`)).status).toBe(
      204,
    );
    expect(sim.workspace.appPasswords(U1)).toEqual([]);
    expect((await call(tok, 'POST', `admin/directory/v1/users/${U1}/signOut`)).status).toBe(204);
    expect(sim.workspace.signOuts(U1)).toBe(1);
    expect(sim.writeCalls.filter((c) => c.route === 'users.signOut')).toEqual([
      {
        route: 'users.signOut',
        method: 'POST',
        path: `/admin/directory/v1/users/${U1}/signOut`,
        subject: sim.adminEmail,
      },
    ]);
    const userTok = await as(sim.adminEmail, A('admin.directory.user'));
    expectGoogleError(
      await call(userTok, 'GET', `admin/directory/v1/users/${U1}/tokens`),
      403,
      'insufficientPermissions',
    );
    // A plain user cannot act as an admin.
    const plain = await as(U2, A('admin.directory.user.security'));
    expectGoogleError(
      await call(plain, 'GET', `admin/directory/v1/users/${U1}/tokens`),
      403,
      'forbidden',
    );
  });
});

describe('Licensing', () => {
  it('assigns up to the seats, refuses over them, lists, gets, moves and deletes', async () => {
    const tok = await as(sim.adminEmail, A('apps.licensing'));
    const base = `apps/licensing/v1/product/Google-Apps/sku/1010020027/user`;
    const first = await call(tok, 'POST', base, { userId: U1 });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      kind: 'licensing#licenseAssignment',
      userId: U1,
      skuId: '1010020027',
    });
    expectGoogleError(await call(tok, 'POST', base, { userId: U1 }), 409, 'duplicate');
    expect((await call(tok, 'POST', base, { userId: U2 })).status).toBe(200);
    const over = await call(tok, 'POST', base, { userId: `user000003@${DOMAIN}` });
    expectGoogleError(over, 412, 'conditionNotMet');
    expect(over.body.error.message).toMatch(/Not enough licenses/);
    const list = await call(
      tok,
      'GET',
      `${base}?customerId=my_customer`.replace('my_customer', 'C0sim01'),
    );
    expect(list.body.items.map((i: any) => i.userId).sort()).toEqual([U1, U2]);
    expect((await call(tok, 'GET', `${base}/${U1}`)).status).toBe(200);
    expect((await call(tok, 'DELETE', `${base}/${U1}`)).status).toBe(204);
    expectGoogleError(await call(tok, 'GET', `${base}/${U1}`), 404, 'notFound');
    expect(sim.workspace.licenses(U1)).toEqual([]);
    expectGoogleError(
      await call(await as(sim.adminEmail, A('admin.directory.user')), 'GET', `${base}/${U2}`),
      403,
      'insufficientPermissions',
    );
  });
});

describe('Data Transfer and Drive', () => {
  it('lists applications, moves Drive ownership, reports inProgress then completed', async () => {
    const f1 = sim.workspace.addDriveFile(U1, 'Plan');
    sim.workspace.addDriveFile(U1, 'Old', { trashed: true });
    const userDrive = await as(U1, A('drive'));
    const files = await call(
      userDrive,
      'GET',
      `drive/v3/files?q=${encodeURIComponent(`'${U1}' in owners and trashed = false`)}&fields=files(id,owners)`,
    );
    expect(files.body.files.map((f: any) => f.id)).toEqual([f1]);
    expect(files.body.files[0].owners[0].emailAddress).toBe(U1);
    const tok = await as(sim.adminEmail, A('admin.datatransfer'));
    const apps = await call(tok, 'GET', 'admin/datatransfer/v1/applications');
    expect(apps.body.applications.map((a: any) => a.id)).toEqual([
      DRIVE_APPLICATION_ID,
      CALENDAR_APPLICATION_ID,
    ]);
    const ids = (await call(tok, 'GET', `admin/directory/v1/users/${U1}`)).body;
    expect(ids.error.code).toBe(403); // the token has no Directory scope
    const from = [...sim.state.users.values()].find((u: any) => u.primaryEmail === U1).id;
    const to = [...sim.state.users.values()].find((u: any) => u.primaryEmail === U2).id;
    const created = await call(tok, 'POST', 'admin/datatransfer/v1/transfers', {
      oldOwnerUserId: from,
      newOwnerUserId: to,
      applicationDataTransfers: [{ applicationId: DRIVE_APPLICATION_ID }],
    });
    expect(created.body).toMatchObject({
      kind: 'admin#datatransfer#DataTransfer',
      overallTransferStatusCode: 'inProgress',
    });
    const got = await call(tok, 'GET', `admin/datatransfer/v1/transfers/${created.body.id}`);
    expect(got.body.overallTransferStatusCode).toBe('completed');
    expect(sim.workspace.driveFilesOwnedBy(U1)).toEqual([]);
    expect(sim.workspace.driveFilesOwnedBy(U2)).toContain(f1);
  });

  it('manages shared drive permissions as a domain admin, with supportsAllDrives', async () => {
    const drive = sim.workspace.addSharedDrive('Team', [{ email: U1, role: 'organizer' }]);
    const tok = await as(sim.adminEmail, A('drive'));
    const drives = await call(tok, 'GET', 'drive/v3/drives?useDomainAdminAccess=true');
    expect(drives.body.drives.map((d: any) => d.id)).toContain(drive);
    expectGoogleError(
      await call(tok, 'GET', `drive/v3/files/${drive}/permissions`),
      404,
      'notFound',
    );
    const q = '?supportsAllDrives=true&useDomainAdminAccess=true';
    const created = await call(tok, 'POST', `drive/v3/files/${drive}/permissions${q}`, {
      type: 'user',
      role: 'writer',
      emailAddress: U2,
    });
    expect(created.body).toMatchObject({ kind: 'drive#permission', role: 'writer', type: 'user' });
    const list = await call(
      tok,
      'GET',
      `drive/v3/files/${drive}/permissions${q}&fields=permissions(id,emailAddress,role)`,
    );
    expect(list.body.permissions.map((p: any) => p.emailAddress).sort()).toEqual([U1, U2]);
    expect(
      (await call(tok, 'DELETE', `drive/v3/files/${drive}/permissions/${created.body.id}${q}`))
        .status,
    ).toBe(204);
    expect(sim.workspace.sharedDriveMembers(drive)).toEqual([{ email: U1, role: 'organizer' }]);
    // The organizer sees the drive without admin access; another user does not.
    const u1 = await as(U1, A('drive'));
    expect((await call(u1, 'GET', 'drive/v3/drives')).body.drives.map((d: any) => d.id)).toEqual([
      drive,
    ]);
    expectGoogleError(
      await call(await as(U2, A('drive')), 'GET', 'drive/v3/drives?useDomainAdminAccess=true'),
      403,
      'forbidden',
    );
  });

  it("gives the subject's permission id (about.get), the id of their permission on a shared drive", async () => {
    const drive = sim.workspace.addSharedDrive('About', [{ email: U2, role: 'reader' }]);
    const u2 = await as(U2, A('drive'));
    expectGoogleError(await call(u2, 'GET', 'drive/v3/about'), 400, 'required');
    const about = await call(u2, 'GET', 'drive/v3/about?fields=user/permissionId');
    expect(Object.keys(about.body.user)).toEqual(['permissionId']);
    const whole = await call(u2, 'GET', 'drive/v3/about?fields=user');
    expect(whole.body.user).toMatchObject({ emailAddress: U2, me: true });
    expect(whole.body.user.permissionId).toBe(about.body.user.permissionId);
    const admin = await as(sim.adminEmail, A('drive'));
    const q = '?supportsAllDrives=true&useDomainAdminAccess=true';
    const list = await call(admin, 'GET', `drive/v3/files/${drive}/permissions${q}&fields=*`);
    expect(list.body.permissions.map((p: any) => p.id)).toEqual([about.body.user.permissionId]);
    const other = await call(await as(U1, A('drive')), 'GET', 'drive/v3/about?fields=user');
    expect(other.body.user.permissionId).not.toBe(about.body.user.permissionId);
    const del = `drive/v3/files/${drive}/permissions/${about.body.user.permissionId}${q}`;
    expect((await call(admin, 'DELETE', del)).status).toBe(204);
    expectGoogleError(await call(admin, 'DELETE', del), 404, 'notFound');
  });
});

describe('Gmail settings and Calendar ACL', () => {
  it('forwards only to an accepted address, sets the vacation responder, acts only as the owner', async () => {
    const tok = await as(U1, A('gmail.settings.sharing'), A('gmail.settings.basic'));
    const outside = await call(tok, 'POST', 'gmail/v1/users/me/settings/forwardingAddresses', {
      forwardingEmail: 'ext@elsewhere.test',
    });
    expect(outside.body.verificationStatus).toBe('pending');
    const enable = (emailAddress: string) =>
      call(tok, 'PUT', 'gmail/v1/users/me/settings/autoForwarding', {
        enabled: true,
        emailAddress,
        disposition: 'leaveInInbox',
      });
    expectGoogleError(await enable('ext@elsewhere.test'), 400, 'failedPrecondition');
    const inside = await call(tok, 'POST', `gmail/v1/users/${U1}/settings/forwardingAddresses`, {
      forwardingEmail: U2,
    });
    expect(inside.body.verificationStatus).toBe('accepted');
    expect((await enable(U2)).body).toEqual({
      enabled: true,
      emailAddress: U2,
      disposition: 'leaveInInbox',
    });
    const vacation = await call(tok, 'PUT', 'gmail/v1/users/me/settings/vacation', {
      enableAutoReply: true,
      responseSubject: 'Away',
      responseBodyPlainText: 'Gone',
    });
    expect(vacation.body).toMatchObject({ enableAutoReply: true, responseSubject: 'Away' });
    expect(sim.workspace.gmail(U1).autoForwarding.emailAddress).toBe(U2);
    const sendAs = await call(tok, 'GET', 'gmail/v1/users/me/settings/sendAs');
    expect(sendAs.body.sendAs[0]).toMatchObject({ sendAsEmail: U1, isPrimary: true });
    const patched = await call(tok, 'PATCH', `gmail/v1/users/me/settings/sendAs/${U1}`, {
      signature: '<b>Ann</b>',
    });
    expect(patched.body.signature).toBe('<b>Ann</b>');
    expectGoogleError(
      await call(tok, 'GET', `gmail/v1/users/${U2}/settings/vacation`),
      403,
      'forbidden',
    );
    const basicOnly = await as(U1, A('gmail.settings.basic'));
    expectGoogleError(
      await call(basicOnly, 'POST', 'gmail/v1/users/me/settings/forwardingAddresses', {
        forwardingEmail: U2,
      }),
      403,
      'insufficientPermissions',
    );
  });

  it('shares a calendar as its owner and faults reach these routes too', async () => {
    const cal = sim.workspace.addCalendar(U1, 'Team');
    const tok = await as(U1, A('calendar'));
    const inserted = await call(
      tok,
      'POST',
      `calendar/v3/calendars/${encodeURIComponent(cal)}/acl`,
      { role: 'reader', scope: { type: 'user', value: U2 } },
    );
    expect(inserted.body).toMatchObject({
      kind: 'calendar#aclRule',
      id: `user:${U2}`,
      role: 'reader',
    });
    const list = await call(tok, 'GET', `calendar/v3/calendars/${encodeURIComponent(cal)}/acl`);
    expect(list.body.items.map((r: any) => r.id).sort()).toEqual([`user:${U1}`, `user:${U2}`]);
    expectGoogleError(
      await call(
        await as(U2, A('calendar')),
        'GET',
        `calendar/v3/calendars/${encodeURIComponent(cal)}/acl`,
      ),
      404,
      'notFound',
    );
    expect(
      (await call(tok, 'DELETE', `calendar/v3/calendars/${encodeURIComponent(cal)}/acl/user:${U2}`))
        .status,
    ).toBe(204);
    expect(sim.workspace.calendarAcl(cal)).toEqual([{ id: `user:${U1}`, role: 'owner' }]);
    sim.setFaults({ rate: 1, kinds: ['503'] });
    expectGoogleError(
      await call(tok, 'GET', `calendar/v3/calendars/primary/acl`),
      503,
      'backendError',
    );
    sim.setFaults(null);
    expect((await call(tok, 'GET', 'calendar/v3/calendars/primary/acl')).status).toBe(200);
    expect(sim.requests.byRoute['calendar.acl.list']).toBe(4);
    expect(sim.requests.byRoute['calendar.acl.insert']).toBe(1);
  });
});

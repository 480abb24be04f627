import { describe, expect, it } from 'vitest';
import { call, expectGraphError, followAll, UPN, useGraphSimulator } from './graph.test-kit';

// The Graph simulator's OneDrive: a user's drive, its root's children (paged) and permissions,
// sharing invitations, deletion to the recycle bin and for good, with their permissions.

const g = useGraphSimulator(4);
const { idOf } = g;

describe('Graph simulator: OneDrive', () => {
  it("pages a user's root children with $top and deletes them to the recycle bin or for good", async () => {
    const ids = [
      g.sim.addDriveItem(UPN(1), { name: 'a.docx' }),
      g.sim.addDriveItem(UPN(1), { name: 'b.xlsx' }),
      g.sim.addDriveItem(UPN(1), { name: 'Projects', folder: true }),
    ];
    const drive = await call(g.sim, g.tok, 'GET', `users/${idOf(1)}/drive`);
    expect(drive.status).toBe(200);
    expect(drive.body).toMatchObject({ driveType: 'business', owner: { user: { id: idOf(1) } } });
    const path = `users/${idOf(1)}/drive/root/children?$top=2`;
    const { items, pages } = await followAll(g.sim, g.tok, path);
    expect(pages).toBe(2);
    expect(items.map((i) => i.id)).toEqual([...ids].sort());
    expect(items.find((i) => i.name === 'Projects')?.folder).toEqual({ childCount: 0 });

    expect(
      (await call(g.sim, g.tok, 'DELETE', `users/${idOf(1)}/drive/items/${ids[0]}`)).status,
    ).toBe(204);
    expect(
      (await call(g.sim, g.tok, 'POST', `users/${UPN(1)}/drive/items/${ids[1]}/permanentDelete`))
        .status,
    ).toBe(204);
    expectGraphError(
      await call(g.sim, g.tok, 'POST', `users/${UPN(1)}/drive/items/${ids[1]}/permanentDelete`),
      404,
      'itemNotFound',
    );
    expect(g.sim.drive(UPN(1))).toMatchObject({ items: [{ id: ids[2] }], recycled: [ids[0]] });
  });

  it('grants write access with an invitation, once per recipient, and lists it in the permissions', async () => {
    const body = {
      requireSignIn: true,
      sendInvitation: false,
      roles: ['write'],
      recipients: [{ objectId: idOf(3) }],
    };
    const granted = await call(g.sim, g.tok, 'POST', `users/${idOf(2)}/drive/root/invite`, body);
    expect(granted.status).toBe(200);
    expect(granted.body.value).toEqual([
      expect.objectContaining({
        roles: ['write'],
        grantedToV2: { user: expect.objectContaining({ id: idOf(3) }) },
      }),
    ]);
    await call(g.sim, g.tok, 'POST', `users/${idOf(2)}/drive/root/invite`, body);
    const perms = await call(g.sim, g.tok, 'GET', `users/${idOf(2)}/drive/root/permissions`);
    expect(perms.status).toBe(200);
    expect(perms.body.value.map((p: any) => [p.grantedToV2.user.id, p.roles])).toEqual(
      expect.arrayContaining([
        [idOf(2), ['owner']],
        [idOf(3), ['write']],
      ]),
    );
    expect(perms.body.value).toHaveLength(2);
    expectGraphError(
      await call(g.sim, g.tok, 'POST', `users/${idOf(2)}/drive/root/invite`, {
        ...body,
        roles: ['own'],
      }),
      400,
      'invalidRequest',
    );
    expectGraphError(
      await call(g.sim, g.tok, 'POST', `users/${idOf(2)}/drive/root/invite`, {
        ...body,
        recipients: [{ objectId: 'nobody' }],
      }),
      400,
      'invalidRequest',
    );
  });

  it('answers 404 for a user without a OneDrive and 403 without a Files permission', async () => {
    g.sim.removeDrive(UPN(4));
    expectGraphError(
      await call(g.sim, g.tok, 'GET', `users/${UPN(4)}/drive/root/children`),
      404,
      'ResourceNotFound',
      "User's mysite not found.",
    );
    expect(g.sim.drive(UPN(4))).toBeNull();
    g.sim.grantPermissions(['User.Read.All', 'Files.Read.All']);
    expect((await call(g.sim, g.tok, 'GET', `users/${UPN(1)}/drive/root/permissions`)).status).toBe(
      200,
    );
    expectGraphError(
      await call(g.sim, g.tok, 'POST', `users/${UPN(1)}/drive/root/invite`, {
        roles: ['write'],
        recipients: [{ objectId: idOf(2) }],
      }),
      403,
      'Authorization_RequestDenied',
    );
    g.sim.grantPermissions(['User.Read.All']);
    expectGraphError(
      await call(g.sim, g.tok, 'GET', `users/${UPN(1)}/drive/root/children`),
      403,
      'Authorization_RequestDenied',
    );
  });
});

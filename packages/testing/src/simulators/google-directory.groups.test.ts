import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GoogleDirectorySimulator, startGoogleDirectorySimulator } from './google-directory';
import { api, expectGoogleError, listAll, token } from './google-directory.test-kit';

// The Google Directory simulator's groups, members and org units.

describe('Google Directory simulator: groups, members and org units', () => {
  let sim: GoogleDirectorySimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGoogleDirectorySimulator({ seed: { users: 600, groups: 450, membersPerGroup: 250, orgUnits: 12 } });
    tok = await token(sim);
  });
  afterAll(() => sim.close());

  it('pages groups by 200 and members by 200', async () => {
    const { items, pages } = await listAll(sim, tok, 'groups?customer=my_customer', 'groups');
    expect(pages).toBe(3);
    expect(items).toHaveLength(450);
    expect(new Set(items.map((g) => g.email)).size).toBe(450);
    expect(items[0]).toMatchObject({ kind: 'admin#directory#group', email: 'group0001@example.test', directMembersCount: '250', adminCreated: true });
    expect(items[4].aliases).toEqual(['list0005@example.test']);
    expectGoogleError(await api(sim, tok, 'GET', 'groups?customer=my_customer&maxResults=201'), 400, 'invalid');

    const members = await listAll(sim, tok, `groups/${items[9].id}/members?maxResults=200`, 'members');
    expect(members.pages).toBe(2);
    expect(members.items).toHaveLength(250);
    expect(new Set(members.items.map((m) => m.id)).size).toBe(250);
    expect(members.items[0]).toMatchObject({
      kind: 'admin#directory#member',
      role: expect.stringMatching(/^(OWNER|MANAGER|MEMBER)$/),
      type: expect.any(String),
    });
    // Group 10 nests group 9; suspended users show as SUSPENDED.
    expect(members.items.find((m) => m.type === 'GROUP')).toMatchObject({ email: 'group0009@example.test', id: items[8].id });
    expect(members.items.some((m) => m.status === 'SUSPENDED')).toBe(true);
    const owners = await api(sim, tok, 'GET', `groups/${items[9].id}/members?roles=OWNER`);
    expect(owners.body.members).toHaveLength(1);
    expectGoogleError(await api(sim, tok, 'GET', `groups/${items[9].id}/members?maxResults=201`), 400, 'invalid');
  });

  it('inserts, gets, updates and deletes groups and members', async () => {
    const created = await api(sim, tok, 'POST', 'groups', { email: 'team@example.test', name: 'Team', description: 'The team' });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      kind: 'admin#directory#group',
      email: 'team@example.test',
      name: 'Team',
      directMembersCount: '0',
      adminCreated: true,
    });
    const gid = created.body.id;
    expectGoogleError(await api(sim, tok, 'POST', 'groups', { email: 'team@example.test' }), 409, 'duplicate');
    expectGoogleError(await api(sim, tok, 'POST', 'groups', { email: 'user000001@example.test' }), 409, 'duplicate');

    const added = await api(sim, tok, 'POST', `groups/${gid}/members`, { email: 'user000005@example.test', role: 'OWNER' });
    expect(added.body).toMatchObject({ kind: 'admin#directory#member', email: 'user000005@example.test', role: 'OWNER', type: 'USER', status: 'ACTIVE' });
    expectGoogleError(await api(sim, tok, 'POST', `groups/${gid}/members`, { email: 'USER000005@example.test' }), 409, 'duplicate');
    expectGoogleError(await api(sim, tok, 'POST', `groups/${gid}/members`, { email: 'ghost@example.test' }), 404, 'notFound');
    expectGoogleError(await api(sim, tok, 'POST', `groups/${gid}/members`, { email: 'user000006@example.test', role: 'BOSS' }), 400, 'invalid');
    expect((await api(sim, tok, 'POST', `groups/${gid}/members`, { email: 'partner@outside.test' })).body).toMatchObject({ type: 'USER', role: 'MEMBER' });
    expect((await api(sim, tok, 'POST', `groups/${gid}/members`, { email: 'group0002@example.test' })).body.type).toBe('GROUP');

    expect((await api(sim, tok, 'GET', `groups/team@example.test`)).body.directMembersCount).toBe('3');
    expect((await api(sim, tok, 'GET', `groups/${gid}/members/user000005@example.test`)).body.role).toBe('OWNER');
    expect((await api(sim, tok, 'PATCH', `groups/${gid}/members/${added.body.id}`, { role: 'MANAGER' })).body.role).toBe('MANAGER');
    expect((await api(sim, tok, 'GET', `groups/${gid}/hasMember/user000005@example.test`)).body).toEqual({ isMember: true });
    const mine = await api(sim, tok, 'GET', 'groups?userKey=user000005@example.test');
    expect(mine.body.groups.map((g: any) => g.email)).toContain('team@example.test');

    expect((await api(sim, tok, 'DELETE', `groups/${gid}/members/user000005@example.test`)).status).toBe(204);
    expectGoogleError(await api(sim, tok, 'GET', `groups/${gid}/members/user000005@example.test`), 404, 'notFound');
    expect((await api(sim, tok, 'GET', `groups/${gid}/hasMember/user000005@example.test`)).body).toEqual({ isMember: false });

    const updated = await api(sim, tok, 'PUT', `groups/${gid}`, { name: 'Team 2', email: 'team2@example.test' });
    expect(updated.body).toMatchObject({ name: 'Team 2', email: 'team2@example.test', aliases: ['team@example.test'] });
    expect((await api(sim, tok, 'DELETE', `groups/${gid}`)).status).toBe(204);
    expectGoogleError(await api(sim, tok, 'GET', `groups/${gid}`), 404, 'notFound');
  });

  it('removes a deleted user from its groups', async () => {
    const g1 = await api(sim, tok, 'GET', 'groups/group0001@example.test');
    expect((await api(sim, tok, 'GET', 'groups/group0001@example.test/hasMember/user000003@example.test')).body.isMember).toBe(true);
    expect((await api(sim, tok, 'DELETE', 'users/user000003@example.test')).status).toBe(204);
    expect((await api(sim, tok, 'GET', 'groups/group0001@example.test/hasMember/user000003@example.test')).body.isMember).toBe(false);
    expect((await api(sim, tok, 'GET', 'groups/group0001@example.test')).body.directMembersCount).toBe(String(Number(g1.body.directMembersCount) - 1));
  });

  it('lists, gets, inserts, moves and deletes org units', async () => {
    const children = await api(sim, tok, 'GET', 'customer/my_customer/orgunits');
    expect(children.body.kind).toBe('admin#directory#orgUnits');
    expect(children.body.organizationUnits.map((u: any) => u.orgUnitPath)).toHaveLength(8);
    const all = await api(sim, tok, 'GET', 'customer/my_customer/orgunits?type=all');
    expect(all.body.organizationUnits).toHaveLength(12);
    const eng = await api(sim, tok, 'GET', 'customer/my_customer/orgunits/Engineering');
    expect(eng.body).toMatchObject({ kind: 'admin#directory#orgUnit', name: 'Engineering', orgUnitPath: '/Engineering', parentOrgUnitPath: '/' });
    expect(eng.body.orgUnitId).toMatch(/^id:/);
    expect((await api(sim, tok, 'GET', `customer/C0sim01/orgunits/${eng.body.orgUnitId}`)).body.orgUnitPath).toBe('/Engineering');
    const sub = await api(sim, tok, 'GET', 'customer/my_customer/orgunits?orgUnitPath=/Engineering&type=children');
    expect(sub.body.organizationUnits.map((u: any) => u.orgUnitPath)).toEqual(['/Engineering/Team 01']);

    const created = await api(sim, tok, 'POST', 'customer/my_customer/orgunits', { name: 'Platform', parentOrgUnitPath: '/Engineering' });
    expect(created.body).toMatchObject({ orgUnitPath: '/Engineering/Platform', parentOrgUnitId: eng.body.orgUnitId });
    expect((await api(sim, tok, 'POST', 'customer/my_customer/orgunits', { name: 'Platform', parentOrgUnitPath: '/Engineering' })).status).toBe(409);
    expect((await api(sim, tok, 'POST', 'customer/my_customer/orgunits', { name: 'X', parentOrgUnitPath: '/Nope' })).status).toBe(400);

    const moved = await api(sim, tok, 'PATCH', 'customer/my_customer/orgunits/Engineering/Platform', { name: 'Infra', parentOrgUnitPath: '/Sales' });
    expect(moved.body).toMatchObject({ orgUnitPath: '/Sales/Infra', orgUnitId: created.body.orgUnitId });
    expect(sim.state.orgUnits.has('/Sales/Infra')).toBe(true);
    const user = await api(sim, tok, 'PATCH', 'users/user000002@example.test', { orgUnitPath: '/Sales/Infra' });
    expect(user.body.orgUnitPath).toBe('/Sales/Infra');
    const busy = await api(sim, tok, 'DELETE', 'customer/my_customer/orgunits/Sales/Infra');
    expect(busy.status).toBe(400);
    await api(sim, tok, 'PATCH', 'users/user000002@example.test', { orgUnitPath: '/' });
    expect((await api(sim, tok, 'DELETE', 'customer/my_customer/orgunits/Sales/Infra')).status).toBe(204);
    expectGoogleError(await api(sim, tok, 'GET', 'customer/my_customer/orgunits/Sales/Infra'), 404, 'notFound');
    expect((await api(sim, tok, 'DELETE', 'customer/my_customer/orgunits/Engineering')).status).toBe(400);
  });
});

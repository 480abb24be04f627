import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GraphSimulator, startGraphSimulator } from './graph';
import { call, expectGraphError, followAll, token, UPN } from './graph.test-kit';

// The Graph simulator's delta queries, and a delta round at scale.

describe('Graph simulator: delta queries', () => {
  let sim: GraphSimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGraphSimulator({ links: 'local', seed: { users: 25, groups: 10, membersPerGroup: 3 } });
    tok = await token(sim);
  });
  afterAll(() => sim.close());

  it('runs a users/delta round, then answers only the users changed since', async () => {
    const prefer = { prefer: 'odata.maxpagesize=10' };
    const round = await followAll(sim, tok, 'users/delta?$select=id,displayName,jobTitle', prefer);
    expect(round.pages).toBe(3);
    expect(round.items).toHaveLength(26);
    expect(new Set(round.items.map((u) => u.id)).size).toBe(26);
    const deltaLink = round.last['@odata.deltaLink'];
    expect(deltaLink).toMatch(new RegExp(`^${sim.url}/v1\\.0/users/delta\\?\\$deltatoken=`));
    expect(round.last['@odata.nextLink']).toBeUndefined();

    // Nothing changed yet.
    const empty = await call(sim, tok, 'GET', deltaLink);
    expect(empty.body.value).toEqual([]);
    expect(empty.body['@odata.deltaLink']).toBeDefined();

    const touched = (await call(sim, tok, 'GET', `users/${UPN(2)}`)).body.id;
    const removed = (await call(sim, tok, 'GET', `users/${UPN(3)}`)).body.id;
    sim.touchUser(UPN(2), { jobTitle: 'Chief Sim Officer' });
    sim.touchUser(touched, { displayName: 'Renamed' });
    sim.deleteUser(UPN(3));
    const created = await call(sim, tok, 'POST', 'users', {
      accountEnabled: true,
      displayName: 'Delta Newcomer',
      mailNickname: 'newcomer',
      userPrincipalName: 'newcomer@example.test',
      passwordProfile: { password: 'Val1d!Password' },
    });
    await call(sim, tok, 'PATCH', `users/${UPN(4)}`, { department: 'Legal' });
    const changes = await followAll(sim, tok, deltaLink);
    const byId = new Map(changes.items.map((u) => [u.id, u]));
    expect(changes.items).toHaveLength(4);
    expect(byId.get(touched)).toMatchObject({ jobTitle: 'Chief Sim Officer', displayName: 'Renamed' });
    expect(byId.get(removed)).toEqual({ id: removed, '@removed': { reason: 'changed' } });
    expect(byId.get(created.body.id)).toMatchObject({ displayName: 'Delta Newcomer' });
    expect(Object.keys(byId.get(created.body.id)!).sort()).toEqual(['displayName', 'id', 'jobTitle']);

    // The new delta link answers nothing until the next change.
    const after = await call(sim, tok, 'GET', changes.last['@odata.deltaLink']);
    expect(after.body.value).toEqual([]);
    sim.touchUser(UPN(5), { officeLocation: 'Moon' });
    const again = await call(sim, tok, 'GET', after.body['@odata.deltaLink']);
    expect(again.body.value).toHaveLength(1);
  });

  it('pages an incremental round by the page size', async () => {
    const latest = await call(sim, tok, 'GET', 'users/delta?$deltatoken=latest&$select=id');
    expect(latest.body.value).toEqual([]);
    for (let i = 6; i <= 12; i++) sim.touchUser(UPN(i), { jobTitle: `T${i}` });
    const { items, pages } = await followAll(sim, tok, latest.body['@odata.deltaLink'], { prefer: 'odata.maxpagesize=3' });
    expect(items.map((u) => u.id).sort()).toHaveLength(7);
    expect(pages).toBe(3);
  });

  it('reports group member additions and removals as members@delta', async () => {
    const round = await followAll(sim, tok, 'groups/delta?$select=displayName,members', { prefer: 'odata.maxpagesize=4' });
    expect(round.items).toHaveLength(10);
    const g10 = round.items.find((g) => g.displayName.endsWith('0010'));
    const g9 = round.items.find((g) => g.displayName.endsWith('0009'));
    // Group 10 holds two users (fewer if an earlier test deleted one) and nests group 9.
    const current = (await call(sim, tok, 'GET', `groups/${g10.id}/members?$select=id`)).body.value;
    const byId = (x: any, y: any) => (x.id < y.id ? -1 : 1);
    expect([...g10['members@delta']].sort(byId)).toEqual(current.map((m: any) => ({ '@odata.type': m['@odata.type'], id: m.id })).sort(byId));
    expect(g10['members@delta']).toContainEqual({ '@odata.type': '#microsoft.graph.group', id: g9.id });
    expect(g10['members@delta'].filter((m: any) => m['@odata.type'] === '#microsoft.graph.user')).toHaveLength(current.length - 1);

    const g1 = round.items.find((g) => g.displayName.endsWith('0001'));
    const [oldMember] = g1['members@delta'];
    const newMember = (await call(sim, tok, 'GET', `users/${UPN(20)}`)).body.id;
    expect(
      (await call(sim, tok, 'POST', `groups/${g1.id}/members/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${newMember}` })).status,
    ).toBe(204);
    sim.removeGroupMember(g1.id, oldMember.id);
    await call(sim, tok, 'PATCH', `groups/${g9.id}`, { description: 'changed' });
    const changes = await followAll(sim, tok, round.last['@odata.deltaLink']);
    expect(changes.items).toHaveLength(2);
    const c1 = changes.items.find((g) => g.id === g1.id);
    expect(c1['members@delta']).toEqual(
      expect.arrayContaining([
        { '@odata.type': '#microsoft.graph.user', id: newMember },
        { '@odata.type': '#microsoft.graph.user', id: oldMember.id, '@removed': { reason: 'deleted' } },
      ]),
    );
    expect(c1['members@delta']).toHaveLength(2);
    expect(changes.items.find((g) => g.id === g9.id)).toMatchObject({ displayName: g9.displayName });

    await call(sim, tok, 'DELETE', `groups/${g9.id}`);
    const gone = await followAll(sim, tok, changes.last['@odata.deltaLink']);
    expect(gone.items).toContainEqual({ id: g9.id, '@removed': { reason: 'deleted' } });
    // group 10 lost its nested member when group 9 was deleted
    expect(gone.items.find((g) => g.id === g10.id)['members@delta']).toEqual([
      { '@odata.type': '#microsoft.graph.group', id: g9.id, '@removed': { reason: 'deleted' } },
    ]);
  });

  it('answers 400 syncStateNotFound for expired or unknown tokens by default, as Graph does for users and groups', async () => {
    const round = await followAll(sim, tok, 'users/delta?$select=id', { prefer: 'odata.maxpagesize=999' });
    const pageOne = await call(sim, tok, 'GET', 'users/delta?$select=id', undefined, { prefer: 'odata.maxpagesize=5' });
    sim.expireDeltaLinks();
    expectGraphError(await call(sim, tok, 'GET', round.last['@odata.deltaLink']), 400, 'syncStateNotFound');
    expectGraphError(await call(sim, tok, 'GET', pageOne.body['@odata.nextLink']), 400, 'syncStateNotFound');
    expectGraphError(await call(sim, tok, 'GET', 'users/delta?$deltatoken=bogus'), 400, 'syncStateNotFound');
    const fresh = await followAll(sim, tok, 'users/delta?$select=id', { prefer: 'odata.maxpagesize=999' });
    expect((await call(sim, tok, 'GET', fresh.last['@odata.deltaLink'])).status).toBe(200);

    const short = await startGraphSimulator({ links: 'local', deltaTokenTtlMs: 1, seed: { users: 2, groups: 0 } });
    try {
      const t = await token(short);
      const r = await followAll(short, t, 'users/delta');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expectGraphError(await call(short, t, 'GET', r.last['@odata.deltaLink']), 400, 'syncStateNotFound');
    } finally {
      await short.close();
    }
  });

  it('answers 410 resyncRequired for expired tokens when expiredDeltaStatus is 410', async () => {
    const other = await startGraphSimulator({ links: 'local', expiredDeltaStatus: 410, seed: { users: 2, groups: 1 } });
    try {
      const t = await token(other);
      const users = await followAll(other, t, 'users/delta');
      const groups = await followAll(other, t, 'groups/delta');
      other.expireDeltaLinks();
      expectGraphError(await call(other, t, 'GET', users.last['@odata.deltaLink']), 410, 'resyncRequired');
      expectGraphError(await call(other, t, 'GET', groups.last['@odata.deltaLink']), 410, 'resyncRequired');
    } finally {
      await other.close();
    }
  });
});

describe('Graph simulator: scale', () => {
  it('pages 100k users through users/delta by 999 and serves an incremental round after 1,000 changes', async () => {
    const sim = await startGraphSimulator({ links: 'local', seed: { users: 100_000, groups: 5_000, membersPerGroup: 40 } });
    try {
      const tok = await token(sim);
      const round = await followAll(sim, tok, 'users/delta?$select=id,userPrincipalName,accountEnabled', { prefer: 'odata.maxpagesize=999' });
      expect(round.items).toHaveLength(100_001);
      expect(new Set(round.items.map((u) => u.id)).size).toBe(100_001);
      expect(round.pages).toBe(101);
      expect(sim.requests.byRoute['users.delta']).toBe(101);
      for (let i = 1; i <= 1000; i++) sim.touchUser(UPN(i * 97), { jobTitle: 'Changed' });
      const changes = await followAll(sim, tok, round.last['@odata.deltaLink'], { prefer: 'odata.maxpagesize=999' });
      expect(changes.items).toHaveLength(1000);
      expect(changes.pages).toBe(2);
      const members = await call(sim, tok, 'GET', `groups?$top=1&$filter=${encodeURIComponent("mailNickname eq 'group5000'")}`);
      const list = await call(sim, tok, 'GET', `groups/${members.body.value[0].id}/members?$top=999`);
      expect(list.body.value).toHaveLength(40);
    } finally {
      await sim.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GraphSimulator, startGraphSimulator } from './graph';
import { call, expectGraphError, followAll, token, UPN } from './graph.test-kit';

// The Graph simulator's users, groups and members, licences, delta queries, and a delta round at scale.

describe('Graph simulator: users', () => {
  let sim: GraphSimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGraphSimulator({
      links: 'local',
      seed: { users: 45, groups: 3, membersPerGroup: 5 },
    });
    tok = await token(sim);
  });
  afterAll(() => sim.close());

  it('pages every user exactly once by $top with $select and an opaque $skiptoken', async () => {
    const first = await call(sim, tok, 'GET', 'users?$top=7&$select=id,displayName,accountEnabled');
    expect(first.body['@odata.context']).toBe(
      `${sim.url}/v1.0/$metadata#users(id,displayName,accountEnabled)`,
    );
    expect(first.body['@odata.nextLink']).toMatch(
      new RegExp(`^${sim.url}/v1\\.0/users\\?.*\\$skiptoken=`),
    );
    expect(Object.keys(first.body.value[0]).sort()).toEqual([
      'accountEnabled',
      'displayName',
      'id',
    ]);
    const { items, pages } = await followAll(
      sim,
      tok,
      'users?$top=7&$select=id,displayName,accountEnabled',
    );
    expect(pages).toBe(7);
    expect(items).toHaveLength(46);
    expect(new Set(items.map((u) => u.id)).size).toBe(46);
    expect(items.filter((u) => u.accountEnabled === false)).toHaveLength(2); // users 17 and 34
    const ids = items.map((u) => u.id);
    expect([...ids].sort()).toEqual(ids);
  });

  it('answers the default property set and rejects a $top out of range', async () => {
    const res = await call(sim, tok, 'GET', 'users?$top=1');
    expect(Object.keys(res.body.value[0]).sort()).toEqual(
      [
        'businessPhones',
        'displayName',
        'givenName',
        'id',
        'jobTitle',
        'mail',
        'mobilePhone',
        'officeLocation',
        'preferredLanguage',
        'surname',
        'userPrincipalName',
      ].sort(),
    );
    expectGraphError(
      await call(sim, tok, 'GET', 'users?$top=1000'),
      400,
      'Request_BadRequest',
      /Must be between 1 and 999/,
    );
    expectGraphError(await call(sim, tok, 'GET', 'users?$top=0'), 400, 'Request_BadRequest');
    expectGraphError(await call(sim, tok, 'GET', 'users?$select=nope'), 400, 'Request_BadRequest');
  });

  it('filters by eq on userPrincipalName, mail and id, and by startswith(displayName)', async () => {
    const byUpn = await call(
      sim,
      tok,
      'GET',
      `users?$filter=${encodeURIComponent(`userPrincipalName eq '${UPN(3).toUpperCase()}'`)}`,
    );
    expect(byUpn.body.value.map((u: any) => u.userPrincipalName)).toEqual([UPN(3)]);
    const byMail = await call(
      sim,
      tok,
      'GET',
      `users?$filter=${encodeURIComponent(`mail eq '${UPN(4)}'`)}&$select=id,mail`,
    );
    expect(byMail.body.value).toHaveLength(1);
    const byId = await call(
      sim,
      tok,
      'GET',
      `users?$filter=${encodeURIComponent(`id eq '${byMail.body.value[0].id}'`)}`,
    );
    expect(byId.body.value[0].userPrincipalName).toBe(UPN(4));
    const name = byUpn.body.value[0].displayName.split(' ')[0];
    const starts = await followAll(
      sim,
      tok,
      `users?$top=2&$filter=${encodeURIComponent(`startswith(displayName,'${name}')`)}`,
    );
    expect(starts.items.length).toBeGreaterThan(1);
    expect(starts.items.every((u) => u.displayName.startsWith(name))).toBe(true);
    const enabled = await followAll(
      sim,
      tok,
      `users?$top=999&$filter=${encodeURIComponent('accountEnabled eq false')}&$select=id,accountEnabled`,
    );
    expect(enabled.items).toHaveLength(2);
    expectGraphError(
      await call(sim, tok, 'GET', `users?$filter=${encodeURIComponent("endswith(mail,'x')")}`),
      400,
      'Request_UnsupportedQuery',
    );
  });

  it('expands the manager (blocks of ten report to their first user)', async () => {
    const res = await call(
      sim,
      tok,
      'GET',
      `users/${UPN(13)}?$expand=${encodeURIComponent('manager($select=id)')}`,
    );
    const head = await call(
      sim,
      tok,
      'GET',
      `users/${UPN(11)}?$select=id,manager`.replace(',manager', ''),
    );
    expect(res.body.manager).toEqual({ '@odata.type': '#microsoft.graph.user', id: head.body.id });
    const list = await call(
      sim,
      tok,
      'GET',
      `users?$top=999&$select=id,userPrincipalName&$expand=${encodeURIComponent('manager($select=id)')}`,
    );
    expect(
      list.body.value.find((u: any) => u.userPrincipalName === UPN(1)).manager,
    ).toBeUndefined();
    const manager = await call(sim, tok, 'GET', `users/${UPN(13)}/manager`);
    expect(manager.body.userPrincipalName).toBe(UPN(11));
  });

  it('gets by id or UPN, creates, patches and deletes users', async () => {
    const byUpn = await call(
      sim,
      tok,
      'GET',
      `users/${UPN(2)}?$select=id,userPrincipalName,assignedLicenses,usageLocation,accountEnabled`,
    );
    expect(byUpn.body).toMatchObject({
      userPrincipalName: UPN(2),
      usageLocation: 'US',
      accountEnabled: true,
    });
    expect(byUpn.body.assignedLicenses.length).toBeGreaterThan(0);
    const byId = await call(sim, tok, 'GET', `users/${byUpn.body.id}`);
    expect(byId.body['@odata.context']).toBe(`${sim.url}/v1.0/$metadata#users/$entity`);
    expectGraphError(
      await call(sim, tok, 'GET', 'users/nobody@example.test'),
      404,
      'Request_ResourceNotFound',
    );

    const input = {
      accountEnabled: true,
      displayName: 'New Person',
      mailNickname: 'newperson',
      userPrincipalName: 'new.person@example.test',
      passwordProfile: { forceChangePasswordNextSignIn: true, password: 'Str0ng!Passw0rd' },
    };
    const created = await call(sim, tok, 'POST', 'users', input);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      displayName: 'New Person',
      userPrincipalName: 'new.person@example.test',
      mail: null,
    });
    expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sim.state.passwords.get(created.body.id)).toBe('Str0ng!Passw0rd');
    expectGraphError(
      await call(sim, tok, 'POST', 'users', input),
      400,
      'Request_BadRequest',
      'Another object with the same value for property userPrincipalName already exists.',
    );
    expectGraphError(
      await call(sim, tok, 'POST', 'users', {
        ...input,
        userPrincipalName: 'weak@example.test',
        passwordProfile: { password: 'password' },
      }),
      400,
      'Request_BadRequest',
      'The specified password does not comply with password complexity requirements. Please provide a different password.',
    );
    expectGraphError(
      await call(sim, tok, 'POST', 'users', {
        ...input,
        mailNickname: undefined,
        userPrincipalName: 'x@example.test',
      }),
      400,
      'Request_BadRequest',
      /mailNickname/,
    );
    expectGraphError(
      await call(sim, tok, 'POST', 'users', { ...input, userPrincipalName: 'x@elsewhere.test' }),
      400,
      'Request_BadRequest',
      /verified domain/,
    );

    const patched = await call(sim, tok, 'PATCH', `users/${created.body.id}`, {
      jobTitle: 'CTO',
      usageLocation: 'GB',
      passwordProfile: { password: 'An0ther!Secret' },
    });
    expect(patched.status).toBe(204);
    expect(sim.state.users.get(created.body.id)).toMatchObject({
      jobTitle: 'CTO',
      usageLocation: 'GB',
    });
    expect(sim.state.passwords.get(created.body.id)).toBe('An0ther!Secret');
    expectGraphError(
      await call(sim, tok, 'PATCH', `users/${created.body.id}`, { userPrincipalName: UPN(1) }),
      400,
      'Request_BadRequest',
      /already exists/,
    );
    expectGraphError(
      await call(sim, tok, 'PATCH', `users/${created.body.id}`, { nope: 1 }),
      400,
      'Request_BadRequest',
    );

    const revoked = await call(sim, tok, 'POST', `users/${created.body.id}/revokeSignInSessions`);
    expect(revoked.body.value).toBe(true);
    expect(sim.state.revokedSessions.has(created.body.id)).toBe(true);

    // Deleting moves the user to deletedUsers and out of its groups.
    const member = await call(sim, tok, 'GET', `users/${UPN(1)}`);
    const [firstGroup] = [...sim.state.groups.keys()].filter((gid) =>
      sim.state.members.get(gid)!.has(member.body.id),
    );
    expect(firstGroup).toBeDefined();
    expect((await call(sim, tok, 'DELETE', `users/${member.body.id}`)).status).toBe(204);
    expect(sim.state.users.has(member.body.id)).toBe(false);
    expect(sim.state.deletedUsers.get(member.body.id)).toMatchObject({
      id: member.body.id,
      deletedDateTime: expect.any(String),
    });
    expect(sim.state.members.get(firstGroup!)!.has(member.body.id)).toBe(false);
    expectGraphError(
      await call(sim, tok, 'GET', `users/${member.body.id}`),
      404,
      'Request_ResourceNotFound',
    );
    const deleted = await call(sim, tok, 'GET', 'directory/deletedItems/microsoft.graph.user');
    expect(deleted.body.value.map((u: any) => u.id)).toContain(member.body.id);
  });
});

describe('Graph simulator: groups and members', () => {
  let sim: GraphSimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGraphSimulator({
      links: 'local',
      seed: { users: 30, groups: 12, membersPerGroup: 4 },
    });
    tok = await token(sim);
  });
  afterAll(() => sim.close());

  it('lists groups with Unified and security groups, paged by $top', async () => {
    const { items, pages } = await followAll(sim, tok, 'groups?$top=5');
    expect(pages).toBe(3);
    expect(items).toHaveLength(12);
    expect(items.filter((g) => g.groupTypes.includes('Unified'))).toHaveLength(4);
    const unified = items.find((g) => g.groupTypes.includes('Unified'));
    expect(unified).toMatchObject({
      mailEnabled: true,
      securityEnabled: false,
      mail: expect.stringMatching(/@example\.test$/),
    });
    const sel = await call(
      sim,
      tok,
      'GET',
      `groups?$select=id,displayName&$filter=${encodeURIComponent("mailNickname eq 'group0003'")}`,
    );
    expect(sel.body.value).toEqual([
      { id: expect.any(String), displayName: expect.stringMatching(/ 0003$/) },
    ]);
  });

  it('lists members with @odata.type, including the nested previous group for every tenth group', async () => {
    const g10 = (
      await call(
        sim,
        tok,
        'GET',
        `groups?$filter=${encodeURIComponent("mailNickname eq 'group0010'")}`,
      )
    ).body.value[0];
    const g9 = (
      await call(
        sim,
        tok,
        'GET',
        `groups?$filter=${encodeURIComponent("mailNickname eq 'group0009'")}`,
      )
    ).body.value[0];
    const { items, pages } = await followAll(
      sim,
      tok,
      `groups/${g10.id}/members?$top=2&$select=id,displayName`,
    );
    expect(pages).toBe(2);
    expect(items).toHaveLength(4);
    expect(items.filter((m) => m['@odata.type'] === '#microsoft.graph.user')).toHaveLength(3);
    expect(items).toContainEqual({
      '@odata.type': '#microsoft.graph.group',
      id: g9.id,
      displayName: g9.displayName,
    });
  });

  it('creates, patches and deletes a group and adds and removes members by $ref', async () => {
    const created = await call(sim, tok, 'POST', 'groups', {
      displayName: 'Project X',
      mailEnabled: true,
      mailNickname: 'projectx',
      securityEnabled: false,
      groupTypes: ['Unified'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      displayName: 'Project X',
      mail: 'projectx@example.test',
      groupTypes: ['Unified'],
    });
    const gid = created.body.id;
    expect((await call(sim, tok, 'PATCH', `groups/${gid}`, { description: 'Secret' })).status).toBe(
      204,
    );
    expect((await call(sim, tok, 'GET', `groups/${gid}`)).body.description).toBe('Secret');

    const user = (await call(sim, tok, 'GET', `users/${UPN(5)}`)).body;
    const ref = { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${user.id}` };
    expect((await call(sim, tok, 'POST', `groups/${gid}/members/$ref`, ref)).status).toBe(204);
    expectGraphError(
      await call(sim, tok, 'POST', `groups/${gid}/members/$ref`, ref),
      400,
      'Request_BadRequest',
      "One or more added object references already exist for the following modified properties: 'members'.",
    );
    expectGraphError(
      await call(sim, tok, 'POST', `groups/${gid}/members/$ref`, {
        '@odata.id':
          'https://graph.microsoft.com/v1.0/directoryObjects/00000000-0000-4000-8000-000000000000',
      }),
      404,
      'Request_ResourceNotFound',
    );
    expect(
      (await call(sim, tok, 'GET', `groups/${gid}/members`)).body.value.map((m: any) => m.id),
    ).toEqual([user.id]);
    expect((await call(sim, tok, 'DELETE', `groups/${gid}/members/${user.id}/$ref`)).status).toBe(
      204,
    );
    expectGraphError(
      await call(sim, tok, 'DELETE', `groups/${gid}/members/${user.id}/$ref`),
      404,
      'Request_ResourceNotFound',
    );
    expect((await call(sim, tok, 'GET', `groups/${gid}/members`)).body.value).toEqual([]);

    // Removing a seeded member works too; the seeded set is materialized into state.members.
    const g1 = (
      await call(
        sim,
        tok,
        'GET',
        `groups?$filter=${encodeURIComponent("mailNickname eq 'group0001'")}`,
      )
    ).body.value[0];
    const seededMember = (await call(sim, tok, 'GET', `groups/${g1.id}/members`)).body.value[0].id;
    expect(
      (await call(sim, tok, 'DELETE', `groups/${g1.id}/members/${seededMember}/$ref`)).status,
    ).toBe(204);
    expect(sim.state.members.get(g1.id)!.has(seededMember)).toBe(false);

    expect((await call(sim, tok, 'DELETE', `groups/${gid}`)).status).toBe(204);
    expectGraphError(await call(sim, tok, 'GET', `groups/${gid}`), 404, 'Request_ResourceNotFound');
  });
});

describe('Graph simulator: licences', () => {
  let sim: GraphSimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGraphSimulator({
      links: 'local',
      seed: { users: 10, groups: 1, membersPerGroup: 2 },
    });
    tok = await token(sim);
  });
  afterAll(() => sim.close());

  const skuOf = async (part: string) =>
    (await call(sim, tok, 'GET', 'subscribedSkus')).body.value.find(
      (s: any) => s.skuPartNumber === part,
    );

  it('lists subscribed SKUs whose consumed units match the seeded assignments', async () => {
    const res = await call(sim, tok, 'GET', 'subscribedSkus');
    expect(res.body.value).toHaveLength(3);
    const e3 = res.body.value.find((s: any) => s.skuPartNumber === 'SPE_E3');
    expect(e3).toMatchObject({
      capabilityStatus: 'Enabled',
      appliesTo: 'User',
      consumedUnits: 10,
      prepaidUnits: { enabled: 35, suspended: 0, warning: 0, lockedOut: 0 },
    });
    expect(e3.servicePlans[0]).toMatchObject({
      servicePlanId: expect.any(String),
      servicePlanName: expect.any(String),
      provisioningStatus: 'Success',
      appliesTo: 'User',
    });
    const pbi = res.body.value.find((s: any) => s.skuPartNumber === 'POWER_BI_PRO');
    expect(pbi.consumedUnits).toBe(pbi.prepaidUnits.enabled);
    const holders = (await followAll(sim, tok, 'users?$select=id,assignedLicenses')).items.filter(
      (u) => u.assignedLicenses.some((l: any) => l.skuId === pbi.skuId),
    );
    expect(holders).toHaveLength(5);
  });

  it('assigns and removes licences, updating consumed units', async () => {
    const ems = await skuOf('EMS');
    const user = (await call(sim, tok, 'GET', `users/${UPN(9)}?$select=id,assignedLicenses`)).body;
    expect(user.assignedLicenses.some((l: any) => l.skuId === ems.skuId)).toBe(false);
    const res = await call(sim, tok, 'POST', `users/${user.id}/assignLicense`, {
      addLicenses: [{ skuId: ems.skuId, disabledPlans: [] }],
      removeLicenses: [],
    });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(user.id);
    expect((await skuOf('EMS')).consumedUnits).toBe(ems.consumedUnits + 1);
    expect(sim.state.users.get(user.id).assignedLicenses).toContainEqual({
      disabledPlans: [],
      skuId: ems.skuId,
    });
    await call(sim, tok, 'POST', `users/${user.id}/assignLicense`, {
      addLicenses: [],
      removeLicenses: [ems.skuId],
    });
    expect((await skuOf('EMS')).consumedUnits).toBe(ems.consumedUnits);
  });

  it('refuses a SKU without free units, leaving counts and the user unchanged', async () => {
    const pbi = await skuOf('POWER_BI_PRO');
    const ems = await skuOf('EMS');
    const user = (await call(sim, tok, 'GET', `users/${UPN(10)}?$select=id,assignedLicenses`)).body;
    const res = await call(sim, tok, 'POST', `users/${user.id}/assignLicense`, {
      addLicenses: [
        { skuId: ems.skuId, disabledPlans: [] },
        { skuId: pbi.skuId, disabledPlans: [] },
      ],
      removeLicenses: [],
    });
    expectGraphError(
      res,
      400,
      'Request_BadRequest',
      `Subscription ${pbi.skuId} does not have any available licenses.`,
    );
    expect((await skuOf('POWER_BI_PRO')).consumedUnits).toBe(pbi.consumedUnits);
    expect((await skuOf('EMS')).consumedUnits).toBe(ems.consumedUnits);
    expect(
      (await call(sim, tok, 'GET', `users/${user.id}?$select=id,assignedLicenses`)).body
        .assignedLicenses,
    ).toEqual(user.assignedLicenses);
    expectGraphError(
      await call(sim, tok, 'POST', `users/${user.id}/assignLicense`, {
        addLicenses: [{ skuId: '00000000-0000-4000-8000-000000000001' }],
        removeLicenses: [],
      }),
      400,
      'Request_BadRequest',
    );
  });

  it('refuses a user without usage location', async () => {
    const created = await call(sim, tok, 'POST', 'users', {
      accountEnabled: true,
      displayName: 'No Location',
      mailNickname: 'noloc',
      userPrincipalName: 'noloc@example.test',
      passwordProfile: { password: 'Val1d!Password' },
    });
    const e3 = await skuOf('SPE_E3');
    expectGraphError(
      await call(sim, tok, 'POST', `users/${created.body.id}/assignLicense`, {
        addLicenses: [{ skuId: e3.skuId, disabledPlans: [] }],
        removeLicenses: [],
      }),
      400,
      'Request_BadRequest',
      'License assignment cannot be done for user with invalid usage location.',
    );
    expect((await skuOf('SPE_E3')).consumedUnits).toBe(e3.consumedUnits);
  });
});

describe('Graph simulator: delta queries', () => {
  let sim: GraphSimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGraphSimulator({
      links: 'local',
      seed: { users: 25, groups: 10, membersPerGroup: 3 },
    });
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
    expect(byId.get(touched)).toMatchObject({
      jobTitle: 'Chief Sim Officer',
      displayName: 'Renamed',
    });
    expect(byId.get(removed)).toEqual({ id: removed, '@removed': { reason: 'changed' } });
    expect(byId.get(created.body.id)).toMatchObject({ displayName: 'Delta Newcomer' });
    expect(Object.keys(byId.get(created.body.id)!).sort()).toEqual([
      'displayName',
      'id',
      'jobTitle',
    ]);

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
    const { items, pages } = await followAll(sim, tok, latest.body['@odata.deltaLink'], {
      prefer: 'odata.maxpagesize=3',
    });
    expect(items.map((u) => u.id).sort()).toHaveLength(7);
    expect(pages).toBe(3);
  });

  it('reports group member additions and removals as members@delta', async () => {
    const round = await followAll(sim, tok, 'groups/delta?$select=displayName,members', {
      prefer: 'odata.maxpagesize=4',
    });
    expect(round.items).toHaveLength(10);
    const g10 = round.items.find((g) => g.displayName.endsWith('0010'));
    const g9 = round.items.find((g) => g.displayName.endsWith('0009'));
    // Group 10 holds two users (fewer if an earlier test deleted one) and nests group 9.
    const current = (await call(sim, tok, 'GET', `groups/${g10.id}/members?$select=id`)).body.value;
    const byId = (x: any, y: any) => (x.id < y.id ? -1 : 1);
    expect([...g10['members@delta']].sort(byId)).toEqual(
      current.map((m: any) => ({ '@odata.type': m['@odata.type'], id: m.id })).sort(byId),
    );
    expect(g10['members@delta']).toContainEqual({
      '@odata.type': '#microsoft.graph.group',
      id: g9.id,
    });
    expect(
      g10['members@delta'].filter((m: any) => m['@odata.type'] === '#microsoft.graph.user'),
    ).toHaveLength(current.length - 1);

    const g1 = round.items.find((g) => g.displayName.endsWith('0001'));
    const [oldMember] = g1['members@delta'];
    const newMember = (await call(sim, tok, 'GET', `users/${UPN(20)}`)).body.id;
    expect(
      (
        await call(sim, tok, 'POST', `groups/${g1.id}/members/$ref`, {
          '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${newMember}`,
        })
      ).status,
    ).toBe(204);
    sim.removeGroupMember(g1.id, oldMember.id);
    await call(sim, tok, 'PATCH', `groups/${g9.id}`, { description: 'changed' });
    const changes = await followAll(sim, tok, round.last['@odata.deltaLink']);
    expect(changes.items).toHaveLength(2);
    const c1 = changes.items.find((g) => g.id === g1.id);
    expect(c1['members@delta']).toEqual(
      expect.arrayContaining([
        { '@odata.type': '#microsoft.graph.user', id: newMember },
        {
          '@odata.type': '#microsoft.graph.user',
          id: oldMember.id,
          '@removed': { reason: 'deleted' },
        },
      ]),
    );
    expect(c1['members@delta']).toHaveLength(2);
    expect(changes.items.find((g) => g.id === g9.id)).toMatchObject({
      displayName: g9.displayName,
    });

    await call(sim, tok, 'DELETE', `groups/${g9.id}`);
    const gone = await followAll(sim, tok, changes.last['@odata.deltaLink']);
    expect(gone.items).toContainEqual({ id: g9.id, '@removed': { reason: 'deleted' } });
    // group 10 lost its nested member when group 9 was deleted
    expect(gone.items.find((g) => g.id === g10.id)['members@delta']).toEqual([
      { '@odata.type': '#microsoft.graph.group', id: g9.id, '@removed': { reason: 'deleted' } },
    ]);
  });

  it('answers 400 syncStateNotFound for expired or unknown tokens by default, as Graph does for users and groups', async () => {
    const round = await followAll(sim, tok, 'users/delta?$select=id', {
      prefer: 'odata.maxpagesize=999',
    });
    const pageOne = await call(sim, tok, 'GET', 'users/delta?$select=id', undefined, {
      prefer: 'odata.maxpagesize=5',
    });
    sim.expireDeltaLinks();
    expectGraphError(
      await call(sim, tok, 'GET', round.last['@odata.deltaLink']),
      400,
      'syncStateNotFound',
    );
    expectGraphError(
      await call(sim, tok, 'GET', pageOne.body['@odata.nextLink']),
      400,
      'syncStateNotFound',
    );
    expectGraphError(
      await call(sim, tok, 'GET', 'users/delta?$deltatoken=bogus'),
      400,
      'syncStateNotFound',
    );
    const fresh = await followAll(sim, tok, 'users/delta?$select=id', {
      prefer: 'odata.maxpagesize=999',
    });
    expect((await call(sim, tok, 'GET', fresh.last['@odata.deltaLink'])).status).toBe(200);

    const short = await startGraphSimulator({
      links: 'local',
      deltaTokenTtlMs: 1,
      seed: { users: 2, groups: 0 },
    });
    try {
      const t = await token(short);
      const r = await followAll(short, t, 'users/delta');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expectGraphError(
        await call(short, t, 'GET', r.last['@odata.deltaLink']),
        400,
        'syncStateNotFound',
      );
    } finally {
      await short.close();
    }
  });

  it('answers 410 resyncRequired for expired tokens when expiredDeltaStatus is 410', async () => {
    const other = await startGraphSimulator({
      links: 'local',
      expiredDeltaStatus: 410,
      seed: { users: 2, groups: 1 },
    });
    try {
      const t = await token(other);
      const users = await followAll(other, t, 'users/delta');
      const groups = await followAll(other, t, 'groups/delta');
      other.expireDeltaLinks();
      expectGraphError(
        await call(other, t, 'GET', users.last['@odata.deltaLink']),
        410,
        'resyncRequired',
      );
      expectGraphError(
        await call(other, t, 'GET', groups.last['@odata.deltaLink']),
        410,
        'resyncRequired',
      );
    } finally {
      await other.close();
    }
  });
});

describe('Graph simulator: scale', () => {
  it('pages 100k users through users/delta by 999 and serves an incremental round after 1,000 changes', async () => {
    const sim = await startGraphSimulator({
      links: 'local',
      seed: { users: 100_000, groups: 5_000, membersPerGroup: 40 },
    });
    try {
      const tok = await token(sim);
      const round = await followAll(
        sim,
        tok,
        'users/delta?$select=id,userPrincipalName,accountEnabled',
        { prefer: 'odata.maxpagesize=999' },
      );
      expect(round.items).toHaveLength(100_001);
      expect(new Set(round.items.map((u) => u.id)).size).toBe(100_001);
      expect(round.pages).toBe(101);
      expect(sim.requests.byRoute['users.delta']).toBe(101);
      for (let i = 1; i <= 1000; i++) sim.touchUser(UPN(i * 97), { jobTitle: 'Changed' });
      const changes = await followAll(sim, tok, round.last['@odata.deltaLink'], {
        prefer: 'odata.maxpagesize=999',
      });
      expect(changes.items).toHaveLength(1000);
      expect(changes.pages).toBe(2);
      const members = await call(
        sim,
        tok,
        'GET',
        `groups?$top=1&$filter=${encodeURIComponent("mailNickname eq 'group5000'")}`,
      );
      const list = await call(
        sim,
        tok,
        'GET',
        `groups/${members.body.value[0].id}/members?$top=999`,
      );
      expect(list.body.value).toHaveLength(40);
    } finally {
      await sim.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GoogleDirectorySimulator, startGoogleDirectorySimulator } from './google-directory';
import { api, expectGoogleError, listAll, token } from './google-directory.test-kit';

// The Google Directory simulator's users (paging, filters, writes, orderBy, projection, secondary
// domains), groups, members and org units.

describe('Google Directory simulator: users', () => {
  let sim: GoogleDirectorySimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGoogleDirectorySimulator({
      seed: { users: 1234, groups: 3, membersPerGroup: 5, orgUnits: 4 },
    });
    tok = await token(sim);
  });
  afterAll(() => sim.close());

  it('pages 1,234 users (plus the admin) by 500: 3 pages, all unique, in email order', async () => {
    const { items, pages } = await listAll(
      sim,
      tok,
      'users?customer=my_customer&maxResults=500&orderBy=email',
      'users',
    );
    expect(pages).toBe(3);
    expect(items).toHaveLength(1235);
    expect(new Set(items.map((u) => u.id)).size).toBe(1235);
    const emails = items.map((u) => u.primaryEmail);
    expect(emails).toEqual([...emails].sort());
    expect(emails[0]).toBe('admin@example.test');
    const first = await api(sim, tok, 'GET', 'users?customer=my_customer&maxResults=500');
    expect(first.body).toMatchObject({ kind: 'admin#directory#users' });
    expect(first.body.users).toHaveLength(500);
    expect(typeof first.body.nextPageToken).toBe('string');
    expect(typeof first.body.etag).toBe('string');
    const u = items.find((x) => x.primaryEmail === 'user000030@example.test');
    expect(u).toMatchObject({
      kind: 'admin#directory#user',
      name: {
        givenName: expect.any(String),
        familyName: expect.any(String),
        fullName: expect.any(String),
      },
      isAdmin: false,
      suspended: false,
      aliases: ['alias000030@example.test'],
      relations: [{ type: 'manager', value: 'user000021@example.test' }],
      organizations: [
        expect.objectContaining({
          primary: true,
          title: expect.any(String),
          department: expect.any(String),
        }),
      ],
      customerId: 'C0sim01',
    });
    expect(u.id).toMatch(/^\d{21}$/);
    expect(u.creationTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(items.filter((x) => x.suspended)).toHaveLength(Math.floor(1234 / 17));
    // Default page size 100, by domain too.
    expect((await api(sim, tok, 'GET', 'users?domain=example.test')).body.users).toHaveLength(100);
  });

  it('validates list parameters like Google', async () => {
    expectGoogleError(
      await api(sim, tok, 'GET', 'users?customer=my_customer&maxResults=501'),
      400,
      'invalid',
    );
    expectGoogleError(await api(sim, tok, 'GET', 'users'), 400, 'badRequest');
    expectGoogleError(await api(sim, tok, 'GET', 'users?customer=C999'), 400, 'badRequest');
    expectGoogleError(await api(sim, tok, 'GET', 'users?domain=other.test'), 403, 'forbidden');
    expectGoogleError(
      await api(sim, tok, 'GET', 'users?customer=my_customer&pageToken=garbage'),
      400,
      'invalid',
    );
  });

  it('keeps page tokens stable while users are added and removed', async () => {
    const p1 = await api(sim, tok, 'GET', 'users?customer=my_customer&maxResults=10');
    const seen = p1.body.users.map((u: any) => u.primaryEmail);
    // Delete the last user of page 1 and one on page 2, insert one that sorts before the cursor.
    const lastOfPage1 = p1.body.users[9];
    expect((await api(sim, tok, 'DELETE', `users/${lastOfPage1.id}`)).status).toBe(204);
    expect((await api(sim, tok, 'DELETE', 'users/user000012@example.test')).status).toBe(204);
    expect(
      (
        await api(sim, tok, 'POST', 'users', {
          primaryEmail: 'aaa@example.test',
          name: { givenName: 'A', familyName: 'A' },
          password: 'correct horse',
        })
      ).status,
    ).toBe(200);
    const p2 = await api(
      sim,
      tok,
      'GET',
      `users?customer=my_customer&maxResults=10&pageToken=${p1.body.nextPageToken}`,
    );
    const next = p2.body.users.map((u: any) => u.primaryEmail);
    expect(next.some((e: string) => seen.includes(e))).toBe(false);
    expect(next[0] > lastOfPage1.primaryEmail).toBe(true);
    expect(next).not.toContain('user000012@example.test');
    expect(next).toEqual([...next].sort());
    // Restore for the other tests.
    await api(sim, tok, 'DELETE', 'users/aaa@example.test');
  });

  it('filters with query and returns deleted users with showDeleted', async () => {
    const byEmail = await api(
      sim,
      tok,
      'GET',
      `users?customer=my_customer&query=${encodeURIComponent('email:user00010*')}`,
    );
    expect(byEmail.body.users.map((u: any) => u.primaryEmail)).toEqual(
      Array.from({ length: 10 }, (_, k) => `user00010${k}@example.test`),
    );
    const suspended = await listAll(
      sim,
      tok,
      `users?customer=my_customer&maxResults=500&query=${encodeURIComponent('isSuspended=true')}`,
      'users',
    );
    expect(suspended.items.length).toBe(Math.floor(1234 / 17));
    const byName = await api(
      sim,
      tok,
      'GET',
      `users?customer=my_customer&query=${encodeURIComponent("name:'Sim Admin'")}`,
    );
    expect(byName.body.users.map((u: any) => u.primaryEmail)).toEqual(['admin@example.test']);
    const none = await api(
      sim,
      tok,
      'GET',
      `users?customer=my_customer&query=${encodeURIComponent('email:nobody*')}`,
    );
    expect(none.status).toBe(200);
    expect(none.body.users).toBeUndefined();
    const deleted = await api(sim, tok, 'GET', 'users?customer=my_customer&showDeleted=true');
    expect(deleted.body.users.map((u: any) => u.primaryEmail)).toContain('user000012@example.test');
    expect(deleted.body.users[0].deletionTime).toBeDefined();
  });

  it('inserts, gets, updates, patches and deletes a user', async () => {
    const created = await api(sim, tok, 'POST', 'users', {
      primaryEmail: 'Jane.Doe@example.test',
      name: { givenName: 'Jane', familyName: 'Doe' },
      password: 'initial-Passw0rd',
      changePasswordAtNextLogin: true,
      orgUnitPath: '/Sales',
      organizations: [{ title: 'CFO', department: 'Finance', primary: true }],
      relations: [{ type: 'manager', value: 'user000001@example.test' }],
    });
    expect(created.status).toBe(200);
    const jane = created.body;
    expect(jane).toMatchObject({
      kind: 'admin#directory#user',
      primaryEmail: 'jane.doe@example.test',
      name: { givenName: 'Jane', familyName: 'Doe', fullName: 'Jane Doe' },
      isAdmin: false,
      suspended: false,
      changePasswordAtNextLogin: true,
      orgUnitPath: '/Sales',
      organizations: [{ title: 'CFO', department: 'Finance', primary: true }],
    });
    expect(jane.id).toMatch(/^\d{21}$/);
    expect(jane.password).toBeUndefined();
    expect(sim.state.passwords.get(jane.id)).toBe('initial-Passw0rd');

    expectGoogleError(
      await api(sim, tok, 'POST', 'users', {
        primaryEmail: 'jane.doe@example.test',
        name: { givenName: 'J', familyName: 'D' },
        password: 'whatever1',
      }),
      409,
      'duplicate',
    );
    expectGoogleError(
      await api(sim, tok, 'POST', 'users', {
        primaryEmail: 'alias000030@example.test',
        name: { givenName: 'J', familyName: 'D' },
        password: 'whatever1',
      }),
      409,
      'duplicate',
    );
    expectGoogleError(
      await api(sim, tok, 'POST', 'users', {
        primaryEmail: 'x@example.test',
        name: { givenName: 'X' },
        password: 'whatever1',
      }),
      400,
      'invalid',
    );
    expectGoogleError(
      await api(sim, tok, 'POST', 'users', {
        primaryEmail: 'x@example.test',
        name: { givenName: 'X', familyName: 'Y' },
        password: 'short',
      }),
      400,
      'invalid',
    );
    expectGoogleError(
      await api(sim, tok, 'POST', 'users', {
        primaryEmail: 'x@example.test',
        name: { givenName: 'X', familyName: 'Y' },
        password: 'whatever1',
        orgUnitPath: '/Nope',
      }),
      400,
      'invalid',
    );

    expect((await api(sim, tok, 'GET', `users/${jane.id}`)).body.primaryEmail).toBe(
      'jane.doe@example.test',
    );
    expect((await api(sim, tok, 'GET', 'users/JANE.DOE@example.test')).body.id).toBe(jane.id);
    expect((await api(sim, tok, 'GET', 'users/alias000030@example.test')).body.primaryEmail).toBe(
      'user000030@example.test',
    );

    const patched = await api(sim, tok, 'PATCH', `users/${jane.id}`, {
      name: { familyName: 'Smith' },
      suspended: true,
      relations: null,
    });
    expect(patched.body).toMatchObject({
      name: { givenName: 'Jane', familyName: 'Smith', fullName: 'Jane Smith' },
      suspended: true,
      suspensionReason: 'ADMIN',
    });
    expect(patched.body.relations).toBeUndefined();
    expect(patched.body.etag).not.toBe(jane.etag);

    const renamed = await api(sim, tok, 'PUT', `users/${jane.id}`, {
      primaryEmail: 'jane.smith@example.test',
      suspended: false,
    });
    expect(renamed.body).toMatchObject({
      primaryEmail: 'jane.smith@example.test',
      aliases: ['jane.doe@example.test'],
      suspended: false,
    });
    expect((await api(sim, tok, 'GET', 'users/jane.doe@example.test')).body.id).toBe(jane.id);
    expect(sim.state.users.get(jane.id).primaryEmail).toBe('jane.smith@example.test');

    expect((await api(sim, tok, 'DELETE', `users/${jane.id}`)).status).toBe(204);
    expectGoogleError(await api(sim, tok, 'GET', `users/${jane.id}`), 404, 'notFound');
    expectGoogleError(await api(sim, tok, 'DELETE', `users/${jane.id}`), 404, 'notFound');
    expect(sim.requests.byRoute['users.insert']).toBeGreaterThanOrEqual(1);
    expect(sim.requests.byRoute['users.delete']).toBeGreaterThanOrEqual(1);
  });

  it('stores typed emails entries on insert and patch and sends nonEditableAliases, as the Directory API does', async () => {
    const created = await api(sim, tok, 'POST', 'users', {
      primaryEmail: 'typed.emails@example.test',
      name: { givenName: 'Typed', familyName: 'Emails' },
      password: 'initial-Passw0rd',
      emails: [
        { address: 'Home.Person@Personal.example', type: 'home' },
        { address: 'other@elsewhere.example', type: 'other' },
      ],
    });
    expect(created.status).toBe(200);
    expect(created.body.emails).toEqual([
      { address: 'typed.emails@example.test', primary: true },
      { address: 'home.person@personal.example', type: 'home' },
      { address: 'other@elsewhere.example', type: 'other' },
    ]);
    expect(created.body.nonEditableAliases).toEqual([
      'typed.emails@example.test.test-google-a.com',
    ]);
    const id = created.body.id;
    expect(
      (await api(sim, tok, 'POST', `users/${id}/aliases`, { alias: 'typed.alias@example.test' }))
        .status,
    ).toBe(200);
    const withAlias = await api(sim, tok, 'GET', `users/${id}`);
    expect(withAlias.body.emails).toEqual([
      { address: 'typed.emails@example.test', primary: true },
      { address: 'typed.alias@example.test' },
      { address: 'home.person@personal.example', type: 'home' },
      { address: 'other@elsewhere.example', type: 'other' },
    ]);
    const patched = await api(sim, tok, 'PATCH', `users/${id}`, {
      emails: [{ address: 'work@partner.example', type: 'work' }],
    });
    expect(patched.body.emails).toEqual([
      { address: 'typed.emails@example.test', primary: true },
      { address: 'typed.alias@example.test' },
      { address: 'work@partner.example', type: 'work' },
    ]);
    expect(
      (await api(sim, tok, 'PATCH', `users/${id}`, { givenName: undefined, orgUnitPath: '/' })).body
        .emails,
    ).toHaveLength(3);
    expectGoogleError(
      await api(sim, tok, 'PATCH', `users/${id}`, {
        emails: [{ address: 'not-an-address', type: 'home' }],
      }),
      400,
      'invalid',
    );
    expectGoogleError(
      await api(sim, tok, 'PATCH', `users/${id}`, {
        emails: [{ address: 'a@b.example', type: 'mobile' }],
      }),
      400,
      'invalid',
    );
    const first = (
      await api(sim, tok, 'GET', 'users?customer=my_customer&maxResults=500')
    ).body.users.find((u: any) => u.primaryEmail.startsWith('user'));
    expect(first.nonEditableAliases).toEqual([
      first.primaryEmail.replace('@example.test', '@example.test.test-google-a.com'),
    ]);
  });

  it('honours partial responses (fields) and reflects direct state changes', async () => {
    const res = await api(
      sim,
      tok,
      'GET',
      `users?customer=my_customer&maxResults=2&fields=${encodeURIComponent('nextPageToken,users(id,name/fullName)')}`,
    );
    expect(Object.keys(res.body).sort()).toEqual(['nextPageToken', 'users']);
    expect(Object.keys(res.body.users[0]).sort()).toEqual(['id', 'name']);
    expect(Object.keys(res.body.users[0].name)).toEqual(['fullName']);

    const id = [...sim.state.users.keys()].find(
      (k) => sim.state.users.get(k).primaryEmail === 'user000040@example.test',
    )!;
    sim.state.users.get(id).suspended = true;
    expect((await api(sim, tok, 'GET', `users/${id}`)).body.suspended).toBe(true);
    sim.state.users.set(id, {
      ...sim.state.users.get(id),
      primaryEmail: 'renamed040@example.test',
    });
    expect((await api(sim, tok, 'GET', 'users/renamed040@example.test')).body.id).toBe(id);
  });
});

describe('Google Directory simulator: orderBy, projection and secondary domains', () => {
  let sim: GoogleDirectorySimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGoogleDirectorySimulator({
      seed: { users: 30, groups: 2, membersPerGroup: 3 },
      secondaryDomains: ['second.test'],
    });
    tok = await token(sim);
  });
  afterAll(() => sim.close());

  it('orders users by email, familyName or givenName, ascending or descending, across pages', async () => {
    const all = (await listAll(sim, tok, 'users?customer=my_customer&maxResults=500', 'users'))
      .items;
    for (const [orderBy, key] of [
      ['email', (u: any) => u.primaryEmail],
      ['familyName', (u: any) => u.name.familyName.toLowerCase()],
      ['givenName', (u: any) => u.name.givenName.toLowerCase()],
    ] as const) {
      for (const sortOrder of ['ASCENDING', 'DESCENDING']) {
        const { items, pages } = await listAll(
          sim,
          tok,
          `users?customer=my_customer&maxResults=7&orderBy=${orderBy}&sortOrder=${sortOrder}`,
          'users',
        );
        expect(pages).toBe(Math.ceil(all.length / 7));
        expect(new Set(items.map((u) => u.id)).size).toBe(all.length);
        const keys = items.map(key);
        const sorted = [...keys].sort();
        expect(keys).toEqual(sortOrder === 'ASCENDING' ? sorted : sorted.reverse());
      }
    }
    // Family names repeat in the seed: the order still differs from the email order.
    const byFamily = (
      await listAll(
        sim,
        tok,
        'users?customer=my_customer&maxResults=500&orderBy=familyName',
        'users',
      )
    ).items;
    expect(byFamily.map((u) => u.primaryEmail)).not.toEqual(all.map((u) => u.primaryEmail));
    expectGoogleError(
      await api(sim, tok, 'GET', 'users?customer=my_customer&orderBy=lastLoginTime'),
      400,
      'invalid',
    );
    expectGoogleError(
      await api(sim, tok, 'GET', 'users?customer=my_customer&orderBy=email&sortOrder=sideways'),
      400,
      'invalid',
    );
  });

  it('sends customSchemas only with projection=full, or the masked ones with projection=custom', async () => {
    const created = await api(sim, tok, 'POST', 'users', {
      primaryEmail: 'schemas@example.test',
      name: { givenName: 'Sche', familyName: 'Mas' },
      password: 'correct-horse-battery',
      customSchemas: { HR: { costCenter: '42' }, Badge: { number: '7' } },
    });
    expect(created.status).toBe(200);
    const get = async (q: string) =>
      (await api(sim, tok, 'GET', `users/schemas@example.test${q}`)).body;
    expect(await get('')).not.toHaveProperty('customSchemas');
    expect(await get('?projection=basic')).not.toHaveProperty('customSchemas');
    expect((await get('?projection=full')).customSchemas).toEqual({
      HR: { costCenter: '42' },
      Badge: { number: '7' },
    });
    expect((await get('?projection=custom&customFieldMask=HR')).customSchemas).toEqual({
      HR: { costCenter: '42' },
    });
    expectGoogleError(
      await api(sim, tok, 'GET', 'users/schemas@example.test?projection=custom'),
      400,
      'invalid',
    );
    expectGoogleError(
      await api(sim, tok, 'GET', 'users/schemas@example.test?projection=everything'),
      400,
      'invalid',
    );
    const listed = async (q: string) =>
      (
        await listAll(sim, tok, `users?customer=my_customer&maxResults=500${q}`, 'users')
      ).items.find((u) => u.primaryEmail === 'schemas@example.test');
    expect(await listed('')).not.toHaveProperty('customSchemas');
    expect((await listed('&projection=full')).customSchemas).toHaveProperty('Badge');
    expect((await listed('&projection=custom&customFieldMask=Badge')).customSchemas).toEqual({
      Badge: { number: '7' },
    });
  });

  it('holds users on a secondary domain: customer lists every domain, domain= only that one', async () => {
    const created = await api(sim, tok, 'POST', 'users', {
      primaryEmail: 'second@second.test',
      name: { givenName: 'Sec', familyName: 'Ond' },
      password: 'correct-horse-battery',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expectGoogleError(
      await api(sim, tok, 'POST', 'users', {
        primaryEmail: 'x@elsewhere.test',
        name: { givenName: 'X', familyName: 'Y' },
        password: 'correct-horse-battery',
      }),
      400,
      'invalid',
    );
    const everyone = (
      await listAll(sim, tok, 'users?customer=my_customer&maxResults=500', 'users')
    ).items.map((u) => u.primaryEmail);
    expect(everyone).toContain('second@second.test');
    expect(everyone).toContain('admin@example.test');
    const secondary = (await listAll(sim, tok, 'users?domain=second.test', 'users')).items.map(
      (u) => u.primaryEmail,
    );
    expect(secondary).toEqual(['second@second.test']);
    const primary = (
      await listAll(sim, tok, 'users?domain=example.test&maxResults=500', 'users')
    ).items.map((u) => u.primaryEmail);
    expect(primary).not.toContain('second@second.test');
    expect(primary.length).toBe(everyone.length - 1);

    const group = await api(sim, tok, 'POST', 'groups', {
      email: 'team@second.test',
      name: 'Second team',
    });
    expect(group.status).toBe(200);
    expect(
      (await listAll(sim, tok, 'groups?domain=second.test', 'groups')).items.map((g) => g.email),
    ).toEqual(['team@second.test']);
    expect(
      (await listAll(sim, tok, 'groups?customer=my_customer', 'groups')).items.map((g) => g.email),
    ).toContain('team@second.test');
  });
});

describe('Google Directory simulator: groups, members and org units', () => {
  let sim: GoogleDirectorySimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGoogleDirectorySimulator({
      seed: { users: 600, groups: 450, membersPerGroup: 250, orgUnits: 12 },
    });
    tok = await token(sim);
  });
  afterAll(() => sim.close());

  it('pages groups by 200 and members by 200', async () => {
    const { items, pages } = await listAll(sim, tok, 'groups?customer=my_customer', 'groups');
    expect(pages).toBe(3);
    expect(items).toHaveLength(450);
    expect(new Set(items.map((g) => g.email)).size).toBe(450);
    expect(items[0]).toMatchObject({
      kind: 'admin#directory#group',
      email: 'group0001@example.test',
      directMembersCount: '250',
      adminCreated: true,
    });
    expect(items[4].aliases).toEqual(['list0005@example.test']);
    expectGoogleError(
      await api(sim, tok, 'GET', 'groups?customer=my_customer&maxResults=201'),
      400,
      'invalid',
    );

    const members = await listAll(
      sim,
      tok,
      `groups/${items[9].id}/members?maxResults=200`,
      'members',
    );
    expect(members.pages).toBe(2);
    expect(members.items).toHaveLength(250);
    expect(new Set(members.items.map((m) => m.id)).size).toBe(250);
    expect(members.items[0]).toMatchObject({
      kind: 'admin#directory#member',
      role: expect.stringMatching(/^(OWNER|MANAGER|MEMBER)$/),
      type: expect.any(String),
    });
    // Group 10 nests group 9; suspended users show as SUSPENDED.
    expect(members.items.find((m) => m.type === 'GROUP')).toMatchObject({
      email: 'group0009@example.test',
      id: items[8].id,
    });
    expect(members.items.some((m) => m.status === 'SUSPENDED')).toBe(true);
    const owners = await api(sim, tok, 'GET', `groups/${items[9].id}/members?roles=OWNER`);
    expect(owners.body.members).toHaveLength(1);
    expectGoogleError(
      await api(sim, tok, 'GET', `groups/${items[9].id}/members?maxResults=201`),
      400,
      'invalid',
    );
  });

  it('inserts, gets, updates and deletes groups and members', async () => {
    const created = await api(sim, tok, 'POST', 'groups', {
      email: 'team@example.test',
      name: 'Team',
      description: 'The team',
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      kind: 'admin#directory#group',
      email: 'team@example.test',
      name: 'Team',
      directMembersCount: '0',
      adminCreated: true,
    });
    const gid = created.body.id;
    expectGoogleError(
      await api(sim, tok, 'POST', 'groups', { email: 'team@example.test' }),
      409,
      'duplicate',
    );
    expectGoogleError(
      await api(sim, tok, 'POST', 'groups', { email: 'user000001@example.test' }),
      409,
      'duplicate',
    );

    const added = await api(sim, tok, 'POST', `groups/${gid}/members`, {
      email: 'user000005@example.test',
      role: 'OWNER',
    });
    expect(added.body).toMatchObject({
      kind: 'admin#directory#member',
      email: 'user000005@example.test',
      role: 'OWNER',
      type: 'USER',
      status: 'ACTIVE',
    });
    expectGoogleError(
      await api(sim, tok, 'POST', `groups/${gid}/members`, { email: 'USER000005@example.test' }),
      409,
      'duplicate',
    );
    expectGoogleError(
      await api(sim, tok, 'POST', `groups/${gid}/members`, { email: 'ghost@example.test' }),
      404,
      'notFound',
    );
    expectGoogleError(
      await api(sim, tok, 'POST', `groups/${gid}/members`, {
        email: 'user000006@example.test',
        role: 'BOSS',
      }),
      400,
      'invalid',
    );
    expect(
      (await api(sim, tok, 'POST', `groups/${gid}/members`, { email: 'partner@outside.test' }))
        .body,
    ).toMatchObject({ type: 'USER', role: 'MEMBER' });
    expect(
      (await api(sim, tok, 'POST', `groups/${gid}/members`, { email: 'group0002@example.test' }))
        .body.type,
    ).toBe('GROUP');

    expect((await api(sim, tok, 'GET', `groups/team@example.test`)).body.directMembersCount).toBe(
      '3',
    );
    expect(
      (await api(sim, tok, 'GET', `groups/${gid}/members/user000005@example.test`)).body.role,
    ).toBe('OWNER');
    expect(
      (await api(sim, tok, 'PATCH', `groups/${gid}/members/${added.body.id}`, { role: 'MANAGER' }))
        .body.role,
    ).toBe('MANAGER');
    expect(
      (await api(sim, tok, 'GET', `groups/${gid}/hasMember/user000005@example.test`)).body,
    ).toEqual({ isMember: true });
    const mine = await api(sim, tok, 'GET', 'groups?userKey=user000005@example.test');
    expect(mine.body.groups.map((g: any) => g.email)).toContain('team@example.test');

    expect(
      (await api(sim, tok, 'DELETE', `groups/${gid}/members/user000005@example.test`)).status,
    ).toBe(204);
    expectGoogleError(
      await api(sim, tok, 'GET', `groups/${gid}/members/user000005@example.test`),
      404,
      'notFound',
    );
    expect(
      (await api(sim, tok, 'GET', `groups/${gid}/hasMember/user000005@example.test`)).body,
    ).toEqual({ isMember: false });

    const updated = await api(sim, tok, 'PUT', `groups/${gid}`, {
      name: 'Team 2',
      email: 'team2@example.test',
    });
    expect(updated.body).toMatchObject({
      name: 'Team 2',
      email: 'team2@example.test',
      aliases: ['team@example.test'],
    });
    expect((await api(sim, tok, 'DELETE', `groups/${gid}`)).status).toBe(204);
    expectGoogleError(await api(sim, tok, 'GET', `groups/${gid}`), 404, 'notFound');
  });

  it('removes a deleted user from its groups', async () => {
    const g1 = await api(sim, tok, 'GET', 'groups/group0001@example.test');
    expect(
      (
        await api(
          sim,
          tok,
          'GET',
          'groups/group0001@example.test/hasMember/user000003@example.test',
        )
      ).body.isMember,
    ).toBe(true);
    expect((await api(sim, tok, 'DELETE', 'users/user000003@example.test')).status).toBe(204);
    expect(
      (
        await api(
          sim,
          tok,
          'GET',
          'groups/group0001@example.test/hasMember/user000003@example.test',
        )
      ).body.isMember,
    ).toBe(false);
    expect(
      (await api(sim, tok, 'GET', 'groups/group0001@example.test')).body.directMembersCount,
    ).toBe(String(Number(g1.body.directMembersCount) - 1));
  });

  it('lists, gets, inserts, moves and deletes org units', async () => {
    const children = await api(sim, tok, 'GET', 'customer/my_customer/orgunits');
    expect(children.body.kind).toBe('admin#directory#orgUnits');
    expect(children.body.organizationUnits.map((u: any) => u.orgUnitPath)).toHaveLength(8);
    const all = await api(sim, tok, 'GET', 'customer/my_customer/orgunits?type=all');
    expect(all.body.organizationUnits).toHaveLength(12);
    const eng = await api(sim, tok, 'GET', 'customer/my_customer/orgunits/Engineering');
    expect(eng.body).toMatchObject({
      kind: 'admin#directory#orgUnit',
      name: 'Engineering',
      orgUnitPath: '/Engineering',
      parentOrgUnitPath: '/',
    });
    expect(eng.body.orgUnitId).toMatch(/^id:/);
    expect(
      (await api(sim, tok, 'GET', `customer/C0sim01/orgunits/${eng.body.orgUnitId}`)).body
        .orgUnitPath,
    ).toBe('/Engineering');
    const sub = await api(
      sim,
      tok,
      'GET',
      'customer/my_customer/orgunits?orgUnitPath=/Engineering&type=children',
    );
    expect(sub.body.organizationUnits.map((u: any) => u.orgUnitPath)).toEqual([
      '/Engineering/Team 01',
    ]);

    const created = await api(sim, tok, 'POST', 'customer/my_customer/orgunits', {
      name: 'Platform',
      parentOrgUnitPath: '/Engineering',
    });
    expect(created.body).toMatchObject({
      orgUnitPath: '/Engineering/Platform',
      parentOrgUnitId: eng.body.orgUnitId,
    });
    expect(
      (
        await api(sim, tok, 'POST', 'customer/my_customer/orgunits', {
          name: 'Platform',
          parentOrgUnitPath: '/Engineering',
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await api(sim, tok, 'POST', 'customer/my_customer/orgunits', {
          name: 'X',
          parentOrgUnitPath: '/Nope',
        })
      ).status,
    ).toBe(400);

    const moved = await api(
      sim,
      tok,
      'PATCH',
      'customer/my_customer/orgunits/Engineering/Platform',
      { name: 'Infra', parentOrgUnitPath: '/Sales' },
    );
    expect(moved.body).toMatchObject({
      orgUnitPath: '/Sales/Infra',
      orgUnitId: created.body.orgUnitId,
    });
    expect(sim.state.orgUnits.has('/Sales/Infra')).toBe(true);
    const user = await api(sim, tok, 'PATCH', 'users/user000002@example.test', {
      orgUnitPath: '/Sales/Infra',
    });
    expect(user.body.orgUnitPath).toBe('/Sales/Infra');
    const busy = await api(sim, tok, 'DELETE', 'customer/my_customer/orgunits/Sales/Infra');
    expect(busy.status).toBe(400);
    await api(sim, tok, 'PATCH', 'users/user000002@example.test', { orgUnitPath: '/' });
    expect(
      (await api(sim, tok, 'DELETE', 'customer/my_customer/orgunits/Sales/Infra')).status,
    ).toBe(204);
    expectGoogleError(
      await api(sim, tok, 'GET', 'customer/my_customer/orgunits/Sales/Infra'),
      404,
      'notFound',
    );
    expect(
      (await api(sim, tok, 'DELETE', 'customer/my_customer/orgunits/Engineering')).status,
    ).toBe(400);
  });
});

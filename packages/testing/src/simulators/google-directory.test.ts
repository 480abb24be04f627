import { createSign, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOGLE_DIRECTORY_SCOPES, type GoogleDirectorySimulator, startGoogleDirectorySimulator } from './google-directory';

// Real HTTP with fetch; the JWT bearer assertion is signed here the way google-auth-library does.

const S = (s: string) => `https://www.googleapis.com/auth/admin.directory.${s}`;
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

function assertion(sim: GoogleDirectorySimulator, claims: Record<string, unknown> = {}, privateKey = sim.serviceAccountKey.private_key): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64({ alg: 'RS256', typ: 'JWT', kid: sim.serviceAccountKey.private_key_id });
  const payload = b64({
    iss: sim.serviceAccountKey.client_email,
    sub: sim.adminEmail,
    aud: sim.tokenUrl,
    scope: GOOGLE_DIRECTORY_SCOPES.join(' '),
    iat: now,
    exp: now + 3600,
    ...claims,
  });
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(privateKey).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

async function tokenRequest(sim: GoogleDirectorySimulator, jwt: string) {
  const res = await fetch(sim.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: JWT_BEARER, assertion: jwt }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function token(sim: GoogleDirectorySimulator, claims: Record<string, unknown> = {}): Promise<string> {
  const { status, body } = await tokenRequest(sim, assertion(sim, claims));
  expect(status, JSON.stringify(body)).toBe(200);
  return body.access_token;
}

interface ApiResult {
  status: number;
  body: any;
  headers: Headers;
}

async function api(sim: GoogleDirectorySimulator, accessToken: string | null, method: string, path: string, body?: unknown): Promise<ApiResult> {
  const res = await fetch(`${sim.url}admin/directory/v1/${path}`, {
    method,
    headers: { ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

function expectGoogleError(result: ApiResult, code: number, reason: string, domain = 'global') {
  expect(result.status).toBe(code);
  expect(result.body.error.code).toBe(code);
  expect(typeof result.body.error.message).toBe('string');
  expect(typeof result.body.error.status).toBe('string');
  expect(result.body.error.errors[0]).toMatchObject({ reason, domain });
}

async function listAll(sim: GoogleDirectorySimulator, tok: string, path: string, field: string): Promise<{ items: any[]; pages: number }> {
  const items: any[] = [];
  let pageToken: string | undefined;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await api(sim, tok, 'GET', `${path}${pageToken ? `${sep}pageToken=${encodeURIComponent(pageToken)}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    items.push(...(res.body[field] ?? []));
    pageToken = res.body.nextPageToken;
    pages++;
  } while (pageToken);
  return { items, pages };
}

describe('Google Directory simulator: OAuth token endpoint', () => {
  let sim: GoogleDirectorySimulator;
  beforeAll(async () => {
    sim = await startGoogleDirectorySimulator({ seed: { users: 30, groups: 2, membersPerGroup: 3, orgUnits: 2 } });
  });
  afterAll(() => sim.close());

  it('exposes a service account key, an admin and the endpoints', () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(sim.tokenUrl).toBe(`${sim.url}token`);
    expect(sim.serviceAccountKey).toMatchObject({ type: 'service_account', token_uri: sim.tokenUrl });
    expect(sim.serviceAccountKey.private_key).toContain('-----BEGIN PRIVATE KEY-----');
    expect(sim.serviceAccountKey.client_id).toMatch(/^\d{21}$/);
    expect(sim.adminEmail).toBe('admin@example.test');
  });

  it('grants an access token for a valid JWT (aud = token URL or Google token URL)', async () => {
    const before = sim.requests.tokensIssued;
    const a = await tokenRequest(sim, assertion(sim));
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ expires_in: 3600, token_type: 'Bearer' });
    expect(a.body.access_token).toMatch(/^ya29\./);
    const b = await tokenRequest(sim, assertion(sim, { aud: 'https://oauth2.googleapis.com/token' }));
    expect(b.status).toBe(200);
    expect(sim.requests.tokensIssued).toBe(before + 2);
    expect(sim.requests.byRoute.token).toBeGreaterThanOrEqual(2);
  });

  it('refuses a bad signature, a bad audience, an expired JWT and an unknown account', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(await tokenRequest(sim, assertion(sim, {}, other))).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
    });
    const tampered = assertion(sim).split('.');
    tampered[1] = b64({ iss: sim.serviceAccountKey.client_email, sub: sim.adminEmail, aud: sim.tokenUrl, scope: S('user'), iat: 1, exp: 2 });
    expect((await tokenRequest(sim, tampered.join('.'))).body.error_description).toBe('Invalid JWT Signature.');
    expect((await tokenRequest(sim, assertion(sim, { aud: 'https://elsewhere.test/token' }))).body.error).toBe('invalid_grant');
    const now = Math.floor(Date.now() / 1000);
    const expired = await tokenRequest(sim, assertion(sim, { iat: now - 7200, exp: now - 3600 }));
    expect(expired.status).toBe(400);
    expect(expired.body.error).toBe('invalid_grant');
    expect((await tokenRequest(sim, assertion(sim, { iss: 'someone@else.iam.gserviceaccount.com' }))).body.error).toBe('invalid_grant');
    const wrongGrant = await fetch(sim.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) });
    expect(wrongGrant.status).toBe(400);
    expect(((await wrongGrant.json()) as any).error).toBe('unsupported_grant_type');
  });

  it('refuses without delegation, with a missing scope, and for an unknown subject', async () => {
    const clientId = sim.serviceAccountKey.client_id;
    const unauthorized = {
      status: 401,
      body: {
        error: 'unauthorized_client',
        error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      },
    };
    const issued = await token(sim, { scope: S('user.readonly') });
    sim.grantDelegation(clientId, null);
    try {
      expect(await tokenRequest(sim, assertion(sim))).toEqual(unauthorized);
      // Revoking delegation also revokes the tokens already issued to that client.
      expectGoogleError(await api(sim, issued, 'GET', 'users?customer=my_customer'), 401, 'authError');
      sim.grantDelegation(clientId, [S('user.readonly')]);
      expect(await tokenRequest(sim, assertion(sim, { scope: `${S('user.readonly')} ${S('group.readonly')}` }))).toEqual(unauthorized);
      expect((await tokenRequest(sim, assertion(sim, { scope: S('user.readonly') }))).status).toBe(200);
    } finally {
      sim.grantDelegation(clientId, [...GOOGLE_DIRECTORY_SCOPES]);
    }
    expect(await tokenRequest(sim, assertion(sim, { sub: 'nobody@example.test' }))).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid email or User ID' },
    });
  });

  it('needs a bearer token with the right scope, from a super admin', async () => {
    expectGoogleError(await api(sim, null, 'GET', 'users?customer=my_customer'), 401, 'required');
    const missing = await api(sim, null, 'GET', 'users?customer=my_customer');
    expect(missing.body.error.status).toBe('UNAUTHENTICATED');
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expectGoogleError(await api(sim, 'ya29.bogus', 'GET', 'users?customer=my_customer'), 401, 'authError');

    const usersOnly = await token(sim, { scope: S('user.readonly') });
    expect((await api(sim, usersOnly, 'GET', 'users?customer=my_customer')).status).toBe(200);
    const noScope = await api(sim, usersOnly, 'GET', 'groups?customer=my_customer');
    expectGoogleError(noScope, 403, 'insufficientPermissions');
    expect(noScope.body.error.message).toBe('Request had insufficient authentication scopes.');
    expectGoogleError(await api(sim, usersOnly, 'POST', 'users', { primaryEmail: 'x@example.test' }), 403, 'insufficientPermissions');

    // A token for a regular user is issued (delegation works for anyone) but the API refuses it.
    const regular = await token(sim, { sub: 'user000001@example.test' });
    const refused = await api(sim, regular, 'GET', 'users?customer=my_customer');
    expectGoogleError(refused, 403, 'forbidden');
    expect(refused.body.error.message).toBe('Not Authorized to access this resource/api');
    sim.setSuperAdmin('user000001@example.test', true);
    expect((await api(sim, regular, 'GET', 'users?customer=my_customer')).status).toBe(200);
    sim.setSuperAdmin('user000001@example.test', false);
    expectGoogleError(await api(sim, regular, 'GET', 'users?customer=my_customer'), 403, 'forbidden');

    // Without a subject the service account acts as itself: not an admin of the domain.
    const self = await token(sim, { sub: undefined });
    expectGoogleError(await api(sim, self, 'GET', 'users?customer=my_customer'), 403, 'forbidden');
  });
});

describe('Google Directory simulator: users', () => {
  let sim: GoogleDirectorySimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGoogleDirectorySimulator({ seed: { users: 1234, groups: 3, membersPerGroup: 5, orgUnits: 4 } });
    tok = await token(sim);
  });
  afterAll(() => sim.close());

  it('pages 1,234 users (plus the admin) by 500: 3 pages, all unique, in email order', async () => {
    const { items, pages } = await listAll(sim, tok, 'users?customer=my_customer&maxResults=500&orderBy=email', 'users');
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
      name: { givenName: expect.any(String), familyName: expect.any(String), fullName: expect.any(String) },
      isAdmin: false,
      suspended: false,
      aliases: ['alias000030@example.test'],
      relations: [{ type: 'manager', value: 'user000021@example.test' }],
      organizations: [expect.objectContaining({ primary: true, title: expect.any(String), department: expect.any(String) })],
      customerId: 'C0sim01',
    });
    expect(u.id).toMatch(/^\d{21}$/);
    expect(u.creationTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(items.filter((x) => x.suspended)).toHaveLength(Math.floor(1234 / 17));
    // Default page size 100, by domain too.
    expect((await api(sim, tok, 'GET', 'users?domain=example.test')).body.users).toHaveLength(100);
  });

  it('validates list parameters like Google', async () => {
    expectGoogleError(await api(sim, tok, 'GET', 'users?customer=my_customer&maxResults=501'), 400, 'invalid');
    expectGoogleError(await api(sim, tok, 'GET', 'users'), 400, 'badRequest');
    expectGoogleError(await api(sim, tok, 'GET', 'users?customer=C999'), 400, 'badRequest');
    expectGoogleError(await api(sim, tok, 'GET', 'users?domain=other.test'), 403, 'forbidden');
    expectGoogleError(await api(sim, tok, 'GET', 'users?customer=my_customer&pageToken=garbage'), 400, 'invalid');
  });

  it('keeps page tokens stable while users are added and removed', async () => {
    const p1 = await api(sim, tok, 'GET', 'users?customer=my_customer&maxResults=10');
    const seen = p1.body.users.map((u: any) => u.primaryEmail);
    // Delete the last user of page 1 and one on page 2, insert one that sorts before the cursor.
    const lastOfPage1 = p1.body.users[9];
    expect((await api(sim, tok, 'DELETE', `users/${lastOfPage1.id}`)).status).toBe(204);
    expect((await api(sim, tok, 'DELETE', 'users/user000012@example.test')).status).toBe(204);
    expect(
      (await api(sim, tok, 'POST', 'users', { primaryEmail: 'aaa@example.test', name: { givenName: 'A', familyName: 'A' }, password: 'correct horse' })).status,
    ).toBe(200);
    const p2 = await api(sim, tok, 'GET', `users?customer=my_customer&maxResults=10&pageToken=${p1.body.nextPageToken}`);
    const next = p2.body.users.map((u: any) => u.primaryEmail);
    expect(next.some((e: string) => seen.includes(e))).toBe(false);
    expect(next[0] > lastOfPage1.primaryEmail).toBe(true);
    expect(next).not.toContain('user000012@example.test');
    expect(next).toEqual([...next].sort());
    // Restore for the other tests.
    await api(sim, tok, 'DELETE', 'users/aaa@example.test');
  });

  it('filters with query and returns deleted users with showDeleted', async () => {
    const byEmail = await api(sim, tok, 'GET', `users?customer=my_customer&query=${encodeURIComponent('email:user00010*')}`);
    expect(byEmail.body.users.map((u: any) => u.primaryEmail)).toEqual(Array.from({ length: 10 }, (_, k) => `user00010${k}@example.test`));
    const suspended = await listAll(sim, tok, `users?customer=my_customer&maxResults=500&query=${encodeURIComponent('isSuspended=true')}`, 'users');
    expect(suspended.items.length).toBe(Math.floor(1234 / 17));
    const byName = await api(sim, tok, 'GET', `users?customer=my_customer&query=${encodeURIComponent("name:'Sim Admin'")}`);
    expect(byName.body.users.map((u: any) => u.primaryEmail)).toEqual(['admin@example.test']);
    const none = await api(sim, tok, 'GET', `users?customer=my_customer&query=${encodeURIComponent('email:nobody*')}`);
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
      await api(sim, tok, 'POST', 'users', { primaryEmail: 'jane.doe@example.test', name: { givenName: 'J', familyName: 'D' }, password: 'whatever1' }),
      409,
      'duplicate',
    );
    expectGoogleError(
      await api(sim, tok, 'POST', 'users', { primaryEmail: 'alias000030@example.test', name: { givenName: 'J', familyName: 'D' }, password: 'whatever1' }),
      409,
      'duplicate',
    );
    expectGoogleError(
      await api(sim, tok, 'POST', 'users', { primaryEmail: 'x@example.test', name: { givenName: 'X' }, password: 'whatever1' }),
      400,
      'invalid',
    );
    expectGoogleError(
      await api(sim, tok, 'POST', 'users', { primaryEmail: 'x@example.test', name: { givenName: 'X', familyName: 'Y' }, password: 'short' }),
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

    expect((await api(sim, tok, 'GET', `users/${jane.id}`)).body.primaryEmail).toBe('jane.doe@example.test');
    expect((await api(sim, tok, 'GET', 'users/JANE.DOE@example.test')).body.id).toBe(jane.id);
    expect((await api(sim, tok, 'GET', 'users/alias000030@example.test')).body.primaryEmail).toBe('user000030@example.test');

    const patched = await api(sim, tok, 'PATCH', `users/${jane.id}`, { name: { familyName: 'Smith' }, suspended: true, relations: null });
    expect(patched.body).toMatchObject({
      name: { givenName: 'Jane', familyName: 'Smith', fullName: 'Jane Smith' },
      suspended: true,
      suspensionReason: 'ADMIN',
    });
    expect(patched.body.relations).toBeUndefined();
    expect(patched.body.etag).not.toBe(jane.etag);

    const renamed = await api(sim, tok, 'PUT', `users/${jane.id}`, { primaryEmail: 'jane.smith@example.test', suspended: false });
    expect(renamed.body).toMatchObject({ primaryEmail: 'jane.smith@example.test', aliases: ['jane.doe@example.test'], suspended: false });
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
    expect(created.body.nonEditableAliases).toEqual(['typed.emails@example.test.test-google-a.com']);
    const id = created.body.id;
    expect((await api(sim, tok, 'POST', `users/${id}/aliases`, { alias: 'typed.alias@example.test' })).status).toBe(200);
    const withAlias = await api(sim, tok, 'GET', `users/${id}`);
    expect(withAlias.body.emails).toEqual([
      { address: 'typed.emails@example.test', primary: true },
      { address: 'typed.alias@example.test' },
      { address: 'home.person@personal.example', type: 'home' },
      { address: 'other@elsewhere.example', type: 'other' },
    ]);
    const patched = await api(sim, tok, 'PATCH', `users/${id}`, { emails: [{ address: 'work@partner.example', type: 'work' }] });
    expect(patched.body.emails).toEqual([
      { address: 'typed.emails@example.test', primary: true },
      { address: 'typed.alias@example.test' },
      { address: 'work@partner.example', type: 'work' },
    ]);
    expect((await api(sim, tok, 'PATCH', `users/${id}`, { givenName: undefined, orgUnitPath: '/' })).body.emails).toHaveLength(3);
    expectGoogleError(await api(sim, tok, 'PATCH', `users/${id}`, { emails: [{ address: 'not-an-address', type: 'home' }] }), 400, 'invalid');
    expectGoogleError(await api(sim, tok, 'PATCH', `users/${id}`, { emails: [{ address: 'a@b.example', type: 'mobile' }] }), 400, 'invalid');
    const first = (await api(sim, tok, 'GET', 'users?customer=my_customer&maxResults=500')).body.users.find((u: any) => u.primaryEmail.startsWith('user'));
    expect(first.nonEditableAliases).toEqual([first.primaryEmail.replace('@example.test', '@example.test.test-google-a.com')]);
  });

  it('honours partial responses (fields) and reflects direct state changes', async () => {
    const res = await api(sim, tok, 'GET', `users?customer=my_customer&maxResults=2&fields=${encodeURIComponent('nextPageToken,users(id,name/fullName)')}`);
    expect(Object.keys(res.body).sort()).toEqual(['nextPageToken', 'users']);
    expect(Object.keys(res.body.users[0]).sort()).toEqual(['id', 'name']);
    expect(Object.keys(res.body.users[0].name)).toEqual(['fullName']);

    const id = [...sim.state.users.keys()].find((k) => sim.state.users.get(k).primaryEmail === 'user000040@example.test')!;
    sim.state.users.get(id).suspended = true;
    expect((await api(sim, tok, 'GET', `users/${id}`)).body.suspended).toBe(true);
    sim.state.users.set(id, { ...sim.state.users.get(id), primaryEmail: 'renamed040@example.test' });
    expect((await api(sim, tok, 'GET', 'users/renamed040@example.test')).body.id).toBe(id);
  });
});

describe('Google Directory simulator: orderBy, projection and secondary domains', () => {
  let sim: GoogleDirectorySimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGoogleDirectorySimulator({ seed: { users: 30, groups: 2, membersPerGroup: 3 }, secondaryDomains: ['second.test'] });
    tok = await token(sim);
  });
  afterAll(() => sim.close());

  it('orders users by email, familyName or givenName, ascending or descending, across pages', async () => {
    const all = (await listAll(sim, tok, 'users?customer=my_customer&maxResults=500', 'users')).items;
    for (const [orderBy, key] of [
      ['email', (u: any) => u.primaryEmail],
      ['familyName', (u: any) => u.name.familyName.toLowerCase()],
      ['givenName', (u: any) => u.name.givenName.toLowerCase()],
    ] as const) {
      for (const sortOrder of ['ASCENDING', 'DESCENDING']) {
        const { items, pages } = await listAll(sim, tok, `users?customer=my_customer&maxResults=7&orderBy=${orderBy}&sortOrder=${sortOrder}`, 'users');
        expect(pages).toBe(Math.ceil(all.length / 7));
        expect(new Set(items.map((u) => u.id)).size).toBe(all.length);
        const keys = items.map(key);
        const sorted = [...keys].sort();
        expect(keys).toEqual(sortOrder === 'ASCENDING' ? sorted : sorted.reverse());
      }
    }
    // Family names repeat in the seed: the order still differs from the email order.
    const byFamily = (await listAll(sim, tok, 'users?customer=my_customer&maxResults=500&orderBy=familyName', 'users')).items;
    expect(byFamily.map((u) => u.primaryEmail)).not.toEqual(all.map((u) => u.primaryEmail));
    expectGoogleError(await api(sim, tok, 'GET', 'users?customer=my_customer&orderBy=lastLoginTime'), 400, 'invalid');
    expectGoogleError(await api(sim, tok, 'GET', 'users?customer=my_customer&orderBy=email&sortOrder=sideways'), 400, 'invalid');
  });

  it('sends customSchemas only with projection=full, or the masked ones with projection=custom', async () => {
    const created = await api(sim, tok, 'POST', 'users', {
      primaryEmail: 'schemas@example.test',
      name: { givenName: 'Sche', familyName: 'Mas' },
      password: 'correct-horse-battery',
      customSchemas: { HR: { costCenter: '42' }, Badge: { number: '7' } },
    });
    expect(created.status).toBe(200);
    const get = async (q: string) => (await api(sim, tok, 'GET', `users/schemas@example.test${q}`)).body;
    expect(await get('')).not.toHaveProperty('customSchemas');
    expect(await get('?projection=basic')).not.toHaveProperty('customSchemas');
    expect((await get('?projection=full')).customSchemas).toEqual({ HR: { costCenter: '42' }, Badge: { number: '7' } });
    expect((await get('?projection=custom&customFieldMask=HR')).customSchemas).toEqual({ HR: { costCenter: '42' } });
    expectGoogleError(await api(sim, tok, 'GET', 'users/schemas@example.test?projection=custom'), 400, 'invalid');
    expectGoogleError(await api(sim, tok, 'GET', 'users/schemas@example.test?projection=everything'), 400, 'invalid');
    const listed = async (q: string) =>
      (await listAll(sim, tok, `users?customer=my_customer&maxResults=500${q}`, 'users')).items.find((u) => u.primaryEmail === 'schemas@example.test');
    expect(await listed('')).not.toHaveProperty('customSchemas');
    expect((await listed('&projection=full')).customSchemas).toHaveProperty('Badge');
    expect((await listed('&projection=custom&customFieldMask=Badge')).customSchemas).toEqual({ Badge: { number: '7' } });
  });

  it('holds users on a secondary domain: customer lists every domain, domain= only that one', async () => {
    const created = await api(sim, tok, 'POST', 'users', {
      primaryEmail: 'second@second.test',
      name: { givenName: 'Sec', familyName: 'Ond' },
      password: 'correct-horse-battery',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expectGoogleError(
      await api(sim, tok, 'POST', 'users', { primaryEmail: 'x@elsewhere.test', name: { givenName: 'X', familyName: 'Y' }, password: 'correct-horse-battery' }),
      400,
      'invalid',
    );
    const everyone = (await listAll(sim, tok, 'users?customer=my_customer&maxResults=500', 'users')).items.map((u) => u.primaryEmail);
    expect(everyone).toContain('second@second.test');
    expect(everyone).toContain('admin@example.test');
    const secondary = (await listAll(sim, tok, 'users?domain=second.test', 'users')).items.map((u) => u.primaryEmail);
    expect(secondary).toEqual(['second@second.test']);
    const primary = (await listAll(sim, tok, 'users?domain=example.test&maxResults=500', 'users')).items.map((u) => u.primaryEmail);
    expect(primary).not.toContain('second@second.test');
    expect(primary.length).toBe(everyone.length - 1);

    const group = await api(sim, tok, 'POST', 'groups', { email: 'team@second.test', name: 'Second team' });
    expect(group.status).toBe(200);
    expect((await listAll(sim, tok, 'groups?domain=second.test', 'groups')).items.map((g) => g.email)).toEqual(['team@second.test']);
    expect((await listAll(sim, tok, 'groups?customer=my_customer', 'groups')).items.map((g) => g.email)).toContain('team@second.test');
  });
});

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

describe('Google Directory simulator: faults and quota', () => {
  let sim: GoogleDirectorySimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGoogleDirectorySimulator({ seed: { users: 50, groups: 2, membersPerGroup: 2, orgUnits: 1 } });
    tok = await token(sim);
  });
  afterAll(() => sim.close());

  it.each([
    ['429', 429, 'rateLimitExceeded', 'usageLimits'],
    ['500', 500, 'backendError', 'global'],
    ['503', 503, 'backendError', 'global'],
    ['rateLimitExceeded', 403, 'rateLimitExceeded', 'usageLimits'],
    ['userRateLimitExceeded', 403, 'userRateLimitExceeded', 'usageLimits'],
    ['quotaExceeded', 403, 'quotaExceeded', 'usageLimits'],
  ] as const)('fault %s answers %i %s', async (kind, code, reason, domain) => {
    sim.setFaults({ rate: 1, kinds: [kind], retryAfterSeconds: 7 });
    try {
      const before = sim.requests.faultsInjected;
      const res = await api(sim, tok, 'GET', 'users?customer=my_customer');
      expectGoogleError(res, code, reason, domain);
      if (kind === '429') {
        expect(res.headers.get('retry-after')).toBe('7');
        expect(res.body.error.status).toBe('RESOURCE_EXHAUSTED');
      }
      expect(sim.requests.faultsInjected).toBe(before + 1);
      // The token endpoint stays reliable.
      expect((await tokenRequest(sim, assertion(sim))).status).toBe(200);
    } finally {
      sim.setFaults(null);
    }
  });

  it('fault reset drops the connection mid-response', async () => {
    sim.setFaults({ rate: 1, kinds: ['reset'] });
    try {
      await expect(
        (async () => {
          const res = await fetch(`${sim.url}admin/directory/v1/users?customer=my_customer`, { headers: { authorization: `Bearer ${tok}` } });
          return res.text();
        })(),
      ).rejects.toThrow();
    } finally {
      sim.setFaults(null);
    }
    expect((await api(sim, tok, 'GET', 'users?customer=my_customer')).status).toBe(200);
  });

  it('fault timeout never answers', async () => {
    const held = await startGoogleDirectorySimulator({ seed: { users: 1, groups: 0, orgUnits: 0 }, faults: { rate: 1, kinds: ['timeout'] } });
    const heldToken = await token(held);
    const started = Date.now();
    await expect(
      fetch(`${held.url}admin/directory/v1/users?customer=my_customer`, {
        headers: { authorization: `Bearer ${heldToken}` },
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(held.requests.faultsInjected).toBe(1);
    await held.close();
  });

  it('draws faults deterministically from the seed', async () => {
    const run = async () => {
      sim.setFaults({ rate: 0.5, kinds: ['500', '503'], seed: 42 });
      const statuses: number[] = [];
      for (let k = 0; k < 12; k++) statuses.push((await api(sim, tok, 'GET', 'users?customer=my_customer&maxResults=1')).status);
      sim.setFaults(null);
      return statuses;
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(a.some((s) => s === 200)).toBe(true);
    expect(a.some((s) => s >= 500)).toBe(true);
  });

  it('refuses calls beyond the per-minute quota with 403 userRateLimitExceeded and no Retry-After until the window rolls over', async () => {
    const limited = await startGoogleDirectorySimulator({ seed: { users: 5, groups: 0, orgUnits: 0 }, quota: { perMinute: 5 } });
    try {
      const t = await token(limited);
      for (let k = 0; k < 5; k++) expect((await api(limited, t, 'GET', 'users?customer=my_customer')).status).toBe(200);
      // The quota stays used up: every further call of the minute is refused, the same way.
      for (let k = 0; k < 3; k++) {
        const refused = await api(limited, t, 'GET', 'users?customer=my_customer');
        expectGoogleError(refused, 403, 'userRateLimitExceeded', 'usageLimits');
        expect(refused.headers.get('retry-after')).toBeNull();
        expect(refused.body.error.status).toBe('PERMISSION_DENIED');
        expect(refused.body.error.message).toMatch(/^User Rate Limit Exceeded\./);
        expect(refused.body.error.errors[0].extendedHelp).toMatch(/admin\.googleapis\.com\/quotas/);
      }
      expect(limited.requests.quotaRejections).toBe(3);
      // Token requests are not counted against the quota.
      expect((await tokenRequest(limited, assertion(limited))).status).toBe(200);

      // A short window (tests never wait a real minute): refused until it rolls over, then 2 more calls.
      limited.setQuota({ perMinute: 2, windowSeconds: 2 });
      const statuses: number[] = [];
      for (let k = 0; k < 3; k++) statuses.push((await api(limited, t, 'GET', 'users?customer=my_customer')).status);
      expect(statuses).toEqual([200, 200, 403]);
      let next = 403;
      for (let k = 0; k < 60 && next === 403; k++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        next = (await api(limited, t, 'GET', 'users?customer=my_customer')).status;
      }
      expect(next).toBe(200);
      limited.setQuota(null);
      for (let k = 0; k < 5; k++) expect((await api(limited, t, 'GET', 'users?customer=my_customer')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('Google Directory simulator: seed', () => {
  it('is deterministic and handles 100k users, 5k groups and 200k memberships', async () => {
    const options = { seed: { users: 100_000, groups: 5_000, membersPerGroup: 40, orgUnits: 20 } };
    const started = Date.now();
    const a = await startGoogleDirectorySimulator(options);
    const b = await startGoogleDirectorySimulator(options);
    try {
      expect(Date.now() - started).toBeLessThan(15_000);
      const [ta, tb] = [await token(a), await token(b)];
      const t0 = Date.now();
      const pa = await api(a, ta, 'GET', 'users?customer=my_customer&maxResults=500');
      expect(pa.body.users).toHaveLength(500);
      expect(Date.now() - t0).toBeLessThan(5_000);
      const pb = await api(b, tb, 'GET', 'users?customer=my_customer&maxResults=500');
      expect(pb.body.users).toEqual(pa.body.users);
      // A page from the middle, by token.
      const last = await api(a, ta, 'GET', `users?customer=my_customer&maxResults=500&query=${encodeURIComponent('email:user09999*')}`);
      expect(last.body.users.map((u: any) => u.primaryEmail)).toEqual(Array.from({ length: 10 }, (_, k) => `user09999${k}@example.test`));
      expect(a.state.users.size).toBe(100_001);
      expect(a.state.groups.size).toBe(5_000);
      const g = await api(a, ta, 'GET', 'groups/group5000@example.test/members?maxResults=200');
      expect(g.body.members).toHaveLength(40);
      expect((await api(a, ta, 'GET', 'groups/group5000@example.test')).body.directMembersCount).toBe('40');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

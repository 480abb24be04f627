import { ConfidentialClientApplication, type INetworkModule, type NetworkResponse } from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GraphSimulator, type GraphSimulatorOptions, startGraphSimulator } from './graph';

// Real HTTP with fetch against the simulator; links point to the simulator itself (links: 'local').

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

async function tokenRequest(sim: GraphSimulator, form: Record<string, string>, tenant = sim.tenantId) {
  const res = await fetch(`${sim.authorityHost}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const credentials = (sim: GraphSimulator, extra: Record<string, string> = {}) => ({
  grant_type: 'client_credentials',
  client_id: sim.clientId,
  client_secret: sim.clientSecret,
  scope: GRAPH_SCOPE,
  ...extra,
});

async function token(sim: GraphSimulator): Promise<string> {
  const { status, body } = await tokenRequest(sim, credentials(sim));
  expect(status, JSON.stringify(body)).toBe(200);
  return body.access_token;
}

interface ApiResult {
  status: number;
  body: any;
  headers: Headers;
}

async function call(
  sim: GraphSimulator,
  tok: string | null,
  method: string,
  pathOrUrl: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResult> {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${sim.url}/v1.0/${pathOrUrl}`;
  const res = await fetch(url, {
    method,
    headers: { ...(tok ? { authorization: `Bearer ${tok}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

function expectGraphError(result: ApiResult, status: number, code: string, message?: string | RegExp) {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.body.error.code).toBe(code);
  if (typeof message === 'string') expect(result.body.error.message).toBe(message);
  else if (message) expect(result.body.error.message).toMatch(message);
  expect(result.body.error.innerError).toMatchObject({ date: expect.any(String), 'request-id': expect.any(String), 'client-request-id': expect.any(String) });
}

/** Follows `@odata.nextLink` until a page without it; answers every item, the pages and the last page. */
async function followAll(sim: GraphSimulator, tok: string, first: string, headers: Record<string, string> = {}) {
  const items: any[] = [];
  let next: string | undefined = first;
  let pages = 0;
  let last: any;
  while (next) {
    const res = await call(sim, tok, 'GET', next, undefined, headers);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    items.push(...res.body.value);
    last = res.body;
    next = res.body['@odata.nextLink'];
    pages++;
  }
  return { items, pages, last };
}

const UPN = (i: number) => `user${String(i).padStart(6, '0')}@example.test`;

describe('Graph simulator: identity platform', () => {
  let sim: GraphSimulator;
  beforeAll(async () => {
    sim = await startGraphSimulator();
  });
  afterAll(() => sim.close());

  it('issues a client-credentials token whose payload carries roles, tid and appid', async () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.tokenUrl).toBe(`${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`);
    const before = sim.requests.tokensIssued;
    const { status, body } = await tokenRequest(sim, credentials(sim));
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    const payload = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString('utf8'));
    expect(payload).toMatchObject({ tid: sim.tenantId, appid: sim.clientId, aud: 'https://graph.microsoft.com' });
    expect(payload.roles).toEqual(expect.arrayContaining(['User.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.Read.All']));
    // The tenant may be named by its domain too.
    expect((await tokenRequest(sim, credentials(sim), 'example.test')).status).toBe(200);
    expect(sim.requests.tokensIssued).toBe(before + 2);
    expect(sim.requests.byRoute.token).toBeGreaterThanOrEqual(2);
  });

  it('answers each AADSTS error in the OAuth error JSON', async () => {
    const check = (result: { status: number; body: any }, status: number, error: string, code: number) => {
      expect(result.status).toBe(status);
      expect(result.body).toMatchObject({
        error,
        error_codes: [code],
        timestamp: expect.any(String),
        trace_id: expect.any(String),
        correlation_id: expect.any(String),
      });
      expect(result.body.error_description.startsWith(`AADSTS${code}:`)).toBe(true);
    };
    check(await tokenRequest(sim, credentials(sim), '00000000-0000-4000-8000-000000000000'), 400, 'invalid_request', 90002);
    check(await tokenRequest(sim, credentials(sim, { client_id: '11111111-2222-4333-8444-555555555555' })), 400, 'unauthorized_client', 700016);
    check(await tokenRequest(sim, credentials(sim, { client_secret: 'wrong' })), 401, 'invalid_client', 7000215);
    check(await tokenRequest(sim, credentials(sim, { scope: 'User.Read.All' })), 400, 'invalid_scope', 1002012);
    check(await tokenRequest(sim, credentials(sim, { scope: '' })), 400, 'invalid_scope', 70011);
    const withCorrelation = await fetch(sim.tokenUrl, {
      method: 'POST',
      headers: { 'client-request-id': 'corr-1' },
      body: new URLSearchParams(credentials(sim, { client_secret: 'x' })),
    });
    expect(((await withCorrelation.json()) as any).correlation_id).toBe('corr-1');
  });

  it('serves the openid configuration and instance discovery on the public hosts by default', async () => {
    const res = await fetch(`${sim.authorityHost}/${sim.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const config = (await res.json()) as any;
    expect(config).toMatchObject({
      token_endpoint: `https://login.microsoftonline.com/${sim.tenantId}/oauth2/v2.0/token`,
      issuer: `https://login.microsoftonline.com/${sim.tenantId}/v2.0`,
      authorization_endpoint: `https://login.microsoftonline.com/${sim.tenantId}/oauth2/v2.0/authorize`,
      jwks_uri: `https://login.microsoftonline.com/${sim.tenantId}/discovery/v2.0/keys`,
    });
    const unknown = await fetch(`${sim.authorityHost}/nobody.test/v2.0/.well-known/openid-configuration`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error_codes).toEqual([90002]);
    const discovery = (await (
      await fetch(
        `${sim.authorityHost}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`https://login.microsoftonline.com/${sim.tenantId}/oauth2/v2.0/authorize`)}`,
      )
    ).json()) as any;
    expect(discovery).toMatchObject({
      tenant_discovery_endpoint: `https://login.microsoftonline.com/${sim.tenantId}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: 'login.microsoftonline.com', preferred_cache: 'login.windows.net' }],
    });
    expect(discovery.metadata[0].aliases).toContain('login.windows.net');
  });

  it('returns public Graph hosts in @odata links by default', async () => {
    const tok = await token(sim);
    const list = await call(sim, tok, 'GET', 'users?$top=5&$select=id');
    expect(list.body['@odata.context']).toBe('https://graph.microsoft.com/v1.0/$metadata#users(id)');
    expect(list.body['@odata.nextLink']).toMatch(/^https:\/\/graph\.microsoft\.com\/v1\.0\/users\?\$top=5&\$select=id&\$skiptoken=/);
    // A client that rewrites the host follows it as is.
    const second = await call(sim, tok, 'GET', list.body['@odata.nextLink'].replace('https://graph.microsoft.com', sim.url));
    expect(second.status).toBe(200);
    const delta = await call(sim, tok, 'GET', 'users/delta?$select=id', undefined, { prefer: 'odata.maxpagesize=999' });
    expect(delta.body['@odata.deltaLink']).toMatch(/^https:\/\/graph\.microsoft\.com\/v1\.0\/users\/delta\?\$deltatoken=/);
  });

  it('points discovery links to itself with links: local', async () => {
    const local = await startGraphSimulator({ links: 'local' });
    try {
      const config = (await (await fetch(`${local.authorityHost}/${local.tenantId}/v2.0/.well-known/openid-configuration`)).json()) as any;
      expect(config.token_endpoint).toBe(local.tokenUrl);
    } finally {
      await local.close();
    }
  });

  it('gives @azure/msal-node a client-credentials token through a host-rewriting networkClient', async () => {
    const seen: string[] = [];
    const send = async <T>(method: 'GET' | 'POST', url: string, options?: { headers?: Record<string, string>; body?: string }): Promise<NetworkResponse<T>> => {
      seen.push(`${method} ${url}`);
      const target = url.replace(/^https:\/\/login\.microsoftonline\.com/i, sim.authorityHost);
      const res = await fetch(target, { method, headers: options?.headers, body: method === 'POST' ? options?.body : undefined });
      return { headers: Object.fromEntries(res.headers.entries()), body: (await res.json()) as T, status: res.status };
    };
    const networkClient: INetworkModule = {
      sendGetRequestAsync: (url, options) => send('GET', url, options),
      sendPostRequestAsync: (url, options) => send('POST', url, options),
    };
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: sim.clientId,
        clientSecret: sim.clientSecret,
        authority: `https://login.microsoftonline.com/${sim.tenantId}`,
        knownAuthorities: ['login.microsoftonline.com'],
      },
      system: { networkClient },
    });
    const result = await app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    expect(result?.accessToken).toBeTruthy();
    expect(result?.tokenType).toBe('Bearer');
    expect(seen.some((s) => s.startsWith(`POST https://login.microsoftonline.com/${sim.tenantId}/oauth2/v2.0/token`))).toBe(true);
    const me = await call(sim, result!.accessToken, 'GET', 'organization');
    expect(me.status).toBe(200);

    const bad = new ConfidentialClientApplication({
      auth: {
        clientId: sim.clientId,
        clientSecret: 'wrong',
        authority: `https://login.microsoftonline.com/${sim.tenantId}`,
        knownAuthorities: ['login.microsoftonline.com'],
      },
      system: { networkClient },
    });
    await expect(bad.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] })).rejects.toMatchObject({ errorCode: 'invalid_client' });
  });
});

describe('Graph simulator: authorization', () => {
  let sim: GraphSimulator;
  beforeAll(async () => {
    sim = await startGraphSimulator({ links: 'local' });
  });
  afterAll(() => sim.close());

  it('answers 401 InvalidAuthenticationToken without or with a bad token', async () => {
    const missing = await call(sim, null, 'GET', 'users');
    expectGraphError(missing, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expectGraphError(await call(sim, 'not-a-jwt', 'GET', 'users'), 401, 'InvalidAuthenticationToken');
    const tok = await token(sim);
    const [h, p] = tok.split('.');
    expectGraphError(await call(sim, `${h}.${p}.AAAA`, 'GET', 'users'), 401, 'InvalidAuthenticationToken');
  });

  it('answers 403 Authorization_RequestDenied without consent or without the route role', async () => {
    const tok = await token(sim);
    expect((await call(sim, tok, 'GET', 'users')).status).toBe(200);
    sim.grantPermissions(null);
    try {
      const withoutRoles = await token(sim);
      const payload = JSON.parse(Buffer.from(withoutRoles.split('.')[1]!, 'base64url').toString('utf8'));
      expect(payload.roles).toBeUndefined();
      expectGraphError(await call(sim, withoutRoles, 'GET', 'users'), 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
      // Revoking consent applies at once, even to tokens issued before.
      expectGraphError(await call(sim, tok, 'GET', 'users'), 403, 'Authorization_RequestDenied');
      sim.grantPermissions(['User.Read.All']);
      const readOnly = await token(sim);
      expect((await call(sim, readOnly, 'GET', 'users')).status).toBe(200);
      expectGraphError(await call(sim, readOnly, 'GET', 'groups'), 403, 'Authorization_RequestDenied');
      expectGraphError(await call(sim, readOnly, 'PATCH', `users/${UPN(1)}`, { jobTitle: 'X' }), 403, 'Authorization_RequestDenied');
      expectGraphError(await call(sim, readOnly, 'GET', 'subscribedSkus'), 403, 'Authorization_RequestDenied');
    } finally {
      sim.grantPermissions([
        'User.ReadWrite.All',
        'Group.ReadWrite.All',
        'GroupMember.ReadWrite.All',
        'Directory.ReadWrite.All',
        'Organization.Read.All',
        'LicenseAssignment.ReadWrite.All',
        'RoleManagement.Read.Directory',
      ]);
    }
    expect((await call(sim, await token(sim), 'GET', 'groups')).status).toBe(200);
  });

  it('serves the organization and the Global Administrator role with the admin as member', async () => {
    const tok = await token(sim);
    const org = await call(sim, tok, 'GET', 'organization');
    expect(org.body.value[0]).toMatchObject({ id: sim.tenantId, displayName: expect.any(String) });
    expect(org.body.value[0].verifiedDomains).toContainEqual(expect.objectContaining({ name: 'example.test', isDefault: true }));
    const roles = await call(sim, tok, 'GET', 'directoryRoles');
    const ga = roles.body.value.find((r: any) => r.displayName === 'Global Administrator');
    expect(ga.roleTemplateId).toBe('62e90394-69f5-4237-9190-012177145e10');
    const gaMembers = await call(sim, tok, 'GET', `directoryRoles/${ga.id}/members`);
    expect(gaMembers.body.value).toEqual([expect.objectContaining({ '@odata.type': '#microsoft.graph.user', userPrincipalName: 'admin@example.test' })]);
    const byTemplate = await call(sim, tok, 'GET', `directoryRoles(roleTemplateId='${ga.roleTemplateId}')/members`);
    expect(byTemplate.body.value).toHaveLength(1);
  });
});

describe('Graph simulator: users', () => {
  let sim: GraphSimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGraphSimulator({ links: 'local', seed: { users: 45, groups: 3, membersPerGroup: 5 } });
    tok = await token(sim);
  });
  afterAll(() => sim.close());

  it('pages every user exactly once by $top with $select and an opaque $skiptoken', async () => {
    const first = await call(sim, tok, 'GET', 'users?$top=7&$select=id,displayName,accountEnabled');
    expect(first.body['@odata.context']).toBe(`${sim.url}/v1.0/$metadata#users(id,displayName,accountEnabled)`);
    expect(first.body['@odata.nextLink']).toMatch(new RegExp(`^${sim.url}/v1\\.0/users\\?.*\\$skiptoken=`));
    expect(Object.keys(first.body.value[0]).sort()).toEqual(['accountEnabled', 'displayName', 'id']);
    const { items, pages } = await followAll(sim, tok, 'users?$top=7&$select=id,displayName,accountEnabled');
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
    expectGraphError(await call(sim, tok, 'GET', 'users?$top=1000'), 400, 'Request_BadRequest', /Must be between 1 and 999/);
    expectGraphError(await call(sim, tok, 'GET', 'users?$top=0'), 400, 'Request_BadRequest');
    expectGraphError(await call(sim, tok, 'GET', 'users?$select=nope'), 400, 'Request_BadRequest');
  });

  it('filters by eq on userPrincipalName, mail and id, and by startswith(displayName)', async () => {
    const byUpn = await call(sim, tok, 'GET', `users?$filter=${encodeURIComponent(`userPrincipalName eq '${UPN(3).toUpperCase()}'`)}`);
    expect(byUpn.body.value.map((u: any) => u.userPrincipalName)).toEqual([UPN(3)]);
    const byMail = await call(sim, tok, 'GET', `users?$filter=${encodeURIComponent(`mail eq '${UPN(4)}'`)}&$select=id,mail`);
    expect(byMail.body.value).toHaveLength(1);
    const byId = await call(sim, tok, 'GET', `users?$filter=${encodeURIComponent(`id eq '${byMail.body.value[0].id}'`)}`);
    expect(byId.body.value[0].userPrincipalName).toBe(UPN(4));
    const name = byUpn.body.value[0].displayName.split(' ')[0];
    const starts = await followAll(sim, tok, `users?$top=2&$filter=${encodeURIComponent(`startswith(displayName,'${name}')`)}`);
    expect(starts.items.length).toBeGreaterThan(1);
    expect(starts.items.every((u) => u.displayName.startsWith(name))).toBe(true);
    const enabled = await followAll(sim, tok, `users?$top=999&$filter=${encodeURIComponent('accountEnabled eq false')}&$select=id,accountEnabled`);
    expect(enabled.items).toHaveLength(2);
    expectGraphError(await call(sim, tok, 'GET', `users?$filter=${encodeURIComponent("endswith(mail,'x')")}`), 400, 'Request_UnsupportedQuery');
  });

  it('expands the manager (blocks of ten report to their first user)', async () => {
    const res = await call(sim, tok, 'GET', `users/${UPN(13)}?$expand=${encodeURIComponent('manager($select=id)')}`);
    const head = await call(sim, tok, 'GET', `users/${UPN(11)}?$select=id,manager`.replace(',manager', ''));
    expect(res.body.manager).toEqual({ '@odata.type': '#microsoft.graph.user', id: head.body.id });
    const list = await call(sim, tok, 'GET', `users?$top=999&$select=id,userPrincipalName&$expand=${encodeURIComponent('manager($select=id)')}`);
    expect(list.body.value.find((u: any) => u.userPrincipalName === UPN(1)).manager).toBeUndefined();
    const manager = await call(sim, tok, 'GET', `users/${UPN(13)}/manager`);
    expect(manager.body.userPrincipalName).toBe(UPN(11));
  });

  it('gets by id or UPN, creates, patches and deletes users', async () => {
    const byUpn = await call(sim, tok, 'GET', `users/${UPN(2)}?$select=id,userPrincipalName,assignedLicenses,usageLocation,accountEnabled`);
    expect(byUpn.body).toMatchObject({ userPrincipalName: UPN(2), usageLocation: 'US', accountEnabled: true });
    expect(byUpn.body.assignedLicenses.length).toBeGreaterThan(0);
    const byId = await call(sim, tok, 'GET', `users/${byUpn.body.id}`);
    expect(byId.body['@odata.context']).toBe(`${sim.url}/v1.0/$metadata#users/$entity`);
    expectGraphError(await call(sim, tok, 'GET', 'users/nobody@example.test'), 404, 'Request_ResourceNotFound');

    const input = {
      accountEnabled: true,
      displayName: 'New Person',
      mailNickname: 'newperson',
      userPrincipalName: 'new.person@example.test',
      passwordProfile: { forceChangePasswordNextSignIn: true, password: 'Str0ng!Passw0rd' },
    };
    const created = await call(sim, tok, 'POST', 'users', input);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ displayName: 'New Person', userPrincipalName: 'new.person@example.test', mail: null });
    expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sim.state.passwords.get(created.body.id)).toBe('Str0ng!Passw0rd');
    expectGraphError(
      await call(sim, tok, 'POST', 'users', input),
      400,
      'Request_BadRequest',
      'Another object with the same value for property userPrincipalName already exists.',
    );
    expectGraphError(
      await call(sim, tok, 'POST', 'users', { ...input, userPrincipalName: 'weak@example.test', passwordProfile: { password: 'password' } }),
      400,
      'Request_BadRequest',
      'The specified password does not comply with password complexity requirements. Please provide a different password.',
    );
    expectGraphError(
      await call(sim, tok, 'POST', 'users', { ...input, mailNickname: undefined, userPrincipalName: 'x@example.test' }),
      400,
      'Request_BadRequest',
      /mailNickname/,
    );
    expectGraphError(await call(sim, tok, 'POST', 'users', { ...input, userPrincipalName: 'x@elsewhere.test' }), 400, 'Request_BadRequest', /verified domain/);

    const patched = await call(sim, tok, 'PATCH', `users/${created.body.id}`, {
      jobTitle: 'CTO',
      usageLocation: 'GB',
      passwordProfile: { password: 'An0ther!Secret' },
    });
    expect(patched.status).toBe(204);
    expect(sim.state.users.get(created.body.id)).toMatchObject({ jobTitle: 'CTO', usageLocation: 'GB' });
    expect(sim.state.passwords.get(created.body.id)).toBe('An0ther!Secret');
    expectGraphError(await call(sim, tok, 'PATCH', `users/${created.body.id}`, { userPrincipalName: UPN(1) }), 400, 'Request_BadRequest', /already exists/);
    expectGraphError(await call(sim, tok, 'PATCH', `users/${created.body.id}`, { nope: 1 }), 400, 'Request_BadRequest');

    const revoked = await call(sim, tok, 'POST', `users/${created.body.id}/revokeSignInSessions`);
    expect(revoked.body.value).toBe(true);
    expect(sim.state.revokedSessions.has(created.body.id)).toBe(true);

    // Deleting moves the user to deletedUsers and out of its groups.
    const member = await call(sim, tok, 'GET', `users/${UPN(1)}`);
    const [firstGroup] = [...sim.state.groups.keys()].filter((gid) => sim.state.members.get(gid)!.has(member.body.id));
    expect(firstGroup).toBeDefined();
    expect((await call(sim, tok, 'DELETE', `users/${member.body.id}`)).status).toBe(204);
    expect(sim.state.users.has(member.body.id)).toBe(false);
    expect(sim.state.deletedUsers.get(member.body.id)).toMatchObject({ id: member.body.id, deletedDateTime: expect.any(String) });
    expect(sim.state.members.get(firstGroup!)!.has(member.body.id)).toBe(false);
    expectGraphError(await call(sim, tok, 'GET', `users/${member.body.id}`), 404, 'Request_ResourceNotFound');
    const deleted = await call(sim, tok, 'GET', 'directory/deletedItems/microsoft.graph.user');
    expect(deleted.body.value.map((u: any) => u.id)).toContain(member.body.id);
  });
});

describe('Graph simulator: groups and members', () => {
  let sim: GraphSimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGraphSimulator({ links: 'local', seed: { users: 30, groups: 12, membersPerGroup: 4 } });
    tok = await token(sim);
  });
  afterAll(() => sim.close());

  it('lists groups with Unified and security groups, paged by $top', async () => {
    const { items, pages } = await followAll(sim, tok, 'groups?$top=5');
    expect(pages).toBe(3);
    expect(items).toHaveLength(12);
    expect(items.filter((g) => g.groupTypes.includes('Unified'))).toHaveLength(4);
    const unified = items.find((g) => g.groupTypes.includes('Unified'));
    expect(unified).toMatchObject({ mailEnabled: true, securityEnabled: false, mail: expect.stringMatching(/@example\.test$/) });
    const sel = await call(sim, tok, 'GET', `groups?$select=id,displayName&$filter=${encodeURIComponent("mailNickname eq 'group0003'")}`);
    expect(sel.body.value).toEqual([{ id: expect.any(String), displayName: expect.stringMatching(/ 0003$/) }]);
  });

  it('lists members with @odata.type, including the nested previous group for every tenth group', async () => {
    const g10 = (await call(sim, tok, 'GET', `groups?$filter=${encodeURIComponent("mailNickname eq 'group0010'")}`)).body.value[0];
    const g9 = (await call(sim, tok, 'GET', `groups?$filter=${encodeURIComponent("mailNickname eq 'group0009'")}`)).body.value[0];
    const { items, pages } = await followAll(sim, tok, `groups/${g10.id}/members?$top=2&$select=id,displayName`);
    expect(pages).toBe(2);
    expect(items).toHaveLength(4);
    expect(items.filter((m) => m['@odata.type'] === '#microsoft.graph.user')).toHaveLength(3);
    expect(items).toContainEqual({ '@odata.type': '#microsoft.graph.group', id: g9.id, displayName: g9.displayName });
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
    expect(created.body).toMatchObject({ displayName: 'Project X', mail: 'projectx@example.test', groupTypes: ['Unified'] });
    const gid = created.body.id;
    expect((await call(sim, tok, 'PATCH', `groups/${gid}`, { description: 'Secret' })).status).toBe(204);
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
        '@odata.id': 'https://graph.microsoft.com/v1.0/directoryObjects/00000000-0000-4000-8000-000000000000',
      }),
      404,
      'Request_ResourceNotFound',
    );
    expect((await call(sim, tok, 'GET', `groups/${gid}/members`)).body.value.map((m: any) => m.id)).toEqual([user.id]);
    expect((await call(sim, tok, 'DELETE', `groups/${gid}/members/${user.id}/$ref`)).status).toBe(204);
    expectGraphError(await call(sim, tok, 'DELETE', `groups/${gid}/members/${user.id}/$ref`), 404, 'Request_ResourceNotFound');
    expect((await call(sim, tok, 'GET', `groups/${gid}/members`)).body.value).toEqual([]);

    // Removing a seeded member works too; the seeded set is materialized into state.members.
    const g1 = (await call(sim, tok, 'GET', `groups?$filter=${encodeURIComponent("mailNickname eq 'group0001'")}`)).body.value[0];
    const seededMember = (await call(sim, tok, 'GET', `groups/${g1.id}/members`)).body.value[0].id;
    expect((await call(sim, tok, 'DELETE', `groups/${g1.id}/members/${seededMember}/$ref`)).status).toBe(204);
    expect(sim.state.members.get(g1.id)!.has(seededMember)).toBe(false);

    expect((await call(sim, tok, 'DELETE', `groups/${gid}`)).status).toBe(204);
    expectGraphError(await call(sim, tok, 'GET', `groups/${gid}`), 404, 'Request_ResourceNotFound');
  });
});

describe('Graph simulator: licences', () => {
  let sim: GraphSimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGraphSimulator({ links: 'local', seed: { users: 10, groups: 1, membersPerGroup: 2 } });
    tok = await token(sim);
  });
  afterAll(() => sim.close());

  const skuOf = async (part: string) => (await call(sim, tok, 'GET', 'subscribedSkus')).body.value.find((s: any) => s.skuPartNumber === part);

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
    const holders = (await followAll(sim, tok, 'users?$select=id,assignedLicenses')).items.filter((u) =>
      u.assignedLicenses.some((l: any) => l.skuId === pbi.skuId),
    );
    expect(holders).toHaveLength(5);
  });

  it('assigns and removes licences, updating consumed units', async () => {
    const ems = await skuOf('EMS');
    const user = (await call(sim, tok, 'GET', `users/${UPN(9)}?$select=id,assignedLicenses`)).body;
    expect(user.assignedLicenses.some((l: any) => l.skuId === ems.skuId)).toBe(false);
    const res = await call(sim, tok, 'POST', `users/${user.id}/assignLicense`, { addLicenses: [{ skuId: ems.skuId, disabledPlans: [] }], removeLicenses: [] });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(user.id);
    expect((await skuOf('EMS')).consumedUnits).toBe(ems.consumedUnits + 1);
    expect(sim.state.users.get(user.id).assignedLicenses).toContainEqual({ disabledPlans: [], skuId: ems.skuId });
    await call(sim, tok, 'POST', `users/${user.id}/assignLicense`, { addLicenses: [], removeLicenses: [ems.skuId] });
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
    expectGraphError(res, 400, 'Request_BadRequest', `Subscription ${pbi.skuId} does not have any available licenses.`);
    expect((await skuOf('POWER_BI_PRO')).consumedUnits).toBe(pbi.consumedUnits);
    expect((await skuOf('EMS')).consumedUnits).toBe(ems.consumedUnits);
    expect((await call(sim, tok, 'GET', `users/${user.id}?$select=id,assignedLicenses`)).body.assignedLicenses).toEqual(user.assignedLicenses);
    expectGraphError(
      await call(sim, tok, 'POST', `users/${user.id}/assignLicense`, { addLicenses: [{ skuId: '00000000-0000-4000-8000-000000000001' }], removeLicenses: [] }),
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
      await call(sim, tok, 'POST', `users/${created.body.id}/assignLicense`, { addLicenses: [{ skuId: e3.skuId, disabledPlans: [] }], removeLicenses: [] }),
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

describe('Graph simulator: $batch, throttling and faults', () => {
  it('runs a $batch with mixed results and a throttled sub-request carrying Retry-After', async () => {
    const sim = await startGraphSimulator({ links: 'local' });
    try {
      const tok = await token(sim);
      const batch = (requests: unknown[]) => call(sim, tok, 'POST', '$batch', { requests });
      const res = await batch([
        { id: '1', method: 'GET', url: `/users/${UPN(1)}?$select=id,userPrincipalName` },
        { id: '2', method: 'GET', url: '/users/nobody@example.test' },
        {
          id: '3',
          method: 'POST',
          url: '/users',
          headers: { 'Content-Type': 'application/json' },
          body: {
            accountEnabled: true,
            displayName: 'B',
            mailNickname: 'b',
            userPrincipalName: 'b@example.test',
            passwordProfile: { password: 'Val1d!Password' },
          },
        },
        { id: '4', method: 'PATCH', url: `/users/${UPN(2)}`, headers: { 'Content-Type': 'application/json' }, body: { jobTitle: 'Batched' } },
        { id: '5', method: 'GET', url: 'groups?$top=2' },
      ]);
      expect(res.status).toBe(200);
      const byId = new Map(res.body.responses.map((r: any) => [r.id, r]));
      expect(byId.get('1')).toMatchObject({ status: 200, body: { userPrincipalName: UPN(1) } });
      expect(byId.get('2')).toMatchObject({ status: 404, body: { error: { code: 'Request_ResourceNotFound' } } });
      expect(byId.get('3')).toMatchObject({ status: 201, body: { userPrincipalName: 'b@example.test' } });
      expect(byId.get('4')).toMatchObject({ status: 204 });
      expect((byId.get('5') as any).body['@odata.nextLink']).toContain('$skiptoken=');
      expect(sim.state.users.get(sim.state.users.get((byId.get('1') as any).body.id).id).userPrincipalName).toBe(UPN(1));
      expect(sim.requests.byRoute.batch).toBe(1);
      expect(sim.requests.byRoute['users.get']).toBe(2);

      const tooMany = await batch(Array.from({ length: 21 }, (_, k) => ({ id: String(k), method: 'GET', url: '/users' })));
      expectGraphError(tooMany, 400, 'BadRequest');

      // A budget of 2 units: two single-object reads pass, the third is throttled inside the batch.
      sim.setThrottle({ requestUnits: 2, windowSeconds: 60 });
      const throttled = await batch([
        { id: 'a', method: 'GET', url: `/users/${UPN(1)}` },
        { id: 'b', method: 'GET', url: `/users/${UPN(2)}` },
        { id: 'c', method: 'GET', url: `/users/${UPN(3)}` },
      ]);
      expect(throttled.status).toBe(200);
      const byKey = new Map<string, any>(throttled.body.responses.map((r: any) => [r.id, r]));
      const [a, b, c] = ['a', 'b', 'c'].map((k) => byKey.get(k));
      expect([a.status, b.status, c.status]).toEqual([200, 200, 429]);
      expect(Number(c.headers['Retry-After'])).toBeGreaterThan(0);
      expect(c.body.error.code).toBe('TooManyRequests');
      expect(sim.requests.throttled).toBe(1);
    } finally {
      await sim.close();
    }
  });

  it('answers $batch responses in a shuffled order, the same for the same batchSeed', async () => {
    const orders: string[][] = [];
    for (const run of [1, 2, 3]) {
      const sim = await startGraphSimulator({ links: 'local', batchSeed: run === 3 ? 99 : 7 });
      try {
        const tok = await token(sim);
        const requests = Array.from({ length: 20 }, (_, k) => ({ id: String(k + 1), method: 'GET', url: `/users/${UPN(k + 1)}?$select=id,userPrincipalName` }));
        const res = await call(sim, tok, 'POST', '$batch', { requests });
        expect(res.status).toBe(200);
        const ids = res.body.responses.map((r: any) => r.id);
        expect([...ids].sort((x: string, y: string) => Number(x) - Number(y))).toEqual(requests.map((r) => r.id));
        for (const r of res.body.responses) expect(r.body.userPrincipalName).toBe(UPN(Number(r.id)));
        orders.push(ids);
      } finally {
        await sim.close();
      }
    }
    expect(orders[0]).not.toEqual(Array.from({ length: 20 }, (_, k) => String(k + 1)));
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).not.toEqual(orders[0]);
  });

  it('runs a $batch request after the one it dependsOn and answers 424 when that one failed', async () => {
    const sim = await startGraphSimulator({ links: 'local' });
    try {
      const tok = await token(sim);
      const json = { 'Content-Type': 'application/json' };
      const res = await call(sim, tok, 'POST', '$batch', {
        requests: [
          // Listed first, but runs after '1' created the user it reads.
          { id: '2', method: 'GET', url: '/users/dep@example.test?$select=jobTitle', dependsOn: ['1'] },
          {
            id: '1',
            method: 'POST',
            url: '/users',
            headers: json,
            body: {
              accountEnabled: true,
              displayName: 'D',
              mailNickname: 'dep',
              userPrincipalName: 'dep@example.test',
              jobTitle: 'First',
              passwordProfile: { password: 'Val1d!Password' },
            },
          },
          { id: '3', method: 'PATCH', url: '/users/nobody@example.test', headers: json, body: { jobTitle: 'x' } },
          { id: '4', method: 'PATCH', url: `/users/${UPN(1)}`, headers: json, body: { jobTitle: 'never' }, dependsOn: ['3'] },
          { id: '5', method: 'GET', url: `/users/${UPN(2)}`, dependsOn: ['4'] },
        ],
      });
      expect(res.status).toBe(200);
      const byId = new Map<string, any>(res.body.responses.map((r: any) => [r.id, r]));
      expect(byId.get('1').status).toBe(201);
      expect(byId.get('2')).toMatchObject({ status: 200, body: { jobTitle: 'First' } });
      expect(byId.get('3').status).toBe(404);
      expect(byId.get('4')).toMatchObject({ status: 424, body: { error: { code: 'FailedDependency' } } });
      expect(byId.get('5')).toMatchObject({ status: 424, body: { error: { code: 'FailedDependency' } } });
      expect((await call(sim, tok, 'GET', `users/${UPN(1)}?$select=jobTitle`)).body.jobTitle).not.toBe('never');

      const unknownDependency = await call(sim, tok, 'POST', '$batch', { requests: [{ id: '1', method: 'GET', url: '/users', dependsOn: ['9'] }] });
      expectGraphError(unknownDependency, 400, 'BadRequest');
      const cycle = await call(sim, tok, 'POST', '$batch', {
        requests: [
          { id: '1', method: 'GET', url: '/users', dependsOn: ['2'] },
          { id: '2', method: 'GET', url: '/users', dependsOn: ['1'] },
        ],
      });
      expectGraphError(cycle, 400, 'BadRequest');
    } finally {
      await sim.close();
    }
  });

  it('splits the members@delta of a large group across delta pages, repeating the group', async () => {
    const sim = await startGraphSimulator({ links: 'local', seed: { users: 260, groups: 3, membersPerGroup: 250 }, deltaMembersPerPage: 100 });
    try {
      const tok = await token(sim);
      const round = await followAll(sim, tok, 'groups/delta?$select=displayName,members');
      const first = round.items[0];
      const instances = round.items.filter((g) => g.id === first.id);
      expect(instances.length).toBe(3);
      expect(instances[0].displayName).toBeTruthy();
      for (const repeat of instances.slice(1)) expect(Object.keys(repeat).sort()).toEqual(['@odata.type', 'id', 'members@delta']);
      expect(instances.map((g) => g['members@delta'].length)).toEqual([100, 100, 50]);
      const merged = new Set(instances.flatMap((g) => g['members@delta'].map((m: any) => m.id)));
      expect(merged.size).toBe(250);
      const listed = await followAll(sim, tok, `groups/${first.id}/members?$select=id&$top=999`);
      expect(merged).toEqual(new Set(listed.items.map((m) => m.id)));
      expect(new Set(round.items.map((g) => g.id)).size).toBe(3);
      expect(round.pages).toBeGreaterThanOrEqual(7);
    } finally {
      await sim.close();
    }
  });

  it('throttles beyond the request-unit budget with Retry-After, then recovers after the window', async () => {
    const sim = await startGraphSimulator({ links: 'local', throttle: { requestUnits: 5, windowSeconds: 1 } });
    try {
      const tok = await token(sim);
      // GET /users costs 2 units: two pages of a window pass (4 of 5 used), the third is throttled.
      // Loop rather than count exactly, so a slow machine crossing a window edge cannot fail the test.
      let throttled: ApiResult | undefined;
      let passed = 0;
      for (let k = 0; k < 40 && !throttled; k++) {
        const res = await call(sim, tok, 'GET', 'users');
        if (res.status === 429) throttled = res;
        else {
          expect(res.headers.get('x-ms-resource-unit')).toBe('2');
          passed++;
        }
      }
      expect(passed).toBeGreaterThanOrEqual(2);
      expect(throttled!.headers.get('x-ms-throttle-information')).toBe('ResourceUnitLimitExceeded');
      expect(throttled!.headers.get('x-ms-throttle-scope')).toBe(`Tenant_Application/ReadWrite/${sim.clientId}/${sim.tenantId}`);
      expectGraphError(throttled!, 429, 'TooManyRequests');
      expect(Number(throttled!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(sim.requests.throttled).toBe(1);
      expect(sim.requests.requestUnits).toBe(passed * 2);
      // The token endpoint is never throttled.
      expect((await tokenRequest(sim, credentials(sim))).status).toBe(200);
      let recovered: ApiResult | undefined;
      for (let attempt = 0; attempt < 50; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        recovered = await call(sim, tok, 'GET', 'users?$top=1&$select=id');
        if (recovered.status === 200) break;
      }
      expect(recovered!.status).toBe(200);
      expect(recovered!.headers.get('x-ms-resource-unit')).toBe('1');
    } finally {
      await sim.close();
    }
  });

  it('injects faults deterministically from the seed, in Graph error shape', async () => {
    const run = async (opts: GraphSimulatorOptions['faults']) => {
      const sim = await startGraphSimulator({ links: 'local', faults: opts });
      try {
        const tok = await token(sim);
        const statuses: number[] = [];
        for (let k = 0; k < 30; k++) statuses.push((await call(sim, tok, 'GET', 'users?$top=1')).status);
        return { statuses, injected: sim.requests.faultsInjected };
      } finally {
        await sim.close();
      }
    };
    const a = await run({ rate: 0.4, seed: 42 });
    const b = await run({ rate: 0.4, seed: 42 });
    const c = await run({ rate: 0.4, seed: 7 });
    expect(a.statuses).toEqual(b.statuses);
    expect(a.statuses).not.toEqual(c.statuses);
    expect(a.injected).toBeGreaterThan(0);
    expect(a.statuses.filter((s) => s !== 200).length).toBe(a.injected);
    expect(new Set(a.statuses.filter((s) => s !== 200)).size).toBeGreaterThan(1);

    const sim = await startGraphSimulator({ links: 'local', faults: { rate: 1, kinds: ['503'], retryAfterSeconds: 7 } });
    try {
      const tok = await token(sim);
      const res = await call(sim, tok, 'GET', 'users');
      expectGraphError(res, 503, 'serviceNotAvailable');
      expect(res.headers.get('retry-after')).toBe('7');
      sim.setFaults({ rate: 1, kinds: ['reset'] });
      await expect(call(sim, tok, 'GET', 'users')).rejects.toThrow();
      sim.setFaults(null);
      expect((await call(sim, tok, 'GET', 'users')).status).toBe(200);
    } finally {
      await sim.close();
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

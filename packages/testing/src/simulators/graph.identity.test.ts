import { ConfidentialClientApplication, type INetworkModule, type NetworkResponse } from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GraphSimulator, startGraphSimulator } from './graph';
import { call, credentials, expectGraphError, GRAPH_SCOPE, token, tokenRequest, UPN } from './graph.test-kit';

// The Graph simulator's identity platform (tokens, AADSTS errors, discovery, msal-node) and authorization.

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

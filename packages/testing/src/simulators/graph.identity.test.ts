import {
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkResponse,
} from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GraphSimulator, type GraphSimulatorOptions, startGraphSimulator } from './graph';
import {
  type ApiResult,
  call,
  credentials,
  expectGraphError,
  followAll,
  GRAPH_SCOPE,
  token,
  tokenRequest,
  UPN,
} from './graph.test-kit';

// The Graph simulator's identity platform (tokens, AADSTS errors, discovery, msal-node), authorization,
// $batch, throttling and injected faults.

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
    const payload = JSON.parse(
      Buffer.from(body.access_token.split('.')[1], 'base64url').toString('utf8'),
    );
    expect(payload).toMatchObject({
      tid: sim.tenantId,
      appid: sim.clientId,
      aud: 'https://graph.microsoft.com',
    });
    expect(payload.roles).toEqual(
      expect.arrayContaining(['User.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.Read.All']),
    );
    // The tenant may be named by its domain too.
    expect((await tokenRequest(sim, credentials(sim), 'example.test')).status).toBe(200);
    expect(sim.requests.tokensIssued).toBe(before + 2);
    expect(sim.requests.byRoute.token).toBeGreaterThanOrEqual(2);
  });

  it('answers each AADSTS error in the OAuth error JSON', async () => {
    const check = (
      result: { status: number; body: any },
      status: number,
      error: string,
      code: number,
    ) => {
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
    check(
      await tokenRequest(sim, credentials(sim), '00000000-0000-4000-8000-000000000000'),
      400,
      'invalid_request',
      90002,
    );
    check(
      await tokenRequest(
        sim,
        credentials(sim, { client_id: '11111111-2222-4333-8444-555555555555' }),
      ),
      400,
      'unauthorized_client',
      700016,
    );
    check(
      await tokenRequest(sim, credentials(sim, { client_secret: 'wrong' })),
      401,
      'invalid_client',
      7000215,
    );
    check(
      await tokenRequest(sim, credentials(sim, { scope: 'User.Read.All' })),
      400,
      'invalid_scope',
      1002012,
    );
    check(await tokenRequest(sim, credentials(sim, { scope: '' })), 400, 'invalid_scope', 70011);
    const withCorrelation = await fetch(sim.tokenUrl, {
      method: 'POST',
      headers: { 'client-request-id': 'corr-1' },
      body: new URLSearchParams(credentials(sim, { client_secret: 'x' })),
    });
    expect(((await withCorrelation.json()) as any).correlation_id).toBe('corr-1');
  });

  it('serves the openid configuration and instance discovery on the public hosts by default', async () => {
    const res = await fetch(
      `${sim.authorityHost}/${sim.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    expect(res.status).toBe(200);
    const config = (await res.json()) as any;
    expect(config).toMatchObject({
      token_endpoint: `https://login.microsoftonline.com/${sim.tenantId}/oauth2/v2.0/token`,
      issuer: `https://login.microsoftonline.com/${sim.tenantId}/v2.0`,
      authorization_endpoint: `https://login.microsoftonline.com/${sim.tenantId}/oauth2/v2.0/authorize`,
      jwks_uri: `https://login.microsoftonline.com/${sim.tenantId}/discovery/v2.0/keys`,
    });
    const unknown = await fetch(
      `${sim.authorityHost}/nobody.test/v2.0/.well-known/openid-configuration`,
    );
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
      metadata: [
        { preferred_network: 'login.microsoftonline.com', preferred_cache: 'login.windows.net' },
      ],
    });
    expect(discovery.metadata[0].aliases).toContain('login.windows.net');
  });

  it('returns public Graph hosts in @odata links by default', async () => {
    const tok = await token(sim);
    const list = await call(sim, tok, 'GET', 'users?$top=5&$select=id');
    expect(list.body['@odata.context']).toBe(
      'https://graph.microsoft.com/v1.0/$metadata#users(id)',
    );
    expect(list.body['@odata.nextLink']).toMatch(
      /^https:\/\/graph\.microsoft\.com\/v1\.0\/users\?\$top=5&\$select=id&\$skiptoken=/,
    );
    // A client that rewrites the host follows it as is.
    const second = await call(
      sim,
      tok,
      'GET',
      list.body['@odata.nextLink'].replace('https://graph.microsoft.com', sim.url),
    );
    expect(second.status).toBe(200);
    const delta = await call(sim, tok, 'GET', 'users/delta?$select=id', undefined, {
      prefer: 'odata.maxpagesize=999',
    });
    expect(delta.body['@odata.deltaLink']).toMatch(
      /^https:\/\/graph\.microsoft\.com\/v1\.0\/users\/delta\?\$deltatoken=/,
    );
  });

  it('points discovery links to itself with links: local', async () => {
    const local = await startGraphSimulator({ links: 'local' });
    try {
      const config = (await (
        await fetch(
          `${local.authorityHost}/${local.tenantId}/v2.0/.well-known/openid-configuration`,
        )
      ).json()) as any;
      expect(config.token_endpoint).toBe(local.tokenUrl);
    } finally {
      await local.close();
    }
  });

  it('gives @azure/msal-node a client-credentials token through a host-rewriting networkClient', async () => {
    const seen: string[] = [];
    const send = async <T>(
      method: 'GET' | 'POST',
      url: string,
      options?: { headers?: Record<string, string>; body?: string },
    ): Promise<NetworkResponse<T>> => {
      seen.push(`${method} ${url}`);
      const target = url.replace(/^https:\/\/login\.microsoftonline\.com/i, sim.authorityHost);
      const res = await fetch(target, {
        method,
        headers: options?.headers,
        body: method === 'POST' ? options?.body : undefined,
      });
      return {
        headers: Object.fromEntries(res.headers.entries()),
        body: (await res.json()) as T,
        status: res.status,
      };
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
    expect(
      seen.some((s) =>
        s.startsWith(`POST https://login.microsoftonline.com/${sim.tenantId}/oauth2/v2.0/token`),
      ),
    ).toBe(true);
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
    await expect(
      bad.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }),
    ).rejects.toMatchObject({ errorCode: 'invalid_client' });
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
    expectGraphError(
      await call(sim, 'not-a-jwt', 'GET', 'users'),
      401,
      'InvalidAuthenticationToken',
    );
    const tok = await token(sim);
    const [h, p] = tok.split('.');
    expectGraphError(
      await call(sim, `${h}.${p}.AAAA`, 'GET', 'users'),
      401,
      'InvalidAuthenticationToken',
    );
  });

  it('answers 403 Authorization_RequestDenied without consent or without the route role', async () => {
    const tok = await token(sim);
    expect((await call(sim, tok, 'GET', 'users')).status).toBe(200);
    sim.grantPermissions(null);
    try {
      const withoutRoles = await token(sim);
      const payload = JSON.parse(
        Buffer.from(withoutRoles.split('.')[1]!, 'base64url').toString('utf8'),
      );
      expect(payload.roles).toBeUndefined();
      expectGraphError(
        await call(sim, withoutRoles, 'GET', 'users'),
        403,
        'Authorization_RequestDenied',
        'Insufficient privileges to complete the operation.',
      );
      // Revoking consent applies at once, even to tokens issued before.
      expectGraphError(await call(sim, tok, 'GET', 'users'), 403, 'Authorization_RequestDenied');
      sim.grantPermissions(['User.Read.All']);
      const readOnly = await token(sim);
      expect((await call(sim, readOnly, 'GET', 'users')).status).toBe(200);
      expectGraphError(
        await call(sim, readOnly, 'GET', 'groups'),
        403,
        'Authorization_RequestDenied',
      );
      expectGraphError(
        await call(sim, readOnly, 'PATCH', `users/${UPN(1)}`, { jobTitle: 'X' }),
        403,
        'Authorization_RequestDenied',
      );
      expectGraphError(
        await call(sim, readOnly, 'GET', 'subscribedSkus'),
        403,
        'Authorization_RequestDenied',
      );
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
    expect(org.body.value[0].verifiedDomains).toContainEqual(
      expect.objectContaining({ name: 'example.test', isDefault: true }),
    );
    const roles = await call(sim, tok, 'GET', 'directoryRoles');
    const ga = roles.body.value.find((r: any) => r.displayName === 'Global Administrator');
    expect(ga.roleTemplateId).toBe('62e90394-69f5-4237-9190-012177145e10');
    const gaMembers = await call(sim, tok, 'GET', `directoryRoles/${ga.id}/members`);
    expect(gaMembers.body.value).toEqual([
      expect.objectContaining({
        '@odata.type': '#microsoft.graph.user',
        userPrincipalName: 'admin@example.test',
      }),
    ]);
    const byTemplate = await call(
      sim,
      tok,
      'GET',
      `directoryRoles(roleTemplateId='${ga.roleTemplateId}')/members`,
    );
    expect(byTemplate.body.value).toHaveLength(1);
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
        {
          id: '4',
          method: 'PATCH',
          url: `/users/${UPN(2)}`,
          headers: { 'Content-Type': 'application/json' },
          body: { jobTitle: 'Batched' },
        },
        { id: '5', method: 'GET', url: 'groups?$top=2' },
      ]);
      expect(res.status).toBe(200);
      const byId = new Map(res.body.responses.map((r: any) => [r.id, r]));
      expect(byId.get('1')).toMatchObject({ status: 200, body: { userPrincipalName: UPN(1) } });
      expect(byId.get('2')).toMatchObject({
        status: 404,
        body: { error: { code: 'Request_ResourceNotFound' } },
      });
      expect(byId.get('3')).toMatchObject({
        status: 201,
        body: { userPrincipalName: 'b@example.test' },
      });
      expect(byId.get('4')).toMatchObject({ status: 204 });
      expect((byId.get('5') as any).body['@odata.nextLink']).toContain('$skiptoken=');
      expect(
        sim.state.users.get(sim.state.users.get((byId.get('1') as any).body.id).id)
          .userPrincipalName,
      ).toBe(UPN(1));
      expect(sim.requests.byRoute.batch).toBe(1);
      expect(sim.requests.byRoute['users.get']).toBe(2);

      const tooMany = await batch(
        Array.from({ length: 21 }, (_, k) => ({ id: String(k), method: 'GET', url: '/users' })),
      );
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
        const requests = Array.from({ length: 20 }, (_, k) => ({
          id: String(k + 1),
          method: 'GET',
          url: `/users/${UPN(k + 1)}?$select=id,userPrincipalName`,
        }));
        const res = await call(sim, tok, 'POST', '$batch', { requests });
        expect(res.status).toBe(200);
        const ids = res.body.responses.map((r: any) => r.id);
        expect([...ids].sort((x: string, y: string) => Number(x) - Number(y))).toEqual(
          requests.map((r) => r.id),
        );
        for (const r of res.body.responses)
          expect(r.body.userPrincipalName).toBe(UPN(Number(r.id)));
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
          {
            id: '2',
            method: 'GET',
            url: '/users/dep@example.test?$select=jobTitle',
            dependsOn: ['1'],
          },
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
          {
            id: '3',
            method: 'PATCH',
            url: '/users/nobody@example.test',
            headers: json,
            body: { jobTitle: 'x' },
          },
          {
            id: '4',
            method: 'PATCH',
            url: `/users/${UPN(1)}`,
            headers: json,
            body: { jobTitle: 'never' },
            dependsOn: ['3'],
          },
          { id: '5', method: 'GET', url: `/users/${UPN(2)}`, dependsOn: ['4'] },
        ],
      });
      expect(res.status).toBe(200);
      const byId = new Map<string, any>(res.body.responses.map((r: any) => [r.id, r]));
      expect(byId.get('1').status).toBe(201);
      expect(byId.get('2')).toMatchObject({ status: 200, body: { jobTitle: 'First' } });
      expect(byId.get('3').status).toBe(404);
      expect(byId.get('4')).toMatchObject({
        status: 424,
        body: { error: { code: 'FailedDependency' } },
      });
      expect(byId.get('5')).toMatchObject({
        status: 424,
        body: { error: { code: 'FailedDependency' } },
      });
      expect(
        (await call(sim, tok, 'GET', `users/${UPN(1)}?$select=jobTitle`)).body.jobTitle,
      ).not.toBe('never');

      const unknownDependency = await call(sim, tok, 'POST', '$batch', {
        requests: [{ id: '1', method: 'GET', url: '/users', dependsOn: ['9'] }],
      });
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
    const sim = await startGraphSimulator({
      links: 'local',
      seed: { users: 260, groups: 3, membersPerGroup: 250 },
      deltaMembersPerPage: 100,
    });
    try {
      const tok = await token(sim);
      const round = await followAll(sim, tok, 'groups/delta?$select=displayName,members');
      const first = round.items[0];
      const instances = round.items.filter((g) => g.id === first.id);
      expect(instances.length).toBe(3);
      expect(instances[0].displayName).toBeTruthy();
      for (const repeat of instances.slice(1))
        expect(Object.keys(repeat).sort()).toEqual(['@odata.type', 'id', 'members@delta']);
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
    const sim = await startGraphSimulator({
      links: 'local',
      throttle: { requestUnits: 5, windowSeconds: 1 },
    });
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
      expect(throttled!.headers.get('x-ms-throttle-scope')).toBe(
        `Tenant_Application/ReadWrite/${sim.clientId}/${sim.tenantId}`,
      );
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
        for (let k = 0; k < 30; k++)
          statuses.push((await call(sim, tok, 'GET', 'users?$top=1')).status);
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

    const sim = await startGraphSimulator({
      links: 'local',
      faults: { rate: 1, kinds: ['503'], retryAfterSeconds: 7 },
    });
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

import { describe, expect, it } from 'vitest';
import { type GraphSimulatorOptions, startGraphSimulator } from './graph';
import { type ApiResult, call, credentials, expectGraphError, followAll, token, tokenRequest, UPN } from './graph.test-kit';

// The Graph simulator's $batch, throttling and injected faults.

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

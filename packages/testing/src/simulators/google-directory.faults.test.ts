import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GoogleDirectorySimulator, startGoogleDirectorySimulator } from './google-directory';
import { api, assertion, expectGoogleError, token, tokenRequest } from './google-directory.test-kit';

// The Google Directory simulator's injected faults, quota and deterministic seed.

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

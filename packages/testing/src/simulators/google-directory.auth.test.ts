import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GOOGLE_DIRECTORY_SCOPES,
  type GoogleDirectorySimulator,
  startGoogleDirectorySimulator,
} from './google-directory';
import {
  api,
  assertion,
  b64,
  expectGoogleError,
  S,
  token,
  tokenRequest,
} from './google-directory.test-kit';

// The Google Directory simulator's OAuth token endpoint and bearer checks, injected faults, quota and
// deterministic seed, over real HTTP.

describe('Google Directory simulator: OAuth token endpoint', () => {
  let sim: GoogleDirectorySimulator;
  beforeAll(async () => {
    sim = await startGoogleDirectorySimulator({
      seed: { users: 30, groups: 2, membersPerGroup: 3, orgUnits: 2 },
    });
  });
  afterAll(() => sim.close());

  it('exposes a service account key, an admin and the endpoints', () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(sim.tokenUrl).toBe(`${sim.url}token`);
    expect(sim.serviceAccountKey).toMatchObject({
      type: 'service_account',
      token_uri: sim.tokenUrl,
    });
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
    const b = await tokenRequest(
      sim,
      assertion(sim, { aud: 'https://oauth2.googleapis.com/token' }),
    );
    expect(b.status).toBe(200);
    expect(sim.requests.tokensIssued).toBe(before + 2);
    expect(sim.requests.byRoute.token).toBeGreaterThanOrEqual(2);
  });

  it('refuses a bad signature, a bad audience, an expired JWT and an unknown account', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    expect(await tokenRequest(sim, assertion(sim, {}, other))).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
    });
    const tampered = assertion(sim).split('.');
    tampered[1] = b64({
      iss: sim.serviceAccountKey.client_email,
      sub: sim.adminEmail,
      aud: sim.tokenUrl,
      scope: S('user'),
      iat: 1,
      exp: 2,
    });
    expect((await tokenRequest(sim, tampered.join('.'))).body.error_description).toBe(
      'Invalid JWT Signature.',
    );
    expect(
      (await tokenRequest(sim, assertion(sim, { aud: 'https://elsewhere.test/token' }))).body.error,
    ).toBe('invalid_grant');
    const now = Math.floor(Date.now() / 1000);
    const expired = await tokenRequest(sim, assertion(sim, { iat: now - 7200, exp: now - 3600 }));
    expect(expired.status).toBe(400);
    expect(expired.body.error).toBe('invalid_grant');
    expect(
      (await tokenRequest(sim, assertion(sim, { iss: 'someone@else.iam.gserviceaccount.com' })))
        .body.error,
    ).toBe('invalid_grant');
    const wrongGrant = await fetch(sim.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(wrongGrant.status).toBe(400);
    expect(((await wrongGrant.json()) as any).error).toBe('unsupported_grant_type');
  });

  it('refuses without delegation, with a missing scope, and for an unknown subject', async () => {
    const clientId = sim.serviceAccountKey.client_id;
    const unauthorized = {
      status: 401,
      body: {
        error: 'unauthorized_client',
        error_description:
          'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      },
    };
    const issued = await token(sim, { scope: S('user.readonly') });
    sim.grantDelegation(clientId, null);
    try {
      expect(await tokenRequest(sim, assertion(sim))).toEqual(unauthorized);
      // Revoking delegation also revokes the tokens already issued to that client.
      expectGoogleError(
        await api(sim, issued, 'GET', 'users?customer=my_customer'),
        401,
        'authError',
      );
      sim.grantDelegation(clientId, [S('user.readonly')]);
      expect(
        await tokenRequest(
          sim,
          assertion(sim, { scope: `${S('user.readonly')} ${S('group.readonly')}` }),
        ),
      ).toEqual(unauthorized);
      expect((await tokenRequest(sim, assertion(sim, { scope: S('user.readonly') }))).status).toBe(
        200,
      );
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
    expectGoogleError(
      await api(sim, 'ya29.bogus', 'GET', 'users?customer=my_customer'),
      401,
      'authError',
    );

    const usersOnly = await token(sim, { scope: S('user.readonly') });
    expect((await api(sim, usersOnly, 'GET', 'users?customer=my_customer')).status).toBe(200);
    const noScope = await api(sim, usersOnly, 'GET', 'groups?customer=my_customer');
    expectGoogleError(noScope, 403, 'insufficientPermissions');
    expect(noScope.body.error.message).toBe('Request had insufficient authentication scopes.');
    expectGoogleError(
      await api(sim, usersOnly, 'POST', 'users', { primaryEmail: 'x@example.test' }),
      403,
      'insufficientPermissions',
    );

    // A token for a regular user is issued (delegation works for anyone) but the API refuses it.
    const regular = await token(sim, { sub: 'user000001@example.test' });
    const refused = await api(sim, regular, 'GET', 'users?customer=my_customer');
    expectGoogleError(refused, 403, 'forbidden');
    expect(refused.body.error.message).toBe('Not Authorized to access this resource/api');
    sim.setSuperAdmin('user000001@example.test', true);
    expect((await api(sim, regular, 'GET', 'users?customer=my_customer')).status).toBe(200);
    sim.setSuperAdmin('user000001@example.test', false);
    expectGoogleError(
      await api(sim, regular, 'GET', 'users?customer=my_customer'),
      403,
      'forbidden',
    );

    // Without a subject the service account acts as itself: not an admin of the domain.
    const self = await token(sim, { sub: undefined });
    expectGoogleError(await api(sim, self, 'GET', 'users?customer=my_customer'), 403, 'forbidden');
  });
});

describe('Google Directory simulator: faults and quota', () => {
  let sim: GoogleDirectorySimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startGoogleDirectorySimulator({
      seed: { users: 50, groups: 2, membersPerGroup: 2, orgUnits: 1 },
    });
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
          const res = await fetch(`${sim.url}admin/directory/v1/users?customer=my_customer`, {
            headers: { authorization: `Bearer ${tok}` },
          });
          return res.text();
        })(),
      ).rejects.toThrow();
    } finally {
      sim.setFaults(null);
    }
    expect((await api(sim, tok, 'GET', 'users?customer=my_customer')).status).toBe(200);
  });

  it('fault timeout never answers', async () => {
    const held = await startGoogleDirectorySimulator({
      seed: { users: 1, groups: 0, orgUnits: 0 },
      faults: { rate: 1, kinds: ['timeout'] },
    });
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
      for (let k = 0; k < 12; k++)
        statuses.push(
          (await api(sim, tok, 'GET', 'users?customer=my_customer&maxResults=1')).status,
        );
      sim.setFaults(null);
      return statuses;
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(a.some((s) => s === 200)).toBe(true);
    expect(a.some((s) => s >= 500)).toBe(true);
  });

  it('refuses calls beyond the per-minute quota with 403 userRateLimitExceeded and no Retry-After until the window rolls over', async () => {
    const limited = await startGoogleDirectorySimulator({
      seed: { users: 5, groups: 0, orgUnits: 0 },
      quota: { perMinute: 5 },
    });
    try {
      const t = await token(limited);
      for (let k = 0; k < 5; k++)
        expect((await api(limited, t, 'GET', 'users?customer=my_customer')).status).toBe(200);
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
      for (let k = 0; k < 3; k++)
        statuses.push((await api(limited, t, 'GET', 'users?customer=my_customer')).status);
      expect(statuses).toEqual([200, 200, 403]);
      let next = 403;
      for (let k = 0; k < 60 && next === 403; k++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        next = (await api(limited, t, 'GET', 'users?customer=my_customer')).status;
      }
      expect(next).toBe(200);
      limited.setQuota(null);
      for (let k = 0; k < 5; k++)
        expect((await api(limited, t, 'GET', 'users?customer=my_customer')).status).toBe(200);
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
      const last = await api(
        a,
        ta,
        'GET',
        `users?customer=my_customer&maxResults=500&query=${encodeURIComponent('email:user09999*')}`,
      );
      expect(last.body.users.map((u: any) => u.primaryEmail)).toEqual(
        Array.from({ length: 10 }, (_, k) => `user09999${k}@example.test`),
      );
      expect(a.state.users.size).toBe(100_001);
      expect(a.state.groups.size).toBe(5_000);
      const g = await api(a, ta, 'GET', 'groups/group5000@example.test/members?maxResults=200');
      expect(g.body.members).toHaveLength(40);
      expect(
        (await api(a, ta, 'GET', 'groups/group5000@example.test')).body.directMembersCount,
      ).toBe('40');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

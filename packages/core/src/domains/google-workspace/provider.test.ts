import { generateKeyPairSync } from 'node:crypto';
import { type GoogleDirectorySimulator, startGoogleDirectorySimulator } from '@helios/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRetryAfter, toGoogleError } from './errors';
import {
  type GoogleRetryInfo,
  type GoogleWorkspaceOptions,
  googleWorkspace,
  serviceAccountKeyFingerprint,
} from './provider';
import { DEFAULT_GOOGLE_SCOPES } from './schema';

let sim: GoogleDirectorySimulator;
const DOMAIN = 'provider.test';

beforeAll(async () => {
  sim = await startGoogleDirectorySimulator({
    domain: DOMAIN,
    seed: { users: 1200, groups: 3, membersPerGroup: 4, orgUnits: 3 },
  });
});
afterAll(() => sim?.close());
afterEach(() => {
  sim.setFaults(null);
  sim.grantDelegation(sim.serviceAccountKey.client_id, [...DEFAULT_GOOGLE_SCOPES]);
  sim.setSuperAdmin(sim.adminEmail, true);
});

const otherPem = () =>
  generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();

function provider(
  overrides: Partial<GoogleWorkspaceOptions> = {},
  credentials: Partial<GoogleWorkspaceOptions['credentials']> = {},
) {
  return googleWorkspace({
    rootUrl: sim.url,
    tokenUrl: sim.tokenUrl,
    retry: { maxRetries: 0 },
    ...overrides,
    credentials: {
      serviceAccountKey: sim.serviceAccountKey,
      adminEmail: sim.adminEmail,
      domain: DOMAIN,
      ...credentials,
    },
  });
}

describe('googleWorkspace provider against the Directory simulator', () => {
  it('walks every user page by page, 500 users a page, until nextPageToken is null', async () => {
    const google = provider();
    const pages: number[] = [];
    const ids = new Set<string>();
    let token: string | null = null;
    do {
      const page = await google.listUsers(token);
      pages.push(page.items.length);
      for (const user of page.items) ids.add(user.id);
      token = page.nextPageToken;
    } while (token);
    // 1200 seeded users plus the super admin.
    expect(pages).toEqual([500, 500, 201]);
    expect(ids.size).toBe(1201);
    expect(sim.requests.byRoute['users.list']).toBeGreaterThanOrEqual(3);
  });

  it('lists groups, their members and the org units in Google JSON', async () => {
    const google = provider();
    const groups = await google.listGroups();
    expect(groups.items).toHaveLength(3);
    expect(groups.nextPageToken).toBeNull();
    expect(groups.items[0]).toMatchObject({
      id: expect.any(String),
      email: expect.stringContaining(`@${DOMAIN}`),
    });
    const members = await google.listMembers(groups.items[0]!.email);
    expect(members.items.length).toBeGreaterThanOrEqual(4);
    expect(members.items[0]).toMatchObject({ email: expect.any(String), role: expect.any(String) });
    const orgUnits = await google.listOrgUnits();
    expect(orgUnits.length).toBeGreaterThanOrEqual(3);
    expect(orgUnits[0]).toMatchObject({
      orgUnitId: expect.any(String),
      orgUnitPath: expect.stringMatching(/^\//),
      name: expect.any(String),
    });
  });

  it('creates, reads, suspends, moves and deletes a user, and manages a group and its members', async () => {
    const google = provider();
    const email = `ada.writeback@${DOMAIN}`;
    const created = await google.insertUser({
      primaryEmail: email,
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      password: 'Initial-Pa55word!',
    });
    expect(created).toMatchObject({ id: expect.any(String), primaryEmail: email });
    await expect(
      google.insertUser({
        primaryEmail: email,
        name: { givenName: 'A', familyName: 'L' },
        password: 'Initial-Pa55word!',
      }),
    ).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'GOOGLE.CONFLICT',
    });
    expect((await google.getUser(created.id)).primaryEmail).toBe(email);
    expect((await google.suspendUser(email)).suspended).toBe(true);
    expect((await google.unsuspendUser(email)).suspended).toBe(false);
    const target = (await google.listOrgUnits())[0]!.orgUnitPath;
    expect((await google.moveUserToOrgUnit(email, target)).orgUnitPath).toBe(target);
    expect(
      (await google.updateUser(email, { name: { givenName: 'Augusta' } })).name?.givenName,
    ).toBe('Augusta');

    const group = await google.insertGroup({ email: `writers@${DOMAIN}`, name: 'Writers' });
    expect(group).toMatchObject({
      id: expect.any(String),
      email: `writers@${DOMAIN}`,
      name: 'Writers',
    });
    expect(await google.insertMember(group.email, { email })).toMatchObject({
      email,
      role: 'MEMBER',
    });
    await expect(google.insertMember(group.email, { email })).rejects.toMatchObject({
      code: 'GOOGLE.CONFLICT',
    });
    expect((await google.listMembers(group.id)).items.map((m) => m.email)).toEqual([email]);
    await google.deleteMember(group.email, email);
    expect((await google.listMembers(group.id)).items).toEqual([]);

    await google.deleteUser(email);
    await expect(google.getUser(email)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'GOOGLE.NOT_FOUND',
      details: { status: 404, operation: 'users.get' },
    });
  });

  it('explains a key Google does not accept (another RSA key) with GOOGLE.BAD_KEY', async () => {
    const google = provider(
      {},
      { serviceAccountKey: { ...sim.serviceAccountKey, private_key: otherPem() } },
    );
    const error = await google.authorize().catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'EXTERNAL_SERVICE',
      code: 'GOOGLE.BAD_KEY',
      retryable: false,
      details: { reason: 'invalid_grant' },
    });
    expect((error as Error).message).toMatch(
      /rejected the service account key.*Invalid JWT Signature.*create a new JSON key/,
    );
    await expect(google.listUsers()).rejects.toMatchObject({ code: 'GOOGLE.BAD_KEY' });
  });

  it('explains missing domain-wide delegation with GOOGLE.DELEGATION_NOT_GRANTED, naming the client id', async () => {
    sim.grantDelegation(sim.serviceAccountKey.client_id, null);
    const error = await provider()
      .authorize()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'GOOGLE.DELEGATION_NOT_GRANTED',
      details: { reason: 'unauthorized_client' },
    });
    expect((error as Error).message).toContain(`client id ${sim.serviceAccountKey.client_id}`);
    expect((error as Error).message).toContain('Manage domain-wide delegation');
  });

  it('renews a revoked access token once, then explains what changed', async () => {
    const google = provider();
    await google.listOrgUnits();
    const tokensBefore = sim.requests.tokensIssued;
    sim.grantDelegation(sim.serviceAccountKey.client_id, null);
    await expect(google.listOrgUnits()).rejects.toMatchObject({
      code: 'GOOGLE.DELEGATION_NOT_GRANTED',
    });
    sim.grantDelegation(sim.serviceAccountKey.client_id, [...DEFAULT_GOOGLE_SCOPES]);
    await expect(google.listOrgUnits()).resolves.toEqual(expect.any(Array));
    expect(sim.requests.tokensIssued).toBe(tokensBefore + 1);
  });

  it('explains an admin who is not a super admin with GOOGLE.NOT_SUPER_ADMIN', async () => {
    sim.setSuperAdmin(sim.adminEmail, false);
    const error = await provider()
      .listUsers()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'EXTERNAL_SERVICE',
      code: 'GOOGLE.NOT_SUPER_ADMIN',
      details: { status: 403, reason: 'forbidden' },
    });
    expect((error as Error).message).toContain(sim.adminEmail);
    expect((error as Error).message).toContain('super administrator');
  });

  it('explains a scope left out of the delegation with GOOGLE.SCOPE_MISSING, naming the scope', async () => {
    const google = provider({}, { scopes: [DEFAULT_GOOGLE_SCOPES[0]!] });
    await expect(google.listUsers(null, { maxResults: 1 })).resolves.toMatchObject({
      items: [expect.any(Object)],
    });
    const error = await google.listGroups().catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'GOOGLE.SCOPE_MISSING',
      details: { status: 403, reason: 'insufficientPermissions' },
    });
    expect((error as Error).message).toContain(
      'https://www.googleapis.com/auth/admin.directory.group',
    );
  });

  it('explains an unknown admin with GOOGLE.ADMIN_NOT_FOUND and an unreachable server with GOOGLE.UNAVAILABLE', async () => {
    await expect(
      provider({}, { adminEmail: `nobody@${DOMAIN}` }).authorize(),
    ).rejects.toMatchObject({ code: 'GOOGLE.ADMIN_NOT_FOUND' });
    const error = await provider({
      rootUrl: 'http://127.0.0.1:1/',
      tokenUrl: 'http://127.0.0.1:1/token',
    })
      .listUsers()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'EXTERNAL_SERVICE',
      code: 'GOOGLE.UNAVAILABLE',
      retryable: true,
      details: { url: 'http://127.0.0.1:1/token' },
    });
  });

  it('retries throttled calls until the time budget runs out, then reports GOOGLE.RATE_LIMITED with the budget', async () => {
    const retries: GoogleRetryInfo[] = [];
    const google = provider({
      retry: {
        maxRetries: 2,
        baseDelayMs: 8,
        maxDelayMs: 8,
        budgetMs: 1000,
        onRetry: (info) => retries.push(info),
      },
    });
    await google.authorize();
    sim.setFaults({ rate: 1, kinds: ['429'], retryAfterSeconds: 0 });
    const error = await google.listGroups().catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'RATE_LIMITED',
      code: 'GOOGLE.RATE_LIMITED',
      retryable: true,
      details: { status: 429, budgetMs: 1000, retryAfterSeconds: 1 },
    });
    // Throttled calls are not bound by maxRetries (2): the budget ends them.
    expect(retries.length).toBeGreaterThan(2);
    expect(
      retries.every(
        (r) =>
          r.operation === 'groups.list' &&
          r.throttled &&
          r.status === 429 &&
          r.delayMs >= 4 &&
          r.delayMs <= 8,
      ),
    ).toBe(true);
    expect(retries.map((r) => r.attempt)).toEqual(retries.map((_, k) => k + 1));
    expect(retries.every((r, k) => k === 0 || r.remainingMs < retries[k - 1]!.remainingMs)).toBe(
      true,
    );
    expect((error as { details: { attempts: number } }).details.attempts).toBe(retries.length + 1);
    expect((error as Error).message).toMatch(/time budget of 1 s/);

    sim.setFaults({ rate: 1, kinds: ['quotaExceeded'] });
    await expect(google.listGroups()).rejects.toMatchObject({
      kind: 'RATE_LIMITED',
      code: 'GOOGLE.QUOTA_EXCEEDED',
      retryable: true,
      details: { budgetMs: 1000 },
    });
    // maxRetries 0 turns every retry off, throttled ones included.
    const before = sim.requests.byRoute['groups.list'] ?? 0;
    await expect(provider({ retry: { maxRetries: 0 } }).listGroups()).rejects.toMatchObject({
      code: 'GOOGLE.QUOTA_EXCEEDED',
    });
    expect(sim.requests.byRoute['groups.list']).toBe(before + 1);
  });

  it("lists a group's members beyond the per-minute quota: waits for the next window, reporting each wait", async () => {
    const limited = await startGoogleDirectorySimulator({
      domain: DOMAIN,
      seed: { users: 70, groups: 1, membersPerGroup: 60, orgUnits: 1 },
    });
    try {
      limited.setQuota({ perMinute: 5, windowSeconds: 1 });
      const retries: GoogleRetryInfo[] = [];
      const options = (retry: GoogleWorkspaceOptions['retry']): GoogleWorkspaceOptions => ({
        rootUrl: limited.url,
        tokenUrl: limited.tokenUrl,
        retry,
        credentials: {
          serviceAccountKey: limited.serviceAccountKey,
          adminEmail: limited.adminEmail,
          domain: DOMAIN,
        },
      });
      // The defaults but a one-second window (the simulator's) and shorter backoffs.
      const google = googleWorkspace(
        options({ baseDelayMs: 20, quotaWindowMs: 1000, onRetry: (info) => retries.push(info) }),
      );
      const members = new Set<string>();
      let token: string | null = null;
      let pages = 0;
      do {
        const page = await google.listMembers(`group0001@${DOMAIN}`, token, { maxResults: 5 });
        for (const m of page.items) members.add(String(m.email));
        token = page.nextPageToken;
        pages++;
      } while (token);
      // 12 pages at 5 calls a window: the listing needed three windows and completed.
      expect(pages).toBe(12);
      expect(members.size).toBe(60);
      expect(limited.requests.quotaRejections).toBeGreaterThan(0);
      expect(retries.length).toBeGreaterThan(0);
      expect(
        retries.every(
          (r) =>
            r.throttled &&
            r.status === 403 &&
            r.operation === 'members.list' &&
            r.error.details.reason === 'userRateLimitExceeded',
        ),
      ).toBe(true);
      // After one short backoff, a call still refused waits into the next window.
      expect(retries.some((r) => r.delayMs >= 500)).toBe(true);
      expect(retries.every((r) => r.remainingMs > 0 && r.remainingMs < 300_000)).toBe(true);

      // A budget shorter than the window: a clear RATE_LIMITED with the wait it would have needed.
      limited.setQuota({ perMinute: 1, windowSeconds: 60 });
      const hurried = googleWorkspace(options({ baseDelayMs: 20, budgetMs: 500 }));
      await hurried.listMembers(`group0001@${DOMAIN}`);
      const error = await hurried.listMembers(`group0001@${DOMAIN}`).catch((e: unknown) => e);
      expect(error).toMatchObject({
        kind: 'RATE_LIMITED',
        code: 'GOOGLE.RATE_LIMITED',
        retryable: true,
        details: { status: 403, reason: 'userRateLimitExceeded', budgetMs: 500, attempts: 2 },
      });
      // The default quota window is a minute: the next try was about 60 s away.
      expect(
        (error as { details: { retryAfterSeconds: number } }).details.retryAfterSeconds,
      ).toBeGreaterThanOrEqual(59);
    } finally {
      await limited.close();
    }
  });

  it('converges despite 30% faults when retries are allowed, and never retries a refused write', async () => {
    const google = provider({
      retry: { maxRetries: 8, baseDelayMs: 1, maxDelayMs: 5, quotaWindowMs: 20 },
    });
    await google.authorize();
    sim.setFaults({
      rate: 0.3,
      kinds: ['500', '503', 'rateLimitExceeded', 'userRateLimitExceeded'],
      seed: 7,
      retryAfterSeconds: 0,
    });
    let count = 0;
    let token: string | null = null;
    do {
      const page = await google.listUsers(token, { maxResults: 100 });
      count += page.items.length;
      token = page.nextPageToken;
    } while (token);
    expect(count).toBeGreaterThanOrEqual(1201);
    expect(sim.requests.faultsInjected).toBeGreaterThan(0);

    sim.setFaults({ rate: 1, kinds: ['500'] });
    const before = sim.requests.byRoute['users.insert'] ?? 0;
    await expect(
      google.insertUser({
        primaryEmail: `once@${DOMAIN}`,
        name: { givenName: 'O', familyName: 'Nce' },
        password: 'Initial-Pa55word!',
      }),
    ).rejects.toMatchObject({ code: 'GOOGLE.UNAVAILABLE', retryable: true });
    expect(sim.requests.byRoute['users.insert']).toBe(before + 1);
  });
});

describe('provider construction and error mapping', () => {
  it('refuses a key that is not a service account key with GOOGLE.INVALID_KEY', () => {
    expect(() =>
      googleWorkspace({
        credentials: { serviceAccountKey: '{"type":"authorized_user"}', adminEmail: 'a@b.test' },
      }),
    ).toThrow(expect.objectContaining({ kind: 'INVALID_INPUT', code: 'GOOGLE.INVALID_KEY' }));
    expect(() =>
      googleWorkspace({ credentials: { serviceAccountKey: 'not json', adminEmail: 'a@b.test' } }),
    ).toThrow(expect.objectContaining({ code: 'GOOGLE.INVALID_KEY' }));
  });

  it('fingerprints a key by private_key_id, else by its public key', () => {
    expect(serviceAccountKeyFingerprint(sim.serviceAccountKey)).toBe(
      sim.serviceAccountKey.private_key_id,
    );
    const pem = otherPem();
    const fingerprint = serviceAccountKeyFingerprint({ private_key: pem });
    expect(fingerprint).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(serviceAccountKeyFingerprint({ private_key: pem })).toBe(fingerprint);
    expect(fingerprint).not.toContain(pem.slice(40, 60));
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('maps a daily limit to a non-retryable GOOGLE.QUOTA_EXCEEDED and keeps no request config in the cause', () => {
    const raw = Object.assign(new Error('Daily Limit Exceeded'), {
      config: {
        url: 'https://admin.googleapis.com/admin/directory/v1/users',
        headers: { authorization: 'Bearer ya29.secret' },
      },
      response: {
        status: 403,
        headers: new Headers(),
        data: {
          error: {
            code: 403,
            message: 'Daily Limit Exceeded',
            errors: [{ reason: 'dailyLimitExceeded' }],
          },
        },
      },
    });
    const error = toGoogleError(raw, { operation: 'users.list' });
    expect(error).toMatchObject({
      kind: 'RATE_LIMITED',
      code: 'GOOGLE.QUOTA_EXCEEDED',
      retryable: false,
    });
    expect(
      JSON.stringify(error.cause, Object.getOwnPropertyNames(error.cause as object)),
    ).not.toContain('ya29.secret');
  });
});

import {
  GRAPH_APPLICATION_PERMISSIONS,
  type GraphSimulator,
  startGraphSimulator,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeliosError } from '../../errors';
import type { RetryInfo } from '../../shared/retry';
import { type GraphObject, type Microsoft365Options, microsoft365 } from './provider';

let sim: GraphSimulator;
const options = (
  overrides: Partial<Microsoft365Options['credentials']> = {},
  extra: Partial<Microsoft365Options> = {},
): Microsoft365Options => ({
  credentials: {
    tenantId: sim.tenantId,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    ...overrides,
  },
  graphUrl: sim.url,
  loginUrl: sim.authorityHost,
  timeoutMs: 5000,
  retry: { maxRetries: 6, baseDelayMs: 5, maxDelayMs: 50 },
  ...extra,
});
const failure = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HeliosError);
  return error as HeliosError;
};
async function collect(
  round: (
    onPage: (p: { items: GraphObject[] }) => Promise<void>,
  ) => Promise<{ deltaLink: string; pages: number }>,
) {
  const items: GraphObject[] = [];
  const result = await round(async (page) => {
    items.push(...page.items);
  });
  return { items, ...result };
}

beforeAll(async () => {
  sim = await startGraphSimulator({
    domain: 'ms.test',
    seed: { users: 40, groups: 4, membersPerGroup: 5 },
    skus: [
      {
        skuId: 'c7df2760-2c81-4ef7-b578-5b5392b571df',
        skuPartNumber: 'ENTERPRISEPREMIUM',
        enabled: 100,
        consumed: 10,
      },
      {
        skuId: 'f8a1db68-be16-40ed-86d5-cb42ce701560',
        skuPartNumber: 'POWER_BI_PRO',
        enabled: 2,
        consumed: 2,
      },
    ],
  });
});
afterAll(() => sim?.close());

describe('microsoft365 provider', () => {
  it('gets a client-credentials token through MSAL with the app roles, and reads the organization', async () => {
    const ms = microsoft365(options());
    const auth = await ms.authorize();
    expect(auth.roles).toContain('User.Read.All');
    expect(auth.expiresAt).toBeInstanceOf(Date);
    const org = await ms.getOrganization();
    expect(org.id).toBe(sim.tenantId);
    expect((await ms.listUsers({ top: 1 })).length).toBe(1);
  });

  it('explains a wrong secret, an unknown app and an unknown tenant (AADSTS codes)', async () => {
    expect((await failure(microsoft365(options({ clientSecret: 'wrong' })).authorize())).code).toBe(
      'MICROSOFT.BAD_SECRET',
    );
    expect(
      (
        await failure(
          microsoft365(options({ clientId: '00000000-0000-0000-0000-000000000001' })).authorize(),
        )
      ).code,
    ).toBe('MICROSOFT.APP_NOT_FOUND');
    expect(
      (
        await failure(
          microsoft365(options({ tenantId: '00000000-0000-0000-0000-000000000002' })).authorize(),
        )
      ).code,
    ).toBe('MICROSOFT.TENANT_NOT_FOUND');
  });

  it('fails a Graph call with a wrong secret at once as MICROSOFT.BAD_SECRET (not retried as unreachable)', async () => {
    const tokensBefore = sim.requests.byRoute.token ?? 0;
    const ms = microsoft365(options({ clientSecret: 'wrong' }));
    const read = await failure(ms.listUsers({ top: 1 }));
    expect(read.code).toBe('MICROSOFT.BAD_SECRET');
    expect(read.retryable).toBe(false);
    expect(read.message).toContain('AADSTS7000215');
    expect(read.message).not.toContain('could not be reached');
    expect((sim.requests.byRoute.token ?? 0) - tokensBefore).toBe(1);
  });

  it('explains missing admin consent (403) by naming the permission', async () => {
    sim.grantPermissions(null);
    try {
      const error = await failure(microsoft365(options()).listUsers());
      expect(error.code).toBe('MICROSOFT.PERMISSION_MISSING');
      expect(error.message).toContain('User.Read.All');
      expect(error.message).toContain('Grant admin consent');
    } finally {
      sim.grantPermissions([...GRAPH_APPLICATION_PERMISSIONS]);
    }
  });

  it('reads every user in a delta round (pages of $top), then only the changes from the delta link', async () => {
    const ms = microsoft365(options({}, { pageSize: 7 }));
    const full = await collect((onPage) => ms.usersDelta(null, onPage));
    expect(full.items).toHaveLength(41);
    expect(new Set(full.items.map((u) => u.id)).size).toBe(41);
    expect(full.pages).toBe(6);
    expect(full.items[0]).toHaveProperty('userPrincipalName');
    expect(full.deltaLink).toMatch(/^https:\/\/graph\.microsoft\.com\/v1\.0\/users\/delta\?/);

    const touched = full.items.find((u) => u.userPrincipalName === 'user000003@ms.test')!;
    const deleted = full.items.find((u) => u.userPrincipalName === 'user000004@ms.test')!;
    sim.touchUser(touched.id, { jobTitle: 'Director' });
    sim.deleteUser(deleted.id);
    const changes = await collect((onPage) => ms.usersDelta(full.deltaLink, onPage));
    expect(changes.items.map((u) => u.id).sort()).toEqual([touched.id, deleted.id].sort());
    expect(changes.items.find((u) => u.id === touched.id)).toMatchObject({ jobTitle: 'Director' });
    expect(changes.items.find((u) => u.id === deleted.id)).toHaveProperty('@removed');

    sim.expireDeltaLinks();
    const expired = await failure(ms.usersDelta(changes.deltaLink, async () => {}));
    expect(expired.code).toBe('MICROSOFT.DELTA_EXPIRED');
  });

  it('maps an expired delta link to MICROSOFT.DELTA_EXPIRED whether Graph answers 400 syncStateNotFound or 410 resyncRequired', async () => {
    for (const expiredDeltaStatus of [400, 410] as const) {
      const other = await startGraphSimulator({
        domain: 'ms.test',
        expiredDeltaStatus,
        seed: { users: 3, groups: 1, membersPerGroup: 2 },
      });
      try {
        const ms = microsoft365({
          ...options(),
          credentials: {
            tenantId: other.tenantId,
            clientId: other.clientId,
            clientSecret: other.clientSecret,
          },
          graphUrl: other.url,
          loginUrl: other.authorityHost,
        });
        const users = await collect((onPage) => ms.usersDelta(null, onPage));
        const groups = await collect((onPage) => ms.groupsDelta(null, onPage));
        other.expireDeltaLinks();
        const expiredUsers = await failure(ms.usersDelta(users.deltaLink, async () => {}));
        const expiredGroups = await failure(ms.groupsDelta(groups.deltaLink, async () => {}));
        expect([expiredUsers.code, expiredGroups.code, expiredDeltaStatus]).toEqual([
          'MICROSOFT.DELTA_EXPIRED',
          'MICROSOFT.DELTA_EXPIRED',
          expiredDeltaStatus,
        ]);
      } finally {
        await other.close();
      }
    }
  });

  it('reads groups with members@delta', async () => {
    const ms = microsoft365(options());
    const full = await collect((onPage) => ms.groupsDelta(null, onPage));
    expect(full.items).toHaveLength(4);
    const members = full.items.flatMap(
      (g) => (g['members@delta'] as Array<{ id: string }> | undefined) ?? [],
    );
    expect(members.length).toBeGreaterThanOrEqual(15);
  });

  it('retries throttled and failing calls (faults at 30%) and still reads everything', async () => {
    const retries: number[] = [];
    const ms = microsoft365(
      options(
        {},
        {
          pageSize: 5,
          retry: {
            maxRetries: 10,
            baseDelayMs: 2,
            maxDelayMs: 20,
            onRetry: (r) => retries.push(r.status ?? 0),
          },
        },
      ),
    );
    await ms.authorize();
    sim.setFaults({ rate: 0.3, seed: 7, retryAfterSeconds: 0 });
    try {
      const full = await collect((onPage) => ms.usersDelta(null, onPage));
      expect(new Set(full.items.map((u) => u.id)).size).toBe(40);
    } finally {
      sim.setFaults(null);
    }
    expect(retries.length).toBeGreaterThan(0);
  });

  it('batches requests, retrying throttled sub-requests alone', async () => {
    const ms = microsoft365(options());
    const ids = [...sim.state.users.keys()].slice(0, 25);
    sim.setThrottle({ requestUnits: 15, windowSeconds: 1 });
    try {
      const responses = await ms.batch(
        ids.map((id, i) => ({
          id: String(i + 1),
          method: 'GET',
          url: `/users/${id}?$select=id,displayName`,
        })),
      );
      expect(responses).toHaveLength(25);
      expect(responses.map((r) => r.status)).toEqual(ids.map(() => 200));
      expect(responses.map((r) => (r.body as { id: string }).id)).toEqual(ids);
      expect(sim.requests.throttled).toBeGreaterThan(0);
    } finally {
      sim.setThrottle(null);
    }
  });

  it('completes a burst of writes above the write quota, waiting for Retry-After', async () => {
    const retries: RetryInfo[] = [];
    const ms = microsoft365(
      options({}, { retry: { baseDelayMs: 2, maxDelayMs: 20, onRetry: (r) => retries.push(r) } }),
    );
    const ids = [...sim.state.users.keys()].slice(0, 8);
    sim.setThrottle({ writeRequests: 5, writeWindowSeconds: 1 });
    const throttledBefore = sim.requests.throttled;
    try {
      await Promise.all(ids.map((id, i) => ms.updateUser(id, { jobTitle: `Burst ${i}` })));
      expect(ids.map((id) => sim.state.users.get(id).jobTitle)).toEqual(
        ids.map((_, i) => `Burst ${i}`),
      );
      expect(sim.requests.throttled).toBeGreaterThan(throttledBefore);
      expect(retries.length).toBeGreaterThan(0);
      // Graph's Retry-After (whole seconds until the write window ends) is waited in full.
      expect(
        retries.every(
          (r) =>
            r.throttled && r.status === 429 && r.operation === 'users.update' && r.delayMs >= 1000,
        ),
      ).toBe(true);
      expect(retries[0]!.error).toMatchObject({
        code: 'MICROSOFT.THROTTLED',
        details: { retryAfterSeconds: 1 },
      });
    } finally {
      sim.setThrottle(null);
    }
  });

  it('retries only the throttled requests of a $batch (Graph answers 200 with inner 429s)', async () => {
    const ms = microsoft365(options());
    const ids = [...sim.state.users.keys()].slice(10, 16);
    sim.setThrottle({ writeRequests: 3, writeWindowSeconds: 1 });
    const [updatesBefore, batchesBefore, throttledBefore] = [
      sim.requests.byRoute['users.update'] ?? 0,
      sim.requests.byRoute.batch ?? 0,
      sim.requests.throttled,
    ];
    try {
      const responses = await ms.batch(
        ids.map((id, i) => ({
          id: `w${i}`,
          method: 'PATCH',
          url: `/users/${id}`,
          body: { department: `Batch ${i}` },
        })),
      );
      expect(responses.map((r) => [r.id, r.status])).toEqual(ids.map((_, i) => [`w${i}`, 204]));
      expect(ids.map((id) => sim.state.users.get(id).department)).toEqual(
        ids.map((_, i) => `Batch ${i}`),
      );
      const throttled = sim.requests.throttled - throttledBefore;
      expect(throttled).toBeGreaterThanOrEqual(3);
      // Every update was sent once, plus once more for each time it was throttled: none that passed went again.
      expect((sim.requests.byRoute['users.update'] ?? 0) - updatesBefore).toBe(
        ids.length + throttled,
      );
      expect((sim.requests.byRoute.batch ?? 0) - batchesBefore).toBeGreaterThanOrEqual(2);
    } finally {
      sim.setThrottle(null);
    }
  });

  it('fails a throttled call with MICROSOFT.THROTTLED and its budget when Retry-After does not fit in it', async () => {
    const ms = microsoft365(options({}, { retry: { budgetMs: 300 } }));
    const [id] = [...sim.state.users.keys()];
    sim.setThrottle({ writeRequests: 1, writeWindowSeconds: 30 });
    try {
      await ms.updateUser(id!, { officeLocation: 'First' });
      const error = await ms.updateUser(id!, { officeLocation: 'Second' }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        kind: 'RATE_LIMITED',
        code: 'MICROSOFT.THROTTLED',
        retryable: true,
        details: { status: 429, budgetMs: 300, attempts: 1 },
      });
      expect(
        (error as { details: { retryAfterSeconds: number } }).details.retryAfterSeconds,
      ).toBeGreaterThan(25);
      expect(sim.state.users.get(id!).officeLocation).toBe('First');
    } finally {
      sim.setThrottle(null);
    }
  });

  it('matches $batch responses to their requests by id, whatever order Graph answers in', async () => {
    const ms = microsoft365(options());
    const ids = [...sim.state.users.keys()].slice(0, 12);
    // Every third request names a user that does not exist; Graph shuffles the responses.
    const urls = ids.map((id, i) =>
      i % 3 === 2 ? `/users/nobody-${i}@ms.test` : `/users/${id}?$select=id`,
    );
    const responses = await ms.batch(urls.map((url, i) => ({ id: `r${i}`, method: 'GET', url })));
    expect(responses.map((r) => r.id)).toEqual(urls.map((_, i) => `r${i}`));
    expect(responses.map((r) => r.status)).toEqual(urls.map((_, i) => (i % 3 === 2 ? 404 : 200)));
    responses.forEach((r, i) => {
      if (r.status === 200) expect((r.body as { id: string }).id).toBe(ids[i]);
    });
  });

  it('writes: licences (no units left: a clear error, nothing changed), members, sessions', async () => {
    const ms = microsoft365(options());
    const skus = await ms.listSubscribedSkus();
    const full = skus.find((s) => s.consumedUnits >= s.prepaidUnits.enabled)!;
    const free = skus.find((s) => s.consumedUnits < s.prepaidUnits.enabled)!;
    const user = [...sim.state.users.values()].find(
      (u) => u.userPrincipalName === 'user000030@ms.test',
    );
    const before = (user.assignedLicenses as unknown[]).length;
    const none = await failure(ms.assignLicense(user.id, [{ skuId: full.skuId }], []));
    expect(none.code).toBe('MICROSOFT.NO_LICENSES_AVAILABLE');
    expect((sim.state.users.get(user.id).assignedLicenses as unknown[]).length).toBe(before);

    const alreadyHas = (user.assignedLicenses as Array<{ skuId: string }>).some(
      (l) => l.skuId === free.skuId,
    );
    if (!alreadyHas) {
      await ms.assignLicense(user.id, [{ skuId: free.skuId }], []);
      expect(
        (sim.state.users.get(user.id).assignedLicenses as Array<{ skuId: string }>).map(
          (l) => l.skuId,
        ),
      ).toContain(free.skuId);
    }

    const group = [...sim.state.groups.values()][0];
    const outsider = [...sim.state.users.values()].find(
      (u) => !sim.state.members.get(group.id)?.has(u.id),
    );
    await ms.addGroupMember(group.id, outsider.id);
    expect(sim.state.members.get(group.id)?.has(outsider.id)).toBe(true);
    expect((await failure(ms.addGroupMember(group.id, outsider.id))).code).toBe(
      'MICROSOFT.CONFLICT',
    );
    await ms.removeGroupMember(group.id, outsider.id);
    expect(sim.state.members.get(group.id)?.has(outsider.id)).toBe(false);

    await ms.revokeSignInSessions(user.id);
    expect(sim.state.revokedSessions.has(user.id)).toBe(true);
    expect((await failure(ms.getUser('nobody@ms.test'))).code).toBe('MICROSOFT.NOT_FOUND');
  });
});

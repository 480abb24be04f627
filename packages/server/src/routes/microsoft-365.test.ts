import { randomBytes } from 'node:crypto';
import { createHeliosAuth } from '@helios/core/auth';
import {
  createTestHelios,
  createTestUser,
  type GraphSimulator,
  startGraphSimulator,
  type TestHelios,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../app';
import { withResponseContract } from '../response-contract';

const PASSWORD = 'a long enough passphrase 1';
const BASE = '/api/v1/integrations/microsoft-365';
const DOMAIN = 'ms-routes.test';

let t: TestHelios;
let sim: GraphSimulator;
let app: ReturnType<typeof createServer>;
let adminKey: string;
let managerCookie: string;

const send = (
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): RequestInit => ({
  method,
  headers: {
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    origin: 'http://localhost',
    ...headers,
  },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});
const asAdmin = () => ({ authorization: `Bearer ${adminKey}` });
const call = (path: string, init: RequestInit = {}) => app.request(`${BASE}${path}`, init);
const body = async (res: Response) => (await res.json()) as any;

beforeAll(async () => {
  sim = await startGraphSimulator({
    domain: DOMAIN,
    seed: { users: 30, groups: 3, membersPerGroup: 5 },
  });
  t = await createTestHelios({
    encryptionKey: randomBytes(32).toString('base64'),
    integrations: {
      microsoft: {
        graphUrl: sim.url,
        loginUrl: sim.authorityHost,
        retry: { maxRetries: 3, baseDelayMs: 5 },
        timeoutMs: 5000,
      },
    },
  });
  const auth = createHeliosAuth(t.helios, {
    secret: 's'.repeat(40),
    baseURL: 'http://localhost',
    signInRateLimitPerMinute: 1000,
  });
  app = withResponseContract(
    createServer({ helios: t.helios, auth, authRateLimitPerMinute: 1000 }),
  );
  adminKey = (await t.asAdmin.apiKeys.create({ name: 'admin key', scopes: ['admin:full'] })).secret;
  const manager = await createTestUser(t.helios, { role: 'manager' });
  await t.asAdmin.credentials.setPassword(manager.id, PASSWORD);
  const res = await app.request(
    '/api/auth/sign-in/email',
    send('POST', { email: manager.email, password: PASSWORD }),
  );
  managerCookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
});
afterAll(async () => {
  await t?.destroy();
  await sim?.close();
});

describe('Microsoft 365 routes', () => {
  it('refuses callers without credentials (401) and managers (403); reports not configured (404)', async () => {
    expect((await call('')).status).toBe(401);
    expect((await call('', { headers: { cookie: managerCookie } })).status).toBe(403);
    expect((await call('/sync/apply', send('POST', {}, { cookie: managerCookie }))).status).toBe(
      403,
    );
    const plan = await call('/sync/plan', send('POST', {}, asAdmin()));
    expect(plan.status).toBe(404);
    expect((await body(plan)).code).toBe('MICROSOFT.NOT_CONFIGURED');
  });

  it('configures the app registration without ever returning the secret, and tests it', async () => {
    const bad = await call(
      '/credentials',
      send('PUT', { tenantId: 'not a tenant!', clientId: 'x', clientSecret: 's' }, asAdmin()),
    );
    expect(bad.status).toBe(400);
    const put = await call(
      '/credentials',
      send(
        'PUT',
        { tenantId: sim.tenantId, clientId: sim.clientId, clientSecret: sim.clientSecret },
        asAdmin(),
      ),
    );
    expect(put.status).toBe(200);
    const text = await put.text();
    expect(text).not.toContain(sim.clientSecret);
    expect(JSON.parse(text)).toMatchObject({
      configured: true,
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      secretReadable: true,
    });
    const test = await call('/test', send('POST', {}, asAdmin()));
    expect(test.status).toBe(200);
    const result = await body(test);
    expect(result).toMatchObject({ ok: true, code: null });
    expect(result.roles).toContain('User.Read.All');
    const status = await body(await call('', { headers: asAdmin() }));
    expect(status.credentials).toMatchObject({ configured: true, isValid: true });
    expect(JSON.stringify(status)).not.toContain(sim.clientSecret);
  });

  it('plans (nothing written), applies a full sync, then an incremental one', async () => {
    const plan = await body(await call('/sync/plan', send('POST', {}, asAdmin())));
    expect(plan).toMatchObject({ dryRun: true, status: 'planned', mode: 'full' });
    expect(plan.counts.users.created).toBe(31);
    expect((await body(await call('/users', { headers: asAdmin() }))).items).toEqual([]);

    const full = await call('/sync/apply', send('POST', {}, asAdmin()));
    expect(full.status).toBe(200);
    expect(await body(full)).toMatchObject({ status: 'completed', mode: 'full' });

    const user = [...sim.state.users.values()].find(
      (u) => u.userPrincipalName === `user000004@${DOMAIN}`,
    );
    sim.touchUser(user.id, { jobTitle: 'Head of Routes' });
    const incremental = await body(await call('/sync/apply', send('POST', {}, asAdmin())));
    expect(incremental).toMatchObject({ mode: 'incremental' });
    expect(incremental.counts.users.updated).toBe(1);
    const forced = await body(await call('/sync/plan', send('POST', { full: true }, asAdmin())));
    expect(forced).toMatchObject({ mode: 'full' });
    expect(forced.counts.users).toMatchObject({ created: 0, updated: 0, deactivated: 0 });
  });

  it('lists the synced users (admins), groups and licences (every user)', async () => {
    const page = await body(await call('/users?limit=20', { headers: asAdmin() }));
    expect(page.items).toHaveLength(20);
    expect(page.nextCursor).toEqual(expect.any(String));
    expect(JSON.stringify(page)).not.toContain('rawData');
    const one = await body(await call(`/users/user000004@${DOMAIN}`, { headers: asAdmin() }));
    expect(one).toMatchObject({ upn: `user000004@${DOMAIN}`, jobTitle: 'Head of Routes' });
    expect((await call('/users', { headers: { cookie: managerCookie } })).status).toBe(403);
    const groups = await call('/groups', { headers: { cookie: managerCookie } });
    expect(groups.status).toBe(200);
    expect((await body(groups)).items).toHaveLength(3);
    const licences = await body(await call('/licences', { headers: { cookie: managerCookie } }));
    expect(licences.items.length).toBeGreaterThan(0);
    expect(licences.items[0]).toHaveProperty('availableUnits');
  });

  it('writes back: create (password revealed once), update, disable, reset, revoke, licences, members, delete', async () => {
    const created = await call(
      '/users',
      send(
        'POST',
        {
          userPrincipalName: `new.hire@${DOMAIN}`,
          displayName: 'New Hire',
          usageLocation: 'US',
          jobTitle: 'Engineer',
        },
        asAdmin(),
      ),
    );
    expect(created.status).toBe(201);
    const user = await body(created);
    expect(user).toMatchObject({ upn: `new.hire@${DOMAIN}`, removed: false });
    expect(sim.state.users.has(user.msId)).toBe(true);
    const reveal = await call(
      `/initial-passwords/new.hire@${DOMAIN}/reveal`,
      send('POST', undefined, asAdmin()),
    );
    expect(reveal.status).toBe(200);
    expect(sim.state.passwords.get(user.msId)).toBe((await body(reveal)).password);
    expect(
      (
        await call(
          `/initial-passwords/new.hire@${DOMAIN}/reveal`,
          send('POST', undefined, asAdmin()),
        )
      ).status,
    ).toBe(409);

    const updated = await call(
      `/users/${user.msId}`,
      send('PATCH', { jobTitle: 'Staff Engineer' }, asAdmin()),
    );
    expect(await body(updated)).toMatchObject({ jobTitle: 'Staff Engineer' });
    expect(
      (await body(await call(`/users/${user.msId}/disable`, send('POST', undefined, asAdmin()))))
        .isAccountEnabled,
    ).toBe(false);
    expect(sim.state.users.get(user.msId).accountEnabled).toBe(false);
    expect(
      (await body(await call(`/users/${user.msId}/enable`, send('POST', undefined, asAdmin()))))
        .isAccountEnabled,
    ).toBe(true);
    const reset = await call(
      `/users/${user.msId}/reset-password`,
      send('POST', undefined, asAdmin()),
    );
    expect(reset.status).toBe(200);
    expect(await reset.text()).not.toContain(sim.state.passwords.get(user.msId));
    expect(
      (await call(`/users/${user.msId}/revoke-sessions`, send('POST', undefined, asAdmin())))
        .status,
    ).toBe(200);
    expect(sim.state.revokedSessions.has(user.msId)).toBe(true);

    const licences = (await body(await call('/licences', { headers: asAdmin() }))).items as Array<{
      skuId: string;
      availableUnits: number;
    }>;
    const free = licences.find((l) => l.availableUnits > 0)!;
    const full = licences.find((l) => l.availableUnits === 0)!;
    const none = await call(
      `/users/${user.msId}/licences`,
      send('POST', { add: [full.skuId] }, asAdmin()),
    );
    expect(none.status).toBe(409);
    expect((await body(none)).code).toBe('MICROSOFT.NO_LICENSES_AVAILABLE');
    const assigned = await call(
      `/users/${user.msId}/licences`,
      send('POST', { add: [free.skuId] }, asAdmin()),
    );
    expect(assigned.status).toBe(200);
    expect(JSON.stringify(sim.state.users.get(user.msId).assignedLicenses)).toContain(free.skuId);

    const group = [...sim.state.groups.values()][0];
    const add = await call(
      `/groups/${group.id}/members/${user.msId}`,
      send('PUT', undefined, asAdmin()),
    );
    expect(add.status).toBe(200);
    expect(sim.state.members.get(group.id)?.has(user.msId)).toBe(true);
    expect(
      (await call(`/groups/${group.id}/members/${user.msId}`, send('PUT', undefined, asAdmin())))
        .status,
    ).toBe(409);
    expect(
      (await call(`/groups/${group.id}/members/${user.msId}`, send('DELETE', undefined, asAdmin())))
        .status,
    ).toBe(200);
    expect(sim.state.members.get(group.id)?.has(user.msId)).toBe(false);

    expect(
      (
        await call(
          `/users/${user.msId}/disable`,
          send('POST', undefined, { cookie: managerCookie }),
        )
      ).status,
    ).toBe(403);
    expect((await call(`/users/${user.msId}`, send('DELETE', undefined, asAdmin()))).status).toBe(
      204,
    );
    expect(sim.state.users.has(user.msId)).toBe(false);
    expect((await body(await call(`/users/${user.msId}`, { headers: asAdmin() }))).removed).toBe(
      true,
    );
  });

  it('refuses a NUL or an unpaired surrogate in a write-back with 400 VALIDATION.FAILED before calling Graph', async () => {
    const user = [...sim.state.users.values()].find(
      (u) => u.userPrincipalName === `user000006@${DOMAIN}`,
    );
    const before = JSON.stringify(user);
    for (const jobTitle of ['Engineer\u0000', 'Engineer \uDBFF']) {
      const res = await call(`/users/${user.id}`, send('PATCH', { jobTitle }, asAdmin()));
      expect(res.status, jobTitle).toBe(400);
      expect(await body(res)).toMatchObject({
        code: 'VALIDATION.FAILED',
        errors: [{ path: 'jobTitle' }],
      });
    }
    expect(JSON.stringify(sim.state.users.get(user.id))).toBe(before);
    expect((await call('/sync/plan', send('POST', {}, asAdmin()))).status).toBe(200);
  });

  it('stores Graph values holding a NUL or an unpaired surrogate cleaned, and reports them as SYNC.TEXT_SANITIZED warnings', async () => {
    const user = [...sim.state.users.values()].find(
      (u) => u.userPrincipalName === `user000007@${DOMAIN}`,
    );
    sim.touchUser(user.id, { jobTitle: 'Head\u0000 of Ops', officeLocation: 'Room \uD800' });
    const apply = await call('/sync/apply', send('POST', {}, asAdmin()));
    const applied = await body(apply);
    expect(apply.status, JSON.stringify(applied)).toBe(200);
    expect(applied.fetched.warnings).toEqual({
      total: 1,
      items: [
        {
          code: 'SYNC.TEXT_SANITIZED',
          entity: 'user',
          id: user.id,
          fields: expect.arrayContaining(['jobTitle', 'officeLocation']),
        },
      ],
    });
    expect(
      await body(await call(`/users/user000007@${DOMAIN}`, { headers: asAdmin() })),
    ).toMatchObject({
      jobTitle: 'Head of Ops',
      officeLocation: 'Room \uFFFD',
    });
    const runs = (await t.asAdmin.audit.list({ action: 'microsoft_365.sync', limit: 1 })).items;
    expect(runs[0]?.details).toMatchObject({ fetched: { warnings: { total: 1 } } });
    for (const full of [false, true])
      expect((await call('/sync/plan', send('POST', { full }, asAdmin()))).status).toBe(200);
    sim.touchUser(user.id, { jobTitle: 'Head of Ops', officeLocation: 'Room 1' });
    expect((await call('/sync/apply', send('POST', {}, asAdmin()))).status).toBe(200);
  });

  it('stops at the safety limit (409, nothing written) unless large removals are allowed; journals runs', async () => {
    const victims = [...sim.state.users.values()]
      .filter((u) => /user00001\d@/.test(u.userPrincipalName))
      .slice(0, 5);
    for (const v of victims) sim.deleteUser(v.id);
    const stopped = await call('/sync/apply', send('POST', {}, asAdmin()));
    expect(stopped.status).toBe(409);
    expect((await body(stopped)).code).toBe('SYNC.SAFETY_LIMIT');
    expect(
      (await body(await call(`/users/${victims[0].id}`, { headers: asAdmin() }))).removed,
    ).toBe(false);
    const allowed = await body(
      await call('/sync/apply', send('POST', { allowLargeRemovals: true }, asAdmin())),
    );
    expect(allowed.counts.users.deactivated).toBe(5);
    const runs = await body(await call('/runs?limit=10', { headers: asAdmin() }));
    expect(runs.items.length).toBeGreaterThanOrEqual(3);
    expect(runs.items.every((r: { action: string }) => r.action === 'microsoft_365.sync')).toBe(
      true,
    );
  });

  it('removes the credentials (204)', async () => {
    expect((await call('/credentials', send('DELETE', undefined, asAdmin()))).status).toBe(204);
    expect((await body(await call('', { headers: asAdmin() }))).credentials.configured).toBe(false);
  });
});

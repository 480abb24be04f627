import { randomBytes } from 'node:crypto';
import { DEFAULT_GOOGLE_SCOPES } from '@helios/core';
import { createHeliosAuth } from '@helios/core/auth';
import {
  createTestHelios,
  createTestUser,
  type GoogleDirectorySimulator,
  startGoogleDirectorySimulator,
  type TestHelios,
} from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../app';
import { withResponseContract } from '../response-contract';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const PASSWORD = 'a long enough passphrase 1';
const BASE = '/api/v1/integrations/google-workspace';

let t: TestHelios;
let sim: GoogleDirectorySimulator;
let app: ReturnType<typeof createServer>;
let adminKey: string;
let securityOnlyKey: string;
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
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const asAdmin = () => bearer(adminKey);
const call = (path: string, init: RequestInit = {}) => app.request(`${BASE}${path}`, init);
const body = async (res: Response) => (await res.json()) as any;
const configureBody = () => ({
  serviceAccountKey: sim.serviceAccountKey,
  adminEmail: sim.adminEmail,
  domain: 'gw-routes.test',
});

async function signIn(email: string, password: string): Promise<string> {
  const res = await app.request('/api/auth/sign-in/email', send('POST', { email, password }));
  expect(res.status).toBe(200);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

beforeAll(async () => {
  sim = await startGoogleDirectorySimulator({
    domain: 'gw-routes.test',
    seed: { users: 20, groups: 3, membersPerGroup: 4, orgUnits: 2 },
  });
  // As the server does with HELIOS_GOOGLE_API_ROOT / HELIOS_GOOGLE_TOKEN_URL: the SDK's integrations option.
  t = await createTestHelios({
    encryptionKey: ENCRYPTION_KEY,
    integrations: {
      google: {
        rootUrl: sim.url,
        tokenUrl: sim.tokenUrl,
        retry: { maxRetries: 2, baseDelayMs: 5 },
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
  securityOnlyKey = (
    await t.asAdmin.apiKeys.create({
      name: 'security key',
      scopes: ['security:read', 'security:write'],
    })
  ).secret;
  const manager = await createTestUser(t.helios, { role: 'manager' });
  await t.asAdmin.credentials.setPassword(manager.id, PASSWORD);
  managerCookie = await signIn(manager.email, PASSWORD);
});
afterAll(async () => {
  await sim?.close();
  await t?.destroy();
});

describe('Google Workspace routes', () => {
  it('refuses callers without credentials (401), managers and keys without the scope (403)', async () => {
    expect((await call('')).status).toBe(401);
    expect((await call('/credentials', send('PUT', configureBody()))).status).toBe(401);
    expect((await call('', { headers: { cookie: managerCookie } })).status).toBe(403);
    expect(
      (await call('/credentials', send('PUT', configureBody(), { cookie: managerCookie }))).status,
    ).toBe(403);
    expect((await call('/test', send('POST', {}, { cookie: managerCookie }))).status).toBe(403);
    expect((await call('/sync/plan', send('POST', {}, { cookie: managerCookie }))).status).toBe(
      403,
    );
    expect((await call('/sync/apply', send('POST', {}, { cookie: managerCookie }))).status).toBe(
      403,
    );
    expect((await call('/runs', { headers: { cookie: managerCookie } })).status).toBe(403);
    // A key for the credentials only may not run a sync (organization:write).
    const plan = await call('/sync/plan', send('POST', {}, bearer(securityOnlyKey)));
    expect(plan.status).toBe(403);
    expect((await body(plan)).code).toBe('POLICY.FORBIDDEN');
    expect((await call('/sync/apply', send('POST', {}, bearer(securityOnlyKey)))).status).toBe(403);
  });

  it('reports "not configured" before credentials exist (status, test and sync: 404)', async () => {
    const status = await call('', { headers: asAdmin() });
    expect(status.status).toBe(200);
    expect((await body(status)).credentials).toMatchObject({
      configured: false,
      clientEmail: null,
    });
    const test = await call('/test', send('POST', {}, asAdmin()));
    expect(test.status).toBe(404);
    expect((await body(test)).code).toBe('GOOGLE.NOT_CONFIGURED');
    const plan = await call('/sync/plan', send('POST', {}, asAdmin()));
    expect(plan.status).toBe(404);
    expect((await body(plan)).code).toBe('GOOGLE.NOT_CONFIGURED');
  });

  it('refuses a bad key JSON and unknown fields with 400, storing nothing', async () => {
    const bad = await call(
      '/credentials',
      send(
        'PUT',
        { ...configureBody(), serviceAccountKey: '{"type":"service_account",' },
        asAdmin(),
      ),
    );
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const problem = await body(bad);
    expect(problem.errors.map((e: { path: string }) => e.path).join(' ')).toContain(
      'serviceAccountKey',
    );
    const notAKey = await call(
      '/credentials',
      send('PUT', { ...configureBody(), serviceAccountKey: { type: 'user' } }, asAdmin()),
    );
    expect(notAKey.status).toBe(400);
    expect(
      (await call('/sync/apply', send('POST', { allowLargeRemovals: 'yes' }, asAdmin()))).status,
    ).toBe(400);
    expect((await call('/test', send('POST', { rootUrl: 'not a url' }, asAdmin()))).status).toBe(
      400,
    );
    expect((await body(await call('', { headers: asAdmin() }))).credentials.configured).toBe(false);
  });

  it('configures the credentials without ever returning the key, and tests them against the simulator', async () => {
    const put = await call('/credentials', send('PUT', configureBody(), asAdmin()));
    expect(put.status).toBe(200);
    const text = await put.text();
    expect(text).not.toContain('PRIVATE KEY');
    expect(JSON.parse(text)).toMatchObject({
      configured: true,
      clientEmail: sim.serviceAccountKey.client_email,
      clientId: sim.serviceAccountKey.client_id,
      adminEmail: sim.adminEmail,
      isValid: false,
      keyReadable: true,
    });

    // Endpoints come from the configuration only, never from the request.
    const elsewhere = await call(
      '/test',
      send('POST', { rootUrl: sim.url, tokenUrl: sim.tokenUrl }, asAdmin()),
    );
    expect(elsewhere.status).toBe(400);

    const test = await call('/test', send('POST', {}, asAdmin()));
    expect(test.status).toBe(200);
    const result = await body(test);
    expect(result).toMatchObject({ ok: true, code: null });
    expect(result.steps.map((s: { status: string }) => s.status)).toEqual(['ok', 'ok', 'ok', 'ok']);

    const status = await body(await call('', { headers: asAdmin() }));
    expect(status.credentials).toMatchObject({ configured: true, isValid: true });
    expect(JSON.stringify(status)).not.toContain('PRIVATE KEY');
    expect(status.module === null || status.module.slug === 'google_workspace').toBe(true);

    // The status also reads the module state (organization:read): a key with the security scopes only gets 403.
    expect((await call('', { headers: bearer(securityOnlyKey) })).status).toBe(403);
  });

  it('tests against the configured endpoints when the request names none', async () => {
    const before = sim.requests.byRoute.token ?? 0;
    const test = await call('/test', send('POST', {}, asAdmin()));
    expect(test.status).toBe(200);
    expect(await body(test)).toMatchObject({ ok: true });
    expect(sim.requests.byRoute.token ?? 0).toBeGreaterThan(before);
  });

  it('plans (writing nothing), applies, and lists the synced users, groups and org units', async () => {
    const plan = await call('/sync/plan', send('POST', {}, asAdmin()));
    expect(plan.status).toBe(200);
    const planned = await body(plan);
    expect(planned).toMatchObject({
      dryRun: true,
      status: 'planned',
      fetched: { users: 21, groups: 3 },
    });
    expect(planned.counts.users.created).toBe(21);
    expect((await body(await call('/users', { headers: asAdmin() }))).items).toEqual([]);

    const apply = await call('/sync/apply', send('POST', {}, asAdmin()));
    expect(apply.status).toBe(200);
    expect(await body(apply)).toMatchObject({ dryRun: false, status: 'completed' });

    const first = await body(await call('/users?limit=15', { headers: asAdmin() }));
    expect(first.items).toHaveLength(15);
    const second = await body(
      await call(`/users?limit=15&cursor=${encodeURIComponent(first.nextCursor)}`, {
        headers: asAdmin(),
      }),
    );
    expect(second.items).toHaveLength(6);
    expect(second.nextCursor).toBeNull();
    expect(JSON.stringify(first)).not.toContain('rawData');
    const suspended = await body(await call('/users?isSuspended=true', { headers: asAdmin() }));
    expect(suspended.items.map((u: { email: string }) => u.email)).toEqual([
      'user000017@gw-routes.test',
    ]);
    const one = await call('/users/user000003@gw-routes.test', { headers: asAdmin() });
    expect(one.status).toBe(200);
    expect(await body(one)).toMatchObject({ email: 'user000003@gw-routes.test', removed: false });
    expect(
      (await body(await call('/users/nobody@gw-routes.test', { headers: asAdmin() }))).code,
    ).toBe('GOOGLE.USER_NOT_SYNCED');

    // Google users are for admins; groups and org units for every user.
    expect((await call('/users', { headers: { cookie: managerCookie } })).status).toBe(403);
    const groups = await call('/groups', { headers: { cookie: managerCookie } });
    expect(groups.status).toBe(200);
    const groupItems = (await body(groups)).items;
    expect(groupItems).toHaveLength(3);
    expect(
      groupItems.every(
        (g: { accessGroupId: string | null }) => typeof g.accessGroupId === 'string',
      ),
    ).toBe(true);
    const units = await call('/org-units', { headers: { cookie: managerCookie } });
    expect(units.status).toBe(200);
    expect((await body(units)).items.length).toBeGreaterThanOrEqual(2);
    expect((await call('/users?limit=0', { headers: asAdmin() })).status).toBe(400);
  });

  it('writes back: create (initial password revealed once), update, suspend, move, groups and members, delete', async () => {
    const created = await call(
      '/users',
      send(
        'POST',
        {
          primaryEmail: 'new.hire@gw-routes.test',
          givenName: 'New',
          familyName: 'Hire',
          title: 'Engineer',
        },
        asAdmin(),
      ),
    );
    expect(created.status).toBe(201);
    const user = await body(created);
    expect(user).toMatchObject({ email: 'new.hire@gw-routes.test', removed: false });
    expect(sim.state.users.get(user.googleId)?.primaryEmail).toBe('new.hire@gw-routes.test');

    const reveal = await call(
      '/initial-passwords/new.hire@gw-routes.test/reveal',
      send('POST', undefined, asAdmin()),
    );
    expect(reveal.status).toBe(200);
    const { password } = await body(reveal);
    expect(sim.state.passwords.get(user.googleId)).toBe(password);
    const again = await call(
      '/initial-passwords/new.hire@gw-routes.test/reveal',
      send('POST', undefined, asAdmin()),
    );
    expect(again.status).toBe(409);
    expect(await again.text()).not.toContain(password);

    const updated = await call(
      `/users/${user.googleId}`,
      send('PATCH', { title: 'Staff Engineer' }, asAdmin()),
    );
    expect(updated.status).toBe(200);
    expect(await body(updated)).toMatchObject({ jobTitle: 'Staff Engineer' });
    expect((await call(`/users/${user.googleId}`, send('PATCH', {}, asAdmin()))).status).toBe(400);

    const suspend = await call(
      `/users/${user.googleId}/suspend`,
      send('POST', undefined, asAdmin()),
    );
    expect(await body(suspend)).toMatchObject({ isSuspended: true });
    expect(sim.state.users.get(user.googleId)?.suspended).toBe(true);
    const unsuspend = await call(
      `/users/${user.googleId}/unsuspend`,
      send('POST', undefined, asAdmin()),
    );
    expect(await body(unsuspend)).toMatchObject({ isSuspended: false });

    const unit = (await body(await call('/org-units', { headers: asAdmin() }))).items.find(
      (u: { path: string }) => u.path !== '/',
    );
    const moved = await call(
      `/users/${user.googleId}/move`,
      send('POST', { orgUnitPath: unit.path }, asAdmin()),
    );
    expect(moved.status).toBe(200);
    expect(await body(moved)).toMatchObject({ orgUnitPath: unit.path });

    const group = await call(
      '/groups',
      send('POST', { email: 'new-team@gw-routes.test', name: 'New team' }, asAdmin()),
    );
    expect(group.status).toBe(201);
    expect((await body(group)).accessGroupId).toEqual(expect.any(String));
    const add = await call(
      '/groups/new-team@gw-routes.test/members',
      send('POST', { userEmail: 'new.hire@gw-routes.test', role: 'MANAGER' }, asAdmin()),
    );
    expect(add.status).toBe(201);
    expect(await body(add)).toMatchObject({
      role: 'MANAGER',
      userEmail: 'new.hire@gw-routes.test',
    });
    const twice = await call(
      '/groups/new-team@gw-routes.test/members',
      send('POST', { userEmail: 'new.hire@gw-routes.test' }, asAdmin()),
    );
    expect(twice.status).toBe(409);
    const remove = await call(
      '/groups/new-team@gw-routes.test/members/new.hire@gw-routes.test',
      send('DELETE', undefined, asAdmin()),
    );
    expect(remove.status).toBe(200);

    // A manager may not write back.
    expect(
      (
        await call(
          `/users/${user.googleId}/suspend`,
          send('POST', undefined, { cookie: managerCookie }),
        )
      ).status,
    ).toBe(403);

    expect(
      (await call(`/users/${user.googleId}`, send('DELETE', undefined, asAdmin()))).status,
    ).toBe(204);
    expect(sim.state.users.has(user.googleId)).toBe(false);
    const gone = await body(await call(`/users/${user.googleId}`, { headers: asAdmin() }));
    expect(gone).toMatchObject({ removed: true });
  });

  it('refuses a NUL or an unpaired surrogate in a write-back with 400 VALIDATION.FAILED before calling Google', async () => {
    const target = [...sim.state.users.values()].find(
      (u) => u.primaryEmail === 'user000004@gw-routes.test',
    ) as Record<string, any>;
    const before = JSON.stringify(target);
    for (const title of ['Engineer\u0000', 'Engineer \uD800']) {
      const res = await call(`/users/${target.id}`, send('PATCH', { title }, asAdmin()));
      expect(res.status, title).toBe(400);
      const problem = await body(res);
      expect(problem).toMatchObject({ code: 'VALIDATION.FAILED', errors: [{ path: 'title' }] });
      expect(JSON.stringify(problem)).not.toContain('\u0000');
    }
    expect(JSON.stringify(sim.state.users.get(target.id))).toBe(before);
    const plan = await call('/sync/plan', send('POST', {}, asAdmin()));
    expect(plan.status).toBe(200);
    expect((await body(plan)).fetched.warnings).toEqual({ total: 0, items: [] });
  });

  it('stores Google values holding a NUL or an unpaired surrogate cleaned, and reports them as SYNC.TEXT_SANITIZED warnings', async () => {
    const target = [...sim.state.users.values()].find(
      (u) => u.primaryEmail === 'user000005@gw-routes.test',
    ) as Record<string, any>;
    target.organizations = [{ ...target.organizations[0], title: 'Eng\u0000ineer' }];
    target.name = { ...target.name, givenName: 'Ada\uDC00' };
    for (const path of ['/sync/plan', '/sync/apply', '/sync/plan']) {
      const res = await call(path, send('POST', {}, asAdmin()));
      const result = await body(res);
      expect(res.status, `${path}: ${JSON.stringify(result)}`).toBe(200);
      expect(result.fetched.warnings).toEqual({
        total: 1,
        items: [
          {
            code: 'SYNC.TEXT_SANITIZED',
            entity: 'user',
            id: target.id,
            fields: expect.arrayContaining(['organizations.0.title', 'name.givenName']),
          },
        ],
      });
    }
    const stored = await body(
      await call('/users/user000005@gw-routes.test', { headers: asAdmin() }),
    );
    expect(stored).toMatchObject({ jobTitle: 'Engineer', givenName: 'Ada\uFFFD' });
    const runs = (await t.asAdmin.audit.list({ action: 'google_workspace.sync', limit: 1 })).items;
    expect(runs[0]?.details).toMatchObject({
      status: 'completed',
      fetched: { warnings: { total: 1 } },
    });

    // A write-back stores Google's answer, which still holds the NUL: cleaned the same way.
    const updated = await call(
      `/users/${target.id}`,
      send('PATCH', { department: 'Operations' }, asAdmin()),
    );
    expect(updated.status, await updated.clone().text()).toBe(200);
    expect(await body(updated)).toMatchObject({ jobTitle: 'Engineer', department: 'Operations' });
    target.organizations = [
      { title: 'Engineer', primary: true, customType: '', department: 'Operations' },
    ];
    target.name = { ...target.name, givenName: 'Ada' };
  });

  it('stops an apply at the safety limit (409, nothing written) unless large removals are allowed', async () => {
    const victims = [...sim.state.users.values()]
      .filter((u) => u.primaryEmail.startsWith('user00000'))
      .slice(0, 5);
    for (const v of victims) sim.state.users.delete(v.id);
    const stopped = await call('/sync/apply', send('POST', {}, asAdmin()));
    expect(stopped.status).toBe(409);
    expect((await body(stopped)).code).toBe('SYNC.SAFETY_LIMIT');
    expect(
      (await body(await call(`/users/${victims[0].id}`, { headers: asAdmin() }))).removed,
    ).toBe(false);
    const allowed = await call(
      '/sync/apply',
      send('POST', { allowLargeRemovals: true }, asAdmin()),
    );
    expect(allowed.status).toBe(200);
    expect((await body(allowed)).counts.users.deactivated).toBe(5);
    expect(
      (await body(await call(`/users/${victims[0].id}`, { headers: asAdmin() }))).removed,
    ).toBe(true);
  });

  it('explains a delegation that is not granted', async () => {
    sim.grantDelegation(sim.serviceAccountKey.client_id, null);
    try {
      const test = await call('/test', send('POST', {}, asAdmin()));
      expect(test.status).toBe(200);
      expect(await body(test)).toMatchObject({ ok: false, code: 'GOOGLE.DELEGATION_NOT_GRANTED' });
    } finally {
      sim.grantDelegation(sim.serviceAccountKey.client_id, [...DEFAULT_GOOGLE_SCOPES]);
    }
  });

  it('lists the sync runs (audit rows google_workspace.sync) and paginates', async () => {
    const runs = await call('/runs?limit=5', { headers: asAdmin() });
    expect(runs.status).toBe(200);
    const page = await body(runs);
    // Two applied runs so far (a plan is not journaled), newest first.
    expect(page.items.length).toBeGreaterThanOrEqual(2);
    for (const item of page.items) expect(item.action).toBe('google_workspace.sync');
    expect(page.items[0].details.status).toBe('completed');
    expect((await call('/runs?limit=0', { headers: asAdmin() })).status).toBe(400);
  });

  it('removes the credentials (204), then reports them absent', async () => {
    expect(
      (await call('/credentials', send('DELETE', undefined, bearer(securityOnlyKey)))).status,
    ).toBe(204);
    expect((await body(await call('', { headers: asAdmin() }))).credentials.configured).toBe(false);
    expect(
      (await call('/credentials', send('DELETE', undefined, { cookie: managerCookie }))).status,
    ).toBe(403);
  });
});

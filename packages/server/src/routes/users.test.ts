import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../app';
import { withResponseContract } from '../response-contract';

let t: TestHelios;
let app: ReturnType<typeof createServer>;
const PASSWORD = 'a long test password 1';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** Authorization headers of each kind of caller. */
const as: Record<
  'admin' | 'manager' | 'user' | 'fullKey' | 'readKey' | 'writeKey' | 'peopleKey',
  Record<string, string>
> = {} as never;
let manager: { id: string; email: string };
let report: { id: string };
let subReport: { id: string };
let plain: { id: string; email: string };

function send(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method,
    headers: { 'content-type': 'application/json', origin: 'http://localhost', ...headers },
    body: JSON.stringify(body),
  };
}

async function signIn(email: string, password = PASSWORD): Promise<Record<string, string>> {
  const res = await app.request('/api/auth/sign-in/email', send('POST', { email, password }));
  expect(res.status).toBe(200);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  // Cookie-authenticated state changes must name the portal's origin.
  return { cookie, origin: 'http://localhost' };
}

async function keyHeaders(name: string, scopes: string[]): Promise<Record<string, string>> {
  const { secret } = await t.asAdmin.apiKeys.create({
    name,
    scopes: scopes as never,
    rateLimitPerMinute: 100_000,
  });
  return { authorization: `Bearer ${secret}` };
}

const body = async (res: Response) => (await res.json()) as any;
const ids = (page: { items: Array<{ id: string }> }) => page.items.map((u) => u.id).sort();

beforeAll(async () => {
  t = await createTestHelios();
  const auth = createHeliosAuth(t.helios, {
    secret: 's'.repeat(40),
    baseURL: 'http://localhost',
    signInRateLimitPerMinute: 1000,
  });
  app = withResponseContract(
    createServer({ helios: t.helios, auth, authRateLimitPerMinute: 1000 }),
  );

  manager = await createTestUser(t.helios, {
    role: 'manager',
    first_name: 'Mona',
    last_name: 'Manager',
  });
  report = await createTestUser(t.helios, {
    reporting_manager_id: manager.id,
    last_name: 'Report',
  });
  subReport = await createTestUser(t.helios, {
    reporting_manager_id: report.id,
    last_name: 'Subreport',
  });
  plain = await createTestUser(t.helios, { last_name: 'Plain' });
  for (const id of [t.admin!.id, manager.id, plain.id])
    await t.asAdmin.credentials.setPassword(id, PASSWORD);

  as.admin = await signIn(t.admin!.email);
  as.manager = await signIn(manager.email);
  as.user = await signIn(plain.email);
  as.fullKey = await keyHeaders('full', ['admin:full']);
  as.readKey = await keyHeaders('read', ['users:read']);
  as.writeKey = await keyHeaders('write', ['users:write']);
  as.peopleKey = await keyHeaders('people', ['people:read']);
});
afterAll(() => t.destroy());

describe('GET /users and /users/count', () => {
  it('answers 401 without credentials', async () => {
    const res = await app.request('/api/v1/users');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect((await app.request('/api/v1/users/count')).status).toBe(401);
  });

  it('shows a manager only themself and their reporting line', async () => {
    const res = await app.request('/api/v1/users?limit=500', { headers: as.manager });
    expect(res.status).toBe(200);
    expect(ids(await body(res))).toEqual([manager.id, report.id, subReport.id].sort());
    const count = await body(await app.request('/api/v1/users/count', { headers: as.manager }));
    expect(count).toEqual({ count: 3 });
  });

  it('shows a user only themself', async () => {
    const page = await body(await app.request('/api/v1/users', { headers: as.user }));
    expect(ids(page)).toEqual([plain.id]);
  });

  it('shows admins and users:read keys everyone, a page at a time', async () => {
    const all = await body(await app.request('/api/v1/users/count', { headers: as.readKey }));
    expect(all.count).toBeGreaterThanOrEqual(5);
    const first = await body(
      await app.request('/api/v1/users?limit=2&sort=createdAt&direction=asc', {
        headers: as.admin,
      }),
    );
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await body(
      await app.request(
        `/api/v1/users?limit=2&sort=createdAt&direction=asc&cursor=${encodeURIComponent(first.nextCursor)}`,
        { headers: as.admin },
      ),
    );
    expect(second.items).toHaveLength(2);
    expect(ids(second)).not.toEqual(expect.arrayContaining(ids(first)));
  });

  it('filters by status given repeated or comma-separated, by manager, role and text', async () => {
    const suspended = await createTestUser(t.helios, {
      user_status: 'suspended',
      is_active: false,
      last_name: 'Suspendedfilter',
    });
    const only = await body(
      await app.request('/api/v1/users?status=suspended', { headers: as.admin }),
    );
    expect(ids(only)).toEqual([suspended.id]);
    const comma = await body(
      await app.request('/api/v1/users?status=active,suspended&limit=500', { headers: as.admin }),
    );
    const repeated = await body(
      await app.request('/api/v1/users?status=active&status=suspended&limit=500', {
        headers: as.admin,
      }),
    );
    expect(ids(comma)).toContain(suspended.id);
    expect(ids(comma)).toContain(plain.id);
    expect(ids(repeated)).toEqual(ids(comma));
    expect(
      ids(
        await body(
          await app.request(`/api/v1/users?managerId=${manager.id}`, { headers: as.admin }),
        ),
      ),
    ).toEqual([report.id]);
    expect(
      ids(await body(await app.request('/api/v1/users?role=manager', { headers: as.admin }))),
    ).toEqual([manager.id]);
    expect(
      ids(await body(await app.request('/api/v1/users?q=mona', { headers: as.admin }))),
    ).toEqual([manager.id]);
    const noManager = await body(
      await app.request('/api/v1/users?managerId=none&limit=500', { headers: as.admin }),
    );
    expect(ids(noManager)).toContain(plain.id);
    expect(ids(noManager)).not.toContain(report.id);
  });

  it('refuses a bad filter with 400 and field errors', async () => {
    const res = await app.request('/api/v1/users?status=bogus&limit=0', { headers: as.admin });
    expect(res.status).toBe(400);
    const problem = await body(res);
    const paths: string[] = problem.errors.map((e: { path: string }) => e.path);
    expect(paths).toContain('limit');
    expect(paths.some((p) => p.startsWith('status'))).toBe(true);
  });

  it('refuses API keys without users:read', async () => {
    const res = await app.request('/api/v1/users', { headers: as.peopleKey });
    expect(res.status).toBe(403);
    expect((await body(res)).code).toBe('POLICY.FORBIDDEN');
  });
});

describe('POST /users, GET/PATCH /users/{id}', () => {
  it('creates a user as an admin and reads it back', async () => {
    const res = await app.request(
      '/api/v1/users',
      send(
        'POST',
        {
          email: 'New.Person@Acme.test',
          firstName: 'New',
          lastName: 'Person',
          role: 'user',
          jobTitle: 'Engineer',
        },
        as.admin,
      ),
    );
    expect(res.status).toBe(201);
    const created = await body(res);
    expect(created).toMatchObject({
      email: 'new.person@acme.test',
      status: 'active',
      jobTitle: 'Engineer',
    });
    const read = await app.request(`/api/v1/users/${created.id}`, { headers: as.fullKey });
    expect(read.status).toBe(200);
    expect(await body(read)).toMatchObject({ id: created.id, email: 'new.person@acme.test' });
  });

  it('refuses a bad email with 400 and errors[], writing nothing', async () => {
    const before = (
      await body(await app.request('/api/v1/users/count?status=all', { headers: as.admin }))
    ).count;
    const res = await app.request(
      '/api/v1/users',
      send('POST', { email: 'not-an-email', firstName: 'X', lastName: 'Y' }, as.admin),
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = await body(res);
    expect(problem.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'email' })]),
    );
    const after = (
      await body(await app.request('/api/v1/users/count?status=all', { headers: as.admin }))
    ).count;
    expect(after).toBe(before);
  });

  it('refuses a duplicate email with 409 USERS.EMAIL_TAKEN', async () => {
    const res = await app.request(
      '/api/v1/users',
      send('POST', { email: plain.email, firstName: 'X', lastName: 'Y' }, as.writeKey),
    );
    expect(res.status).toBe(409);
    expect((await body(res)).code).toBe('USERS.EMAIL_TAKEN');
  });

  it('answers 403 to a user, a manager and a read-only key creating users, 401 without credentials', async () => {
    const input = { email: 'nobody@acme.test', firstName: 'No', lastName: 'Body' };
    expect((await app.request('/api/v1/users', send('POST', input, as.user))).status).toBe(403);
    expect((await app.request('/api/v1/users', send('POST', input, as.manager))).status).toBe(403);
    expect((await app.request('/api/v1/users', send('POST', input, as.readKey))).status).toBe(403);
    expect((await app.request('/api/v1/users', send('POST', input))).status).toBe(401);
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const res = await app.request(`/api/v1/users/${UNKNOWN}`, { headers: as.admin });
    expect(res.status).toBe(404);
    expect((await body(res)).code).toBe('USERS.NOT_FOUND');
    const bad = await app.request('/api/v1/users/not-a-uuid', { headers: as.admin });
    expect(bad.status).toBe(400);
    expect((await body(bad)).errors[0].path).toBe('id');
  });

  it('lets a user read themself but not others; a manager reads their reports', async () => {
    expect((await app.request(`/api/v1/users/${plain.id}`, { headers: as.user })).status).toBe(200);
    expect((await app.request(`/api/v1/users/${manager.id}`, { headers: as.user })).status).toBe(
      403,
    );
    expect(
      (await app.request(`/api/v1/users/${subReport.id}`, { headers: as.manager })).status,
    ).toBe(200);
    expect((await app.request(`/api/v1/users/${plain.id}`, { headers: as.manager })).status).toBe(
      403,
    );
  });

  it('applies field permissions on PATCH', async () => {
    const own = await app.request(
      `/api/v1/users/${plain.id}`,
      send('PATCH', { bio: 'Hello', timezone: 'Europe/Paris' }, as.user),
    );
    expect(own.status).toBe(200);
    expect(await body(own)).toMatchObject({ bio: 'Hello', timezone: 'Europe/Paris' });
    const role = await app.request(
      `/api/v1/users/${plain.id}`,
      send('PATCH', { role: 'admin' }, as.user),
    );
    expect(role.status).toBe(403);
    expect((await body(role)).code).toBe('USERS.FIELD_NOT_ALLOWED');
    const work = await app.request(
      `/api/v1/users/${report.id}`,
      send('PATCH', { jobTitle: 'Lead' }, as.manager),
    );
    expect(work.status).toBe(200);
    expect((await body(work)).jobTitle).toBe('Lead');
    const bad = await app.request(
      `/api/v1/users/${plain.id}`,
      send('PATCH', { timezone: 'Mars/Base' }, as.admin),
    );
    expect(bad.status).toBe(400);
    expect((await body(bad)).errors[0].path).toBe('timezone');
    expect(
      (await app.request(`/api/v1/users/${UNKNOWN}`, send('PATCH', { jobTitle: 'X' }, as.admin)))
        .status,
    ).toBe(404);
    expect(
      (await app.request(`/api/v1/users/${plain.id}`, send('PATCH', { jobTitle: 'X' }))).status,
    ).toBe(401);
  });
});

describe('state, role and manager', () => {
  it('moves a user through suspend, unsuspend, block, unblock, delete and restore', async () => {
    const u = await createTestUser(t.helios, { last_name: 'Stateful' });
    const step = async (path: string, method = 'POST') =>
      app.request(`/api/v1/users/${u.id}${path}`, { method, headers: as.admin });
    expect((await body(await step('/suspend'))).status).toBe('suspended');
    const again = await step('/suspend');
    expect(again.status).toBe(409);
    expect((await body(again)).code).toBe('USERS.INVALID_TRANSITION');
    expect((await body(await step('/unsuspend'))).status).toBe('active');
    expect((await body(await step('/block'))).status).toBe('blocked');
    expect((await body(await step('/unblock'))).status).toBe('active');
    const deleted = await step('', 'DELETE');
    expect(deleted.status).toBe(200);
    expect((await body(deleted)).status).toBe('deleted');
    expect((await body(await step('/restore'))).status).toBe('active');
  });

  it('invites and activates a staged user', async () => {
    const u = await createTestUser(t.helios, { user_status: 'staged', is_active: false });
    const invited = await app.request(`/api/v1/users/${u.id}/invite`, {
      method: 'POST',
      headers: as.writeKey,
    });
    expect((await body(invited)).status).toBe('invited');
    const active = await app.request(`/api/v1/users/${u.id}/activate`, {
      method: 'POST',
      headers: as.writeKey,
    });
    expect((await body(active)).status).toBe('active');
  });

  it('refuses state changes to non-admins and for unknown users', async () => {
    expect(
      (
        await app.request(`/api/v1/users/${report.id}/suspend`, {
          method: 'POST',
          headers: as.manager,
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await app.request(`/api/v1/users/${report.id}/suspend`, {
          method: 'POST',
          headers: as.readKey,
        })
      ).status,
    ).toBe(403);
    expect(
      (await app.request(`/api/v1/users/${report.id}`, { method: 'DELETE', headers: as.user }))
        .status,
    ).toBe(403);
    expect(
      (await app.request(`/api/v1/users/${UNKNOWN}/suspend`, { method: 'POST', headers: as.admin }))
        .status,
    ).toBe(404);
    expect(
      (await app.request(`/api/v1/users/${report.id}/suspend`, { method: 'POST' })).status,
    ).toBe(401);
  });

  it('changes roles and managers, refusing cycles and bad input', async () => {
    const u = await createTestUser(t.helios, { last_name: 'Roled' });
    const role = await app.request(
      `/api/v1/users/${u.id}/role`,
      send('PUT', { role: 'manager' }, as.admin),
    );
    expect(role.status).toBe(200);
    expect((await body(role)).role).toBe('manager');
    const badRole = await app.request(
      `/api/v1/users/${u.id}/role`,
      send('PUT', { role: 'owner' }, as.admin),
    );
    expect(badRole.status).toBe(400);
    expect((await body(badRole)).errors[0].path).toBe('role');
    expect(
      (await app.request(`/api/v1/users/${u.id}/role`, send('PUT', { role: 'admin' }, as.manager)))
        .status,
    ).toBe(403);

    const set = await app.request(
      `/api/v1/users/${u.id}/manager`,
      send('PUT', { managerId: subReport.id }, as.admin),
    );
    expect((await body(set)).managerId).toBe(subReport.id);
    const cycle = await app.request(
      `/api/v1/users/${manager.id}/manager`,
      send('PUT', { managerId: subReport.id }, as.admin),
    );
    expect(cycle.status).toBe(409);
    expect((await body(cycle)).code).toBe('USERS.MANAGER_CYCLE');
    const cleared = await app.request(
      `/api/v1/users/${u.id}/manager`,
      send('PUT', { managerId: null }, as.admin),
    );
    expect((await body(cleared)).managerId).toBeNull();
    expect(
      (
        await app.request(
          `/api/v1/users/${u.id}/manager`,
          send('PUT', { managerId: 'x' }, as.admin),
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await app.request(
          `/api/v1/users/${UNKNOWN}/manager`,
          send('PUT', { managerId: null }, as.admin),
        )
      ).status,
    ).toBe(404);
  });
});

describe('reporting structure', () => {
  it('lists direct reports, the reporting chain and the org chart for anyone signed in', async () => {
    const reports = await body(
      await app.request(`/api/v1/users/${manager.id}/direct-reports`, { headers: as.user }),
    );
    expect(reports.map((r: { id: string }) => r.id)).toEqual([report.id]);
    const chain = await body(
      await app.request(`/api/v1/users/${subReport.id}/reporting-chain`, { headers: as.user }),
    );
    expect(chain.map((r: { id: string }) => r.id)).toEqual([report.id, manager.id]);
    const chart = await app.request(`/api/v1/org-chart?rootId=${manager.id}&depth=1`, {
      headers: as.manager,
    });
    expect(chart.status).toBe(200);
    const [root] = await body(chart);
    expect(root).toMatchObject({ id: manager.id, reportCount: 1 });
    expect(root.reports[0]).toMatchObject({ id: report.id, reportCount: 1, reports: [] });
    expect((await app.request('/api/v1/org-chart?depth=99', { headers: as.admin })).status).toBe(
      400,
    );
    expect(
      (await app.request(`/api/v1/org-chart?rootId=${UNKNOWN}`, { headers: as.admin })).status,
    ).toBe(404);
    expect(
      (await app.request(`/api/v1/users/${UNKNOWN}/direct-reports`, { headers: as.admin })).status,
    ).toBe(404);
    expect(
      (await app.request(`/api/v1/users/${manager.id}/direct-reports`, { headers: as.readKey }))
        .status,
    ).toBe(403);
    expect((await app.request('/api/v1/org-chart')).status).toBe(401);
  });

  it('hides staged and suspended users (email, state) from non-admins in the org chart and direct reports', async () => {
    const boss = await createTestUser(t.helios, { role: 'manager', last_name: 'Boss' });
    const staged = await createTestUser(t.helios, {
      reporting_manager_id: boss.id,
      user_status: 'staged',
      last_name: 'Staged',
    });
    const suspended = await createTestUser(t.helios, {
      reporting_manager_id: boss.id,
      user_status: 'suspended',
      last_name: 'Suspended',
    });
    const active = await createTestUser(t.helios, {
      reporting_manager_id: boss.id,
      last_name: 'Active',
    });
    for (const headers of [as.user, as.peopleKey]) {
      const chart = await app.request(`/api/v1/org-chart?rootId=${boss.id}`, { headers });
      expect(chart.status).toBe(200);
      const text = await chart.text();
      expect(text).not.toContain(staged.email);
      expect(text).not.toContain(suspended.email);
      expect(text).toContain(active.email);
      const reports = await body(
        await app.request(`/api/v1/users/${boss.id}/direct-reports`, { headers }),
      );
      expect(reports.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([
        [active.id, 'active'],
      ]);
      expect(
        (await app.request(`/api/v1/users/${suspended.id}/direct-reports`, { headers })).status,
      ).toBe(404);
    }
    const all = await body(
      await app.request(`/api/v1/users/${boss.id}/direct-reports`, { headers: as.admin }),
    );
    expect(all.map((r: { id: string }) => r.id).sort()).toEqual(
      [staged.id, suspended.id, active.id].sort(),
    );
  });
});

describe('GET /users/export', () => {
  it('streams every row as CSV with a header, across pages', async () => {
    const values = Array.from({ length: 520 }, (_, i) => ({
      organization_id: t.organizationId!,
      email: `bulk${i}@acme.test`,
      first_name: 'Bulk',
      last_name: `Person ${i}`,
      role: 'user',
      user_status: 'active',
      is_active: true,
    }));
    await t.helios.db.insertInto('organization_users').values(values).execute();
    const { count } = await body(await app.request('/api/v1/users/count', { headers: as.admin }));
    expect(count).toBeGreaterThan(520);

    const res = await app.request('/api/v1/users/export?format=csv', { headers: as.admin });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toContain('attachment; filename="users.csv"');
    const lines = (await res.text()).split('\r\n').filter((l) => l.length > 0);
    expect(lines[0]).toMatch(/^id,email,first_name,last_name,role,status/);
    expect(lines).toHaveLength(count + 1);
    expect(lines.filter((l) => l.includes('@acme.test') && l.includes('bulk'))).toHaveLength(520);
  });

  it('streams JSON with the same filters, and only what the caller may see', async () => {
    const res = await app.request('/api/v1/users/export?format=json&q=mona', {
      headers: as.readKey,
    });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await body(res)).map((u: { id: string }) => u.id)).toEqual([manager.id]);
    const mine = await app.request('/api/v1/users/export?format=json', { headers: as.manager });
    expect(((await body(mine)) as Array<{ id: string }>).map((u) => u.id).sort()).toEqual(
      [manager.id, report.id, subReport.id].sort(),
    );
  });

  it('answers problems before streaming: 400, 401, 403', async () => {
    const bad = await app.request('/api/v1/users/export?format=xml', { headers: as.admin });
    expect(bad.status).toBe(400);
    expect((await body(bad)).errors[0].path).toBe('format');
    const badFilter = await app.request('/api/v1/users/export?status=all,active', {
      headers: as.admin,
    });
    expect(badFilter.status).toBe(400);
    expect(badFilter.headers.get('content-type')).toContain('application/problem+json');
    expect((await app.request('/api/v1/users/export')).status).toBe(401);
    const forbidden = await app.request('/api/v1/users/export', { headers: as.peopleKey });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('invitations, passwords and sessions', () => {
  it('invites a staged user and returns the link when no mailer is configured', async () => {
    const u = await createTestUser(t.helios, { user_status: 'staged', is_active: false });
    const res = await app.request(
      `/api/v1/users/${u.id}/invitation`,
      send('POST', { returnLink: true, publicUrl: 'http://localhost' }, as.admin),
    );
    expect(res.status).toBe(201);
    const invitation = await body(res);
    expect(invitation).toMatchObject({
      userId: u.id,
      sentTo: null,
      expiresAt: expect.any(String),
      link: expect.stringContaining('http://localhost'),
    });
    expect(
      (await body(await app.request(`/api/v1/users/${u.id}`, { headers: as.admin }))).status,
    ).toBe('invited');

    const active = await app.request(
      `/api/v1/users/${plain.id}/invitation`,
      send('POST', { returnLink: true, publicUrl: 'http://localhost' }, as.admin),
    );
    expect(active.status).toBe(409);
    expect((await body(active)).code).toBe('INVITATIONS.INVALID_STATE');
    const bad = await app.request(
      `/api/v1/users/${u.id}/invitation`,
      send('POST', { expiresInHours: 0 }, as.admin),
    );
    expect(bad.status).toBe(400);
    expect((await body(bad)).errors[0].path).toBe('expiresInHours');
    expect(
      (await app.request(`/api/v1/users/${u.id}/invitation`, send('POST', {}, as.user))).status,
    ).toBe(403);
    expect(
      (
        await app.request(
          `/api/v1/users/${UNKNOWN}/invitation`,
          send('POST', { returnLink: true, publicUrl: 'http://localhost' }, as.admin),
        )
      ).status,
    ).toBe(404);
  });

  it('lets an admin reset a password, and lists and ends sessions', async () => {
    const u = await createTestUser(t.helios, { last_name: 'Sessioned' });
    const weak = await app.request(
      `/api/v1/users/${u.id}/password`,
      send('PUT', { password: 'short' }, as.admin),
    );
    expect(weak.status).toBe(400);
    expect((await body(weak)).errors[0].path).toBe('password');
    expect(
      (
        await app.request(
          `/api/v1/users/${u.id}/password`,
          send('PUT', { password: PASSWORD }, as.user),
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await app.request(
          `/api/v1/users/${u.id}/password`,
          send('PUT', { password: PASSWORD }, as.writeKey),
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await app.request(
          `/api/v1/users/${UNKNOWN}/password`,
          send('PUT', { password: PASSWORD }, as.admin),
        )
      ).status,
    ).toBe(404);
    const set = await app.request(
      `/api/v1/users/${u.id}/password`,
      send('PUT', { password: PASSWORD }, as.admin),
    );
    expect(set.status).toBe(204);

    const cookie = await signIn(u.email);
    expect((await app.request(`/api/v1/users/${u.id}`, { headers: cookie })).status).toBe(200);
    const sessions = await body(
      await app.request(`/api/v1/users/${u.id}/sessions`, { headers: as.admin }),
    );
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).not.toHaveProperty('token');
    expect((await app.request(`/api/v1/users/${u.id}/sessions`, { headers: cookie })).status).toBe(
      200,
    );
    expect((await app.request(`/api/v1/users/${u.id}/sessions`, { headers: as.user })).status).toBe(
      403,
    );
    expect(
      (await app.request(`/api/v1/users/${UNKNOWN}/sessions`, { headers: as.admin })).status,
    ).toBe(404);

    const ended = await app.request(`/api/v1/users/${u.id}/sessions`, {
      method: 'DELETE',
      headers: as.admin,
    });
    expect(await body(ended)).toEqual({ ended: 1 });
    expect((await app.request(`/api/v1/users/${u.id}`, { headers: cookie })).status).toBe(401);
  });
});

describe('the OpenAPI document', () => {
  it('describes the users routes with their callers and scopes', async () => {
    const doc = await body(await app.request('/api/v1/openapi.json'));
    expect(doc.paths['/api/v1/users'].get['x-helios-callers']).toEqual([
      'admin',
      'manager',
      'user',
    ]);
    expect(doc.paths['/api/v1/users'].post['x-helios-callers']).toEqual(['admin']);
    expect(doc.paths['/api/v1/users/export'].get['x-helios-scope']).toBe('users:read');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/users/{id}/suspend',
        '/api/v1/users/{id}/invitation',
        '/api/v1/org-chart',
        '/api/v1/users/{id}/sessions',
      ]),
    );
  });
});

import { createHeliosAuth } from '@helios/core/auth';
import { generateTotpCode } from '@helios/core/internal';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../app';
import { withResponseContract } from '../response-contract';

let t: TestHelios;
let app: ReturnType<typeof createServer>;
const PASSWORD = 'a long test password 1';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

type Headers = Record<string, string>;
let manager: { id: string; email: string };
let report: { id: string; email: string };
let peer: { id: string; email: string };
let other: { id: string; email: string };
const as: Record<'manager' | 'report' | 'other' | 'admin' | 'peopleKey' | 'usersKey', Headers> =
  {} as never;

function send(method: string, body: unknown, headers: Headers = {}): RequestInit {
  return {
    method,
    headers: { 'content-type': 'application/json', origin: 'http://localhost', ...headers },
    body: JSON.stringify(body),
  };
}

async function signIn(email: string, password = PASSWORD): Promise<Headers> {
  const res = await app.request('/api/auth/sign-in/email', send('POST', { email, password }));
  expect(res.status).toBe(200);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  // Cookie-authenticated state changes must name the portal's origin.
  return { cookie, origin: 'http://localhost' };
}

async function keyHeaders(name: string, scopes: string[]): Promise<Headers> {
  const { secret } = await t.asAdmin.apiKeys.create({
    name,
    scopes: scopes as never,
    rateLimitPerMinute: 100_000,
  });
  return { authorization: `Bearer ${secret}` };
}

/** A fresh signed-in user (for tests that change sign-in state). */
async function freshUser(
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; email: string; headers: Headers }> {
  const user = await createTestUser(t.helios, overrides);
  await t.asAdmin.credentials.setPassword(user.id, PASSWORD);
  return { id: user.id, email: user.email, headers: await signIn(user.email) };
}

const body = async (res: Response) => (await res.json()) as any;
const get = (path: string, headers: Headers = {}) => app.request(`/api/v1${path}`, { headers });
const del = (path: string, headers: Headers = {}) =>
  app.request(`/api/v1${path}`, { method: 'DELETE', headers });
const call = (method: string, path: string, input: unknown, headers: Headers = {}) =>
  app.request(`/api/v1${path}`, send(method, input, headers));

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
    department: 'Engineering',
  });
  report = await createTestUser(t.helios, {
    first_name: 'Rita',
    last_name: 'Report',
    reporting_manager_id: manager.id,
    department: 'Engineering',
  });
  peer = await createTestUser(t.helios, {
    first_name: 'Pete',
    last_name: 'Peer',
    reporting_manager_id: manager.id,
  });
  other = await createTestUser(t.helios, {
    first_name: 'Otto',
    last_name: 'Other',
    department: 'Sales',
  });
  for (const id of [t.admin!.id, manager.id, report.id, other.id])
    await t.asAdmin.credentials.setPassword(id, PASSWORD);
  as.admin = await signIn(t.admin!.email);
  as.manager = await signIn(manager.email);
  as.report = await signIn(report.email);
  as.other = await signIn(other.email);
  as.peopleKey = await keyHeaders('people', ['people:read']);
  as.usersKey = await keyHeaders('users', ['users:read']);
});
afterAll(() => t.destroy());

describe('the people directory', () => {
  it('lists colleagues for every signed-in role and people:read keys, filtered and paged', async () => {
    for (const headers of [as.admin, as.manager, as.other, as.peopleKey])
      expect((await get('/people', headers)).status).toBe(200);
    const engineering = await body(await get('/people?department=engineering', as.other));
    expect(engineering.items.map((p: { id: string }) => p.id).sort()).toEqual(
      [manager.id, report.id].sort(),
    );
    const first = await body(await get('/people?limit=2', as.other));
    expect(first.items).toHaveLength(2);
    const second = await body(
      await get(`/people?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`, as.other),
    );
    expect(second.items.map((p: { id: string }) => p.id)).not.toContain(first.items[0].id);
    expect((await body(await get('/people?newJoiners=true', as.other))).items).toEqual([]);
  });

  it('answers 400 with errors for bad filters, 401 without credentials, 403 for keys without people:read', async () => {
    const bad = await get('/people?limit=0&sort=age&newJoiners=maybe', as.other);
    expect(bad.status).toBe(400);
    expect((await body(bad)).errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['limit', 'sort', 'newJoiners']),
    );
    expect((await get('/people')).status).toBe(401);
    const forbidden = await get('/people', as.usersKey);
    expect(forbidden.status).toBe(403);
    expect((await body(forbidden)).code).toBe('POLICY.FORBIDDEN');
  });

  it("shows a person's card with their privacy applied", async () => {
    expect((await call('PUT', '/me/visibility', { bio: 'none' }, as.report)).status).toBe(200);
    expect((await call('PATCH', '/me/profile', { bio: 'Secret bio' }, as.report)).status).toBe(200);
    const seen = await body(await get(`/people/${report.id}`, as.other));
    expect(seen).toMatchObject({ id: report.id, firstName: 'Rita', bio: null });
    expect(seen.hidden).toContain('bio');
    expect((await get(`/people/${UNKNOWN}`, as.other)).status).toBe(404);
    expect((await get('/people/not-a-uuid', as.other)).status).toBe(400);
    expect((await get(`/people/${report.id}`)).status).toBe(401);
    expect((await get(`/people/${report.id}`, as.usersKey)).status).toBe(403);
  });

  it('finds people by expertise and shows teams', async () => {
    expect(
      (
        await call(
          'POST',
          '/me/expertise',
          { topic: 'PostgreSQL', proficiencyLevel: 'expert' },
          as.report,
        )
      ).status,
    ).toBe(201);
    const experts = await body(await get('/people/by-expertise/postgres', as.other));
    expect(experts.map((p: { id: string }) => p.id)).toEqual([report.id]);
    expect(experts[0].expertise).toMatchObject({ topic: 'PostgreSQL', proficiencyLevel: 'expert' });
    expect((await get(`/people/by-expertise/${'x'.repeat(101)}`, as.other)).status).toBe(400);
    expect((await get('/people/by-expertise/postgres', as.usersKey)).status).toBe(403);

    const team = await body(await get(`/people/${report.id}/team`, as.other));
    expect(team.manager.id).toBe(manager.id);
    expect(team.peers.map((p: { id: string }) => p.id)).toEqual([peer.id]);
    const mine = await body(await get('/me/team', as.manager));
    expect(mine.reports.map((p: { id: string }) => p.id).sort()).toEqual(
      [report.id, peer.id].sort(),
    );
    expect((await get(`/people/${UNKNOWN}/team`, as.other)).status).toBe(404);
    expect((await get(`/people/${report.id}/team`)).status).toBe(401);
  });
});

describe('/me', () => {
  it('returns the profile of the session user', async () => {
    const res = await get('/me', as.other);
    expect(res.status).toBe(200);
    const me = await body(res);
    expect(me).toMatchObject({ id: other.id, email: other.email, firstName: 'Otto', hidden: [] });
    expect(me.visibility).toHaveProperty('bio');
  });

  it('answers 401 without credentials, and refuses API keys (no profile of their own)', async () => {
    expect((await get('/me')).status).toBe(401);
    const key = await get('/me', as.peopleKey);
    expect(key.status).toBe(400);
    expect((await body(key)).code).toBe('PROFILE.USER_REQUIRED');
    expect((await get('/me', as.usersKey)).status).toBe(403);
    expect((await body(await get('/me/sessions', as.peopleKey))).code).toBe(
      'PROFILE.USER_REQUIRED',
    );
  });

  it('changes personal fields, refusing bad input with errors[]', async () => {
    const res = await call(
      'PATCH',
      '/me/profile',
      { bio: 'Coffee first.', timezone: 'Europe/Paris' },
      as.other,
    );
    expect(res.status).toBe(200);
    expect(await body(res)).toMatchObject({ bio: 'Coffee first.', timezone: 'Europe/Paris' });
    const bad = await call(
      'PATCH',
      '/me/profile',
      { timezone: 'Mars/Base', role: 'admin' },
      as.other,
    );
    expect(bad.status).toBe(400);
    expect((await body(bad)).errors.length).toBeGreaterThan(0);
    expect((await body(await get('/me', as.other))).timezone).toBe('Europe/Paris');
    expect((await call('PATCH', '/me/profile', { bio: 'x' })).status).toBe(401);
  });

  it('adds, lists and removes interests', async () => {
    const added = await call(
      'POST',
      '/me/interests',
      { interest: 'Climbing', category: 'Sport' },
      as.other,
    );
    expect(added.status).toBe(201);
    const { id } = await body(added);
    expect(
      (await body(await get('/me/interests', as.other))).map((i: { id: string }) => i.id),
    ).toEqual([id]);
    const bad = await call('POST', '/me/interests', { interest: '' }, as.other);
    expect(bad.status).toBe(400);
    expect((await body(bad)).errors[0].path).toBe('interest');
    expect((await del(`/me/interests/${id}`, as.other)).status).toBe(204);
    expect((await del(`/me/interests/${id}`, as.other)).status).toBe(404);
    expect(await body(await get('/me/interests', as.other))).toEqual([]);
  });

  it('adds, changes, reorders and removes fun facts', async () => {
    const a = await body(await call('POST', '/me/fun-facts', { fact: 'First' }, as.other));
    const b = await body(await call('POST', '/me/fun-facts', { fact: 'Second' }, as.other));
    const reordered = await call('PUT', '/me/fun-facts/order', { ids: [b.id, a.id] }, as.other);
    expect(reordered.status).toBe(200);
    expect((await body(reordered)).map((f: { fact: string }) => f.fact)).toEqual([
      'Second',
      'First',
    ]);
    expect((await call('PUT', '/me/fun-facts/order', { ids: [a.id, a.id] }, as.other)).status).toBe(
      400,
    );
    const changed = await call(
      'PATCH',
      `/me/fun-facts/${a.id}`,
      { fact: 'First!', isVisible: false },
      as.other,
    );
    expect(await body(changed)).toMatchObject({ fact: 'First!', isVisible: false });
    expect((await call('PATCH', `/me/fun-facts/${a.id}`, {}, as.other)).status).toBe(400);
    expect((await call('PATCH', `/me/fun-facts/${UNKNOWN}`, { fact: 'x' }, as.other)).status).toBe(
      404,
    );
    expect((await del(`/me/fun-facts/${b.id}`, as.other)).status).toBe(204);
    expect(
      (await body(await get('/me/fun-facts', as.other))).map((f: { id: string }) => f.id),
    ).toEqual([a.id]);
  });

  it('adds and removes expertise topics', async () => {
    const added = await body(
      await call('POST', '/me/expertise', { topic: 'Kubernetes' }, as.other),
    );
    expect(added).toMatchObject({ topic: 'Kubernetes', proficiencyLevel: 'intermediate' });
    expect(
      (await call('POST', '/me/expertise', { topic: 'X', proficiencyLevel: 'guru' }, as.other))
        .status,
    ).toBe(400);
    expect(
      (await body(await get('/me/expertise', as.other))).map((e: { id: string }) => e.id),
    ).toEqual([added.id]);
    expect((await del(`/me/expertise/${added.id}`, as.other)).status).toBe(204);
    expect((await del(`/me/expertise/${UNKNOWN}`, as.other)).status).toBe(404);
  });

  it('adds, changes and removes addresses', async () => {
    const added = await call(
      'POST',
      '/me/addresses',
      { addressType: 'home', city: 'Lyon', country: 'France', isPrimary: true },
      as.other,
    );
    expect(added.status).toBe(201);
    const address = await body(added);
    const changed = await call(
      'PATCH',
      `/me/addresses/${address.id}`,
      { postalCode: '69001' },
      as.other,
    );
    expect(await body(changed)).toMatchObject({
      city: 'Lyon',
      postalCode: '69001',
      isPrimary: true,
    });
    expect((await call('POST', '/me/addresses', { addressType: 'home' }, as.other)).status).toBe(
      400,
    );
    expect((await body(await get('/me/addresses', as.other))).length).toBe(1);
    expect((await del(`/me/addresses/${address.id}`, as.other)).status).toBe(204);
    expect(
      (await call('PATCH', `/me/addresses/${address.id}`, { city: 'Paris' }, as.other)).status,
    ).toBe(404);
  });

  it('adds and removes secondary emails', async () => {
    const added = await call(
      'POST',
      '/me/secondary-emails',
      { email: 'Otto@Example.com' },
      as.other,
    );
    expect(added.status).toBe(201);
    const email = await body(added);
    expect(email).toMatchObject({ email: 'otto@example.com', isVerified: false });
    const bad = await call('POST', '/me/secondary-emails', { email: 'nope' }, as.other);
    expect(bad.status).toBe(400);
    expect((await body(bad)).errors[0].path).toBe('email');
    expect(
      (await body(await get('/me/secondary-emails', as.other))).map((e: { id: string }) => e.id),
    ).toEqual([email.id]);
    expect((await del(`/me/secondary-emails/${email.id}`, as.other)).status).toBe(204);
    expect((await del(`/me/secondary-emails/${email.id}`, as.other)).status).toBe(404);
  });

  it('records and removes media metadata, checking the limits of the type', async () => {
    const meta = {
      storagePath: 'media/otto/name.webm',
      mimeType: 'audio/webm',
      sizeBytes: 42_000,
      durationSeconds: 3,
    };
    const set = await call('PUT', '/me/media/name_pronunciation', meta, as.other);
    expect(set.status).toBe(200);
    expect(await body(set)).toMatchObject({
      mediaType: 'name_pronunciation',
      storagePath: 'media/otto/name.webm',
    });
    const wrongMime = await call(
      'PUT',
      '/me/media/voice_intro',
      { ...meta, mimeType: 'video/mp4' },
      as.other,
    );
    expect(wrongMime.status).toBe(400);
    expect((await body(wrongMime)).errors[0].path).toBe('mimeType');
    expect((await call('PUT', '/me/media/hologram', meta, as.other)).status).toBe(400);
    expect(
      (
        await call(
          'PUT',
          '/me/media/voice_intro',
          { ...meta, storagePath: '../etc/passwd' },
          as.other,
        )
      ).status,
    ).toBe(400);
    expect(
      (await body(await get('/me/media', as.other))).map((m: { mediaType: string }) => m.mediaType),
    ).toEqual(['name_pronunciation']);
    expect((await del('/me/media/name_pronunciation', as.other)).status).toBe(200);
    expect((await del('/me/media/name_pronunciation', as.other)).status).toBe(404);
  });

  it('reads and sets field visibility', async () => {
    const set = await call(
      'PUT',
      '/me/visibility',
      { phone: 'team', addresses: 'organization' },
      as.other,
    );
    expect(set.status).toBe(200);
    expect(await body(set)).toMatchObject({ phone: 'team', addresses: 'everyone' });
    expect((await body(await get('/me/visibility', as.other))).phone).toBe('team');
    expect((await call('PUT', '/me/visibility', {}, as.other)).status).toBe(400);
    expect((await call('PUT', '/me/visibility', { phone: 'friends' }, as.other)).status).toBe(400);
  });

  it('reads and replaces the dashboard layout', async () => {
    const initial = await body(await get('/me/dashboard', as.other));
    expect(initial).toMatchObject({ userId: other.id, isDefault: true });
    const set = await call(
      'PUT',
      '/me/dashboard',
      {
        widgets: [
          { widgetType: 'system-alerts' },
          { widgetType: 'helios-total-users', isVisible: false },
        ],
      },
      as.other,
    );
    expect(set.status).toBe(200);
    const layout = await body(set);
    expect(layout.isDefault).toBe(false);
    expect(layout.widgets.map((w: { widgetType: string }) => w.widgetType)).toEqual([
      'system-alerts',
      'helios-total-users',
    ]);
    const dup = await call(
      'PUT',
      '/me/dashboard',
      { widgets: [{ widgetType: 'system-alerts' }, { widgetType: 'system-alerts' }] },
      as.other,
    );
    expect(dup.status).toBe(400);
    expect((await body(dup)).errors[0].path).toBe('widgets.1.widgetType');
    expect((await get('/me/dashboard')).status).toBe(401);
  });
});

describe('/me password, sessions and two-factor', () => {
  it('changes the password, keeping this session and ending the others', async () => {
    const u = await freshUser();
    const second = await signIn(u.email);
    const wrong = await call(
      'POST',
      '/me/password',
      { currentPassword: 'not the password', newPassword: 'another long password' },
      u.headers,
    );
    expect(wrong.status).toBe(401);
    expect((await body(wrong)).code).toBe('CREDENTIALS.WRONG_PASSWORD');
    const weak = await call(
      'POST',
      '/me/password',
      { currentPassword: PASSWORD, newPassword: 'short' },
      u.headers,
    );
    expect(weak.status).toBe(400);
    expect((await body(weak)).errors[0].path).toBe('newPassword');

    const ok = await call(
      'POST',
      '/me/password',
      { currentPassword: PASSWORD, newPassword: 'another long password' },
      u.headers,
    );
    expect(ok.status).toBe(204);
    expect((await get('/me', u.headers)).status).toBe(200);
    expect((await get('/me', second)).status).toBe(401);
    await signIn(u.email, 'another long password');
    expect(
      (
        await call('POST', '/me/password', {
          currentPassword: PASSWORD,
          newPassword: 'x'.repeat(20),
        })
      ).status,
    ).toBe(401);
  });

  it('lists sessions and ends the other ones', async () => {
    const u = await freshUser();
    const second = await signIn(u.email);
    const sessions = await body(await get('/me/sessions', u.headers));
    expect(sessions).toHaveLength(2);
    expect(sessions[0]).not.toHaveProperty('token');
    const ended = await del('/me/sessions', u.headers);
    expect(await body(ended)).toEqual({ ended: 1 });
    expect((await get('/me', u.headers)).status).toBe(200);
    expect((await get('/me', second)).status).toBe(401);
    expect(await body(await get('/me/sessions', u.headers))).toHaveLength(1);
    expect((await get('/me/sessions')).status).toBe(401);
  });

  it('enrols, confirms, regenerates backup codes and disables two-factor', async () => {
    const u = await freshUser();
    expect(await body(await get('/me/two-factor', u.headers))).toEqual({
      enabled: false,
      pendingEnrolment: false,
      backupCodesLeft: 0,
    });
    const enrol = await call('POST', '/me/two-factor/enrol', {}, u.headers);
    expect(enrol.status).toBe(200);
    const { secret, otpauthUrl } = await body(enrol);
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\//);

    const wrong = await call(
      'POST',
      '/me/two-factor/confirm',
      { code: '000000' === generateTotpCode(secret) ? '111111' : '000000' },
      u.headers,
    );
    expect(wrong.status).toBe(401);
    expect((await body(wrong)).code).toBe('TWO_FACTOR.INVALID_CODE');
    expect((await call('POST', '/me/two-factor/confirm', {}, u.headers)).status).toBe(400);
    const confirmed = await call(
      'POST',
      '/me/two-factor/confirm',
      { code: generateTotpCode(secret) },
      u.headers,
    );
    expect(confirmed.status).toBe(200);
    const { backupCodes } = await body(confirmed);
    expect(backupCodes).toHaveLength(10);
    expect(await body(await get('/me/two-factor', u.headers))).toMatchObject({
      enabled: true,
      backupCodesLeft: 10,
    });

    const renewed = await call(
      'POST',
      '/me/two-factor/backup-codes',
      { code: backupCodes[0] },
      u.headers,
    );
    expect(renewed.status).toBe(200);
    const fresh = (await body(renewed)).backupCodes as string[];
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(backupCodes[1]);

    const disabled = await call('POST', '/me/two-factor/disable', { code: fresh[0] }, u.headers);
    expect(disabled.status).toBe(204);
    expect((await body(await get('/me/two-factor', u.headers))).enabled).toBe(false);
    expect((await call('POST', '/me/two-factor/enrol', {})).status).toBe(401);
    expect((await call('POST', '/me/two-factor/enrol', {}, as.peopleKey)).status).toBe(403);
  });
});

describe('the OpenAPI document', () => {
  it('describes the people and /me routes for every signed-in role', async () => {
    const doc = await body(await app.request('/api/v1/openapi.json'));
    for (const path of [
      '/api/v1/people',
      '/api/v1/me',
      '/api/v1/me/dashboard',
      '/api/v1/me/two-factor',
    ]) {
      expect(doc.paths[path].get['x-helios-callers']).toEqual(['admin', 'manager', 'user']);
    }
    expect(doc.paths['/api/v1/me/dashboard'].get.tags).toEqual(['Dashboard']);
    expect(doc.paths['/api/v1/me/fun-facts/order'].put).toBeDefined();
  });
});

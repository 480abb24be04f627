import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createServer } from '../app';
import { createTestServer, signInNewUser } from '../test-support';

let t: TestHelios;
let app: ReturnType<typeof createServer>;
/** Authorization headers of each caller. */
const as: Record<'admin' | 'readKey' | 'manager' | 'user' | 'none', Record<string, string>> = {
  admin: {},
  readKey: {},
  manager: {},
  user: {},
  none: {},
};
let userId: string;
let managerId: string;
const MISSING = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  t = await createTestHelios();
  app = createTestServer(t);
  const admin = await t.asAdmin.apiKeys.create({
    name: 'admin',
    scopes: ['directory:write', 'users:write'],
    rateLimitPerMinute: 10_000,
  });
  as.admin = { authorization: `Bearer ${admin.secret}` };
  const reader = await t.asAdmin.apiKeys.create({
    name: 'reader',
    scopes: ['directory:read'],
    rateLimitPerMinute: 10_000,
  });
  as.readKey = { authorization: `Bearer ${reader.secret}` };
  const manager = await signInNewUser(t, app, 'manager');
  as.manager = { cookie: manager.cookie, origin: 'http://localhost' };
  managerId = manager.id;
  const user = await signInNewUser(t, app, 'user');
  as.user = { cookie: user.cookie, origin: 'http://localhost' };
  userId = user.id;
});
afterAll(() => t.destroy());

async function call(
  who: keyof typeof as,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await app.request(`/api/v1${path}`, {
    method,
    headers: { ...as[who], ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 400)
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const count = (
  table: 'departments' | 'locations' | 'cost_centers' | 'job_titles' | 'custom_field_definitions',
) => t.helios.repositories[table].count();

describe('departments', () => {
  it('creates, reads, lists, nests, changes and deletes a department', async () => {
    const eng = await call('admin', 'POST', '/departments', {
      name: 'Engineering',
      description: 'Builders',
    });
    expect(eng.status).toBe(201);
    expect(eng.body).toMatchObject({
      name: 'Engineering',
      description: 'Builders',
      parentId: null,
      isActive: true,
    });
    const web = await call('admin', 'POST', '/departments', { name: 'Web', parentId: eng.body.id });
    expect(web.status).toBe(201);

    expect((await call('admin', 'GET', `/departments/${eng.body.id}`)).body).toMatchObject({
      id: eng.body.id,
      name: 'Engineering',
    });
    const list = await call('admin', 'GET', '/departments?search=eng&limit=10');
    expect(list.status).toBe(200);
    expect(list.body.items.map((d: { name: string }) => d.name)).toEqual(['Engineering']);
    expect(list.body.nextCursor).toBeNull();
    const top = await call('admin', 'GET', '/departments?parentId=null');
    expect(top.body.items.map((d: { name: string }) => d.name)).toEqual(['Engineering']);
    const children = await call('admin', 'GET', `/departments?parentId=${eng.body.id}`);
    expect(children.body.items.map((d: { name: string }) => d.name)).toEqual(['Web']);
    const page = await call('admin', 'GET', '/departments?limit=1');
    expect(page.body.items).toHaveLength(1);
    const next = await call(
      'admin',
      'GET',
      `/departments?limit=1&cursor=${encodeURIComponent(page.body.nextCursor)}`,
    );
    expect(next.body.items[0].id).not.toBe(page.body.items[0].id);

    const tree = await call('admin', 'GET', '/departments/tree?isActive=true');
    expect(tree.status).toBe(200);
    expect(tree.body).toMatchObject([
      { name: 'Engineering', children: [{ name: 'Web', children: [] }] },
    ]);

    const renamed = await call('admin', 'PATCH', `/departments/${web.body.id}`, {
      name: 'Web Platform',
      isActive: false,
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Web Platform', isActive: false });
    expect(
      (await call('admin', 'GET', '/departments?isActive=false')).body.items.map(
        (d: { name: string }) => d.name,
      ),
    ).toEqual(['Web Platform']);

    expect((await call('admin', 'DELETE', `/departments/${web.body.id}`)).status).toBe(204);
    expect((await call('admin', 'GET', `/departments/${web.body.id}`)).status).toBe(404);
    expect((await call('admin', 'DELETE', `/departments/${eng.body.id}`)).status).toBe(204);
  });

  it('lets every signed-in role and directory:read keys read; refuses their writes with 403 and writes nothing', async () => {
    const dept = await call('admin', 'POST', '/departments', { name: 'Readable' });
    for (const who of ['manager', 'user', 'readKey'] as const) {
      expect((await call(who, 'GET', '/departments')).status).toBe(200);
      expect((await call(who, 'GET', '/departments/tree')).status).toBe(200);
      expect((await call(who, 'GET', `/departments/${dept.body.id}`)).status).toBe(200);
    }
    const before = await count('departments');
    for (const who of ['manager', 'user', 'readKey'] as const) {
      const created = await call(who, 'POST', '/departments', { name: `By ${who}` });
      expect(created.status).toBe(403);
      expect(created.body.code).toBe('POLICY.FORBIDDEN');
      expect(
        (await call(who, 'PATCH', `/departments/${dept.body.id}`, { name: 'Renamed' })).status,
      ).toBe(403);
      expect((await call(who, 'DELETE', `/departments/${dept.body.id}`)).status).toBe(403);
    }
    expect(await count('departments')).toBe(before);
    expect((await call('admin', 'GET', `/departments/${dept.body.id}`)).body.name).toBe('Readable');
    await call('admin', 'DELETE', `/departments/${dept.body.id}`);
  });

  it('answers 401 without credentials', async () => {
    expect((await call('none', 'GET', '/departments')).status).toBe(401);
    expect((await call('none', 'GET', '/departments/tree')).status).toBe(401);
    const before = await count('departments');
    expect((await call('none', 'POST', '/departments', { name: 'Anonymous' })).status).toBe(401);
    expect(await count('departments')).toBe(before);
  });

  it('answers 400 with field errors for bad input and writes nothing', async () => {
    const before = await count('departments');
    const bad = await call('admin', 'POST', '/departments', { name: '', parentId: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['name', 'parentId']),
    );
    expect((await call('admin', 'POST', '/departments', { name: 'X', unknown: 1 })).status).toBe(
      400,
    );
    expect(await count('departments')).toBe(before);
    expect((await call('admin', 'GET', '/departments?limit=0')).status).toBe(400);
    expect((await call('admin', 'GET', '/departments?isActive=maybe')).status).toBe(400);
    expect((await call('admin', 'GET', '/departments/not-a-uuid')).status).toBe(400);
    const cursor = await call('admin', 'GET', '/departments?cursor=garbage');
    expect(cursor.status).toBe(400);
    expect(cursor.body.code).toBe('PAGING.INVALID_CURSOR');
  });

  it('answers 404 for an id that does not exist', async () => {
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'Ghost' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await call('admin', method, `/departments/${MISSING}`, body);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('DEPARTMENTS.NOT_FOUND');
    }
  });

  it('rejects a duplicate name with 409 DEPARTMENTS.NAME_TAKEN', async () => {
    const first = await call('admin', 'POST', '/departments', { name: 'Finance' });
    const before = await count('departments');
    const dup = await call('admin', 'POST', '/departments', { name: 'finance' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('DEPARTMENTS.NAME_TAKEN');
    expect(await count('departments')).toBe(before);
    await call('admin', 'DELETE', `/departments/${first.body.id}`);
  });

  it('refuses to delete a department users reference with 409 DEPARTMENTS.IN_USE', async () => {
    const dept = await call('admin', 'POST', '/departments', { name: 'Sales' });
    const member = await createTestUser(t.helios, { department_id: dept.body.id });
    const res = await call('admin', 'DELETE', `/departments/${dept.body.id}`);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'DEPARTMENTS.IN_USE', details: { users: 1 } });
    expect((await call('admin', 'GET', `/departments/${dept.body.id}`)).status).toBe(200);
    await t.helios.repositories.organization_users.update(member.id, { department_id: null });
    expect((await call('admin', 'DELETE', `/departments/${dept.body.id}`)).status).toBe(204);
  });
});

describe('locations', () => {
  it('creates a tree of locations, lists its users, changes and deletes them', async () => {
    const emea = await call('admin', 'POST', '/locations', { name: 'EMEA', type: 'region' });
    expect(emea.status).toBe(201);
    const paris = await call('admin', 'POST', '/locations', {
      name: 'Paris',
      type: 'office',
      parentId: emea.body.id,
      timezone: 'Europe/Paris',
      code: 'PAR-1',
    });
    expect(paris.status).toBe(201);
    expect(paris.body).toMatchObject({
      name: 'Paris',
      type: 'office',
      parentId: emea.body.id,
      timezone: 'Europe/Paris',
    });

    expect((await call('user', 'GET', `/locations/${paris.body.id}`)).body.name).toBe('Paris');
    const list = await call('manager', 'GET', '/locations?type=office');
    expect(list.status).toBe(200);
    expect(list.body.items.map((l: { name: string }) => l.name)).toEqual(['Paris']);
    const tree = await call('user', 'GET', '/locations/tree');
    expect(tree.body).toMatchObject([{ name: 'EMEA', children: [{ name: 'Paris' }] }]);

    const worker = await createTestUser(t.helios, {
      location_id: paris.body.id,
      last_name: 'Worker',
    });
    const here = await call('user', 'GET', `/locations/${emea.body.id}/users`);
    expect(here.status).toBe(200);
    expect(here.body.items).toEqual([]);
    const below = await call(
      'user',
      'GET',
      `/locations/${emea.body.id}/users?includeSublocations=true&limit=5`,
    );
    expect(below.body.items.map((u: { id: string }) => u.id)).toEqual([worker.id]);
    expect((await call('admin', 'GET', `/locations/${MISSING}/users`)).body.code).toBe(
      'LOCATIONS.NOT_FOUND',
    );

    const inUse = await call('admin', 'DELETE', `/locations/${paris.body.id}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body.code).toBe('LOCATIONS.IN_USE');
    const parentInUse = await call('admin', 'DELETE', `/locations/${emea.body.id}`);
    expect(parentInUse.status).toBe(409);
    expect(parentInUse.body).toMatchObject({ code: 'LOCATIONS.IN_USE', details: { children: 1 } });

    const changed = await call('admin', 'PATCH', `/locations/${paris.body.id}`, {
      city: 'Paris',
      country: 'France',
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ city: 'Paris', country: 'France' });
    const cycle = await call('admin', 'PATCH', `/locations/${emea.body.id}`, {
      parentId: paris.body.id,
    });
    expect(cycle.status).toBe(400);
    expect(cycle.body.code).toBe('LOCATIONS.CYCLE');

    await t.helios.repositories.organization_users.update(worker.id, { location_id: null });
    expect((await call('admin', 'DELETE', `/locations/${paris.body.id}`)).status).toBe(204);
    expect((await call('admin', 'DELETE', `/locations/${emea.body.id}`)).status).toBe(204);
  });

  it('answers 400, 401, 403 and 404 and writes nothing', async () => {
    const before = await count('locations');
    const bad = await call('admin', 'POST', '/locations', {
      name: 'Nowhere',
      timezone: 'Mars/Olympus',
      latitude: 123,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['timezone', 'latitude']),
    );
    expect((await call('admin', 'GET', '/locations?type=castle')).status).toBe(400);
    expect((await call('none', 'GET', '/locations')).status).toBe(401);
    expect((await call('none', 'POST', '/locations', { name: 'Anon' })).status).toBe(401);
    expect((await call('manager', 'POST', '/locations', { name: 'By manager' })).status).toBe(403);
    expect((await call('user', 'POST', '/locations', { name: 'By user' })).status).toBe(403);
    expect((await call('readKey', 'POST', '/locations', { name: 'By key' })).status).toBe(403);
    expect(await count('locations')).toBe(before);
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const res = await call(
        'admin',
        method,
        `/locations/${MISSING}`,
        method === 'PATCH' ? { name: 'Ghost' } : undefined,
      );
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('LOCATIONS.NOT_FOUND');
    }
    const first = await call('admin', 'POST', '/locations', { name: 'Lyon' });
    const dup = await call('admin', 'POST', '/locations', { name: 'Lyon' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('LOCATIONS.NAME_TAKEN');
    await call('admin', 'DELETE', `/locations/${first.body.id}`);
  });
});

describe('cost centers', () => {
  it('creates, lists, changes and deletes a cost center; refuses duplicates and deleting one in use', async () => {
    const cc = await call('admin', 'POST', '/cost-centers', {
      code: 'CC-100',
      name: 'R&D',
      budgetAmount: 1500,
      budgetCurrency: 'eur',
      fiscalYear: 2025,
    });
    expect(cc.status).toBe(201);
    expect(cc.body).toMatchObject({
      code: 'CC-100',
      budgetAmount: '1500.00',
      budgetCurrency: 'EUR',
      fiscalYear: 2025,
    });
    expect((await call('user', 'GET', `/cost-centers/${cc.body.id}`)).status).toBe(200);
    const list = await call('manager', 'GET', '/cost-centers?fiscalYear=2025&search=cc');
    expect(list.body.items.map((c: { code: string }) => c.code)).toEqual(['CC-100']);
    expect((await call('admin', 'GET', '/cost-centers?fiscalYear=2024')).body.items).toEqual([]);

    const dup = await call('admin', 'POST', '/cost-centers', { code: 'CC-100', name: 'Other' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('COST_CENTERS.CODE_TAKEN');

    const changed = await call('admin', 'PATCH', `/cost-centers/${cc.body.id}`, {
      budgetAmount: '2000.50',
    });
    expect(changed.body.budgetAmount).toBe('2000.50');

    const payer = await createTestUser(t.helios, { cost_center_id: cc.body.id });
    const inUse = await call('admin', 'DELETE', `/cost-centers/${cc.body.id}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body).toMatchObject({ code: 'COST_CENTERS.IN_USE', details: { users: 1 } });
    await t.helios.repositories.organization_users.update(payer.id, { cost_center_id: null });
    expect((await call('admin', 'DELETE', `/cost-centers/${cc.body.id}`)).status).toBe(204);
  });

  it('answers 400, 401, 403 and 404 and writes nothing', async () => {
    const before = await count('cost_centers');
    const bad = await call('admin', 'POST', '/cost-centers', {
      code: '!!',
      name: 'Bad',
      budgetCurrency: 'XYZW',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['code', 'budgetCurrency']),
    );
    expect((await call('admin', 'GET', '/cost-centers?fiscalYear=soon')).status).toBe(400);
    expect((await call('none', 'GET', '/cost-centers')).status).toBe(401);
    expect(
      (await call('user', 'POST', '/cost-centers', { code: 'CC-1', name: 'Mine' })).status,
    ).toBe(403);
    expect(
      (await call('readKey', 'POST', '/cost-centers', { code: 'CC-2', name: 'Key' })).status,
    ).toBe(403);
    expect(await count('cost_centers')).toBe(before);
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const res = await call(
        'admin',
        method,
        `/cost-centers/${MISSING}`,
        method === 'PATCH' ? { name: 'Ghost' } : undefined,
      );
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('COST_CENTERS.NOT_FOUND');
    }
  });
});

describe('job titles', () => {
  it('creates, lists, changes and deletes a job title; refuses duplicates', async () => {
    const jt = await call('admin', 'POST', '/job-titles', { title: 'Staff Engineer', level: 'L6' });
    expect(jt.status).toBe(201);
    expect(jt.body).toMatchObject({ title: 'Staff Engineer', level: 'L6', isActive: true });
    expect((await call('user', 'GET', `/job-titles/${jt.body.id}`)).status).toBe(200);
    expect(
      (await call('manager', 'GET', '/job-titles?level=L6')).body.items.map(
        (j: { title: string }) => j.title,
      ),
    ).toEqual(['Staff Engineer']);
    const dup = await call('admin', 'POST', '/job-titles', { title: 'staff engineer' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('JOB_TITLES.TITLE_TAKEN');
    expect(
      (await call('admin', 'PATCH', `/job-titles/${jt.body.id}`, { level: null })).body.level,
    ).toBeNull();
    expect((await call('admin', 'DELETE', `/job-titles/${jt.body.id}`)).status).toBe(204);
  });

  it('answers 400, 401, 403 and 404 and writes nothing', async () => {
    const before = await count('job_titles');
    const bad = await call('admin', 'POST', '/job-titles', { title: ' ', departmentId: MISSING });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toContain('title');
    const noDept = await call('admin', 'POST', '/job-titles', {
      title: 'Orphan',
      departmentId: MISSING,
    });
    expect(noDept.status).toBe(400);
    expect(noDept.body.code).toBe('JOB_TITLES.DEPARTMENT_NOT_FOUND');
    expect((await call('admin', 'PATCH', `/job-titles/${MISSING}`, {})).status).toBe(400);
    expect((await call('none', 'GET', '/job-titles')).status).toBe(401);
    expect((await call('manager', 'POST', '/job-titles', { title: 'Boss' })).status).toBe(403);
    expect((await call('readKey', 'POST', '/job-titles', { title: 'Key' })).status).toBe(403);
    expect(await count('job_titles')).toBe(before);
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const res = await call(
        'admin',
        method,
        `/job-titles/${MISSING}`,
        method === 'PATCH' ? { title: 'Ghost' } : undefined,
      );
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('JOB_TITLES.NOT_FOUND');
    }
  });
});

describe('custom fields', () => {
  it('defines fields, sets and reads a user’s values, and deletes a field with its values', async () => {
    const size = await call('admin', 'POST', '/custom-fields', {
      fieldKey: 'shirt_size',
      displayName: 'Shirt size',
      fieldType: 'select',
      options: ['S', 'M', 'L'],
    });
    expect(size.status).toBe(201);
    expect(size.body).toMatchObject({
      fieldKey: 'shirt_size',
      fieldType: 'select',
      options: [{ value: 'S', label: 'S' }, { value: 'M' }, { value: 'L' }],
    });
    const badge = await call('admin', 'POST', '/custom-fields', {
      fieldKey: 'badge',
      displayName: 'Badge',
      fieldType: 'number',
    });
    expect(badge.status).toBe(201);
    expect((await call('user', 'GET', `/custom-fields/${size.body.id}`)).status).toBe(200);
    const list = await call('manager', 'GET', '/custom-fields?fieldType=select');
    expect(list.body.items.map((f: { fieldKey: string }) => f.fieldKey)).toEqual(['shirt_size']);

    const set = await call('admin', 'PUT', `/users/${userId}/custom-fields`, {
      values: { shirt_size: 'M', badge: 42 },
    });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ shirt_size: 'M', badge: 42 });
    const own = await call('user', 'GET', `/users/${userId}/custom-fields`);
    expect(own.status).toBe(200);
    expect(own.body).toEqual({ shirt_size: 'M', badge: 42 });

    const invalid = await call('admin', 'PUT', `/users/${userId}/custom-fields`, {
      values: { shirt_size: 'XXL', nope: 1 },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('CUSTOM_FIELDS.INVALID_VALUE');
    expect(invalid.body.errors.length).toBeGreaterThanOrEqual(2);
    expect((await call('admin', 'GET', `/users/${userId}/custom-fields`)).body).toEqual({
      shirt_size: 'M',
      badge: 42,
    });

    const renamed = await call('admin', 'PATCH', `/custom-fields/${size.body.id}`, {
      displayName: 'T-shirt size',
    });
    expect(renamed.body.displayName).toBe('T-shirt size');
    const locked = await call('admin', 'PATCH', `/custom-fields/${size.body.id}`, {
      options: ['S', 'L'],
    });
    expect(locked.status).toBe(409);
    expect(locked.body.code).toBe('CUSTOM_FIELDS.OPTION_IN_USE');

    const cleared = await call('admin', 'PUT', `/users/${userId}/custom-fields`, {
      values: { badge: null },
    });
    expect(cleared.body).toEqual({ shirt_size: 'M' });
    expect((await call('admin', 'DELETE', `/custom-fields/${size.body.id}`)).status).toBe(204);
    expect((await call('admin', 'GET', `/users/${userId}/custom-fields`)).body).toEqual({});
    expect((await call('admin', 'DELETE', `/custom-fields/${badge.body.id}`)).status).toBe(204);
  });

  it('answers 400, 401, 403 and 404 and writes nothing', async () => {
    const before = await count('custom_field_definitions');
    const bad = await call('admin', 'POST', '/custom-fields', {
      fieldKey: 'Bad Key',
      displayName: '',
      fieldType: 'colour',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['fieldKey', 'displayName', 'fieldType']),
    );
    expect(
      (
        await call('admin', 'POST', '/custom-fields', {
          fieldKey: 'pick',
          displayName: 'Pick',
          fieldType: 'select',
        })
      ).status,
    ).toBe(400);
    expect((await call('none', 'GET', '/custom-fields')).status).toBe(401);
    expect(
      (
        await call('user', 'POST', '/custom-fields', {
          fieldKey: 'mine',
          displayName: 'Mine',
          fieldType: 'text',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call('readKey', 'POST', '/custom-fields', {
          fieldKey: 'key',
          displayName: 'Key',
          fieldType: 'text',
        })
      ).status,
    ).toBe(403);
    expect(await count('custom_field_definitions')).toBe(before);
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const res = await call(
        'admin',
        method,
        `/custom-fields/${MISSING}`,
        method === 'PATCH' ? { displayName: 'Ghost' } : undefined,
      );
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('CUSTOM_FIELDS.NOT_FOUND');
    }

    // Values: the user themself may read but not set; another user's values are not theirs to read.
    expect(
      (await call('user', 'PUT', `/users/${userId}/custom-fields`, { values: {} })).status,
    ).toBe(403);
    expect(
      (await call('manager', 'PUT', `/users/${userId}/custom-fields`, { values: {} })).status,
    ).toBe(403);
    expect((await call('user', 'GET', `/users/${managerId}/custom-fields`)).status).toBe(403);
    expect((await call('readKey', 'GET', `/users/${userId}/custom-fields`)).status).toBe(403);
    expect((await call('none', 'GET', `/users/${userId}/custom-fields`)).status).toBe(401);
    expect(
      (await call('admin', 'PUT', `/users/${userId}/custom-fields`, { shirt_size: 'M' })).status,
    ).toBe(400);
    const missing = await call('admin', 'GET', `/users/${MISSING}/custom-fields`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('USERS.NOT_FOUND');
    expect(
      (await call('admin', 'PUT', `/users/${MISSING}/custom-fields`, { values: {} })).status,
    ).toBe(404);
  });
});

describe('the OpenAPI document', () => {
  it('lists the directory routes with their callers and scopes', async () => {
    const doc = (await (await app.request('/api/v1/openapi.json')).json()) as any;
    for (const path of [
      '/api/v1/departments',
      '/api/v1/departments/tree',
      '/api/v1/departments/{id}',
      '/api/v1/locations/tree',
      '/api/v1/locations/{id}/users',
      '/api/v1/cost-centers/{id}',
      '/api/v1/job-titles/{id}',
      '/api/v1/custom-fields/{id}',
      '/api/v1/users/{id}/custom-fields',
    ]) {
      expect(doc.paths).toHaveProperty([path]);
    }
    expect(doc.paths['/api/v1/departments'].get).toMatchObject({
      tags: ['Departments'],
      'x-helios-callers': ['admin', 'manager', 'user'],
      'x-helios-scope': 'directory:read',
    });
    expect(doc.paths['/api/v1/departments'].post).toMatchObject({
      'x-helios-callers': ['admin'],
      'x-helios-scope': 'directory:write',
    });
    const isActive = doc.paths['/api/v1/departments'].get.parameters.find(
      (p: { name: string }) => p.name === 'isActive',
    );
    expect(isActive).toMatchObject({ in: 'query', schema: { enum: ['true', 'false'] } });
  });
});

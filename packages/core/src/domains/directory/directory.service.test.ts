import { randomUUID } from 'node:crypto';
import type { HeliosScope } from '@helios/core';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let t: TestHelios;
let asManager: HeliosScope;
let asUser: HeliosScope;
let readKey: HeliosScope;
let writeKey: HeliosScope;

beforeAll(async () => {
  t = await createTestHelios();
  const manager = await createTestUser(t.helios, { role: 'manager' });
  const user = await createTestUser(t.helios, { role: 'user', reporting_manager_id: manager.id });
  asManager = t.helios.as({ type: 'user', userId: manager.id });
  asUser = t.helios.as({ type: 'user', userId: user.id });
  readKey = t.helios.as({ type: 'apiKey', keyId: 'k-read', scopes: ['directory:read'] });
  writeKey = t.helios.as({ type: 'apiKey', keyId: 'k-write', scopes: ['directory:write'] });
});
afterAll(() => t.destroy());

type Table = 'departments' | 'locations' | 'cost_centers' | 'job_titles';
const count = (table: Table) => t.helios.repositories[table].count();

/** Every non-admin caller is refused (and the no-actor call is unauthenticated); nothing is written. */
async function expectWriteRefused(
  table: Table,
  call: (scope: HeliosScope) => Promise<unknown>,
  unchanged?: () => Promise<unknown>,
) {
  const rows = await count(table);
  const snapshot = unchanged ? JSON.stringify(await unchanged()) : null;
  for (const scope of [asManager, asUser, readKey]) {
    await expect(call(scope)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
  }
  await expect(call(t.helios)).rejects.toMatchObject({
    kind: 'UNAUTHENTICATED',
    code: 'POLICY.NO_ACTOR',
  });
  expect(await count(table)).toBe(rows);
  if (unchanged) expect(JSON.stringify(await unchanged())).toBe(snapshot);
}

async function auditRows(action: string, resourceId: string) {
  return (await t.asAdmin.audit.list({ action, resourceId })).items;
}

describe('departments', () => {
  it('creates, reads, lists and nests departments, with an audit row', async () => {
    const eng = await t.asAdmin.departments.create({
      name: 'Engineering',
      description: 'Builders',
      orgUnitPath: '/Engineering',
      orgUnitId: 'ou-1',
    });
    expect(eng).toMatchObject({
      name: 'Engineering',
      parentId: null,
      orgUnitPath: '/Engineering',
      orgUnitId: 'ou-1',
      autoSyncToOu: false,
      isActive: true,
    });
    expect(eng.createdBy).toBe(t.admin!.id);
    const web = await t.asAdmin.departments.create({ name: 'Web', parentId: eng.id });
    await t.asAdmin.departments.create({ name: 'Mobile', parentId: eng.id, isActive: false });

    expect(await asUser.departments.get(web.id)).toMatchObject({ id: web.id, parentId: eng.id });
    expect(await readKey.departments.find(eng.id)).toMatchObject({ id: eng.id });
    expect(await t.asAdmin.departments.find(randomUUID())).toBeNull();
    expect(await t.asAdmin.departments.find('not-a-uuid')).toBeNull();
    await expect(t.asAdmin.departments.get(randomUUID())).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'DEPARTMENTS.NOT_FOUND',
    });

    const children = await asManager.departments.list({ parentId: eng.id });
    expect(children.items.map((d) => d.name)).toEqual(['Mobile', 'Web']);
    expect(
      (await t.asAdmin.departments.list({ parentId: eng.id, isActive: true })).items.map(
        (d) => d.name,
      ),
    ).toEqual(['Web']);
    expect(
      (await t.asAdmin.departments.list({ search: 'GINEER' })).items.map((d) => d.name),
    ).toEqual(['Engineering']);
    expect((await t.asAdmin.departments.list({ search: '%' })).items).toHaveLength(0);

    const tree = await asUser.departments.tree();
    const engNode = tree.find((n) => n.id === eng.id);
    expect(engNode?.children.map((c) => c.name)).toEqual(['Mobile', 'Web']);
    expect(
      (await t.asAdmin.departments.tree({ isActive: true }))
        .find((n) => n.id === eng.id)
        ?.children.map((c) => c.name),
    ).toEqual(['Web']);

    const rows = await auditRows('departments.create', eng.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actorType: 'user',
      resource: 'department',
      details: { name: 'Engineering' },
    });
  });

  it('pages through departments with a keyset cursor', async () => {
    const parent = await t.asAdmin.departments.create({ name: 'Paging Root' });
    for (const name of ['P-c', 'P-a', 'P-e', 'P-b', 'P-d'])
      await t.asAdmin.departments.create({ name, parentId: parent.id });
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<HeliosScope['departments']['list']>> =
        await t.asAdmin.departments.list({ parentId: parent.id, limit: 2, cursor });
      names.push(...page.items.map((d) => d.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names).toEqual(['P-a', 'P-b', 'P-c', 'P-d', 'P-e']);
    await expect(t.asAdmin.departments.list({ cursor: "x' or 1=1" })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
    await expect(t.asAdmin.departments.list({ limit: 0 })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'VALIDATION.FAILED',
    });
  });

  it('rejects invalid input with VALIDATION.FAILED and an unknown parent, writing nothing', async () => {
    const before = await count('departments');
    await expect(t.asAdmin.departments.create({ name: '  ' })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'VALIDATION.FAILED',
    });
    await expect(
      t.asAdmin.departments.create({ name: 'X', parentId: 'nope' }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(
      t.asAdmin.departments.create({ name: 'X', color: 'red' } as never),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(
      t.asAdmin.departments.create({ name: 'X', parentId: randomUUID() }),
    ).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'DEPARTMENTS.PARENT_NOT_FOUND',
    });
    expect(await count('departments')).toBe(before);
  });

  it('refuses writes to managers, users, read-only keys and anonymous callers; a directory:write key may write', async () => {
    const dept = await t.asAdmin.departments.create({ name: 'Guarded' });
    await expectWriteRefused('departments', (s) => s.departments.create({ name: 'Sneaky' }));
    await expectWriteRefused(
      'departments',
      (s) => s.departments.update(dept.id, { name: 'Renamed' }),
      () => t.asAdmin.departments.get(dept.id),
    );
    await expectWriteRefused('departments', (s) => s.departments.delete(dept.id));
    await expect(t.helios.departments.list()).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
    await expect(
      t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['users:read'] }).departments.list(),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });

    const byKey = await writeKey.departments.create({ name: 'Made By Key' });
    expect(byKey.createdBy).toBeNull();
    expect((await auditRows('departments.create', byKey.id))[0]).toMatchObject({
      actorType: 'api_key',
      actorId: 'k-write',
    });
  });

  it('refuses a duplicate name, whatever its case, with DEPARTMENTS.NAME_TAKEN', async () => {
    await t.asAdmin.departments.create({ name: 'Finance' });
    const legal = await t.asAdmin.departments.create({ name: 'Legal' });
    const before = await count('departments');
    await expect(t.asAdmin.departments.create({ name: 'finance' })).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'DEPARTMENTS.NAME_TAKEN',
    });
    await expect(t.asAdmin.departments.update(legal.id, { name: 'FINANCE' })).rejects.toMatchObject(
      { kind: 'CONFLICT', code: 'DEPARTMENTS.NAME_TAKEN' },
    );
    expect(await count('departments')).toBe(before);
    expect((await t.asAdmin.departments.get(legal.id)).name).toBe('Legal');
    expect((await t.asAdmin.departments.update(legal.id, { name: 'LEGAL' })).name).toBe('LEGAL');
  });

  it('prevents cycles at any depth with DEPARTMENTS.CYCLE', async () => {
    const a = await t.asAdmin.departments.create({ name: 'Cycle A' });
    const b = await t.asAdmin.departments.create({ name: 'Cycle B', parentId: a.id });
    const c = await t.asAdmin.departments.create({ name: 'Cycle C', parentId: b.id });
    const d = await t.asAdmin.departments.create({ name: 'Cycle D', parentId: c.id });
    await expect(t.asAdmin.departments.update(a.id, { parentId: d.id })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'DEPARTMENTS.CYCLE',
    });
    await expect(t.asAdmin.departments.update(b.id, { parentId: d.id })).rejects.toMatchObject({
      code: 'DEPARTMENTS.CYCLE',
    });
    await expect(t.asAdmin.departments.update(a.id, { parentId: a.id })).rejects.toMatchObject({
      code: 'DEPARTMENTS.CYCLE',
    });
    expect((await t.asAdmin.departments.get(a.id)).parentId).toBeNull();
    // Moving down the other way is fine, and so is moving back to the top.
    expect((await t.asAdmin.departments.update(d.id, { parentId: a.id })).parentId).toBe(a.id);
    expect((await t.asAdmin.departments.update(d.id, { parentId: null })).parentId).toBeNull();
    expect(await auditRows('departments.update', d.id)).toHaveLength(2);
  });

  it('refuses to delete a department in use with DEPARTMENTS.IN_USE and counts, and deletes it once free', async () => {
    const dept = await t.asAdmin.departments.create({ name: 'Busy' });
    const child = await t.asAdmin.departments.create({ name: 'Busy Child', parentId: dept.id });
    const user = await createTestUser(t.helios, { department_id: dept.id, department: 'Busy' });
    const cc = await t.asAdmin.costCenters.create({
      code: 'BUSY-1',
      name: 'Busy CC',
      departmentId: dept.id,
    });
    const jt = await t.asAdmin.jobTitles.create({ title: 'Busy Person', departmentId: dept.id });
    const before = await count('departments');
    await expect(t.asAdmin.departments.delete(dept.id)).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'DEPARTMENTS.IN_USE',
      details: { users: 1, children: 1, costCenters: 1, jobTitles: 1 },
    });
    expect(await count('departments')).toBe(before);

    await t.asAdmin.departments.delete(child.id);
    await t.asAdmin.costCenters.delete(cc.id);
    await t.asAdmin.jobTitles.delete(jt.id);
    await t.helios.repositories.organization_users.update(user.id, { department_id: null });
    // A deleted user does not hold a department; the link is cleared with it.
    const gone = await createTestUser(t.helios, {
      department_id: dept.id,
      user_status: 'deleted',
      is_active: false,
      deleted_at: new Date(),
    });
    await t.asAdmin.departments.delete(dept.id);
    expect(await t.asAdmin.departments.find(dept.id)).toBeNull();
    expect(
      (await t.helios.repositories.organization_users.getById(gone.id)).department_id,
    ).toBeNull();
    expect(await auditRows('departments.delete', dept.id)).toHaveLength(1);
    await expect(t.asAdmin.departments.delete(dept.id)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'DEPARTMENTS.NOT_FOUND',
    });
  });

  it("renames the users' department text with the department, in the same transaction", async () => {
    const dept = await t.asAdmin.departments.create({ name: 'Sales' });
    const linked = await createTestUser(t.helios, { department_id: dept.id, department: 'Sales' });
    const unlinked = await createTestUser(t.helios, { department: 'Sales' });
    await t.asAdmin.departments.update(dept.id, { name: 'Revenue' });
    expect((await t.helios.repositories.organization_users.getById(linked.id)).department).toBe(
      'Revenue',
    );
    expect((await t.helios.repositories.organization_users.getById(unlinked.id)).department).toBe(
      'Sales',
    );
    const rows = await auditRows('departments.update', dept.id);
    expect(rows[0]?.details).toMatchObject({
      name: { from: 'Sales', to: 'Revenue' },
      usersRenamed: 1,
    });

    // A rename that fails later in the transaction leaves the users as they were.
    await expect(
      t.asAdmin.transaction(async (tx) => {
        await tx.departments.update(dept.id, { name: 'Rolled Back' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await t.helios.repositories.organization_users.getById(linked.id)).department).toBe(
      'Revenue',
    );
  });
});

describe('locations', () => {
  it('creates a location tree and lists it with filters', async () => {
    const emea = await t.asAdmin.locations.create({ name: 'EMEA', type: 'region' });
    const paris = await t.asAdmin.locations.create({
      name: 'Paris',
      type: 'office',
      parentId: emea.id,
      city: 'Paris',
      country: 'France',
      timezone: 'Europe/Paris',
      latitude: 48.8566,
      longitude: 2.3522,
      code: 'PAR',
    });
    const hq = await t.asAdmin.locations.create({ name: 'HQ', type: 'headquarters' });
    expect(paris).toMatchObject({
      parentId: emea.id,
      latitude: 48.8566,
      longitude: 2.3522,
      timezone: 'Europe/Paris',
      type: 'office',
    });
    expect((await t.asAdmin.locations.create({ name: 'Default Kind' })).type).toBe('office');

    expect((await asUser.locations.list({ type: 'headquarters' })).items.map((l) => l.id)).toEqual([
      hq.id,
    ]);
    expect((await t.asAdmin.locations.list({ search: 'par' })).items.map((l) => l.id)).toEqual([
      paris.id,
    ]);
    expect((await t.asAdmin.locations.list({ country: 'france' })).items.map((l) => l.id)).toEqual([
      paris.id,
    ]);
    expect((await readKey.locations.list({ parentId: emea.id })).items.map((l) => l.id)).toEqual([
      paris.id,
    ]);
    const tree = await asManager.locations.tree();
    expect(tree.find((n) => n.id === emea.id)?.children.map((c) => c.id)).toEqual([paris.id]);
    expect(await auditRows('locations.create', paris.id)).toHaveLength(1);
  });

  it('rejects a bad type, time zone or coordinate with VALIDATION.FAILED, writing nothing', async () => {
    const before = await count('locations');
    await expect(
      t.asAdmin.locations.create({ name: 'Moon', type: 'space' as never }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(
      t.asAdmin.locations.create({ name: 'Nowhere', timezone: 'Mars/Olympus' }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(t.asAdmin.locations.create({ name: 'Pole', latitude: 91 })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(
      t.asAdmin.locations.create({ name: 'Orphan', parentId: randomUUID() }),
    ).rejects.toMatchObject({ code: 'LOCATIONS.PARENT_NOT_FOUND' });
    expect(await count('locations')).toBe(before);
  });

  it('keeps names unique among siblings with LOCATIONS.NAME_TAKEN', async () => {
    const us = await t.asAdmin.locations.create({ name: 'US', type: 'region' });
    const uk = await t.asAdmin.locations.create({ name: 'UK', type: 'region' });
    await t.asAdmin.locations.create({ name: 'Main Office', parentId: us.id });
    const ukMain = await t.asAdmin.locations.create({ name: 'Main Office', parentId: uk.id });
    const before = await count('locations');
    await expect(
      t.asAdmin.locations.create({ name: 'main office', parentId: us.id }),
    ).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'LOCATIONS.NAME_TAKEN',
    });
    await expect(t.asAdmin.locations.create({ name: 'us' })).rejects.toMatchObject({
      code: 'LOCATIONS.NAME_TAKEN',
    });
    await expect(t.asAdmin.locations.update(ukMain.id, { parentId: us.id })).rejects.toMatchObject({
      code: 'LOCATIONS.NAME_TAKEN',
    });
    expect(await count('locations')).toBe(before);
    expect((await t.asAdmin.locations.get(ukMain.id)).parentId).toBe(uk.id);
  });

  it('prevents cycles at any depth with LOCATIONS.CYCLE', async () => {
    const a = await t.asAdmin.locations.create({ name: 'World', type: 'region' });
    const b = await t.asAdmin.locations.create({ name: 'Europe', type: 'region', parentId: a.id });
    const c = await t.asAdmin.locations.create({ name: 'France', type: 'region', parentId: b.id });
    const d = await t.asAdmin.locations.create({ name: 'Lyon', parentId: c.id });
    await expect(t.asAdmin.locations.update(a.id, { parentId: d.id })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'LOCATIONS.CYCLE',
    });
    await expect(t.asAdmin.locations.update(b.id, { parentId: c.id })).rejects.toMatchObject({
      code: 'LOCATIONS.CYCLE',
    });
    await expect(t.asAdmin.locations.update(c.id, { parentId: c.id })).rejects.toMatchObject({
      code: 'LOCATIONS.CYCLE',
    });
    expect((await t.asAdmin.locations.get(a.id)).parentId).toBeNull();
    expect((await t.asAdmin.locations.update(d.id, { parentId: b.id })).parentId).toBe(b.id);
  });

  it('refuses to delete a location with users or sub-locations (LOCATIONS.IN_USE)', async () => {
    const site = await t.asAdmin.locations.create({ name: 'Busy Site' });
    const floor = await t.asAdmin.locations.create({ name: 'Floor 1', parentId: site.id });
    const user = await createTestUser(t.helios, { location_id: floor.id });
    const before = await count('locations');
    await expect(t.asAdmin.locations.delete(site.id)).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'LOCATIONS.IN_USE',
      details: { users: 0, children: 1 },
    });
    await expect(t.asAdmin.locations.delete(floor.id)).rejects.toMatchObject({
      code: 'LOCATIONS.IN_USE',
      details: { users: 1, children: 0 },
    });
    expect(await count('locations')).toBe(before);
    await t.helios.repositories.organization_users.update(user.id, { location_id: null });
    await t.asAdmin.locations.delete(floor.id);
    await t.asAdmin.locations.delete(site.id);
    expect(await count('locations')).toBe(before - 2);
    expect(await auditRows('locations.delete', site.id)).toHaveLength(1);
  });

  it('lists the users at a location, paginated, optionally with its sub-locations', async () => {
    const campus = await t.asAdmin.locations.create({ name: 'Campus' });
    const building = await t.asAdmin.locations.create({ name: 'Building', parentId: campus.id });
    await createTestUser(t.helios, {
      location_id: campus.id,
      first_name: 'Ann',
      last_name: 'Cole',
    });
    await createTestUser(t.helios, {
      location_id: campus.id,
      first_name: 'Bob',
      last_name: 'Abel',
    });
    await createTestUser(t.helios, { location_id: campus.id, first_name: 'Cy', last_name: 'Byrd' });
    await createTestUser(t.helios, {
      location_id: building.id,
      first_name: 'Dee',
      last_name: 'Dunn',
    });
    await createTestUser(t.helios, {
      location_id: campus.id,
      last_name: 'Gone',
      user_status: 'deleted',
      deleted_at: new Date(),
    });

    const first = await asUser.locations.users(campus.id, { limit: 2 });
    expect(first.items.map((u) => u.lastName)).toEqual(['Abel', 'Byrd']);
    expect(first.items[0]).toMatchObject({ firstName: 'Bob', locationId: campus.id });
    expect(first.items[0]).not.toHaveProperty('passwordHash');
    const second = await asUser.locations.users(campus.id, { limit: 2, cursor: first.nextCursor });
    expect(second.items.map((u) => u.lastName)).toEqual(['Cole']);
    expect(second.nextCursor).toBeNull();
    const all = await t.asAdmin.locations.users(campus.id, { includeSublocations: true });
    expect(all.items.map((u) => u.lastName)).toEqual(['Abel', 'Byrd', 'Cole', 'Dunn']);
    await expect(t.asAdmin.locations.users(randomUUID())).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'LOCATIONS.NOT_FOUND',
    });
  });

  it('refuses location writes to non-admins, writing nothing', async () => {
    const loc = await t.asAdmin.locations.create({ name: 'Locked' });
    await expectWriteRefused('locations', (s) => s.locations.create({ name: 'Sneaky Site' }));
    await expectWriteRefused(
      'locations',
      (s) => s.locations.update(loc.id, { city: 'Nowhere' }),
      () => t.asAdmin.locations.get(loc.id),
    );
    await expectWriteRefused('locations', (s) => s.locations.delete(loc.id));
    expect((await writeKey.locations.update(loc.id, { city: 'Lisbon' })).city).toBe('Lisbon');
  });
});

describe('cost centers', () => {
  it('creates, updates, lists and deletes cost centers with audit rows', async () => {
    const dept = await t.asAdmin.departments.create({ name: 'R&D' });
    const cc = await t.asAdmin.costCenters.create({
      code: 'CC-100',
      name: 'Research',
      departmentId: dept.id,
      budgetAmount: 250000,
      budgetCurrency: 'eur',
      fiscalYear: 2025,
    });
    expect(cc).toMatchObject({
      code: 'CC-100',
      budgetAmount: '250000.00',
      budgetCurrency: 'EUR',
      fiscalYear: 2025,
      departmentId: dept.id,
    });
    expect(
      (
        await t.asAdmin.costCenters.create({
          code: 'CC-101',
          name: 'Default currency',
          budgetAmount: '12.5',
        })
      ).budgetCurrency,
    ).toBe('USD');
    const updated = await t.asAdmin.costCenters.update(cc.id, {
      budgetAmount: 1234.56,
      name: 'Research & Development',
    });
    expect(updated).toMatchObject({ budgetAmount: '1234.56', name: 'Research & Development' });
    expect((await asUser.costCenters.list({ search: 'cc-10' })).items.map((c) => c.code)).toEqual([
      'CC-100',
      'CC-101',
    ]);
    expect(
      (await asUser.costCenters.list({ departmentId: dept.id })).items.map((c) => c.id),
    ).toEqual([cc.id]);
    expect((await asUser.costCenters.list({ fiscalYear: 2025 })).items.map((c) => c.id)).toEqual([
      cc.id,
    ]);
    expect(await auditRows('cost_centers.update', cc.id)).toHaveLength(1);
    await t.asAdmin.costCenters.delete(cc.id);
    expect(await t.asAdmin.costCenters.find(cc.id)).toBeNull();
    expect(await auditRows('cost_centers.delete', cc.id)).toHaveLength(1);
  });

  it('validates currency, fiscal year and budget, writing nothing', async () => {
    const before = await count('cost_centers');
    for (const bad of [
      { budgetCurrency: 'US' },
      { budgetCurrency: 'QQQ' },
      { fiscalYear: 1800 },
      { fiscalYear: 2025.5 },
      { budgetAmount: -1 },
      { budgetAmount: 1.234 },
      { budgetAmount: '12,50' },
    ]) {
      await expect(
        t.asAdmin.costCenters.create({ code: 'BAD-1', name: 'Bad', ...bad } as never),
      ).rejects.toMatchObject({
        kind: 'INVALID_INPUT',
        code: 'VALIDATION.FAILED',
      });
    }
    await expect(
      t.asAdmin.costCenters.create({ code: 'BAD-1', name: 'Bad', departmentId: randomUUID() }),
    ).rejects.toMatchObject({
      code: 'COST_CENTERS.DEPARTMENT_NOT_FOUND',
    });
    expect(await count('cost_centers')).toBe(before);
  });

  it('refuses a duplicate code with COST_CENTERS.CODE_TAKEN', async () => {
    const first = await t.asAdmin.costCenters.create({ code: 'OPS-1', name: 'Ops' });
    const other = await t.asAdmin.costCenters.create({ code: 'OPS-2', name: 'Ops 2' });
    const before = await count('cost_centers');
    await expect(
      t.asAdmin.costCenters.create({ code: 'ops-1', name: 'Again' }),
    ).rejects.toMatchObject({ kind: 'CONFLICT', code: 'COST_CENTERS.CODE_TAKEN' });
    await expect(t.asAdmin.costCenters.update(other.id, { code: 'OPS-1' })).rejects.toMatchObject({
      code: 'COST_CENTERS.CODE_TAKEN',
    });
    expect(await count('cost_centers')).toBe(before);
    expect((await t.asAdmin.costCenters.get(first.id)).code).toBe('OPS-1');
  });

  it('refuses to delete a cost center with users (COST_CENTERS.IN_USE)', async () => {
    const cc = await t.asAdmin.costCenters.create({ code: 'HELD-1', name: 'Held' });
    await createTestUser(t.helios, { cost_center_id: cc.id });
    await createTestUser(t.helios, { cost_center_id: cc.id });
    await expect(t.asAdmin.costCenters.delete(cc.id)).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'COST_CENTERS.IN_USE',
      details: { users: 2 },
    });
    expect(await t.asAdmin.costCenters.find(cc.id)).not.toBeNull();
  });

  it('refuses cost center writes to non-admins, writing nothing', async () => {
    const cc = await t.asAdmin.costCenters.create({ code: 'SAFE-1', name: 'Safe' });
    await expectWriteRefused('cost_centers', (s) =>
      s.costCenters.create({ code: 'SNEAK-1', name: 'Sneak' }),
    );
    await expectWriteRefused(
      'cost_centers',
      (s) => s.costCenters.update(cc.id, { budgetAmount: 1 }),
      () => t.asAdmin.costCenters.get(cc.id),
    );
    await expectWriteRefused('cost_centers', (s) => s.costCenters.delete(cc.id));
    await expect(t.asAdmin.costCenters.get(randomUUID())).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'COST_CENTERS.NOT_FOUND',
    });
  });
});

describe('job titles', () => {
  it('creates, updates, lists and deletes job titles with audit rows', async () => {
    const dept = await t.asAdmin.departments.create({ name: 'Platform' });
    const jt = await t.asAdmin.jobTitles.create({
      title: 'Staff Engineer',
      level: 'L6',
      departmentId: dept.id,
    });
    expect(jt).toMatchObject({
      title: 'Staff Engineer',
      level: 'L6',
      departmentId: dept.id,
      isActive: true,
    });
    await t.asAdmin.jobTitles.create({ title: 'Senior Engineer', level: 'L5' });
    expect((await asUser.jobTitles.list({ search: 'engineer' })).items.map((j) => j.title)).toEqual(
      ['Senior Engineer', 'Staff Engineer'],
    );
    expect((await asUser.jobTitles.list({ level: 'l6' })).items.map((j) => j.id)).toEqual([jt.id]);
    expect(
      (await t.asAdmin.jobTitles.update(jt.id, { level: null, isActive: false })).level,
    ).toBeNull();
    expect((await asUser.jobTitles.list({ isActive: false })).items.map((j) => j.id)).toEqual([
      jt.id,
    ]);
    expect(await auditRows('job_titles.create', jt.id)).toHaveLength(1);
    expect(await auditRows('job_titles.update', jt.id)).toHaveLength(1);
  });

  it('refuses a duplicate title with JOB_TITLES.TITLE_TAKEN and bad input with VALIDATION.FAILED', async () => {
    const first = await t.asAdmin.jobTitles.create({ title: 'Designer' });
    const before = await count('job_titles');
    await expect(t.asAdmin.jobTitles.create({ title: 'designer' })).rejects.toMatchObject({
      kind: 'CONFLICT',
      code: 'JOB_TITLES.TITLE_TAKEN',
    });
    await expect(t.asAdmin.jobTitles.create({ title: '' })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(
      t.asAdmin.jobTitles.create({ title: 'Lvl', level: 'x'.repeat(51) }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(
      t.asAdmin.jobTitles.create({ title: 'Orphan', departmentId: randomUUID() }),
    ).rejects.toMatchObject({
      code: 'JOB_TITLES.DEPARTMENT_NOT_FOUND',
    });
    await expect(t.asAdmin.jobTitles.update(first.id, {})).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    expect(await count('job_titles')).toBe(before);
  });

  it('deletes a job title users hold as text (there is no link), with an audit row', async () => {
    const jt = await t.asAdmin.jobTitles.create({ title: 'Analyst' });
    const holder = await createTestUser(t.helios, { job_title: 'Analyst' });
    await t.asAdmin.jobTitles.delete(jt.id);
    expect(await t.asAdmin.jobTitles.find(jt.id)).toBeNull();
    expect((await t.helios.repositories.organization_users.getById(holder.id)).job_title).toBe(
      'Analyst',
    );
    expect(await auditRows('job_titles.delete', jt.id)).toHaveLength(1);
  });

  it('refuses job title writes to non-admins, writing nothing', async () => {
    const jt = await t.asAdmin.jobTitles.create({ title: 'Keeper' });
    await expectWriteRefused('job_titles', (s) => s.jobTitles.create({ title: 'Sneak' }));
    await expectWriteRefused(
      'job_titles',
      (s) => s.jobTitles.update(jt.id, { title: 'Changed' }),
      () => t.asAdmin.jobTitles.get(jt.id),
    );
    await expectWriteRefused('job_titles', (s) => s.jobTitles.delete(jt.id));
    expect(
      (await writeKey.jobTitles.update(jt.id, { description: 'Keeps things' })).description,
    ).toBe('Keeps things');
  });
});

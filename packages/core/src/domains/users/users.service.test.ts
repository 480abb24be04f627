import { randomUUID } from 'node:crypto';
import type { Actor, HeliosScope } from '@helios/core';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let t: TestHelios;
let keyWrite: HeliosScope;
let keyRead: HeliosScope;
let keyFull: HeliosScope;

const userActor = (userId: string): Actor => ({ type: 'user', userId });
const as = (userId: string) => t.helios.as(userActor(userId));
const userCount = () => t.helios.repositories.organization_users.count();
const auditCount = async () =>
  Number(
    (await sql<{ n: string }>`select count(*) as n from audit_logs`.execute(t.helios.db)).rows[0]!
      .n,
  );
const audits = async (action: string, resourceId?: string) =>
  (await t.asAdmin.audit.list({ action, ...(resourceId ? { resourceId } : {}) })).items;

/** Runs `fn` and checks that it wrote neither users nor audit rows. */
async function writesNothing(
  fn: () => Promise<unknown>,
  expected: Record<string, unknown>,
): Promise<void> {
  const users = await userCount();
  const audit = await auditCount();
  await expect(fn()).rejects.toMatchObject(expected);
  expect(await userCount()).toBe(users);
  expect(await auditCount()).toBe(audit);
}

beforeAll(async () => {
  t = await createTestHelios();
  keyWrite = t.helios.as({ type: 'apiKey', keyId: 'k-write', scopes: ['users:write'] });
  keyRead = t.helios.as({ type: 'apiKey', keyId: 'k-read', scopes: ['users:read'] });
  keyFull = t.helios.as({ type: 'apiKey', keyId: 'k-full', scopes: ['admin:full'] });
});
afterAll(() => t.destroy());

describe('users.create', () => {
  it('creates a user with a normalized email and defaults, audited and recorded as activity', async () => {
    const user = await t.asAdmin.users.create({
      email: '  Bo.Li@Acme.TEST ',
      firstName: ' Bo ',
      lastName: 'Li',
    });
    expect(user).toMatchObject({
      email: 'bo.li@acme.test',
      firstName: 'Bo',
      lastName: 'Li',
      role: 'user',
      status: 'active',
      isActive: true,
    });
    expect(user.timezone).toBe('UTC');
    const [row] = await audits('users.create', user.id);
    expect(row).toMatchObject({
      actorType: 'user',
      actorId: t.admin!.id,
      resource: 'user',
      resourceId: user.id,
    });
    expect(row!.details).toMatchObject({
      email: 'bo.li@acme.test',
      role: 'user',
      status: 'active',
    });
    const activity = await t.asAdmin.audit.activity({ userId: user.id });
    expect(activity.items.map((a) => a.action)).toContain('users.create');
  });

  it('fills the department, location and cost center text from the referenced rows', async () => {
    const dept = await t.helios.repositories.departments.insert({ name: 'Engineering' });
    const loc = await t.helios.repositories.locations.insert({ name: 'Head Office' });
    const cc = await t.helios.repositories.cost_centers.insert({ code: 'CC-100', name: 'R&D' });
    const manager = await createTestUser(t.helios, { role: 'manager' });
    const user = await t.asAdmin.users.create({
      email: 'refs@acme.test',
      firstName: 'Ref',
      lastName: 'Erence',
      role: 'manager',
      departmentId: dept.id,
      locationId: loc.id,
      costCenterId: cc.id,
      managerId: manager.id,
      jobTitle: 'Engineer',
      startDate: '2024-02-29',
    });
    expect(user).toMatchObject({
      department: 'Engineering',
      departmentId: dept.id,
      location: 'Head Office',
      locationId: loc.id,
      costCenter: 'CC-100',
      costCenterId: cc.id,
      managerId: manager.id,
      startDate: '2024-02-29',
    });
  });

  it('creates staged and invited users as not active', async () => {
    const staged = await t.asAdmin.users.create({
      email: 'staged@acme.test',
      firstName: 'S',
      lastName: 'Taged',
      status: 'staged',
    });
    const invited = await t.asAdmin.users.create({
      email: 'invited@acme.test',
      firstName: 'I',
      lastName: 'Nvited',
      status: 'invited',
    });
    expect([staged.status, staged.isActive, invited.status, invited.isActive]).toEqual([
      'staged',
      false,
      'invited',
      false,
    ]);
  });

  it('rejects a duplicate email, whatever its case, with USERS.EMAIL_TAKEN and writes nothing', async () => {
    await writesNothing(
      () => t.asAdmin.users.create({ email: 'BO.LI@acme.test', firstName: 'B', lastName: 'L' }),
      {
        kind: 'CONFLICT',
        code: 'USERS.EMAIL_TAKEN',
      },
    );
  });

  it.each([
    ['a bad email', { email: 'not-an-email', firstName: 'A', lastName: 'B' }],
    ['a missing last name', { email: 'x1@acme.test', firstName: 'A' }],
    [
      'an unknown field',
      { email: 'x2@acme.test', firstName: 'A', lastName: 'B', password_hash: 'x' },
    ],
    [
      'an impossible date',
      { email: 'x3@acme.test', firstName: 'A', lastName: 'B', startDate: '2023-02-30' },
    ],
    [
      'an end before the start',
      {
        email: 'x4@acme.test',
        firstName: 'A',
        lastName: 'B',
        startDate: '2024-05-01',
        endDate: '2024-04-01',
      },
    ],
    [
      'an unknown time zone',
      { email: 'x5@acme.test', firstName: 'A', lastName: 'B', timezone: 'Mars/Olympus' },
    ],
    [
      'a role outside the vocabulary',
      { email: 'x6@acme.test', firstName: 'A', lastName: 'B', role: 'owner' },
    ],
    [
      'an initial state of suspended',
      { email: 'x7@acme.test', firstName: 'A', lastName: 'B', status: 'suspended' },
    ],
    [
      'a department given twice',
      {
        email: 'x8@acme.test',
        firstName: 'A',
        lastName: 'B',
        department: 'X',
        departmentId: randomUUID(),
      },
    ],
    [
      'a malformed manager id',
      { email: 'x9@acme.test', firstName: 'A', lastName: 'B', managerId: '1; drop table x' },
    ],
    ['a NUL character', { email: 'x10@acme.test', firstName: 'A\u0000', lastName: 'B' }],
  ])('rejects %s with VALIDATION.FAILED and writes nothing', async (_name, input) => {
    await writesNothing(() => t.asAdmin.users.create(input as never), {
      kind: 'INVALID_INPUT',
      code: 'VALIDATION.FAILED',
    });
  });

  it.each([
    ['departmentId', 'USERS.DEPARTMENT_NOT_FOUND'],
    ['locationId', 'USERS.LOCATION_NOT_FOUND'],
    ['costCenterId', 'USERS.COST_CENTER_NOT_FOUND'],
    ['managerId', 'USERS.MANAGER_NOT_FOUND'],
  ])('rejects an unknown %s with %s and writes nothing', async (field, code) => {
    await writesNothing(
      () =>
        t.asAdmin.users.create({
          email: `unknown-${field}@acme.test`,
          firstName: 'A',
          lastName: 'B',
          [field]: randomUUID(),
        }),
      {
        kind: 'INVALID_INPUT',
        code,
      },
    );
  });

  it('refuses a deleted user as manager with USERS.MANAGER_NOT_FOUND', async () => {
    const gone = await createTestUser(t.helios, {
      user_status: 'deleted',
      is_active: false,
      deleted_at: new Date(),
    });
    await writesNothing(
      () =>
        t.asAdmin.users.create({
          email: 'orphan@acme.test',
          firstName: 'A',
          lastName: 'B',
          managerId: gone.id,
        }),
      {
        code: 'USERS.MANAGER_NOT_FOUND',
      },
    );
  });

  it('refuses free-text master data while it is enforced with USERS.MASTER_DATA_REQUIRED', async () => {
    await t.asAdmin.organizations.masterData.update({
      enforceDepartments: true,
      enforceJobTitles: true,
    });
    try {
      await writesNothing(
        () =>
          t.asAdmin.users.create({
            email: 'md1@acme.test',
            firstName: 'A',
            lastName: 'B',
            department: 'Sales',
          }),
        {
          kind: 'INVALID_INPUT',
          code: 'USERS.MASTER_DATA_REQUIRED',
        },
      );
      await writesNothing(
        () =>
          t.asAdmin.users.create({
            email: 'md2@acme.test',
            firstName: 'A',
            lastName: 'B',
            jobTitle: 'Wizard',
          }),
        {
          code: 'USERS.MASTER_DATA_REQUIRED',
        },
      );
      await t.helios.repositories.job_titles.insert({ title: 'Accountant' });
      const user = await t.asAdmin.users.create({
        email: 'md3@acme.test',
        firstName: 'A',
        lastName: 'B',
        jobTitle: 'accountant',
        location: 'Remote',
      });
      expect(user).toMatchObject({ jobTitle: 'Accountant', location: 'Remote', locationId: null });
    } finally {
      await t.asAdmin.organizations.masterData.update({
        enforceDepartments: false,
        enforceJobTitles: false,
      });
    }
  });

  it('refuses managers, users, keys without users:write and callers without an actor, writing nothing', async () => {
    const manager = await createTestUser(t.helios, { role: 'manager' });
    const user = await createTestUser(t.helios);
    const input = { email: 'nope@acme.test', firstName: 'N', lastName: 'O' };
    await writesNothing(() => as(manager.id).users.create(input), {
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    await writesNothing(() => as(user.id).users.create(input), {
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    await writesNothing(() => keyRead.users.create(input), {
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    await writesNothing(() => t.helios.users.create(input), {
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.NO_ACTOR',
    });
    const created = await keyWrite.users.create(input);
    const [row] = await audits('users.create', created.id);
    expect(row).toMatchObject({ actorType: 'api_key', actorId: 'k-write' });
  });
});

describe('users.get / find', () => {
  it('never returns secrets or legacy auth columns', async () => {
    const user = await createTestUser(t.helios, {
      password_hash: 'hash',
      password_reset_token: 'reset',
      email_verification_token: 'verify',
      two_factor_secret: 'totp',
      photo_data: 'data:image/png;base64,AAAA',
    });
    const dto = await t.asAdmin.users.get(user.id);
    const json = JSON.stringify(dto);
    for (const secret of ['hash', 'reset', 'verify', 'totp', 'AAAA'])
      expect(json).not.toContain(`"${secret}"`);
    for (const key of [
      'passwordHash',
      'passwordResetToken',
      'passwordResetExpires',
      'emailVerificationToken',
      'twoFactorSecret',
      'photoData',
    ]) {
      expect(dto).not.toHaveProperty(key);
    }
  });

  it('lets users read themselves, managers their reporting line, and refuses others', async () => {
    const boss = await createTestUser(t.helios, { role: 'manager' });
    const mid = await createTestUser(t.helios, { role: 'manager', reporting_manager_id: boss.id });
    const leaf = await createTestUser(t.helios, { reporting_manager_id: mid.id });
    const stranger = await createTestUser(t.helios);
    expect((await as(leaf.id).users.get(leaf.id)).id).toBe(leaf.id);
    expect((await as(boss.id).users.get(leaf.id)).id).toBe(leaf.id);
    await expect(as(leaf.id).users.get(mid.id)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    await expect(as(mid.id).users.get(stranger.id)).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    expect((await keyRead.users.get(stranger.id)).id).toBe(stranger.id);
    await expect(
      t.helios.as({ type: 'apiKey', keyId: 'k', scopes: ['groups:read'] }).users.get(stranger.id),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    await expect(t.helios.users.get(stranger.id)).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
    });
  });

  it('throws USERS.NOT_FOUND from get, null from find, and INVALID_INPUT for a malformed id', async () => {
    await expect(t.asAdmin.users.get(randomUUID())).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'USERS.NOT_FOUND',
    });
    expect(await t.asAdmin.users.find(randomUUID())).toBeNull();
    await expect(t.asAdmin.users.get('nope')).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'VALIDATION.FAILED',
    });
    await expect(t.asAdmin.users.find(42 as never)).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
  });
});

describe('users.update', () => {
  it('lets an admin change every field and audits before and after', async () => {
    const dept = await t.helios.repositories.departments.insert({ name: 'Support' });
    const user = await createTestUser(t.helios, { department: 'Old text' });
    const updated = await t.asAdmin.users.update(user.id, {
      email: 'Renamed@Acme.test',
      role: 'manager',
      departmentId: dept.id,
      jobTitle: 'Lead',
      mobilePhone: '+1 555 0100',
    });
    expect(updated).toMatchObject({
      email: 'renamed@acme.test',
      role: 'manager',
      department: 'Support',
      departmentId: dept.id,
      jobTitle: 'Lead',
    });
    const [row] = await audits('users.update', user.id);
    expect(row!.details).toMatchObject({
      role: { from: 'user', to: 'manager' },
      department: { from: 'Old text', to: 'Support' },
    });
    const cleared = await t.asAdmin.users.update(user.id, { departmentId: null, jobTitle: null });
    expect(cleared).toMatchObject({ department: null, departmentId: null, jobTitle: null });
  });

  it('rejects a taken email with USERS.EMAIL_TAKEN and invalid patches with VALIDATION.FAILED, writing nothing', async () => {
    const a = await createTestUser(t.helios);
    const b = await createTestUser(t.helios);
    await writesNothing(() => t.asAdmin.users.update(a.id, { email: b.email }), {
      kind: 'CONFLICT',
      code: 'USERS.EMAIL_TAKEN',
    });
    await writesNothing(() => t.asAdmin.users.update(a.id, { status: 'blocked' } as never), {
      kind: 'INVALID_INPUT',
      code: 'VALIDATION.FAILED',
    });
    await writesNothing(() => t.asAdmin.users.update(a.id, { firstName: '' }), {
      kind: 'INVALID_INPUT',
    });
    await writesNothing(() => t.asAdmin.users.update(randomUUID(), { firstName: 'X' }), {
      kind: 'NOT_FOUND',
      code: 'USERS.NOT_FOUND',
    });
  });

  it('lets a user change their own personal fields only', async () => {
    const user = await createTestUser(t.helios, { job_title: 'Clerk' });
    const me = as(user.id);
    const updated = await me.users.update(user.id, {
      firstName: 'Zoë',
      bio: 'Hello',
      timezone: 'Europe/Paris',
      preferredLanguage: 'fr',
      workPhone: '123',
    });
    expect(updated).toMatchObject({
      firstName: 'Zoë',
      bio: 'Hello',
      timezone: 'Europe/Paris',
      preferredLanguage: 'fr',
      workPhone: '123',
    });
    for (const patch of [{ jobTitle: 'CEO' }, { role: 'admin' }, { email: 'me@acme.test' }]) {
      await writesNothing(() => me.users.update(user.id, patch as never), {
        kind: 'FORBIDDEN',
        code: 'USERS.FIELD_NOT_ALLOWED',
      });
    }
    const other = await createTestUser(t.helios);
    await writesNothing(() => me.users.update(other.id, { bio: 'hacked' }), {
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
  });

  it("lets a manager change their reports' work fields but not role, email, manager or names", async () => {
    const manager = await createTestUser(t.helios, { role: 'manager' });
    const report = await createTestUser(t.helios, { reporting_manager_id: manager.id });
    const indirect = await createTestUser(t.helios, { reporting_manager_id: report.id });
    const loc = await t.helios.repositories.locations.insert({ name: 'Branch' });
    const updated = await as(manager.id).users.update(indirect.id, {
      jobTitle: 'Analyst',
      locationId: loc.id,
      startDate: '2025-01-06',
      mobilePhone: '42',
    });
    expect(updated).toMatchObject({
      jobTitle: 'Analyst',
      location: 'Branch',
      startDate: '2025-01-06',
      mobilePhone: '42',
    });
    for (const patch of [
      { role: 'manager' },
      { email: 'x@acme.test' },
      { managerId: manager.id },
      { lastName: 'Renamed' },
    ]) {
      await writesNothing(() => as(manager.id).users.update(report.id, patch as never), {
        kind: 'FORBIDDEN',
        code: 'USERS.FIELD_NOT_ALLOWED',
      });
    }
    // On themselves a manager has the personal fields only.
    await writesNothing(() => as(manager.id).users.update(manager.id, { jobTitle: 'Boss' }), {
      code: 'USERS.FIELD_NOT_ALLOWED',
    });
    const stranger = await createTestUser(t.helios);
    await writesNothing(() => as(manager.id).users.update(stranger.id, { jobTitle: 'X' }), {
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
  });

  it('lets keys with users:write change users and refuses read-only keys and missing actors', async () => {
    const user = await createTestUser(t.helios);
    expect((await keyWrite.users.update(user.id, { employeeId: 'E-1' })).employeeId).toBe('E-1');
    await writesNothing(() => keyRead.users.update(user.id, { employeeId: 'E-2' }), {
      kind: 'FORBIDDEN',
    });
    await writesNothing(() => t.helios.users.update(user.id, { employeeId: 'E-2' }), {
      kind: 'UNAUTHENTICATED',
    });
  });

  it('audits a role change through setRole as users.role', async () => {
    const user = await createTestUser(t.helios);
    expect((await t.asAdmin.users.setRole(user.id, 'manager')).role).toBe('manager');
    const [row] = await audits('users.role', user.id);
    expect(row!.details).toMatchObject({ role: { from: 'user', to: 'manager' } });
    await writesNothing(() => t.asAdmin.users.setRole(user.id, 'root' as never), {
      kind: 'INVALID_INPUT',
    });
    await writesNothing(() => as(user.id).users.setRole(user.id, 'admin'), { kind: 'FORBIDDEN' });
  });
});

describe('administrator-only changes', () => {
  it('refuses a users:write key any role change, writing nothing', async () => {
    const user = await createTestUser(t.helios);
    await writesNothing(() => keyWrite.users.update(user.id, { role: 'admin' }), {
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    await writesNothing(() => keyWrite.users.setRole(user.id, 'admin'), {
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    await writesNothing(() => keyWrite.users.setRole(user.id, 'manager'), {
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    await writesNothing(
      () =>
        keyWrite.users.create({
          email: 'new-admin@acme.test',
          firstName: 'N',
          lastName: 'A',
          role: 'admin',
        }),
      {
        kind: 'FORBIDDEN',
        code: 'POLICY.FORBIDDEN',
      },
    );
    expect((await t.helios.repositories.organization_users.getById(user.id)).role).toBe('user');
    // Other fields stay open to the key.
    expect(
      (await keyWrite.users.update(user.id, { employeeId: 'E-9', role: 'user' })).employeeId,
    ).toBe('E-9');
  });

  it("refuses a users:write key every change to an administrator's account, writing nothing", async () => {
    const admin = await createTestUser(t.helios, {
      role: 'admin',
      email: 'target-admin@acme.test',
    });
    const manager = await createTestUser(t.helios, { role: 'manager' });
    const forbidden = { kind: 'FORBIDDEN', code: 'POLICY.FORBIDDEN' };
    await writesNothing(
      () => keyWrite.users.update(admin.id, { email: 'attacker@evil.test' }),
      forbidden,
    );
    await writesNothing(() => keyWrite.users.update(admin.id, { firstName: 'Mallory' }), forbidden);
    await writesNothing(() => keyWrite.users.suspend(admin.id), forbidden);
    await writesNothing(() => keyWrite.users.block(admin.id), forbidden);
    await writesNothing(() => keyWrite.users.delete(admin.id), forbidden);
    await writesNothing(() => keyWrite.users.setStatus(admin.id, 'suspended'), forbidden);
    await writesNothing(() => keyWrite.users.setManager(admin.id, manager.id), forbidden);
    const row = await t.helios.repositories.organization_users.getById(admin.id);
    expect(row).toMatchObject({
      email: 'target-admin@acme.test',
      role: 'admin',
      user_status: 'active',
      reporting_manager_id: null,
    });
    // An administrator (a user with role admin, or an admin:full key) may.
    expect((await keyFull.users.update(admin.id, { firstName: 'Ada' })).firstName).toBe('Ada');
    expect((await t.asAdmin.users.setManager(admin.id, manager.id)).managerId).toBe(manager.id);
  });
});

describe('user states', () => {
  it('walks every allowed transition, keeping is_active and deleted_at in step, each audited', async () => {
    const created = await t.asAdmin.users.create({
      email: 'walker@acme.test',
      firstName: 'W',
      lastName: 'Alker',
      status: 'staged',
    });
    const id = created.id;
    const u = t.asAdmin.users;
    const steps: Array<
      [string, () => Promise<{ status: string; isActive: boolean; deletedAt: Date | null }>, string]
    > = [
      ['invited', () => u.invite(id), 'users.status'],
      ['active', () => u.activate(id), 'users.status'],
      ['suspended', () => u.suspend(id), 'users.status'],
      ['active', () => u.unsuspend(id), 'users.status'],
      ['blocked', () => u.block(id), 'users.status'],
      ['active', () => u.unblock(id), 'users.status'],
      ['suspended', () => u.setStatus(id, 'suspended'), 'users.status'],
      ['blocked', () => u.block(id), 'users.status'],
      ['deleted', () => u.delete(id), 'users.delete'],
      ['active', () => u.restore(id), 'users.restore'],
      ['deleted', () => u.setStatus(id, 'deleted'), 'users.delete'],
      ['active', () => u.setStatus(id, 'active'), 'users.restore'],
    ];
    for (const [to, step, action] of steps) {
      const before = (await audits(action, id)).length;
      const user = await step();
      expect(user.status).toBe(to);
      expect(user.isActive).toBe(to === 'active');
      expect(user.deletedAt === null).toBe(to !== 'deleted');
      const rows = await audits(action, id);
      expect(rows).toHaveLength(before + 1);
      expect(rows[0]!.details).toMatchObject({ to });
    }
    const row = await t.helios.repositories.organization_users.getById(id);
    expect([row.user_status, row.is_active, row.deleted_at]).toEqual(['active', true, null]);
    // staged and invited users may be deleted too
    for (const status of ['staged', 'invited'] as const) {
      const other = await t.asAdmin.users.create({
        email: `del-${status}@acme.test`,
        firstName: 'D',
        lastName: status,
        status,
      });
      expect((await u.delete(other.id)).status).toBe('deleted');
    }
  });

  it('refuses other transitions with USERS.INVALID_TRANSITION (from, to) and writes nothing', async () => {
    const staged = await createTestUser(t.helios, { user_status: 'staged', is_active: false });
    const active = await createTestUser(t.helios);
    const deleted = await createTestUser(t.helios, {
      user_status: 'deleted',
      is_active: false,
      deleted_at: new Date(),
    });
    const cases: Array<[() => Promise<unknown>, string, string]> = [
      [() => t.asAdmin.users.activate(staged.id), 'staged', 'active'],
      [() => t.asAdmin.users.suspend(staged.id), 'staged', 'suspended'],
      [() => t.asAdmin.users.unsuspend(active.id), 'active', 'active'],
      [() => t.asAdmin.users.invite(active.id), 'active', 'invited'],
      [() => t.asAdmin.users.unblock(active.id), 'active', 'active'],
      [() => t.asAdmin.users.setStatus(active.id, 'staged'), 'active', 'staged'],
      [() => t.asAdmin.users.suspend(deleted.id), 'deleted', 'suspended'],
      [() => t.asAdmin.users.delete(deleted.id), 'deleted', 'deleted'],
      [() => t.asAdmin.users.restore(active.id), 'active', 'active'],
    ];
    for (const [fn, from, to] of cases) {
      await writesNothing(fn, {
        kind: 'PRECONDITION_FAILED',
        code: 'USERS.INVALID_TRANSITION',
        details: { from, to },
      });
    }
    await writesNothing(() => t.asAdmin.users.setStatus(active.id, 'gone' as never), {
      kind: 'INVALID_INPUT',
    });
    await writesNothing(() => t.asAdmin.users.suspend(randomUUID()), {
      kind: 'NOT_FOUND',
      code: 'USERS.NOT_FOUND',
    });
  });

  it('refuses to delete, suspend or block yourself with USERS.SELF_ACTION', async () => {
    const adminId = t.admin!.id;
    for (const fn of [
      () => t.asAdmin.users.delete(adminId),
      () => t.asAdmin.users.suspend(adminId),
      () => t.asAdmin.users.block(adminId),
    ]) {
      await writesNothing(fn, { kind: 'PRECONDITION_FAILED', code: 'USERS.SELF_ACTION' });
    }
  });

  it('lets only admins and users:write keys change states', async () => {
    const manager = await createTestUser(t.helios, { role: 'manager' });
    const report = await createTestUser(t.helios, { reporting_manager_id: manager.id });
    await writesNothing(() => as(manager.id).users.suspend(report.id), {
      kind: 'FORBIDDEN',
      code: 'POLICY.FORBIDDEN',
    });
    await writesNothing(() => as(report.id).users.delete(manager.id), { kind: 'FORBIDDEN' });
    await writesNothing(() => keyRead.users.block(report.id), { kind: 'FORBIDDEN' });
    await writesNothing(() => t.helios.users.block(report.id), { kind: 'UNAUTHENTICATED' });
    expect((await keyWrite.users.suspend(report.id)).status).toBe('suspended');
  });

  it('stops suspended users from acting', async () => {
    const user = await createTestUser(t.helios);
    await t.asAdmin.users.suspend(user.id);
    await expect(as(user.id).users.get(user.id)).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      code: 'POLICY.USER_INACTIVE',
    });
  });
});

describe('the last active admin', () => {
  // Changes to admins need an administrator: here an admin:full key.
  it('cannot be demoted, suspended, blocked or deleted; another admin can', async () => {
    await sql`update organization_users set role = 'user' where role = 'admin' and id <> ${t.admin!.id}`.execute(
      t.helios.db,
    );
    const adminId = t.admin!.id;
    const cases = [
      () => keyFull.users.setRole(adminId, 'user'),
      () => keyFull.users.update(adminId, { role: 'manager' }),
      () => keyFull.users.suspend(adminId),
      () => keyFull.users.block(adminId),
      () => keyFull.users.delete(adminId),
      () => keyFull.users.setStatus(adminId, 'deleted'),
    ];
    for (const fn of cases)
      await writesNothing(fn, { kind: 'PRECONDITION_FAILED', code: 'USERS.LAST_ADMIN' });
    // A suspended admin is not an active admin: it does not count, and changing it is not guarded.
    const suspendedAdmin = await createTestUser(t.helios, {
      role: 'admin',
      user_status: 'suspended',
      is_active: false,
    });
    await writesNothing(() => keyFull.users.suspend(adminId), { code: 'USERS.LAST_ADMIN' });
    expect((await keyFull.users.delete(suspendedAdmin.id)).status).toBe('deleted');
    const second = await createTestUser(t.helios, { role: 'admin' });
    expect((await keyFull.users.setRole(second.id, 'user')).role).toBe('user');
  });

  it('is race-safe: of two concurrent demotions of the only two admins, one is refused', async () => {
    const adminId = t.admin!.id;
    const second = await createTestUser(t.helios, { role: 'admin' });
    const results = await Promise.allSettled([
      keyFull.users.setRole(adminId, 'user'),
      keyFull.users.setRole(second.id, 'user'),
    ]);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'USERS.LAST_ADMIN',
    });
    const admins = await t.helios.repositories.organization_users.count({
      role: 'admin',
      user_status: 'active',
    });
    expect(admins).toBe(1);
    await keyFull.users.setRole(adminId, 'admin');
  });
});

describe('managers and the org chart', () => {
  it('sets and clears a manager, audited as users.manager', async () => {
    const manager = await createTestUser(t.helios, { role: 'manager' });
    const user = await createTestUser(t.helios);
    expect((await t.asAdmin.users.setManager(user.id, manager.id)).managerId).toBe(manager.id);
    const [row] = await audits('users.manager', user.id);
    expect(row!.details).toMatchObject({ managerId: { from: null, to: manager.id } });
    expect((await t.asAdmin.users.setManager(user.id, null)).managerId).toBeNull();
    await writesNothing(() => as(manager.id).users.setManager(user.id, manager.id), {
      kind: 'FORBIDDEN',
    });
    await writesNothing(() => t.asAdmin.users.setManager(user.id, 'x'), {
      kind: 'INVALID_INPUT',
      code: 'VALIDATION.FAILED',
    });
  });

  it('refuses a manager loop with USERS.MANAGER_CYCLE and unknown managers with USERS.MANAGER_NOT_FOUND', async () => {
    const a = await createTestUser(t.helios, { role: 'manager' });
    const b = await createTestUser(t.helios, { reporting_manager_id: a.id });
    const c = await createTestUser(t.helios, { reporting_manager_id: b.id });
    for (const [user, manager] of [
      [a, a],
      [a, b],
      [a, c],
      [b, c],
    ] as const) {
      await writesNothing(() => t.asAdmin.users.setManager(user.id, manager.id), {
        kind: 'PRECONDITION_FAILED',
        code: 'USERS.MANAGER_CYCLE',
      });
    }
    await writesNothing(() => t.asAdmin.users.update(a.id, { managerId: c.id }), {
      code: 'USERS.MANAGER_CYCLE',
    });
    await writesNothing(() => t.asAdmin.users.setManager(a.id, randomUUID()), {
      kind: 'INVALID_INPUT',
      code: 'USERS.MANAGER_NOT_FOUND',
    });
    // Moving c up to a is fine.
    expect((await t.asAdmin.users.setManager(c.id, a.id)).managerId).toBe(a.id);
  });

  it('lists direct reports and the reporting chain, nearest manager first', async () => {
    const ceo = await createTestUser(t.helios, {
      role: 'manager',
      first_name: 'Cee',
      last_name: 'Eeo',
    });
    const vp = await createTestUser(t.helios, {
      role: 'manager',
      reporting_manager_id: ceo.id,
      last_name: 'Vp',
    });
    const dev1 = await createTestUser(t.helios, {
      reporting_manager_id: vp.id,
      last_name: 'Bravo',
    });
    const dev2 = await createTestUser(t.helios, {
      reporting_manager_id: vp.id,
      last_name: 'Alpha',
    });
    await createTestUser(t.helios, {
      reporting_manager_id: vp.id,
      user_status: 'deleted',
      deleted_at: new Date(),
      is_active: false,
    });
    const viewer = as(dev1.id);
    expect((await viewer.users.directReports(vp.id)).map((r) => r.id)).toEqual([dev2.id, dev1.id]);
    expect((await viewer.users.reportingChain(dev1.id)).map((r) => r.id)).toEqual([vp.id, ceo.id]);
    expect(await viewer.users.reportingChain(ceo.id)).toEqual([]);
    await expect(viewer.users.directReports(randomUUID())).rejects.toMatchObject({
      code: 'USERS.NOT_FOUND',
    });
    await expect(t.helios.users.directReports(vp.id)).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
    });
  });

  it('builds the org chart as a tree of non-deleted users, from a root and to a depth', async () => {
    const root = await createTestUser(t.helios, {
      role: 'manager',
      first_name: 'Root',
      last_name: 'Chart',
      job_title: 'CEO',
    });
    const left = await createTestUser(t.helios, {
      role: 'manager',
      reporting_manager_id: root.id,
      last_name: 'A-left',
    });
    const right = await createTestUser(t.helios, {
      reporting_manager_id: root.id,
      last_name: 'B-right',
    });
    const leaf = await createTestUser(t.helios, {
      reporting_manager_id: left.id,
      last_name: 'Leaf',
    });
    const gone = await createTestUser(t.helios, {
      reporting_manager_id: right.id,
      user_status: 'deleted',
      deleted_at: new Date(),
      is_active: false,
    });
    const orphan = await createTestUser(t.helios, {
      reporting_manager_id: gone.id,
      last_name: 'Orphan',
    });

    const user = as(leaf.id);
    const [tree] = await user.users.orgChart({ rootId: root.id });
    expect(tree).toMatchObject({
      id: root.id,
      name: 'Root Chart',
      jobTitle: 'CEO',
      reportCount: 2,
      reports: [
        { id: left.id, reportCount: 1, reports: [{ id: leaf.id, reportCount: 0, reports: [] }] },
        { id: right.id, reportCount: 0, reports: [] },
      ],
    });
    const [shallow] = await user.users.orgChart({ rootId: root.id, depth: 1 });
    expect(shallow!.reports[0]).toMatchObject({ id: left.id, reportCount: 1, reports: [] });

    const forest = await t.asAdmin.users.orgChart();
    const rootIds = forest.map((n) => n.id);
    expect(rootIds).toContain(root.id);
    expect(rootIds).toContain(orphan.id);
    expect(rootIds).not.toContain(leaf.id);
    expect(JSON.stringify(forest)).not.toContain(gone.id);

    await expect(user.users.orgChart({ rootId: gone.id })).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'USERS.NOT_FOUND',
    });
    await expect(user.users.orgChart({ depth: 51 })).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
    });
  });

  it('shows non-admins only directory users (active) in the org chart, direct reports and reporting chain', async () => {
    const boss = await createTestUser(t.helios, { role: 'manager', last_name: 'Boss' });
    const staged = await createTestUser(t.helios, {
      reporting_manager_id: boss.id,
      user_status: 'staged',
      last_name: 'Staged',
    });
    const suspended = await createTestUser(t.helios, {
      role: 'manager',
      reporting_manager_id: boss.id,
      user_status: 'suspended',
      last_name: 'Suspended',
    });
    const below = await createTestUser(t.helios, {
      reporting_manager_id: suspended.id,
      last_name: 'Below',
    });
    const peer = await createTestUser(t.helios, {
      reporting_manager_id: boss.id,
      last_name: 'Peer',
    });
    const viewer = as(peer.id);
    const hidden = [staged, suspended];

    const [tree] = await viewer.users.orgChart({ rootId: boss.id });
    const text = JSON.stringify(tree);
    for (const u of hidden) expect(text).not.toContain(u.email);
    expect(tree).toMatchObject({ id: boss.id, reportCount: 1, reports: [{ id: peer.id }] });
    const forest = JSON.stringify(await viewer.users.orgChart());
    for (const u of hidden) expect(forest).not.toContain(u.id);
    expect(forest).toContain(below.id);

    expect((await viewer.users.directReports(boss.id)).map((r) => r.id)).toEqual([peer.id]);
    await expect(viewer.users.directReports(suspended.id)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'USERS.NOT_FOUND',
    });
    await expect(viewer.users.orgChart({ rootId: staged.id })).rejects.toMatchObject({
      kind: 'NOT_FOUND',
      code: 'USERS.NOT_FOUND',
    });
    expect((await viewer.users.reportingChain(below.id)).map((r) => r.id)).toEqual([boss.id]);

    // Administrators (and keys that may read users) still see everyone, with their state.
    const reports = await t.asAdmin.users.directReports(boss.id);
    expect(reports.map((r) => [r.id, r.status])).toEqual(
      expect.arrayContaining([
        [staged.id, 'staged'],
        [suspended.id, 'suspended'],
      ]),
    );
    const [adminTree] = await t.asAdmin.users.orgChart({ rootId: boss.id });
    expect(adminTree!.reportCount).toBe(3);
  });
});

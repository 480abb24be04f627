import { randomBytes, randomUUID } from 'node:crypto';
import { createTestDatabase, createTestUser, type TestDatabase } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHelios, type Helios, type HeliosScope } from '../../helios';
import { fixedClock } from '../../shared/clock';
import { recordingMailer } from '../../shared/mailer';

// helios.lifecycle.templates and .requests on both backends (PostgreSQL with DATABASE_URL, else
// the embedded database). The clock is fixed: "today" is 2027-01-10 (UTC).

const clock = fixedClock(new Date('2027-01-10T09:00:00Z'));
const mailer = recordingMailer();
let t: TestDatabase;
let helios: Helios;
let admin: HeliosScope;
let adminId: string;
let manager: HeliosScope;
let managerId: string;
let reportId: string;
let plain: HeliosScope;
let strangerId: string;
let otherOrgUserId: string;
let otherOrgTemplateId: string;

const code = (c: string) => expect.objectContaining({ code: c });

beforeAll(async () => {
  t = await createTestDatabase();
  helios = await createHelios({
    ...(t.connectionString ? { databaseUrl: t.connectionString } : { db: t.db }),
    clock,
    mailer,
    encryptionKey: randomBytes(32).toString('base64'),
  });
  const setup = await helios.organizations.setup({
    organizationName: 'Acme',
    organizationDomain: 'acme.test',
    admin: { email: 'admin@acme.test', firstName: 'Ada', lastName: 'Admin' },
  });
  adminId = setup.admin.id;
  admin = helios.as({ type: 'user', userId: adminId });
  const m = await createTestUser(helios, { role: 'manager', first_name: 'Mia' });
  managerId = m.id;
  manager = helios.as({ type: 'user', userId: managerId });
  reportId = (await createTestUser(helios, { reporting_manager_id: managerId })).id;
  const u = await createTestUser(helios);
  plain = helios.as({ type: 'user', userId: u.id });
  strangerId = (await createTestUser(helios)).id;
  // Another organization's rows (written directly: one installation serves one organization).
  const other = await helios.db
    .insertInto('organizations')
    .values({ name: 'Globex', domain: 'globex.test' })
    .returning('id')
    .executeTakeFirstOrThrow();
  otherOrgUserId = (
    await helios.db
      .insertInto('organization_users')
      .values({
        organization_id: other.id,
        email: 'x@globex.test',
        first_name: 'X',
        last_name: 'Y',
        role: 'user',
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  otherOrgTemplateId = (
    await helios.db
      .insertInto('onboarding_templates')
      .values({ organization_id: other.id, name: 'Theirs' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  await helios.jobs.status();
}, 120_000);

afterAll(async () => {
  await helios?.close();
  await t?.destroy();
});

const auditActions = async (resourceId: string) =>
  (
    await helios.db
      .selectFrom('audit_logs')
      .select('action')
      .where('resource_id', '=', resourceId)
      .orderBy('created_at')
      .execute()
  ).map((a) => a.action);

describe(`helios.lifecycle.templates (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('creates an onboarding template with defaults, validated references and an audit row', async () => {
    const dept = await admin.departments.create({ name: `Eng ${randomUUID().slice(0, 6)}` });
    const created = await admin.lifecycle.templates.onboarding.create({
      name: 'Engineering',
      departmentId: dept.id,
      defaultManagerId: managerId,
      googleServices: { chat: false },
      sharedDriveAccess: [{ driveId: '0AbCd', role: 'writer' }],
      timeline: [{ trigger: 'on_start_date', actions: [{ type: 'task', title: 'Say hello' }] }],
    });
    expect(created).toMatchObject({
      name: 'Engineering',
      departmentId: dept.id,
      isActive: true,
      isDefault: false,
      sendWelcomeEmail: true,
      welcomeEmailSubject: 'Welcome to {{company_name}}',
      groupIds: [],
      createdBy: adminId,
      sharedDriveAccess: [{ driveId: '0AbCd', role: 'writer' }],
      timeline: [{ trigger: 'on_start_date', actions: [{ type: 'task', title: 'Say hello' }] }],
    });
    expect(created.googleServices).toMatchObject({ chat: false, gmail: true, slides: true });
    expect(await auditActions(created.id)).toEqual(['lifecycle.onboarding_template_create']);
    expect(await admin.lifecycle.templates.onboarding.get(created.id)).toEqual(created);
  });

  it('refuses invalid columns and references outside the organization, writing nothing', async () => {
    const before = (await admin.lifecycle.templates.onboarding.list({ limit: 500 })).items.length;
    const bad = [
      { name: '' },
      { name: 'x', googleServices: { gmail: 'yes' } },
      { name: 'x', googleServices: { fax: true } },
      { name: 'x', sharedDriveAccess: [{ driveId: 'a', role: 'owner' }] },
      { name: 'x', googleOrgUnitPath: 'no-slash' },
      { name: 'x', isDefault: true, isActive: false },
      { name: 'x', timeline: [{ trigger: 'on_approval', actions: [] }] },
      { name: 'x', unknownColumn: 1 },
    ];
    for (const input of bad)
      await expect(
        admin.lifecycle.templates.onboarding.create(input as never),
      ).rejects.toThrowError(code('VALIDATION.FAILED'));
    await expect(
      admin.lifecycle.templates.onboarding.create({ name: 'x', defaultManagerId: otherOrgUserId }),
    ).rejects.toThrowError(
      expect.objectContaining({
        code: 'LIFECYCLE.REFERENCE_NOT_FOUND',
        details: expect.objectContaining({ field: 'defaultManagerId' }),
      }),
    );
    for (const input of [
      { name: 'x', groupIds: [randomUUID()] },
      { name: 'x', departmentId: randomUUID() },
      { name: 'x', signatureTemplateId: randomUUID() },
      {
        name: 'x',
        timeline: [
          { trigger: 'on_approval', actions: [{ type: 'training', contentIds: [randomUUID()] }] },
        ],
      },
    ])
      await expect(
        admin.lifecycle.templates.onboarding.create(input as never),
      ).rejects.toThrowError(code('LIFECYCLE.REFERENCE_NOT_FOUND'));
    expect((await admin.lifecycle.templates.onboarding.list({ limit: 500 })).items.length).toBe(
      before,
    );
  });

  it('checks the dependent fields of offboarding templates, on create and on the result of an update', async () => {
    await expect(
      admin.lifecycle.templates.offboarding.create({ name: 'x', emailAction: 'forward_user' }),
    ).rejects.toThrowError(
      expect.objectContaining({
        code: 'VALIDATION.FAILED',
        details: { issues: [expect.objectContaining({ path: 'emailForwardToUserId' })] },
      }),
    );
    for (const input of [
      { name: 'x', driveAction: 'transfer_user' },
      { name: 'x', driveAction: 'archive' },
      { name: 'x', emailAction: 'auto_reply' },
      { name: 'x', setOffboardingSignature: true },
      { name: 'x', calendarTransferToManager: false },
      { name: 'x', accountAction: 'explode' },
      { name: 'x', deleteAfterDays: 0 },
      { name: 'x', notificationEmailAddresses: ['not-an-email'] },
    ])
      await expect(
        admin.lifecycle.templates.offboarding.create(input as never),
      ).rejects.toThrowError(code('VALIDATION.FAILED'));
    await expect(
      admin.lifecycle.templates.offboarding.create({
        name: 'x',
        emailAction: 'forward_user',
        emailForwardToUserId: otherOrgUserId,
      }),
    ).rejects.toThrowError(code('LIFECYCLE.REFERENCE_NOT_FOUND'));
    const ok = await admin.lifecycle.templates.offboarding.create({
      name: 'Leavers',
      emailAction: 'forward_user',
      emailForwardToUserId: strangerId,
    });
    expect(ok).toMatchObject({
      driveAction: 'transfer_manager',
      emailAction: 'forward_user',
      emailForwardToUserId: strangerId,
      accountAction: 'suspend_on_last_day',
      licenseAction: 'remove_on_suspension',
      deleteAfterDays: 90,
      notifyHr: false,
    });
    // Clearing the target while the action still needs it is refused; nothing changes.
    await expect(
      admin.lifecycle.templates.offboarding.update(ok.id, { emailForwardToUserId: null }),
    ).rejects.toThrowError(code('VALIDATION.FAILED'));
    expect((await admin.lifecycle.templates.offboarding.get(ok.id)).emailForwardToUserId).toBe(
      strangerId,
    );
    const changed = await admin.lifecycle.templates.offboarding.update(ok.id, {
      emailAction: 'keep',
      emailForwardToUserId: null,
    });
    expect(changed).toMatchObject({ emailAction: 'keep', emailForwardToUserId: null });
  });

  it('keeps exactly one default per kind, and clones a template (never as the default)', async () => {
    const a = await admin.lifecycle.templates.onboarding.create({ name: 'A', isDefault: true });
    const b = await admin.lifecycle.templates.onboarding.create({ name: 'B', isDefault: true });
    expect((await admin.lifecycle.templates.onboarding.get(a.id)).isDefault).toBe(false);
    await admin.lifecycle.templates.onboarding.update(a.id, { isDefault: true });
    const defaults = (await admin.lifecycle.templates.onboarding.list({ limit: 500 })).items.filter(
      (x) => x.isDefault,
    );
    expect(defaults.map((d) => d.id)).toEqual([a.id]);
    const off = await admin.lifecycle.templates.offboarding.create({
      name: 'Off',
      isDefault: true,
    });
    expect((await admin.lifecycle.templates.offboarding.get(off.id)).isDefault).toBe(true);
    expect((await admin.lifecycle.templates.onboarding.get(a.id)).isDefault).toBe(true);

    const copy = await admin.lifecycle.templates.onboarding.clone(a.id);
    expect(copy).toMatchObject({ name: 'A (copy)', isDefault: false });
    expect(copy.id).not.toBe(a.id);
    const named = await admin.lifecycle.templates.onboarding.clone(b.id, { name: 'B2' });
    expect(named.name).toBe('B2');
    expect(await auditActions(copy.id)).toEqual(['lifecycle.onboarding_template_clone']);
  });

  it("answers NOT_FOUND for another organization's template and a malformed id", async () => {
    for (const id of [otherOrgTemplateId, randomUUID(), 'not-a-uuid']) {
      await expect(admin.lifecycle.templates.onboarding.get(id)).rejects.toThrowError(
        code('LIFECYCLE.TEMPLATE_NOT_FOUND'),
      );
      await expect(
        admin.lifecycle.templates.onboarding.update(id, { name: 'mine now' }),
      ).rejects.toThrowError(code('LIFECYCLE.TEMPLATE_NOT_FOUND'));
      await expect(admin.lifecycle.templates.onboarding.delete(id)).rejects.toThrowError(
        code('LIFECYCLE.TEMPLATE_NOT_FOUND'),
      );
    }
    const theirs = await helios.db
      .selectFrom('onboarding_templates')
      .select('name')
      .where('id', '=', otherOrgTemplateId)
      .executeTakeFirstOrThrow();
    expect(theirs.name).toBe('Theirs');
  });

  it('lets only administrators write templates; managers read them, plain users do not', async () => {
    const tpl = await admin.lifecycle.templates.onboarding.create({ name: 'Readable' });
    expect((await manager.lifecycle.templates.onboarding.get(tpl.id)).name).toBe('Readable');
    await expect(plain.lifecycle.templates.onboarding.get(tpl.id)).rejects.toThrowError(
      code('POLICY.FORBIDDEN'),
    );
    await expect(
      manager.lifecycle.templates.onboarding.create({ name: 'Nope' }),
    ).rejects.toThrowError(code('POLICY.FORBIDDEN'));
    await expect(manager.lifecycle.templates.onboarding.delete(tpl.id)).rejects.toThrowError(
      code('POLICY.FORBIDDEN'),
    );
  });

  it('previews the tasks of a template with due dates around month ends', async () => {
    const tpl = await admin.lifecycle.templates.onboarding.create({
      name: 'Preview',
      defaultManagerId: managerId,
      timeline: [
        { trigger: 'on_approval', actions: [{ type: 'task', title: 'Contract' }] },
        {
          trigger: 'days_after_start',
          offset: 1,
          unit: 'months',
          actions: [{ type: 'task', title: 'Review', assignee: 'manager' }],
        },
        {
          trigger: 'days_after_start',
          offset: 1,
          actions: [{ type: 'task', title: 'Day two', assignee: 'user' }],
        },
      ],
    });
    const tasks = await admin.lifecycle.templates.previewTasks(tpl.id, { startDate: '2028-01-31' });
    expect(tasks.map((x) => [x.title, x.dueDate, x.assigneeType, x.assigneeId])).toEqual([
      ['Contract', '2027-01-10', 'hr', null],
      ['Review', '2028-02-29', 'manager', managerId],
      ['Day two', '2028-02-01', 'user', null],
    ]);
    await expect(
      admin.lifecycle.templates.previewTasks(tpl.id, { startDate: '2027-02-30' } as never),
    ).rejects.toThrowError(code('VALIDATION.FAILED'));
  });
});

describe(`helios.lifecycle.requests (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  const timeline = [
    { trigger: 'on_approval', actions: [{ type: 'task', title: 'Contract', key: 'contract' }] },
    {
      trigger: 'days_before_start',
      offset: 1,
      actions: [
        { type: 'task', title: 'Laptop', assignee: 'it', dependsOn: 'contract' },
        { type: 'system', action: 'create_account', platforms: ['google'] },
      ],
    },
    {
      trigger: 'on_start_date',
      actions: [{ type: 'task', title: 'Lunch', assignee: 'manager' }],
    },
    {
      trigger: 'days_after_start',
      offset: 1,
      unit: 'months',
      actions: [{ type: 'task', title: 'Check-in', assignee: 'user' }],
    },
  ] as const;
  let templateId: string;

  beforeAll(async () => {
    templateId = (
      await admin.lifecycle.templates.onboarding.create({
        name: 'Requests template',
        timeline: timeline as never,
      })
    ).id;
  });

  const onboard = (who: HeliosScope, extra: Record<string, unknown> = {}) =>
    who.lifecycle.requests.create({
      requestType: 'onboard',
      email: `hire${randomUUID().slice(0, 8)}@acme.test`,
      firstName: 'Nia',
      lastName: 'New',
      startDate: '2027-01-31',
      templateId,
      ...extra,
    });

  it('lets a manager ask to onboard their own hire; the admin approves and the tasks appear with due dates', async () => {
    mailer.clear();
    const request = await onboard(manager);
    expect(request).toMatchObject({
      status: 'pending',
      requestType: 'onboard',
      managerId,
      requestedBy: managerId,
      startDate: '2027-01-31',
      templateId,
      tasksTotal: 0,
    });
    const approved = await admin.lifecycle.requests.approve(request.id);
    expect(approved).toMatchObject({ status: 'approved', approvedBy: adminId, tasksTotal: 5 });
    expect(
      approved.tasks.map((x) => [
        x.sequenceOrder,
        x.title,
        x.assigneeType,
        x.assigneeId,
        x.assigneeRole,
        x.dueDate,
        x.status,
      ]),
    ).toEqual([
      [1, 'Contract', 'hr', null, 'hr', '2027-01-10', 'pending'],
      [2, 'Laptop', 'it', null, 'it', '2027-01-30', 'blocked'],
      [3, 'Create account', 'system', null, null, '2027-01-30', 'pending'],
      [4, 'Lunch', 'manager', managerId, null, '2027-01-31', 'pending'],
      [5, 'Check-in', 'user', null, null, '2027-02-28', 'pending'],
    ]);
    expect(approved.tasks[1]!.dependsOnTaskId).toBe(approved.tasks[0]!.id);
    expect(approved.tasks[2]).toMatchObject({
      actionType: 'create_account',
      actionConfig: { platforms: ['google'] },
    });
    expect(await auditActions(request.id)).toEqual([
      'lifecycle.request_create',
      'lifecycle.request_approve',
    ]);
    // The requester hears of it by mail, sent by a job.
    expect(mailer.messages).toHaveLength(0);
    await helios.jobs.runOnce();
    const mail = mailer.messages.find((x) => x.subject.includes('Nia New'));
    expect(mail?.subject).toBe('Your onboarding request for Nia New was approved');
    const managerEmail = (
      await helios.db
        .selectFrom('organization_users')
        .select('email')
        .where('id', '=', managerId)
        .executeTakeFirstOrThrow()
    ).email;
    expect(mail?.to).toBe(managerEmail);
    // Approved is final for approve/reject.
    await expect(admin.lifecycle.requests.approve(request.id)).rejects.toThrowError(
      expect.objectContaining({
        code: 'LIFECYCLE.INVALID_TRANSITION',
        kind: 'CONFLICT',
        details: { id: request.id, from: 'approved', to: 'approved' },
      }),
    );
    await expect(
      admin.lifecycle.requests.reject(request.id, { reason: 'late' }),
    ).rejects.toThrowError(code('LIFECYCLE.INVALID_TRANSITION'));
    await expect(
      admin.lifecycle.requests.update(request.id, { jobTitle: 'Engineer' }),
    ).rejects.toThrowError(
      expect.objectContaining({ details: { id: request.id, from: 'approved', to: 'updated' } }),
    );
  });

  it('lets a manager ask about their direct reports only; plain users never', async () => {
    const off = await manager.lifecycle.requests.create({
      requestType: 'offboard',
      userId: reportId,
      endDate: '2027-03-31',
    });
    expect(off).toMatchObject({ userId: reportId, managerId, status: 'pending' });
    expect(off.email).toMatch(/@acme\.test$/);
    await expect(
      manager.lifecycle.requests.create({ requestType: 'offboard', userId: strangerId }),
    ).rejects.toThrowError(code('POLICY.FORBIDDEN'));
    await expect(
      manager.lifecycle.requests.create({ requestType: 'transfer', userId: strangerId }),
    ).rejects.toThrowError(code('POLICY.FORBIDDEN'));
    await expect(onboard(manager, { managerId: strangerId })).rejects.toThrowError(
      code('POLICY.FORBIDDEN'),
    );
    await expect(onboard(plain)).rejects.toThrowError(code('POLICY.FORBIDDEN'));
    await expect(
      admin.lifecycle.requests.create({ requestType: 'offboard', userId: otherOrgUserId }),
    ).rejects.toThrowError(code('LIFECYCLE.REFERENCE_NOT_FOUND'));
    // Managers only approve nothing.
    await expect(manager.lifecycle.requests.approve(off.id)).rejects.toThrowError(
      code('POLICY.FORBIDDEN'),
    );
    await expect(manager.lifecycle.requests.reject(off.id, { reason: 'no' })).rejects.toThrowError(
      code('POLICY.FORBIDDEN'),
    );
  });

  it('validates creation: required fields per type, the template kind and state', async () => {
    for (const input of [
      { requestType: 'onboard', email: 'a@acme.test', firstName: 'A' },
      { requestType: 'offboard' },
      { requestType: 'hire', email: 'a@acme.test', firstName: 'A', lastName: 'B' },
      { requestType: 'onboard', email: 'nope', firstName: 'A', lastName: 'B' },
      {
        requestType: 'onboard',
        email: 'a@acme.test',
        firstName: 'A',
        lastName: 'B',
        startDate: '2027-02-01',
        endDate: '2027-01-01',
      },
      {
        requestType: 'onboard',
        email: 'a@acme.test',
        firstName: 'A',
        lastName: 'B',
        status: 'approved',
      },
    ])
      await expect(admin.lifecycle.requests.create(input as never)).rejects.toThrowError(
        code('VALIDATION.FAILED'),
      );
    const off = await admin.lifecycle.templates.offboarding.create({ name: 'Wrong kind' });
    await expect(onboard(admin, { templateId: off.id })).rejects.toThrowError(
      expect.objectContaining({
        code: 'LIFECYCLE.INVALID_TEMPLATE',
        details: expect.objectContaining({ reason: 'not_found' }),
      }),
    );
    await expect(onboard(admin, { templateId: otherOrgTemplateId })).rejects.toThrowError(
      code('LIFECYCLE.INVALID_TEMPLATE'),
    );
    const inactive = await admin.lifecycle.templates.onboarding.create({
      name: 'Old',
      isActive: false,
    });
    await expect(onboard(admin, { templateId: inactive.id })).rejects.toThrowError(
      expect.objectContaining({ details: expect.objectContaining({ reason: 'inactive' }) }),
    );
  });

  it('updates only whitelisted fields of a pending request: a forbidden or unknown field is refused and nothing changes', async () => {
    const request = await onboard(manager);
    for (const patch of [
      { status: 'approved' },
      { approvedBy: adminId },
      { requestedBy: adminId },
      { requestType: 'offboard' },
      { 'status = $1; drop table users; --': 'x' },
      { jobTitle: 'ok', tasksTotal: 9 },
      {},
    ])
      await expect(
        manager.lifecycle.requests.update(request.id, patch as never),
      ).rejects.toThrowError(code('VALIDATION.FAILED'));
    expect(await manager.lifecycle.requests.get(request.id)).toMatchObject({
      status: 'pending',
      jobTitle: null,
      approvedBy: null,
      requestType: 'onboard',
      tasks: [],
    });
    const changed = await manager.lifecycle.requests.update(request.id, {
      jobTitle: 'Engineer',
      startDate: '2027-02-01',
      metadata: { laptop: 'mac' },
    });
    expect(changed).toMatchObject({
      jobTitle: 'Engineer',
      startDate: '2027-02-01',
      metadata: { laptop: 'mac' },
    });
    // A manager cannot hand the request to someone else's team.
    await expect(
      manager.lifecycle.requests.update(request.id, { managerId: strangerId }),
    ).rejects.toThrowError(code('POLICY.FORBIDDEN'));
    // Others cannot change it.
    await expect(
      plain.lifecycle.requests.update(request.id, { jobTitle: 'x' }),
    ).rejects.toThrowError(code('LIFECYCLE.REQUEST_NOT_FOUND'));
  });

  it('rejects with a reason only, and cancels by the state machine', async () => {
    const a = await onboard(manager);
    await expect(admin.lifecycle.requests.reject(a.id, {} as never)).rejects.toThrowError(
      code('VALIDATION.FAILED'),
    );
    await expect(admin.lifecycle.requests.reject(a.id, { reason: '  ' })).rejects.toThrowError(
      code('VALIDATION.FAILED'),
    );
    const rejected = await admin.lifecycle.requests.reject(a.id, { reason: 'No budget' });
    expect(rejected).toMatchObject({ status: 'rejected', rejectionReason: 'No budget' });
    for (const call of [
      () => admin.lifecycle.requests.approve(a.id),
      () => admin.lifecycle.requests.cancel(a.id),
      () => admin.lifecycle.requests.reject(a.id, { reason: 'again' }),
    ])
      await expect(call()).rejects.toThrowError(
        expect.objectContaining({
          code: 'LIFECYCLE.INVALID_TRANSITION',
          details: expect.objectContaining({ from: 'rejected' }),
        }),
      );

    // The requester cancels a pending request; someone else cannot.
    const b = await onboard(manager);
    await expect(plain.lifecycle.requests.cancel(b.id)).rejects.toThrowError(
      code('LIFECYCLE.REQUEST_NOT_FOUND'),
    );
    expect(await manager.lifecycle.requests.cancel(b.id)).toMatchObject({ status: 'cancelled' });
    await expect(manager.lifecycle.requests.cancel(b.id)).rejects.toThrowError(
      expect.objectContaining({ details: { id: b.id, from: 'cancelled', to: 'cancelled' } }),
    );

    // Once approved only an administrator cancels it, and its open tasks are skipped.
    const c = await onboard(manager);
    await admin.lifecycle.requests.approve(c.id);
    await expect(manager.lifecycle.requests.cancel(c.id)).rejects.toThrowError(
      code('POLICY.FORBIDDEN'),
    );
    const cancelled = await admin.lifecycle.requests.cancel(c.id, { reason: 'Hire withdrew' });
    expect(cancelled.status).toBe('cancelled');
    const after = await admin.lifecycle.requests.get(c.id);
    expect(after.status).toBe('cancelled');
    expect(new Set(after.tasks.map((x) => x.status))).toEqual(new Set(['skipped']));
    expect(await auditActions(c.id)).toEqual([
      'lifecycle.request_create',
      'lifecycle.request_approve',
      'lifecycle.request_cancel',
    ]);
  });

  it('refuses approval of a date-relative timeline without the reference date, and approves a request without template with no tasks', async () => {
    const noDate = await onboard(admin, { startDate: null });
    await expect(admin.lifecycle.requests.approve(noDate.id)).rejects.toThrowError(
      expect.objectContaining({
        code: 'LIFECYCLE.REFERENCE_DATE_REQUIRED',
        details: { id: noDate.id, field: 'startDate' },
      }),
    );
    expect((await admin.lifecycle.requests.get(noDate.id)).status).toBe('pending');
    const bare = await admin.lifecycle.requests.create({
      requestType: 'transfer',
      userId: reportId,
      templateId: null,
    });
    const approved = await admin.lifecycle.requests.approve(bare.id);
    expect(approved).toMatchObject({ status: 'approved', tasksTotal: 0, tasks: [] });
  });

  it('uses the offboarding end date as the reference date', async () => {
    const tpl = await admin.lifecycle.templates.offboarding.create({
      name: 'Offboarding timeline',
      timeline: [
        {
          trigger: 'days_before_start',
          offset: 1,
          unit: 'months',
          actions: [{ type: 'task', title: 'Knowledge transfer', assignee: 'manager' }],
        },
        {
          trigger: 'on_start_date',
          actions: [{ type: 'task', title: 'Return laptop', assignee: 'user' }],
        },
      ],
    });
    const request = await admin.lifecycle.requests.create({
      requestType: 'offboard',
      userId: reportId,
      endDate: '2027-03-31',
      templateId: tpl.id,
    });
    const approved = await admin.lifecycle.requests.approve(request.id);
    expect(approved.tasks.map((x) => [x.title, x.dueDate, x.assigneeId])).toEqual([
      ['Knowledge transfer', '2027-02-28', managerId],
      ['Return laptop', '2027-03-31', reportId],
    ]);
  });

  it('refuses deleting a template an open request uses (deactivate instead), allows it once closed', async () => {
    const tpl = await admin.lifecycle.templates.onboarding.create({ name: 'In use' });
    const request = await onboard(admin, { templateId: tpl.id });
    await expect(admin.lifecycle.templates.onboarding.delete(tpl.id)).rejects.toThrowError(
      expect.objectContaining({
        code: 'LIFECYCLE.TEMPLATE_IN_USE',
        kind: 'CONFLICT',
        details: expect.objectContaining({ openRequests: 1 }),
      }),
    );
    expect(
      (await admin.lifecycle.templates.onboarding.update(tpl.id, { isActive: false })).isActive,
    ).toBe(false);
    await admin.lifecycle.requests.cancel(request.id);
    await admin.lifecycle.templates.onboarding.delete(tpl.id);
    await expect(admin.lifecycle.templates.onboarding.get(tpl.id)).rejects.toThrowError(
      code('LIFECYCLE.TEMPLATE_NOT_FOUND'),
    );
  });

  it('lists the visible requests with filters, counts per status and pages', async () => {
    const all = await admin.lifecycle.requests.list({ limit: 500 });
    expect(all.counts.total).toBe(all.items.length);
    expect(all.counts.pending).toBe(all.items.filter((x) => x.status === 'pending').length);
    const pending = await admin.lifecycle.requests.list({ status: 'pending', limit: 500 });
    expect(pending.items.every((x) => x.status === 'pending')).toBe(true);
    expect(pending.counts).toEqual(all.counts);
    const offboards = await admin.lifecycle.requests.list({ requestType: 'offboard', limit: 500 });
    expect(offboards.items.every((x) => x.requestType === 'offboard')).toBe(true);
    const inMarch = await admin.lifecycle.requests.list({ from: '2027-03-01', to: '2027-03-31' });
    expect(inMarch.items.length).toBeGreaterThan(0);
    expect(inMarch.items.every((x) => x.endDate?.startsWith('2027-03'))).toBe(true);
    // Pages: newest first, no overlap.
    const first = await admin.lifecycle.requests.list({ limit: 2 });
    const second = await admin.lifecycle.requests.list({ limit: 2, cursor: first.nextCursor });
    expect(first.items).toHaveLength(2);
    expect(second.items.map((x) => x.id)).not.toContain(first.items[0]!.id);
    // A manager sees their own requests and their team's; a plain user none of these.
    const mine = await manager.lifecycle.requests.list({ limit: 500 });
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((x) => x.requestedBy === managerId || x.managerId === managerId)).toBe(
      true,
    );
    expect((await plain.lifecycle.requests.list()).items).toEqual([]);
    await expect(plain.lifecycle.requests.get(mine.items[0]!.id)).rejects.toThrowError(
      code('LIFECYCLE.REQUEST_NOT_FOUND'),
    );
    await expect(admin.lifecycle.requests.get(randomUUID())).rejects.toThrowError(
      code('LIFECYCLE.REQUEST_NOT_FOUND'),
    );
  });
});

import { recordingMailer } from '@helios/core';
import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../app';
import { withResponseContract } from '../response-contract';
import { callJson, signInHeaders } from '../test-support';

// /api/v1/lifecycle over the real app: the HR flow as a user would try it (a manager asks to onboard
// a hire, an admin approves, the tasks appear), templates, refusals as problem+json, and nothing
// written when a call is refused.

let t: TestHelios;
const mailer = recordingMailer();
let app: ReturnType<typeof createServer>;
const PASSWORD = 'a long test password 1';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

type Who = 'admin' | 'manager' | 'user' | 'hr' | 'it' | 'readKey' | 'anonymous';
const as: Record<Who, Record<string, string>> = {} as never;
let managerId: string;
let reportId: string;
let strangerId: string;
let hrEmail: string;
let hrId: string;
let itId: string;
let itEmail: string;
let managerEmail: string;

const body = async (res: Response) => (await res.json()) as any;

function call(who: Who, method: string, path: string, payload?: unknown): Promise<Response> {
  return callJson(app, as[who], method, `/api/v1/lifecycle${path}`, payload);
}

function signIn(email: string): Promise<Record<string, string>> {
  return signInHeaders(app, email, PASSWORD);
}

const snapshot = async () =>
  JSON.stringify(await t.helios.db.selectFrom('user_requests').selectAll().orderBy('id').execute());

beforeAll(async () => {
  t = await createTestHelios({ mailer });
  const auth = createHeliosAuth(t.helios, {
    secret: 's'.repeat(40),
    baseURL: 'http://localhost',
    signInRateLimitPerMinute: 1000,
  });
  app = withResponseContract(
    createServer({ helios: t.helios, auth, authRateLimitPerMinute: 1000 }),
  );
  const manager = await createTestUser(t.helios, { role: 'manager', first_name: 'Mia' });
  managerId = manager.id;
  reportId = (await createTestUser(t.helios, { reporting_manager_id: managerId })).id;
  const plain = await createTestUser(t.helios);
  strangerId = (await createTestUser(t.helios)).id;
  const hr = await createTestUser(t.helios, { first_name: 'Hildegard' });
  const it = await createTestUser(t.helios, { first_name: 'Ivan' });
  hrEmail = hr.email;
  hrId = hr.id;
  itId = it.id;
  itEmail = it.email;
  managerEmail = manager.email;
  for (const u of [t.admin!, manager, plain, hr, it])
    await t.asAdmin.credentials.setPassword(u.id, PASSWORD);
  as.hr = await signIn(hr.email);
  as.it = await signIn(it.email);
  as.admin = await signIn(t.admin!.email);
  as.manager = await signIn(manager.email);
  as.user = await signIn(plain.email);
  await t.helios.jobs.status(); // installs the job queue's schema before the first enqueue
  const { secret } = await t.asAdmin.apiKeys.create({
    name: 'read',
    scopes: ['users:read', 'organization:read'],
    rateLimitPerMinute: 100_000,
  });
  as.readKey = { authorization: `Bearer ${secret}` };
  as.anonymous = {};
});
afterAll(() => t.destroy());

describe('/lifecycle templates', () => {
  it('creates, reads, changes, clones, previews and deletes onboarding templates as an admin', async () => {
    const created = await call('admin', 'POST', '/onboarding-templates', {
      name: 'Engineering',
      timeline: [
        { trigger: 'on_approval', actions: [{ type: 'task', title: 'Contract' }] },
        {
          trigger: 'days_after_start',
          offset: 1,
          unit: 'months',
          actions: [{ type: 'task', title: 'Review', assignee: 'manager' }],
        },
      ],
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const tpl = await body(created);
    expect(tpl).toMatchObject({ name: 'Engineering', isDefault: false, isActive: true });

    const list = await call('manager', 'GET', '/onboarding-templates?isActive=true');
    expect(list.status).toBe(200);
    expect((await body(list)).items.map((x: any) => x.id)).toContain(tpl.id);
    expect((await call('user', 'GET', `/onboarding-templates/${tpl.id}`)).status).toBe(403);
    expect((await call('anonymous', 'GET', '/onboarding-templates')).status).toBe(401);

    const preview = await call('admin', 'POST', `/onboarding-templates/${tpl.id}/preview-tasks`, {
      startDate: '2027-01-31',
      managerId,
    });
    expect(preview.status).toBe(200);
    expect((await body(preview)).map((x: any) => [x.title, x.assigneeId])).toEqual([
      ['Contract', null],
      ['Review', managerId],
    ]);

    const patched = await call('admin', 'PATCH', `/onboarding-templates/${tpl.id}`, {
      isDefault: true,
    });
    expect(patched.status).toBe(200);
    expect((await body(patched)).isDefault).toBe(true);
    const refused = await call('manager', 'PATCH', `/onboarding-templates/${tpl.id}`, {
      name: 'Mine',
    });
    expect(refused.status).toBe(403);
    const bad = await call('admin', 'PATCH', `/onboarding-templates/${tpl.id}`, { id: UNKNOWN });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');

    const clone = await call('admin', 'POST', `/onboarding-templates/${tpl.id}/clone`, {});
    expect(clone.status).toBe(201);
    const copy = await body(clone);
    expect(copy).toMatchObject({ name: 'Engineering (copy)', isDefault: false });
    expect((await call('admin', 'DELETE', `/onboarding-templates/${copy.id}`)).status).toBe(204);
    expect((await call('admin', 'GET', `/onboarding-templates/${copy.id}`)).status).toBe(404);
    expect((await call('admin', 'GET', `/onboarding-templates/${UNKNOWN}`)).status).toBe(404);
  });

  it('validates offboarding templates (forward_user needs its user) with problem+json', async () => {
    const res = await call('admin', 'POST', '/offboarding-templates', {
      name: 'Leavers',
      emailAction: 'forward_user',
    });
    expect(res.status).toBe(400);
    const problem = await body(res);
    expect(problem.errors.map((e: any) => e.path)).toContain('emailForwardToUserId');
    const ok = await call('admin', 'POST', '/offboarding-templates', {
      name: 'Leavers',
      emailAction: 'forward_user',
      emailForwardToUserId: strangerId,
    });
    expect(ok.status, await ok.clone().text()).toBe(201);
    expect(await body(ok)).toMatchObject({
      emailAction: 'forward_user',
      driveAction: 'transfer_manager',
    });
  });
});

describe('/lifecycle/requests', () => {
  it('runs the HR flow: a manager asks to onboard a hire, an admin approves, the tasks appear', async () => {
    const tpl = await t.asAdmin.lifecycle.templates.onboarding.create({
      name: 'Flow',
      timeline: [
        {
          trigger: 'days_before_start',
          offset: 2,
          actions: [{ type: 'task', title: 'Laptop', assignee: 'it' }],
        },
        {
          trigger: 'on_start_date',
          actions: [{ type: 'task', title: 'Welcome', assignee: 'manager' }],
        },
      ],
    });
    const created = await call('manager', 'POST', '/requests', {
      requestType: 'onboard',
      email: 'nia@acme.test',
      firstName: 'Nia',
      lastName: 'New',
      startDate: '2027-03-01',
      templateId: tpl.id,
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const request = await body(created);
    expect(request).toMatchObject({ status: 'pending', managerId, requestedBy: managerId });

    // The manager cannot approve; the admin can.
    expect((await call('manager', 'POST', `/requests/${request.id}/approve`)).status).toBe(403);
    const approved = await call('admin', 'POST', `/requests/${request.id}/approve`);
    expect(approved.status, await approved.clone().text()).toBe(200);
    const withTasks = await body(approved);
    expect(withTasks.status).toBe('approved');
    expect(
      withTasks.tasks.map((x: any) => [x.title, x.assigneeType, x.assigneeId, x.dueDate]),
    ).toEqual([
      ['Laptop', 'it', null, '2027-02-27'],
      ['Welcome', 'manager', managerId, '2027-03-01'],
    ]);
    const again = await call('admin', 'POST', `/requests/${request.id}/reject`, { reason: 'x' });
    expect(again.status).toBe(409);
    expect(await body(again)).toMatchObject({
      code: 'LIFECYCLE.INVALID_TRANSITION',
      details: { from: 'approved', to: 'rejected' },
    });

    const got = await call('manager', 'GET', `/requests/${request.id}`);
    expect(got.status).toBe(200);
    expect((await body(got)).tasks).toHaveLength(2);
    const list = await call('readKey', 'GET', '/requests?status=approved');
    expect(list.status).toBe(200);
    const page = await body(list);
    expect(page.items.map((x: any) => x.id)).toContain(request.id);
    expect(page.counts.approved).toBeGreaterThan(0);
    expect((await call('user', 'GET', `/requests/${request.id}`)).status).toBe(404);
  });

  it('refuses a forbidden field, a non-report, and a reason-less rejection, writing nothing', async () => {
    const created = await call('manager', 'POST', '/requests', {
      requestType: 'offboard',
      userId: reportId,
      endDate: '2027-04-30',
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const request = await body(created);
    const before = await snapshot();
    for (const [who, method, path, payload, status] of [
      ['manager', 'PATCH', `/requests/${request.id}`, { status: 'approved' }, 400],
      ['manager', 'PATCH', `/requests/${request.id}`, { approved_by: managerId }, 400],
      ['manager', 'POST', '/requests', { requestType: 'offboard', userId: strangerId }, 403],
      ['user', 'POST', '/requests', { requestType: 'offboard', userId: reportId }, 403],
      ['admin', 'POST', `/requests/${request.id}/reject`, {}, 400],
      ['user', 'POST', `/requests/${request.id}/cancel`, {}, 404],
      ['admin', 'POST', `/requests/${UNKNOWN}/approve`, undefined, 404],
    ] as const) {
      const res = await call(who, method, path, payload);
      expect(res.status, `${who} ${method} ${path}: ${await res.clone().text()}`).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await snapshot()).toBe(before);
    const patched = await call('manager', 'PATCH', `/requests/${request.id}`, {
      endDate: '2027-05-31',
    });
    expect(patched.status).toBe(200);
    expect((await body(patched)).endDate).toBe('2027-05-31');
    const cancelled = await call('manager', 'POST', `/requests/${request.id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect((await body(cancelled)).status).toBe('cancelled');
  });
});

describe('the whole HR flow over the API', () => {
  /** A date `days` from today (UTC), as YYYY-MM-DD. */
  const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  const tasksOf = async (who: Who, requestId: string) =>
    (
      await body(
        await callJson(app, as[who], 'GET', `/api/v1/lifecycle/tasks?requestId=${requestId}`),
      )
    ).items as any[];
  const act = (who: Who, id: string, action: string, payload: unknown = {}) =>
    callJson(app, as[who], 'POST', `/api/v1/lifecycle/tasks/${id}/${action}`, payload);

  it('manager asks, admin approves, HR, IT and the manager see and complete their tasks, reminders arrive, the request completes', async () => {
    const pool = await callJson(app, as.admin, 'PUT', '/api/v1/lifecycle/pool-members', {
      hr: [hrId],
      it: [itId],
    });
    expect(pool.status, await pool.clone().text()).toBe(200);
    const tpl = await call('admin', 'POST', '/onboarding-templates', {
      name: 'Whole flow',
      timeline: [
        { trigger: 'on_approval', actions: [{ type: 'task', title: 'Contract', assignee: 'hr' }] },
        {
          trigger: 'days_before_start',
          offset: 2,
          actions: [{ type: 'task', title: 'Laptop', assignee: 'it' }],
        },
        {
          trigger: 'on_start_date',
          actions: [{ type: 'task', title: 'Welcome lunch', assignee: 'manager' }],
        },
      ],
    });
    expect(tpl.status, await tpl.clone().text()).toBe(201);
    const created = await call('manager', 'POST', '/requests', {
      requestType: 'onboard',
      email: 'hira@acme.test',
      firstName: 'Hira',
      lastName: 'Hire',
      startDate: day(1),
      templateId: (await body(tpl)).id,
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const request = await body(created);
    const approved = await call('admin', 'POST', `/requests/${request.id}/approve`);
    expect(approved.status, await approved.clone().text()).toBe(200);
    expect(
      (await body(approved)).tasks.map((x: any) => [x.title, x.assigneeType, x.dueDate]),
    ).toEqual([
      ['Contract', 'hr', day(0)],
      ['Laptop', 'it', day(-1)],
      ['Welcome lunch', 'manager', day(1)],
    ]);

    // Each sees exactly their own task.
    const [hrTasks, itTasks, managerTasks] = await Promise.all([
      tasksOf('hr', request.id),
      tasksOf('it', request.id),
      tasksOf('manager', request.id),
    ]);
    expect(hrTasks.map((x) => x.title)).toEqual(['Contract']);
    expect(itTasks.map((x) => x.title)).toEqual(['Laptop']);
    expect(managerTasks.map((x) => x.title)).toEqual(['Welcome lunch']);
    expect(await tasksOf('user', request.id)).toEqual([]);

    // Reminders: one digest per assignee (the overdue laptop, the due-soon lunch and contract).
    mailer.clear();
    const sent = await callJson(app, as.admin, 'POST', '/api/v1/lifecycle/reminders/send', {});
    expect(sent.status, await sent.clone().text()).toBe(200);
    await t.helios.jobs.runOnce();
    const to = (email: string) => mailer.messages.filter((m) => m.to === email);
    expect(to(itEmail)).toHaveLength(1);
    expect(to(itEmail)[0]!.text).toContain('Laptop');
    expect(to(hrEmail)[0]!.text).toContain('Contract');
    expect(to(managerEmail).some((m) => m.text.includes('Welcome lunch'))).toBe(true);

    // Nobody completes someone else's task; each completes their own; the request completes.
    const laptop = itTasks[0]!;
    expect((await act('hr', laptop.id, 'complete')).status).toBe(403);
    expect((await act('it', laptop.id, 'complete', { notes: 'Shipped' })).status).toBe(200);
    expect((await act('hr', hrTasks[0]!.id, 'complete')).status).toBe(200);
    const last = await act('manager', managerTasks[0]!.id, 'complete', { notes: 'Booked' });
    expect(last.status, await last.clone().text()).toBe(200);
    const done = await body(await call('manager', 'GET', `/requests/${request.id}`));
    expect(done).toMatchObject({ status: 'completed', tasksTotal: 3, tasksCompleted: 3 });
    expect(done.tasks.every((x: any) => x.status === 'completed')).toBe(true);
  });
});

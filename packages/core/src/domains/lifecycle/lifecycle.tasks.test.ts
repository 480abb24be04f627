import { createTestDatabase, createTestUser, type TestDatabase } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHelios, type Helios, type HeliosScope } from '../../helios';
import type { NewRow, Row } from '../../repositories/types';
import { fixedClock } from '../../shared/clock';
import { recordingMailer } from '../../shared/mailer';
import { type Actor, systemActor, userActor } from '../policy/actor';

// The same tests on both backends: PostgreSQL (DATABASE_URL, graphile-worker) and the embedded
// database (in-process queue). Requests and tasks are inserted as request approval generates them.
// Only the reminder test uses due dates near "today"; the others use dates far ahead or none, so
// the digest sees only its own tasks.

const DAY = 24 * 3600_000;
const clock = fixedClock('2026-03-10T09:00:00Z');
const mailer = recordingMailer();
let t: TestDatabase;
let helios: Helios;
let admin: HeliosScope;
let adminId: string;

type User = Row<'organization_users'>;
const as = (user: User | string) => helios.as(userActor(typeof user === 'string' ? user : user.id));
const FAR = '2027-06-30';

async function newRequest(
  overrides: Partial<NewRow<'user_requests'>> = {},
): Promise<Row<'user_requests'>> {
  return helios.repositories.user_requests.insert({
    request_type: 'onboard',
    status: 'approved',
    email: `hire${Math.random().toString(36).slice(2, 8)}@acme.test`,
    first_name: 'Hana',
    last_name: 'Hire',
    start_date: '2026-04-01',
    requested_by: adminId,
    approved_by: adminId,
    ...overrides,
  });
}

async function newTask(
  request: Row<'user_requests'> | null,
  overrides: Partial<NewRow<'lifecycle_tasks'>> & { assignee_type: string },
): Promise<Row<'lifecycle_tasks'>> {
  return helios.repositories.lifecycle_tasks.insert({
    request_id: request?.id ?? null,
    user_id: request?.user_id ?? null,
    title: `Task ${Math.random().toString(36).slice(2, 8)}`,
    status: 'pending',
    due_date: FAR,
    assignee_role: ['hr', 'it'].includes(overrides.assignee_type) ? overrides.assignee_type : null,
    ...overrides,
  });
}

const statusOf = async (id: string) =>
  (
    await helios.db
      .selectFrom('lifecycle_tasks')
      .select(['status', 'completed_by', 'completion_notes'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  ).status;

const requestRow = (id: string) =>
  helios.db.selectFrom('user_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

const auditCount = async (action: string, resourceId?: string) => {
  let query = helios.db
    .selectFrom('audit_logs')
    .select(({ fn }) => fn.countAll<string>().as('n'))
    .where('action', '=', action);
  if (resourceId) query = query.where('resource_id', '=', resourceId);
  return Number((await query.executeTakeFirstOrThrow()).n);
};

let manager: User;
let hire: User;
let hrMember: User;
let itMember: User;
let stranger: User;

beforeAll(async () => {
  t = await createTestDatabase();
  helios = await createHelios({
    ...(t.connectionString ? { databaseUrl: t.connectionString } : { db: t.db }),
    clock,
    mailer,
  });
  const setup = await helios.organizations.setup({
    organizationName: 'Acme',
    organizationDomain: 'acme.test',
    admin: { email: 'admin@acme.test', firstName: 'Ada', lastName: 'Admin' },
  });
  adminId = setup.admin.id;
  admin = helios.as(userActor(adminId));
  manager = await createTestUser(helios, { role: 'manager', first_name: 'Max' });
  hire = await createTestUser(helios, { reporting_manager_id: manager.id, first_name: 'Hana' });
  hrMember = await createTestUser(helios, { first_name: 'Hildegard' });
  itMember = await createTestUser(helios, { first_name: 'Ivan' });
  stranger = await createTestUser(helios, { first_name: 'Sam' });
  await admin.lifecycle.tasks.setPoolMembers({ hr: [hrMember.id], it: [itMember.id] });
  await helios.jobs.status(); // installs graphile-worker's schema on first use
}, 60_000);

afterAll(async () => {
  await helios?.close();
  await t?.destroy();
});

describe(`helios.lifecycle.tasks (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('shows each role exactly its tasks: the assignee, the request manager, named pool members, admins the pools', async () => {
    const request = await newRequest({ manager_id: manager.id, user_id: hire.id });
    const userTask = await newTask(request, { assignee_type: 'user', assignee_id: hire.id });
    const managerTask = await newTask(request, {
      assignee_type: 'manager',
      assignee_id: manager.id,
    });
    const hrTask = await newTask(request, { assignee_type: 'hr' });
    const itTask = await newTask(request, { assignee_type: 'it' });
    const systemTask = await newTask(request, {
      assignee_type: 'system',
      action_type: 'create_account',
    });
    const mine = async (actor: HeliosScope) =>
      (await actor.lifecycle.tasks.list({ requestId: request.id })).items.map((i) => i.id).sort();

    expect(await mine(as(hire))).toEqual([userTask.id]);
    expect(await mine(as(manager))).toEqual([managerTask.id]);
    expect(await mine(as(hrMember))).toEqual([hrTask.id]);
    expect(await mine(as(itMember))).toEqual([itTask.id]);
    expect(await mine(as(stranger))).toEqual([]);
    expect(await mine(admin)).toEqual([hrTask.id, itTask.id].sort());
    const all = await admin.lifecycle.tasks.list({ scope: 'all', requestId: request.id });
    expect(all.items.map((i) => i.id).sort()).toEqual(
      [userTask.id, managerTask.id, hrTask.id, itTask.id, systemTask.id].sort(),
    );
    expect(all.items.find((i) => i.id === hrTask.id)).toMatchObject({
      assigneeType: 'hr',
      assigneeId: null,
      dueDate: FAR,
      status: 'pending',
      overdue: false,
      request: { id: request.id, requestType: 'onboard', managerId: manager.id },
    });
    await expect(as(stranger).lifecycle.tasks.list({ scope: 'all' })).rejects.toMatchObject({
      code: 'POLICY.FORBIDDEN',
    });
    // One task by id: readable by who may act on it, refused to others.
    expect((await as(hire).lifecycle.tasks.get(userTask.id)).title).toBe(userTask.title);
    await expect(as(stranger).lifecycle.tasks.get(userTask.id)).rejects.toMatchObject({
      code: 'LIFECYCLE.TASK_FORBIDDEN',
      kind: 'FORBIDDEN',
    });
    // A manager who is not this request's manager does not see its manager task.
    const otherManager = await createTestUser(helios, { role: 'manager' });
    expect(await mine(as(otherManager))).toEqual([]);
    // A manager task follows the request's manager even without a named assignee.
    const unnamed = await newTask(request, { assignee_type: 'manager' });
    expect(await mine(as(manager))).toEqual([managerTask.id, unnamed.id].sort());
    // API keys without admin:full have no queue.
    await expect(
      helios.lifecycle.tasks.list(
        {},
        { actor: { type: 'apiKey', keyId: 'k1', scopes: ['users:write'] } as Actor },
      ),
    ).rejects.toMatchObject({ code: 'POLICY.FORBIDDEN' });
  });

  it('refuses to complete someone else’s task with LIFECYCLE.TASK_FORBIDDEN and changes nothing', async () => {
    const request = await newRequest({ manager_id: manager.id, user_id: hire.id });
    const userTask = await newTask(request, { assignee_type: 'user', assignee_id: hire.id });
    const hrTask = await newTask(request, { assignee_type: 'hr' });
    const before = await auditCount('lifecycle.task_complete');
    for (const [actor, task] of [
      [stranger, userTask],
      [manager, userTask],
      [hire, hrTask],
      [itMember, hrTask],
    ] as const) {
      await expect(
        as(actor).lifecycle.tasks.complete(task.id, { notes: 'x' }),
      ).rejects.toMatchObject({ code: 'LIFECYCLE.TASK_FORBIDDEN', kind: 'FORBIDDEN' });
      await expect(as(actor).lifecycle.tasks.skip(task.id, { reason: 'x' })).rejects.toMatchObject({
        code: 'LIFECYCLE.TASK_FORBIDDEN',
      });
      await expect(as(actor).lifecycle.tasks.start(task.id)).rejects.toMatchObject({
        code: 'LIFECYCLE.TASK_FORBIDDEN',
      });
    }
    expect(await statusOf(userTask.id)).toBe('pending');
    expect(await statusOf(hrTask.id)).toBe('pending');
    expect(await auditCount('lifecycle.task_complete')).toBe(before);
    expect((await requestRow(request.id)).tasks_completed).toBe(0);
    // Ids that do not exist, or are not ids, are NOT_FOUND.
    await expect(
      as(hire).lifecycle.tasks.complete('00000000-0000-4000-8000-000000000000'),
    ).rejects.toMatchObject({ code: 'LIFECYCLE.TASK_NOT_FOUND' });
    await expect(as(hire).lifecycle.tasks.complete("1' or '1'='1")).rejects.toMatchObject({
      code: 'LIFECYCLE.TASK_NOT_FOUND',
    });
    // The assignee may.
    const done = await as(hire).lifecycle.tasks.complete(userTask.id, { notes: 'Signed' });
    expect(done).toMatchObject({
      status: 'completed',
      completedBy: hire.id,
      completionNotes: 'Signed',
    });
    expect(await auditCount('lifecycle.task_complete', userTask.id)).toBe(1);
  });

  it('blocks a task until its dependency is completed or skipped, then unblocks it; the request completes when all are done', async () => {
    const request = await newRequest({ manager_id: manager.id, user_id: hire.id });
    const first = await newTask(request, { assignee_type: 'hr', sequence_order: 1 });
    const second = await newTask(request, {
      assignee_type: 'it',
      sequence_order: 2,
      status: 'blocked',
      depends_on_task_id: first.id,
    });
    // A dependant generated as pending is held back by its dependency all the same.
    const third = await newTask(request, {
      assignee_type: 'manager',
      assignee_id: manager.id,
      sequence_order: 3,
      depends_on_task_id: second.id,
    });
    await expect(as(itMember).lifecycle.tasks.start(second.id)).rejects.toMatchObject({
      code: 'LIFECYCLE.TASK_BLOCKED',
      kind: 'PRECONDITION_FAILED',
      details: expect.objectContaining({ dependsOnTaskId: first.id, dependencyStatus: 'pending' }),
    });
    await expect(as(itMember).lifecycle.tasks.complete(second.id)).rejects.toMatchObject({
      code: 'LIFECYCLE.TASK_BLOCKED',
    });
    await expect(as(manager).lifecycle.tasks.complete(third.id)).rejects.toMatchObject({
      code: 'LIFECYCLE.TASK_BLOCKED',
      details: expect.objectContaining({ dependsOnTaskId: second.id }),
    });
    expect(await statusOf(second.id)).toBe('blocked');

    const started = await as(hrMember).lifecycle.tasks.start(first.id);
    expect(started.status).toBe('in_progress');
    await expect(as(hrMember).lifecycle.tasks.start(first.id)).rejects.toMatchObject({
      code: 'LIFECYCLE.TASK_INVALID_TRANSITION',
      details: expect.objectContaining({ status: 'in_progress', action: 'start' }),
    });
    await as(hrMember).lifecycle.tasks.complete(first.id, { notes: 'Contract filed' });
    expect(await statusOf(second.id)).toBe('pending');
    await expect(as(hrMember).lifecycle.tasks.complete(first.id)).rejects.toMatchObject({
      code: 'LIFECYCLE.TASK_INVALID_TRANSITION',
    });
    expect(await requestRow(request.id)).toMatchObject({
      status: 'in_progress',
      tasks_total: 3,
      tasks_completed: 1,
    });

    // Skipping needs a reason, and unblocks too.
    await expect(
      as(itMember).lifecycle.tasks.skip(second.id, { reason: '  ' }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED', kind: 'INVALID_INPUT' });
    await expect(as(itMember).lifecycle.tasks.skip(second.id, {} as never)).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    expect(await statusOf(second.id)).toBe('pending');
    const skipped = await as(itMember).lifecycle.tasks.skip(second.id, {
      reason: 'Brings their own laptop',
    });
    expect(skipped).toMatchObject({
      status: 'skipped',
      completionNotes: 'Brings their own laptop',
    });
    await expect(
      as(itMember).lifecycle.tasks.skip(second.id, { reason: 'again' }),
    ).rejects.toMatchObject({ code: 'LIFECYCLE.TASK_INVALID_TRANSITION' });

    expect(await auditCount('lifecycle.request_complete', request.id)).toBe(0);
    await as(manager).lifecycle.tasks.complete(third.id);
    expect(await requestRow(request.id)).toMatchObject({
      status: 'completed',
      tasks_total: 3,
      tasks_completed: 3,
    });
    expect(await auditCount('lifecycle.request_complete', request.id)).toBe(1);
    expect(await auditCount('lifecycle.task_skip', second.id)).toBe(1);
  });

  it('leaves the tasks of a cancelled request alone (LIFECYCLE.TASK_REQUEST_CLOSED)', async () => {
    const request = await newRequest({ status: 'cancelled', manager_id: manager.id });
    const task = await newTask(request, { assignee_type: 'hr' });
    await expect(as(hrMember).lifecycle.tasks.complete(task.id)).rejects.toMatchObject({
      code: 'LIFECYCLE.TASK_REQUEST_CLOSED',
    });
    expect(await statusOf(task.id)).toBe('pending');
  });

  it('counts pending, in progress, blocked, overdue and done today', async () => {
    const counter = await createTestUser(helios);
    const request = await newRequest({ manager_id: manager.id });
    const today = '2026-03-10';
    await newTask(request, {
      assignee_type: 'user',
      assignee_id: counter.id,
      due_date: '2027-01-01',
    });
    await newTask(request, {
      assignee_type: 'user',
      assignee_id: counter.id,
      status: 'in_progress',
      due_date: '2027-01-01',
    });
    await newTask(request, { assignee_type: 'user', assignee_id: counter.id, status: 'blocked' });
    const overdue = await newTask(request, {
      assignee_type: 'user',
      assignee_id: counter.id,
      due_date: '2026-03-01',
    });
    const doneNow = await newTask(request, { assignee_type: 'user', assignee_id: counter.id });
    await as(counter).lifecycle.tasks.complete(doneNow.id);
    expect(await as(counter).lifecycle.tasks.counts()).toEqual({
      pending: 2,
      inProgress: 1,
      blocked: 1,
      overdue: 1,
      doneToday: 1,
    });
    const due = await as(counter).lifecycle.tasks.list({ dueBefore: today });
    expect(due.items.map((i) => [i.id, i.overdue])).toEqual([[overdue.id, true]]);
    // Overdue first (due date order), then paging with a cursor.
    const page1 = await as(counter).lifecycle.tasks.list({ limit: 1 });
    expect(page1.items[0]!.id).toBe(overdue.id);
    const page2 = await as(counter).lifecycle.tasks.list({ limit: 1, cursor: page1.nextCursor });
    expect(page2.items).toHaveLength(1);
    expect(page2.items[0]!.id).not.toBe(overdue.id);
    await expect(
      as(counter).lifecycle.tasks.list({ status: ['done' as never] }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
  });

  it('lets only administrators name pool members, and only active users of the organization', async () => {
    await expect(
      as(manager).lifecycle.tasks.setPoolMembers({ hr: [manager.id] }),
    ).rejects.toMatchObject({ code: 'POLICY.FORBIDDEN' });
    await expect(
      admin.lifecycle.tasks.setPoolMembers({ hr: ['00000000-0000-4000-8000-000000000001'] }),
    ).rejects.toMatchObject({
      code: 'LIFECYCLE.TASK_POOL_MEMBER_INVALID',
      details: expect.objectContaining({ userIds: ['00000000-0000-4000-8000-000000000001'] }),
    });
    const suspended = await createTestUser(helios, { user_status: 'suspended' });
    await expect(
      admin.lifecycle.tasks.setPoolMembers({ it: [suspended.id] }),
    ).rejects.toMatchObject({ code: 'LIFECYCLE.TASK_POOL_MEMBER_INVALID' });
    await expect(
      admin.lifecycle.tasks.setPoolMembers({ hr: [hrMember.id, hrMember.id] }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    // The generic settings API cannot name members without an administrator either.
    await expect(
      helios.organizations.settings.set(
        { key: 'lifecycle.pool_members', value: JSON.stringify({ hr: [stranger.id] }) },
        { actor: { type: 'apiKey', keyId: 'k2', scopes: ['organization:write'] } as Actor },
      ),
    ).rejects.toMatchObject({ code: 'POLICY.FORBIDDEN' });
    expect(await admin.lifecycle.tasks.poolMembers()).toEqual({
      hr: [hrMember.id],
      it: [itMember.id],
    });
  });

  it('shows active onboardings, what needs attention and the manager’s team on the dashboard', async () => {
    const lead = await createTestUser(helios, { role: 'manager' });
    const report = await createTestUser(helios, { reporting_manager_id: lead.id });
    const onboarding = await newRequest({ manager_id: lead.id, start_date: '2026-03-20' });
    const offboarding = await newRequest({
      request_type: 'offboard',
      status: 'pending',
      user_id: report.id,
      end_date: '2026-04-30',
    });
    const late = await newTask(onboarding, {
      assignee_type: 'manager',
      assignee_id: lead.id,
      due_date: '2026-03-01',
    });
    const blocked = await newTask(onboarding, { assignee_type: 'hr', status: 'blocked' });

    const asLead = await as(lead).lifecycle.dashboard.get();
    expect(asLead.activeOnboardings.map((r) => r.id)).toEqual([onboarding.id]);
    expect(asLead.activeOnboardings[0]).toMatchObject({
      tasksTotal: 2,
      tasksCompleted: 0,
      overdueTasks: 1,
      startDate: '2026-03-20',
    });
    expect(asLead.myTeam.map((r) => r.id).sort()).toEqual([onboarding.id, offboarding.id].sort());
    expect(asLead.attention.tasks.map((task) => task.id)).toEqual([late.id]);
    expect(asLead.myTasks.overdue).toBe(1);

    const overview = await admin.lifecycle.dashboard.get();
    expect(overview.activeOnboardings.map((r) => r.id)).toContain(onboarding.id);
    expect(overview.attention.tasks.map((task) => task.id)).toEqual(
      expect.arrayContaining([late.id, blocked.id]),
    );
    expect(overview.myTeam).toEqual([]);

    const asStranger = await as(stranger).lifecycle.dashboard.get();
    expect(asStranger.activeOnboardings).toEqual([]);
    expect(asStranger.attention.tasks).toEqual([]);
    expect(asStranger.myTeam).toEqual([]);
  });

  it('mails each task once per day in a digest per assignee (pools to their named members), again the next day, never to who opted out', async () => {
    mailer.clear();
    const remindee = await createTestUser(helios, { first_name: 'Rita' });
    const request = await newRequest({
      manager_id: manager.id,
      first_name: 'Nina',
      last_name: 'New',
    });
    const overdue = await newTask(request, {
      assignee_type: 'user',
      assignee_id: remindee.id,
      title: 'Sign the <contract> & return',
      due_date: '2026-03-09',
    });
    const soon = await newTask(request, {
      assignee_type: 'user',
      assignee_id: remindee.id,
      due_date: '2026-03-11',
    });
    const later = await newTask(request, {
      assignee_type: 'user',
      assignee_id: remindee.id,
      due_date: '2026-03-25',
    });
    const pool = await newTask(request, { assignee_type: 'it', due_date: '2026-03-10' });
    const done = await newTask(request, {
      assignee_type: 'user',
      assignee_id: remindee.id,
      due_date: '2026-03-09',
      status: 'completed',
    });
    const system = helios.as(systemActor('test'));
    await expect(as(remindee).lifecycle.tasks.sendReminders()).rejects.toMatchObject({
      code: 'POLICY.FORBIDDEN',
    });

    const first = await system.lifecycle.tasks.sendReminders();
    expect(first.day).toBe('2026-03-10');
    expect(first.digests.find((d) => d.userId === remindee.id)?.taskIds.sort()).toEqual(
      [overdue.id, soon.id].sort(),
    );
    expect(first.digests.find((d) => d.userId === itMember.id)?.taskIds).toEqual([pool.id]);
    await helios.jobs.runOnce();
    const toRemindee = mailer.messages.filter((m) => m.to === remindee.email);
    expect(toRemindee).toHaveLength(1);
    expect(toRemindee[0]!.subject).toContain('1 overdue, 1 due soon');
    expect(toRemindee[0]!.text).toContain('Sign the <contract> & return');
    expect(toRemindee[0]!.text).toContain('OVERDUE');
    expect(toRemindee[0]!.text).not.toContain(later.title);
    expect(toRemindee[0]!.text).not.toContain(done.title);
    expect(toRemindee[0]!.html).toContain('Sign the &lt;contract&gt; &amp; return');
    expect(toRemindee[0]!.html).not.toContain('<contract>');
    const toIt = mailer.messages.filter((m) => m.to === itMember.email);
    expect(toIt).toHaveLength(1);
    expect(toIt[0]!.text).toContain(pool.title);
    expect((await as(remindee).lifecycle.tasks.get(soon.id)).lastReminderOn).toBe('2026-03-10');

    // The same day again: nothing new.
    const again = await system.lifecycle.tasks.sendReminders();
    expect(again.tasks).toBe(0);
    await helios.jobs.runOnce();
    expect(mailer.messages.filter((m) => m.to === remindee.email)).toHaveLength(1);
    expect(mailer.messages.filter((m) => m.to === itMember.email)).toHaveLength(1);

    // The next day: again (still open), now with what became due soon.
    clock.advance(DAY);
    const next = await system.lifecycle.tasks.sendReminders();
    expect(next.day).toBe('2026-03-11');
    await helios.jobs.runOnce();
    const second = mailer.messages.filter((m) => m.to === remindee.email);
    expect(second).toHaveLength(2);
    expect(second[1]!.text).toContain(overdue.title.slice(0, 8));
    expect(second[1]!.subject).toContain('1 overdue, 1 due soon');

    // Opted out: no more mail for them; the pool still gets its own.
    await as(remindee).lifecycle.tasks.setReminderPreference({ enabled: false });
    await expect(
      as(stranger).lifecycle.tasks.setReminderPreference({ enabled: false, userId: remindee.id }),
    ).rejects.toMatchObject({ code: 'POLICY.FORBIDDEN' });
    clock.advance(DAY);
    const third = await system.lifecycle.tasks.sendReminders();
    await helios.jobs.runOnce();
    expect(mailer.messages.filter((m) => m.to === remindee.email)).toHaveLength(2);
    expect(third.digests.map((d) => d.userId)).not.toContain(remindee.id);
    expect(mailer.messages.filter((m) => m.to === itMember.email)).toHaveLength(3);
    // Turned back on by an administrator: mailed again the next day.
    await admin.lifecycle.tasks.setReminderPreference({ enabled: true, userId: remindee.id });
    clock.advance(DAY);
    await system.lifecycle.tasks.sendReminders();
    await helios.jobs.runOnce();
    expect(mailer.messages.filter((m) => m.to === remindee.email)).toHaveLength(3);
    expect(await auditCount('lifecycle.reminder_preference', remindee.id)).toBe(2);
    clock.set('2026-03-10T09:00:00Z');
  });
});

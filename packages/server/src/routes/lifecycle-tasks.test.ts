import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../app';
import { withResponseContract } from '../response-contract';
import { apiKeyHeaders, callJson, signInHeaders } from '../test-support';

// /api/v1/lifecycle/{tasks,dashboard,pool-members,reminder-preference,reminders} over the real app:
// who may call, a refused call changes nothing, problem+json on bad input and blocked tasks.

let t: TestHelios;
let app: ReturnType<typeof createServer>;
const PASSWORD = 'a long test password 1';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

type Who = 'admin' | 'user' | 'other' | 'writeKey' | 'adminKey' | 'anonymous';
const as: Record<Who, Record<string, string>> = {} as never;
let plain: { id: string; email: string };
let other: { id: string; email: string };
let requestId: string;

const body = async (res: Response) => (await res.json()) as any;

function call(who: Who, method: string, path: string, payload?: unknown): Promise<Response> {
  return callJson(app, as[who], method, `/api/v1/lifecycle${path}`, payload);
}

function signIn(email: string): Promise<Record<string, string>> {
  return signInHeaders(app, email, PASSWORD);
}

function keyHeaders(name: string, scopes: string[]): Promise<Record<string, string>> {
  return apiKeyHeaders(t, name, scopes);
}

async function task(overrides: Record<string, unknown>) {
  return t.helios.repositories.lifecycle_tasks.insert({
    request_id: requestId,
    title: `Task ${Math.random().toString(36).slice(2, 8)}`,
    status: 'pending',
    assignee_type: 'user',
    ...overrides,
  } as never);
}

const statusOf = async (id: string) =>
  (
    await t.helios.db
      .selectFrom('lifecycle_tasks')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  ).status;

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
  plain = await createTestUser(t.helios, { last_name: 'Plain' });
  other = await createTestUser(t.helios, { last_name: 'Other' });
  for (const id of [t.admin!.id, plain.id, other.id])
    await t.asAdmin.credentials.setPassword(id, PASSWORD);
  as.admin = await signIn(t.admin!.email);
  as.user = await signIn(plain.email);
  as.other = await signIn(other.email);
  as.writeKey = await keyHeaders('write', ['users:write']);
  as.adminKey = await keyHeaders('admin', ['admin:full']);
  as.anonymous = {};
  const request = await t.helios.repositories.user_requests.insert({
    request_type: 'onboard',
    status: 'approved',
    email: 'new.hire@acme.test',
    first_name: 'New',
    last_name: 'Hire',
    user_id: plain.id,
  });
  requestId = request.id;
});
afterAll(() => t.destroy());

describe('/lifecycle/tasks', () => {
  it('lists my tasks and lets me complete mine, refusing someone else (403) without a change', async () => {
    const mine = await task({ assignee_id: plain.id, user_id: plain.id, due_date: '2031-01-10' });
    const list = await call('user', 'GET', `/tasks?requestId=${requestId}`);
    expect(list.status).toBe(200);
    expect((await body(list)).items.map((i: any) => i.id)).toEqual([mine.id]);
    expect((await body(await call('other', 'GET', '/tasks'))).items).toEqual([]);

    const refused = await call('other', 'POST', `/tasks/${mine.id}/complete`, { notes: 'x' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect((await body(refused)).code).toBe('LIFECYCLE.TASK_FORBIDDEN');
    expect(await statusOf(mine.id)).toBe('pending');
    expect((await call('writeKey', 'POST', `/tasks/${mine.id}/complete`, {})).status).toBe(403);
    expect((await call('anonymous', 'POST', `/tasks/${mine.id}/complete`, {})).status).toBe(401);
    expect(await statusOf(mine.id)).toBe('pending');

    const done = await call('user', 'POST', `/tasks/${mine.id}/complete`, { notes: 'Done' });
    expect(done.status).toBe(200);
    expect(await body(done)).toMatchObject({ status: 'completed', completionNotes: 'Done' });
    const counts = await call('user', 'GET', '/tasks/counts');
    expect(await body(counts)).toMatchObject({ doneToday: 1, pending: 0 });
  });

  it('answers a blocked task with 409, a missing reason with 400, an unknown task with 404', async () => {
    const first = await task({ assignee_type: 'hr' });
    const second = await task({
      assignee_type: 'hr',
      status: 'blocked',
      depends_on_task_id: first.id,
    });
    const blocked = await call('admin', 'POST', `/tasks/${second.id}/start`);
    expect(blocked.status).toBe(409);
    expect((await body(blocked)).code).toBe('LIFECYCLE.TASK_BLOCKED');
    const noReason = await call('admin', 'POST', `/tasks/${first.id}/skip`, {});
    expect(noReason.status).toBe(400);
    expect(await statusOf(first.id)).toBe('pending');
    expect((await call('admin', 'POST', `/tasks/${UNKNOWN}/start`)).status).toBe(404);
    const skipped = await call('adminKey', 'POST', `/tasks/${first.id}/skip`, {
      reason: 'Not needed',
    });
    expect(skipped.status).toBe(200);
    expect(await statusOf(second.id)).toBe('pending');
    const bad = await call('admin', 'GET', '/tasks?status=pending,nope');
    expect(bad.status).toBe(400);
    const all = await call('admin', 'GET', '/tasks?scope=all&status=pending,skipped');
    expect((await body(all)).items.map((i: any) => i.id)).toEqual(
      expect.arrayContaining([first.id, second.id]),
    );
    expect((await call('user', 'GET', '/tasks?scope=all')).status).toBe(403);
  });
});

describe('/lifecycle/dashboard, /lifecycle/pool-members, reminders', () => {
  it('serves the dashboard to everyone signed in and pool members to administrators only', async () => {
    expect((await call('user', 'GET', '/dashboard')).status).toBe(200);
    const dashboard = await body(await call('admin', 'GET', '/dashboard'));
    expect(dashboard.activeOnboardings.map((r: any) => r.id)).toContain(requestId);
    expect((await call('anonymous', 'GET', '/dashboard')).status).toBe(401);

    expect((await call('user', 'PUT', '/pool-members', { hr: [plain.id] })).status).toBe(403);
    expect((await call('admin', 'PUT', '/pool-members', { hr: [UNKNOWN] })).status).toBe(400);
    const set = await call('admin', 'PUT', '/pool-members', { hr: [other.id] });
    expect(set.status).toBe(200);
    expect(await body(set)).toEqual({ hr: [other.id], it: [] });
    expect(await body(await call('admin', 'GET', '/pool-members'))).toEqual({
      hr: [other.id],
      it: [],
    });
    expect((await call('user', 'GET', '/pool-members')).status).toBe(403);
  });

  it('sets my reminder preference, not someone else’s, and sends reminders for administrators', async () => {
    const mine = await call('user', 'PUT', '/reminder-preference', { enabled: false });
    expect(mine.status).toBe(200);
    expect(await body(mine)).toEqual({ userId: plain.id, enabled: false });
    const theirs = await call('user', 'PUT', '/reminder-preference', {
      enabled: false,
      userId: other.id,
    });
    expect(theirs.status).toBe(403);
    expect((await call('user', 'POST', '/reminders/send', {})).status).toBe(403);
    const sent = await call('admin', 'POST', '/reminders/send', { dueSoonDays: 3 });
    expect(sent.status).toBe(200);
    expect(await body(sent)).toMatchObject({ tasks: expect.any(Number) });
  });
});

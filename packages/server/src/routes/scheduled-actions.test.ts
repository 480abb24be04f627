import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../app';
import { withResponseContract } from '../response-contract';
import { apiKeyHeaders, callJson, signInHeaders } from '../test-support';

// /api/v1/scheduled-actions over the real app: every endpoint, who may call it (admin, plain user,
// API keys with and without users:read / users:write, nobody), problem+json on bad input, and
// nothing written when a call is refused.

let t: TestHelios;
let app: ReturnType<typeof createServer>;
const PASSWORD = 'a long test password 1';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const FUTURE = '2031-01-01T09:00:00.000Z';

type Who = 'admin' | 'user' | 'writeKey' | 'readKey' | 'peopleKey' | 'anonymous';
const as: Record<Who, Record<string, string>> = {} as never;
let plain: { id: string; email: string };
let target: { id: string; email: string };

const body = async (res: Response) => (await res.json()) as any;

function call(who: Who, method: string, path: string, payload?: unknown): Promise<Response> {
  return callJson(app, as[who], method, `/api/v1/scheduled-actions${path}`, payload);
}

function signIn(email: string): Promise<Record<string, string>> {
  return signInHeaders(app, email, PASSWORD);
}

function keyHeaders(name: string, scopes: string[]): Promise<Record<string, string>> {
  return apiKeyHeaders(t, name, scopes);
}

/** Every row of scheduled_user_actions, to prove a refused call wrote nothing. */
async function snapshot(): Promise<string> {
  const rows = await t.helios.db
    .selectFrom('scheduled_user_actions')
    .selectAll()
    .orderBy('id')
    .execute();
  return JSON.stringify(rows);
}

async function create(who: Who, input: Record<string, unknown>): Promise<any> {
  const res = await call(who, 'POST', '', input);
  expect(res.status, await res.clone().text()).toBe(201);
  return body(res);
}

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
  target = await createTestUser(t.helios, { last_name: 'Target' });
  await t.asAdmin.credentials.setPassword(t.admin!.id, PASSWORD);
  await t.asAdmin.credentials.setPassword(plain.id, PASSWORD);
  as.admin = await signIn(t.admin!.email);
  as.user = await signIn(plain.email);
  as.writeKey = await keyHeaders('write', ['users:write']);
  as.readKey = await keyHeaders('read', ['users:read']);
  as.peopleKey = await keyHeaders('people', ['people:read']);
  as.anonymous = {};
});
afterAll(() => t.destroy());

describe('POST /scheduled-actions', () => {
  it('schedules an action as an admin and as a users:write key: 201, pending, due when asked', async () => {
    const byAdmin = await create('admin', {
      actionType: 'suspend',
      userId: target.id,
      scheduledFor: FUTURE,
    });
    expect(byAdmin).toMatchObject({ actionType: 'suspend', userId: target.id, status: 'pending' });
    expect(new Date(byAdmin.scheduledFor).toISOString()).toBe(FUTURE);
    const byKey = await create('writeKey', {
      actionType: 'unsuspend',
      userId: target.id,
      scheduledFor: FUTURE,
      recurrence: { interval: 'weekly', until: '2031-06-01T00:00:00Z' },
      maxRetries: 5,
    });
    expect(byKey).toMatchObject({
      actionType: 'unsuspend',
      status: 'pending',
      isRecurring: true,
      recurrenceInterval: 'weekly',
      maxRetries: 5,
    });
  });

  it('refuses a plain user, a users:read key, a key without the scope (403) and nobody (401), writing nothing', async () => {
    const before = await snapshot();
    const input = { actionType: 'suspend', userId: target.id, scheduledFor: FUTURE };
    for (const [who, status] of [
      ['user', 403],
      ['readKey', 403],
      ['peopleKey', 403],
      ['anonymous', 401],
    ] as const) {
      const res = await call(who, 'POST', '', input);
      expect(res.status, who).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await snapshot()).toBe(before);
  });

  it('answers bad input with 400 problem+json naming the fields, writing nothing', async () => {
    const before = await snapshot();
    const res = await call('admin', 'POST', '', {
      actionType: 'explode',
      userId: 'nope',
      scheduledFor: 'tomorrow',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = await body(res);
    expect(problem.code).toBe('VALIDATION.FAILED');
    const paths = problem.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['actionType', 'userId', 'scheduledFor']));
    const extra = await call('admin', 'POST', '', {
      actionType: 'suspend',
      userId: target.id,
      scheduledFor: FUTURE,
      surprise: 1,
    });
    expect(extra.status).toBe(400);
    const interval = await call('admin', 'POST', '', {
      actionType: 'suspend',
      userId: target.id,
      scheduledFor: FUTURE,
      recurrence: { interval: 'hourly' },
    });
    expect(interval.status).toBe(400);
    expect(await snapshot()).toBe(before);
  });

  it('answers 400 SCHEDULED_ACTIONS.USER_NOT_FOUND for a user that does not exist, writing nothing', async () => {
    const before = await snapshot();
    const res = await call('admin', 'POST', '', {
      actionType: 'suspend',
      userId: UNKNOWN,
      scheduledFor: FUTURE,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect((await body(res)).code).toBe('SCHEDULED_ACTIONS.USER_NOT_FOUND');
    expect(await snapshot()).toBe(before);
  });
});

describe('GET /scheduled-actions and /scheduled-actions/{id}', () => {
  it('lists with filters and cursor paging for admins and users:read keys', async () => {
    const other = await createTestUser(t.helios, { last_name: 'Listed' });
    const a = await create('admin', {
      actionType: 'suspend',
      userId: other.id,
      scheduledFor: '2031-02-01T00:00:00Z',
    });
    const b = await create('admin', {
      actionType: 'delete',
      userId: other.id,
      scheduledFor: '2031-03-01T00:00:00Z',
    });
    const c = await create('admin', {
      actionType: 'restore',
      userId: other.id,
      scheduledFor: '2031-04-01T00:00:00Z',
    });
    const mine = async (who: Who, query: string) => {
      const res = await call(who, 'GET', `?userId=${other.id}&${query}`);
      expect(res.status, await res.clone().text()).toBe(200);
      return body(res);
    };
    expect((await mine('readKey', 'limit=50')).items.map((i: any) => i.id)).toEqual([
      a.id,
      b.id,
      c.id,
    ]);
    expect((await mine('admin', 'actionType=delete')).items.map((i: any) => i.id)).toEqual([b.id]);
    expect(
      (
        await mine('admin', 'dueAfter=2031-02-15T00:00:00Z&dueBefore=2031-03-15T00:00:00Z')
      ).items.map((i: any) => i.id),
    ).toEqual([b.id]);

    const first = await mine('admin', 'limit=2');
    expect(first.items.map((i: any) => i.id)).toEqual([a.id, b.id]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await mine('admin', `limit=2&cursor=${encodeURIComponent(first.nextCursor)}`);
    expect(second.items.map((i: any) => i.id)).toEqual([c.id]);
    expect(second.nextCursor).toBeNull();

    await call('admin', 'POST', `/${c.id}/cancel`, {});
    expect((await mine('admin', 'status=cancelled')).items.map((i: any) => i.id)).toEqual([c.id]);
    expect((await mine('admin', 'status=pending')).items.map((i: any) => i.id)).toEqual([
      a.id,
      b.id,
    ]);

    const one = await call('readKey', 'GET', `/${a.id}`);
    expect(one.status).toBe(200);
    expect(await body(one)).toMatchObject({
      id: a.id,
      actionType: 'suspend',
      userId: other.id,
      status: 'pending',
    });
  });

  it("shows a plain user only the actions about themself (another's is 404); refuses nobody (401)", async () => {
    const action = await create('admin', {
      actionType: 'suspend',
      userId: target.id,
      scheduledFor: FUTURE,
    });
    const own = await create('admin', {
      actionType: 'suspend',
      userId: plain.id,
      scheduledFor: FUTURE,
    });
    const seen = await body(await call('user', 'GET', '?limit=500'));
    expect(seen.items.map((i: any) => i.id)).toEqual([own.id]);
    expect((await call('user', 'GET', `/${own.id}`)).status).toBe(200);
    expect((await call('user', 'GET', `/${action.id}`)).status).toBe(404);
    expect((await call('user', 'GET', `/${action.id}/logs`)).status).toBe(404);
    for (const path of ['', `/${action.id}`, '/pending-approval', `/${action.id}/logs`]) {
      for (const [who, status] of [['anonymous', 401]] as const) {
        const res = await call(who, 'GET', path);
        expect(res.status, `${who} GET ${path}`).toBe(status);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
      }
    }
  });

  it('answers 404 for an unknown id and 400 for a malformed one or a bad filter', async () => {
    const missing = await call('admin', 'GET', `/${UNKNOWN}`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect((await call('admin', 'GET', '/not-a-uuid')).status).toBe(400);
    const bad = await call('admin', 'GET', '?status=bogus&limit=0&dueAfter=yesterday');
    expect(bad.status).toBe(400);
    const paths: string[] = (await body(bad)).errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['limit', 'dueAfter']));
    expect(paths.some((p) => p.startsWith('status'))).toBe(true);
  });
});

describe('PATCH /scheduled-actions/{id} and POST /scheduled-actions/{id}/cancel', () => {
  it('changes a pending action, cancels it, then refuses to change or cancel it again (409)', async () => {
    const action = await create('admin', {
      actionType: 'suspend',
      userId: target.id,
      scheduledFor: FUTURE,
    });
    const patched = await call('writeKey', 'PATCH', `/${action.id}`, {
      scheduledFor: '2031-05-05T05:05:05Z',
      maxRetries: 1,
    });
    expect(patched.status, await patched.clone().text()).toBe(200);
    const changed = await body(patched);
    expect(new Date(changed.scheduledFor).toISOString()).toBe('2031-05-05T05:05:05.000Z');
    expect(changed.maxRetries).toBe(1);

    const cancelled = await call('admin', 'POST', `/${action.id}/cancel`, { reason: 'not needed' });
    expect(cancelled.status).toBe(200);
    expect(await body(cancelled)).toMatchObject({ id: action.id, status: 'cancelled' });

    const before = await snapshot();
    const late = await call('admin', 'PATCH', `/${action.id}`, { scheduledFor: FUTURE });
    expect(late.status).toBe(409);
    expect(late.headers.get('content-type')).toContain('application/problem+json');
    expect((await call('admin', 'POST', `/${action.id}/cancel`, {})).status).toBe(409);
    expect(await snapshot()).toBe(before);
  });

  it('refuses a plain user, a users:read key and nobody, and bad input, writing nothing', async () => {
    const action = await create('admin', {
      actionType: 'suspend',
      userId: target.id,
      scheduledFor: FUTURE,
    });
    const before = await snapshot();
    for (const [who, status] of [
      ['user', 403],
      ['readKey', 403],
      ['peopleKey', 403],
      ['anonymous', 401],
    ] as const) {
      expect(
        (await call(who, 'PATCH', `/${action.id}`, { scheduledFor: '2032-01-01T00:00:00Z' }))
          .status,
        who,
      ).toBe(status);
      expect((await call(who, 'POST', `/${action.id}/cancel`, {})).status, who).toBe(status);
    }
    const bad = await call('admin', 'PATCH', `/${action.id}`, {
      scheduledFor: 'soon',
      actionType: 'delete',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect((await call('admin', 'PATCH', `/${UNKNOWN}`, { scheduledFor: FUTURE })).status).toBe(
      404,
    );
    expect((await call('admin', 'POST', `/${UNKNOWN}/cancel`, {})).status).toBe(404);
    expect(await snapshot()).toBe(before);
  });
});

describe('approvals', () => {
  it('lists the actions waiting for approval; approve and reject take them off the list', async () => {
    const toApprove = await create('admin', {
      actionType: 'suspend',
      userId: target.id,
      scheduledFor: FUTURE,
      requiresApproval: true,
    });
    const toReject = await create('writeKey', {
      actionType: 'delete',
      userId: target.id,
      scheduledFor: FUTURE,
      requiresApproval: true,
    });
    const free = await create('admin', {
      actionType: 'suspend',
      userId: target.id,
      scheduledFor: FUTURE,
    });
    const waiting = async () => {
      const res = await call('readKey', 'GET', '/pending-approval?limit=500');
      expect(res.status).toBe(200);
      return (await body(res)).items.map((i: any) => i.id) as string[];
    };
    const before = await waiting();
    expect(before).toEqual(expect.arrayContaining([toApprove.id, toReject.id]));
    expect(before).not.toContain(free.id);

    const approved = await call('admin', 'POST', `/${toApprove.id}/approve`, { notes: 'ok by HR' });
    expect(approved.status, await approved.clone().text()).toBe(200);
    const a = await body(approved);
    expect(a).toMatchObject({ id: toApprove.id, status: 'pending', approvedBy: t.admin!.id });
    expect(a.approvedAt).toEqual(expect.any(String));

    const rejected = await call('admin', 'POST', `/${toReject.id}/reject`, {
      reason: 'wrong person',
    });
    expect(rejected.status, await rejected.clone().text()).toBe(200);
    const r = await body(rejected);
    expect(r).toMatchObject({ id: toReject.id, rejectedBy: t.admin!.id });
    expect(r.status).not.toBe('pending');

    const after = await waiting();
    expect(after).not.toContain(toApprove.id);
    expect(after).not.toContain(toReject.id);
  });

  it('refuses a plain user, users:read and users:write keys and nobody, and a reject without a reason, writing nothing', async () => {
    const action = await create('admin', {
      actionType: 'suspend',
      userId: target.id,
      scheduledFor: FUTURE,
      requiresApproval: true,
    });
    const before = await snapshot();
    for (const [who, status] of [
      ['user', 403],
      ['readKey', 403],
      ['peopleKey', 403],
      ['anonymous', 401],
    ] as const) {
      expect((await call(who, 'POST', `/${action.id}/approve`, {})).status, who).toBe(status);
      expect((await call(who, 'POST', `/${action.id}/reject`, { reason: 'no' })).status, who).toBe(
        status,
      );
    }
    // Approving needs an administrator: a users:write key is not enough.
    expect((await call('writeKey', 'POST', `/${action.id}/approve`, {})).status).toBe(403);
    expect((await call('writeKey', 'POST', `/${action.id}/reject`, { reason: 'no' })).status).toBe(
      403,
    );
    const noReason = await call('admin', 'POST', `/${action.id}/reject`, {});
    expect(noReason.status).toBe(400);
    expect((await body(noReason)).errors.map((e: { path: string }) => e.path)).toContain('reason');
    expect((await call('admin', 'POST', `/${UNKNOWN}/approve`, {})).status).toBe(404);
    expect(await snapshot()).toBe(before);
  });
});

describe('GET /scheduled-actions/{id}/logs and a due action run by the worker', () => {
  it('runs a due suspend action once: completed, the user suspended, the steps journaled', async () => {
    const victim = await createTestUser(t.helios, { last_name: 'Victim' });
    const action = await create('admin', {
      actionType: 'suspend',
      userId: victim.id,
      scheduledFor: new Date(Date.now() - 1000).toISOString(),
    });
    expect(await body(await call('admin', 'GET', `/${action.id}/logs`))).toEqual([]);
    await t.helios.jobs.runOnce();
    const done = await body(await call('readKey', 'GET', `/${action.id}`));
    expect(done).toMatchObject({ id: action.id, status: 'completed' });
    expect(done.startedAt).toEqual(expect.any(String));
    expect(done.completedAt).toEqual(expect.any(String));
    const user = await t.helios.db
      .selectFrom('organization_users')
      .select(['user_status'])
      .where('id', '=', victim.id)
      .executeTakeFirstOrThrow();
    expect(user.user_status).toBe('suspended');
    const logs = await call('readKey', 'GET', `/${action.id}/logs`);
    expect(logs.status).toBe(200);
    const steps = await body(logs);
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps)
      expect(step).toMatchObject({
        actionId: action.id,
        stepName: expect.any(String),
        status: expect.any(String),
      });
    expect((await call('admin', 'GET', `/${UNKNOWN}/logs`)).status).toBe(404);
  });
});

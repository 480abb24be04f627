import { createHeliosAuth } from '@helios/core/auth';
import { createTestHelios, createTestUser, type TestHelios } from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../app';
import { withResponseContract } from '../response-contract';
import { callJson, signInHeaders } from '../test-support';

// /api/v1/lifecycle/{onboard,offboard,runs} over the real app, with no cloud connected: a plan
// writes nothing, a run's steps run as jobs, who may call, problem+json on bad input.

let t: TestHelios;
let app: ReturnType<typeof createServer>;
const PASSWORD = 'a long test password 1';
const as: Record<'admin' | 'user', Record<string, string>> = {} as never;
let leaver: { id: string; email: string };

const body = async (res: Response) => (await res.json()) as any;
const call = (who: 'admin' | 'user', method: string, path: string, payload?: unknown) =>
  callJson(app, as[who], method, `/api/v1/lifecycle${path}`, payload);
const rows = async () =>
  Number(
    (
      await sql<{
        n: string;
      }>`select (select count(*) from scheduled_user_actions) + (select count(*) from user_lifecycle_logs) as n`.execute(
        t.helios.db,
      )
    ).rows[0]!.n,
  );

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
  const plain = await createTestUser(t.helios, { last_name: 'Plain' });
  leaver = await createTestUser(t.helios, { last_name: 'Leaver' });
  for (const id of [t.admin!.id, plain.id]) await t.asAdmin.credentials.setPassword(id, PASSWORD);
  as.admin = await signInHeaders(app, t.admin!.email, PASSWORD);
  as.user = await signInHeaders(app, plain.email, PASSWORD);
});
afterAll(() => t.destroy());

describe('/lifecycle/offboard and /lifecycle/runs', () => {
  it('plans with ?plan=true writing nothing, runs, reads the run with its journal, refuses resume of a finished run', async () => {
    const before = await rows();
    const planned = await call('admin', 'POST', '/offboard?plan=true', {
      userId: leaver.id,
      overrides: { accountAction: 'suspend_immediately', notifyItAdmin: false },
    });
    expect(planned.status).toBe(200);
    const plan = await body(planned);
    expect(plan).toMatchObject({ kind: 'offboard', userId: leaver.id });
    expect(plan.steps.find((s: any) => s.id === 'local.suspend')).toMatchObject({
      state: 'planned',
      call: { operation: 'users.suspend', args: [leaver.id] },
    });
    expect(plan.steps.find((s: any) => s.id === 'google.suspend')).toMatchObject({
      state: 'skipped',
      skipReason: 'skipped: Google Workspace is not connected',
    });
    expect(await rows()).toBe(before);

    const applied = await call('admin', 'POST', '/offboard', {
      userId: leaver.id,
      overrides: { accountAction: 'suspend_immediately', notifyItAdmin: false },
    });
    expect(applied.status).toBe(200);
    const run = await body(applied);
    expect(run.status).toBe('in_progress');
    await t.helios.jobs.runOnce();
    const got = await body(await call('admin', 'GET', `/runs/${run.id}`));
    expect(got).toMatchObject({ id: run.id, status: 'completed' });
    expect(
      got.journal.filter((j: any) => j.stepId === 'local.suspend').map((j: any) => j.status),
    ).toEqual(['started', 'succeeded']);
    const list = await body(await call('admin', 'GET', '/runs?kind=offboard'));
    expect(list.items.map((r: any) => r.id)).toContain(run.id);
    const resumed = await call('admin', 'POST', `/runs/${run.id}/resume`);
    expect(resumed.status).toBe(409);
    expect((await body(resumed)).code).toBe('LIFECYCLE.RUN_NOT_RESUMABLE');
  });

  it('refuses non-administrators and bad input with problem+json, writing nothing', async () => {
    const before = await rows();
    const refused = await call('user', 'POST', '/offboard', { userId: leaver.id });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect((await call('user', 'GET', '/runs')).status).toBe(403);
    const bad = await call('admin', 'POST', '/onboard', { user: { email: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const missing = await call('admin', 'GET', '/runs/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(await rows()).toBe(before);
  });
});

import { randomBytes } from 'node:crypto';
import {
  createTestDatabase,
  createTestUser,
  type GoogleDirectorySimulator,
  type GraphSimulator,
  startGoogleDirectorySimulator,
  startGraphSimulator,
  type TestDatabase,
} from '@helios/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHelios, type Helios, type HeliosScope } from '../../helios';
import { fixedClock } from '../../shared/clock';
import { systemActor } from '../policy/actor';
import { RUN_ACTION, type ScheduledActionsInternal } from './scheduled-actions.service';

// The same tests on both backends: graphile-worker on PostgreSQL (DATABASE_URL) and the in-process
// queue of the embedded database. Time is moved, never waited for: the Helios clock decides when an
// action is due; graphile-worker's run_at (PostgreSQL's now()) is moved back with it.

const DOMAIN = 'acme.test';
const HOUR = 3600_000;
const clock = fixedClock(new Date());
let t: TestDatabase;
let helios: Helios;
let admin: HeliosScope;
let adminId: string;
let google: GoogleDirectorySimulator;
let graph: GraphSimulator;

async function timePasses(ms: number): Promise<void> {
  clock.advance(ms);
  if (helios.jobs.backend === 'postgres') {
    await sql`update graphile_worker._private_jobs set run_at = run_at - make_interval(secs => ${ms / 1000})`.execute(
      helios.db,
    );
  }
}

const inHours = (h: number) => new Date(clock.now().getTime() + h * HOUR);
const userStatus = async (id: string) =>
  (
    await helios.db
      .selectFrom('organization_users')
      .select('user_status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  ).user_status;
/** The run task's entry point, as a job with this id and attempt would call it. */
const runAs = (actionId: string, jobId: string, attempt: number) =>
  (
    helios.as(systemActor('job:scheduled-actions.run')).scheduledActions as ScheduledActionsInternal
  )[RUN_ACTION](actionId, {
    id: jobId,
    task: 'scheduled-actions.run',
    attempt,
    maxAttempts: 10,
    key: `scheduled-action:${actionId}`,
  });
/** Leaves an action as a worker that claimed it with job `jobId` and died would. */
async function crashedClaim(actionId: string, jobId: string): Promise<void> {
  await helios.db
    .updateTable('scheduled_user_actions')
    .set({ status: 'in_progress', started_at: clock.now() })
    .where('id', '=', actionId)
    .execute();
  const row = await helios.db
    .selectFrom('scheduled_user_actions')
    .select(['organization_id', 'user_id'])
    .where('id', '=', actionId)
    .executeTakeFirstOrThrow();
  await helios.db
    .insertInto('user_lifecycle_logs')
    .values({
      organization_id: row.organization_id,
      user_id: row.user_id,
      action_id: actionId,
      step_name: 'claim',
      step_type: 'system',
      status: 'started',
      details: JSON.stringify({ jobId, attempt: 1, takeover: false, n: 1 }) as never,
      created_at: clock.now(),
    })
    .execute();
}
const stepsOf = async (id: string) =>
  (await admin.scheduledActions.logs(id))
    .filter((l) => l.stepName !== 'claim')
    .map((l) => [l.stepName, l.status]);

beforeAll(async () => {
  [google, graph] = await Promise.all([
    startGoogleDirectorySimulator({
      domain: DOMAIN,
      seed: { users: 0, groups: 0, membersPerGroup: 0, orgUnits: 1 },
    }),
    startGraphSimulator({ domain: DOMAIN, seed: { users: 0, groups: 0, membersPerGroup: 0 } }),
  ]);
  t = await createTestDatabase();
  helios = await createHelios({
    ...(t.connectionString ? { databaseUrl: t.connectionString } : { db: t.db }),
    clock,
    encryptionKey: randomBytes(32).toString('base64'),
    integrations: {
      google: {
        rootUrl: google.url,
        tokenUrl: google.tokenUrl,
        retry: { maxRetries: 1, baseDelayMs: 1 },
      },
      microsoft: {
        graphUrl: graph.url,
        loginUrl: graph.authorityHost,
        retry: { maxRetries: 1, baseDelayMs: 1 },
      },
    },
  });
  const setup = await helios.organizations.setup({
    organizationName: 'Acme',
    organizationDomain: DOMAIN,
    admin: { email: `admin@${DOMAIN}`, firstName: 'Ada', lastName: 'Admin' },
  });
  adminId = setup.admin.id;
  admin = helios.as({ type: 'user', userId: adminId });
  await helios.jobs.status(); // installs graphile-worker's schema on first use
}, 60_000);

afterAll(async () => {
  await helios?.close();
  await t?.destroy();
  await Promise.all([google?.close(), graph?.close()]);
});

beforeEach(async () => {
  // Whatever an earlier test left queued runs now, so each test starts from an empty queue.
  await timePasses(400 * 24 * HOUR);
  await helios.jobs.runOnce();
});

describe(`helios.scheduledActions (${process.env.DATABASE_URL ? 'PostgreSQL: graphile-worker' : 'embedded: in process'})`, () => {
  it('runs a due action once: not before its time, then suspended locally with every column set, duplicates doing nothing', async () => {
    const user = await createTestUser(helios);
    const created = await admin.scheduledActions.create({
      actionType: 'suspend',
      userId: user.id,
      scheduledFor: inHours(2).toISOString(),
    });
    expect(created).toMatchObject({
      status: 'pending',
      actionType: 'suspend',
      userId: user.id,
      retryCount: 0,
      maxRetries: 3,
      createdBy: adminId,
      isRecurring: false,
    });
    await helios.jobs.runOnce();
    expect((await admin.scheduledActions.get(created.id)).status).toBe('pending');
    expect(await userStatus(user.id)).toBe('active');

    await timePasses(2 * HOUR);
    // A second job for the same action and the dispatcher's: still one run.
    await helios.jobs.enqueue('scheduled-actions.run', { actionId: created.id });
    await helios.jobs.runOnce();
    await helios.jobs.enqueue('scheduled-actions.run', { actionId: created.id });
    expect(await admin.scheduledActions.dispatchDue()).toEqual({ enqueued: 0 });
    await helios.jobs.runOnce();

    const done = await admin.scheduledActions.get(created.id);
    expect(done).toMatchObject({
      status: 'completed',
      totalSteps: 1,
      completedSteps: 1,
      currentStep: null,
      errorMessage: null,
      errorDetails: null,
    });
    expect(done.startedAt).toEqual(clock.now());
    expect(done.completedAt).toEqual(clock.now());
    expect(await userStatus(user.id)).toBe('suspended');
    const logs = await admin.scheduledActions.logs(created.id);
    expect(logs.map((l) => [l.stepName, l.stepType, l.status])).toEqual([
      ['claim', 'system', 'started'],
      ['local_user', 'local', 'completed'],
    ]);
    expect(logs[1]).toMatchObject({
      userId: user.id,
      actionId: created.id,
      details: { from: 'active', to: 'suspended' },
      errorMessage: null,
    });
    expect(typeof logs[1]!.durationMs).toBe('number');
    const audit = await helios.db
      .selectFrom('audit_logs')
      .select('action')
      .where('resource_id', '=', created.id)
      .orderBy('created_at')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'scheduled_actions.create',
      'scheduled_actions.run',
    ]);
  });

  it('waits for approval; a rejected action never runs', async () => {
    const user = await createTestUser(helios);
    const waiting = await admin.scheduledActions.create({
      actionType: 'suspend',
      userId: user.id,
      scheduledFor: clock.now(),
      requiresApproval: true,
    });
    const rejected = await admin.scheduledActions.create({
      actionType: 'delete',
      userId: user.id,
      scheduledFor: clock.now(),
      requiresApproval: true,
    });
    expect((await admin.scheduledActions.pendingApproval()).items.map((a) => a.id).sort()).toEqual(
      [waiting.id, rejected.id].sort(),
    );
    await helios.jobs.runOnce();
    expect((await admin.scheduledActions.get(waiting.id)).status).toBe('pending');

    await expect(admin.scheduledActions.reject(rejected.id, { reason: '' })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    const r = await admin.scheduledActions.reject(rejected.id, { reason: 'not now' });
    expect(r).toMatchObject({
      status: 'cancelled',
      rejectedBy: adminId,
      rejectionReason: 'not now',
      rejectedAt: clock.now(),
    });
    const a = await admin.scheduledActions.approve(waiting.id, { notes: 'ok' });
    expect(a).toMatchObject({ status: 'pending', approvedBy: adminId, approvalNotes: 'ok' });
    await expect(admin.scheduledActions.approve(waiting.id)).rejects.toMatchObject({
      code: 'SCHEDULED_ACTIONS.APPROVAL_NOT_EXPECTED',
    });
    expect((await admin.scheduledActions.pendingApproval()).items).toEqual([]);

    await helios.jobs.enqueue('scheduled-actions.run', { actionId: rejected.id });
    await helios.jobs.runOnce();
    expect((await admin.scheduledActions.get(waiting.id)).status).toBe('completed');
    expect((await admin.scheduledActions.get(rejected.id)).status).toBe('cancelled');
    expect(await userStatus(user.id)).toBe('suspended');
    expect(await admin.scheduledActions.logs(rejected.id)).toEqual([]);
  });

  it('runs a dependent action only after its dependency completed; fails it clearly when the dependency was cancelled', async () => {
    const user = await createTestUser(helios);
    const first = await admin.scheduledActions.create({
      actionType: 'suspend',
      userId: user.id,
      scheduledFor: inHours(3),
    });
    const second = await admin.scheduledActions.create({
      actionType: 'delete',
      userId: user.id,
      scheduledFor: inHours(1),
      dependsOnActionId: first.id,
    });
    await expect(
      admin.scheduledActions.update(first.id, { dependsOnActionId: second.id }),
    ).rejects.toMatchObject({
      code: 'SCHEDULED_ACTIONS.BAD_DEPENDENCY',
      details: { reason: 'cycle' },
    });
    await timePasses(1 * HOUR);
    await helios.jobs.runOnce();
    expect((await admin.scheduledActions.get(second.id)).status).toBe('pending');
    expect(await userStatus(user.id)).toBe('active');
    await timePasses(2 * HOUR);
    await helios.jobs.runOnce();
    expect((await admin.scheduledActions.get(first.id)).status).toBe('completed');
    expect((await admin.scheduledActions.get(second.id)).status).toBe('completed');
    expect(await userStatus(user.id)).toBe('deleted');

    const other = await createTestUser(helios);
    const base = await admin.scheduledActions.create({
      actionType: 'suspend',
      userId: other.id,
      scheduledFor: inHours(1),
    });
    const dependent = await admin.scheduledActions.create({
      actionType: 'delete',
      userId: other.id,
      scheduledFor: clock.now(),
      dependsOnActionId: base.id,
    });
    await admin.scheduledActions.cancel(base.id, { reason: 'changed our mind' });
    await helios.jobs.runOnce();
    expect(await admin.scheduledActions.get(base.id)).toMatchObject({
      status: 'cancelled',
      cancelledBy: adminId,
      cancellationReason: 'changed our mind',
    });
    expect(await admin.scheduledActions.get(dependent.id)).toMatchObject({
      status: 'failed',
      errorDetails: {
        code: 'SCHEDULED_ACTIONS.DEPENDENCY_FAILED',
        details: { dependsOnActionId: base.id, dependencyStatus: 'cancelled' },
      },
    });
    expect(await userStatus(other.id)).toBe('active');
  });

  it('never runs a cancelled action, and refuses to change it afterwards', async () => {
    const user = await createTestUser(helios);
    const action = await admin.scheduledActions.create({
      actionType: 'suspend',
      userId: user.id,
      scheduledFor: inHours(1),
    });
    await admin.scheduledActions.cancel(action.id);
    await timePasses(2 * HOUR);
    await helios.jobs.enqueue('scheduled-actions.run', { actionId: action.id });
    await helios.jobs.runOnce();
    expect((await admin.scheduledActions.get(action.id)).status).toBe('cancelled');
    expect(await userStatus(user.id)).toBe('active');
    await expect(
      admin.scheduledActions.update(action.id, { scheduledFor: inHours(1) }),
    ).rejects.toMatchObject({
      kind: 'PRECONDITION_FAILED',
      code: 'SCHEDULED_ACTIONS.NOT_PENDING',
    });
    await expect(admin.scheduledActions.cancel(action.id)).rejects.toMatchObject({
      code: 'SCHEDULED_ACTIONS.NOT_PENDING',
    });
  });

  it('re-arms a recurring action as the next occurrence, until its end', async () => {
    const user = await createTestUser(helios, { user_status: 'suspended', is_active: false });
    const start = inHours(1);
    const first = await admin.scheduledActions.create({
      actionType: 'unsuspend',
      userId: user.id,
      scheduledFor: start,
      recurrence: { interval: 'daily', until: new Date(start.getTime() + 36 * HOUR) },
    });
    await timePasses(1 * HOUR);
    await helios.jobs.runOnce();
    const done = await admin.scheduledActions.get(first.id);
    expect(done).toMatchObject({
      status: 'completed',
      isRecurring: true,
      recurrenceInterval: 'daily',
      lastRecurrenceAt: clock.now(),
    });
    const series = (await admin.scheduledActions.list({ userId: user.id })).items;
    expect(series.map((a) => [a.status, a.scheduledFor.getTime()])).toEqual([
      ['completed', start.getTime()],
      ['pending', start.getTime() + 24 * HOUR],
    ]);
    const next = series[1]!;
    expect(next).toMatchObject({
      isRecurring: true,
      lastRecurrenceAt: clock.now(),
      startedAt: null,
      completedAt: null,
    });
    // The second occurrence runs (the user is already active: skipped, still completed); the third is past `until`.
    await timePasses(24 * HOUR);
    await helios.jobs.runOnce();
    expect((await admin.scheduledActions.get(next.id)).status).toBe('completed');
    expect(await stepsOf(next.id)).toEqual([['local_user', 'skipped']]);
    expect((await admin.scheduledActions.list({ userId: user.id })).items).toHaveLength(2);
  });

  it('takes over an action left in progress by a dead worker: the retry of the same job at once, another job only once stale', async () => {
    const user = await createTestUser(helios);
    const action = await admin.scheduledActions.create({
      actionType: 'suspend',
      userId: user.id,
      scheduledFor: inHours(1),
    });
    await timePasses(HOUR);
    await crashedClaim(action.id, '9001');
    // Another job (a duplicate) leaves it alone while the claim is fresh.
    expect(await runAs(action.id, '9002', 1)).toBeNull();
    expect(await admin.scheduledActions.dispatchDue()).toEqual({ enqueued: 0 });
    // The retry of the job that claimed it takes it over.
    expect(await runAs(action.id, '9001', 2)).toMatchObject({
      status: 'completed',
      completedSteps: 1,
    });
    expect(await userStatus(user.id)).toBe('suspended');

    const other = await createTestUser(helios);
    const stale = await admin.scheduledActions.create({
      actionType: 'suspend',
      userId: other.id,
      scheduledFor: clock.now(),
    });
    await crashedClaim(stale.id, '9003');
    await timePasses(31 * 60_000);
    // The dispatcher queues it again; that job takes it over.
    expect(await admin.scheduledActions.dispatchDue()).toEqual({ enqueued: 1 });
    await helios.jobs.runOnce();
    expect(await admin.scheduledActions.get(stale.id)).toMatchObject({ status: 'completed' });
    const claims = (await admin.scheduledActions.logs(stale.id)).filter(
      (l) => l.stepName === 'claim',
    );
    expect(claims.map((c) => c.details.takeover)).toEqual([false, true]);
    expect(await userStatus(other.id)).toBe('suspended');
  });

  it('runs onboard through the lifecycle engine: one it cannot plan (no last name) fails, never completed', async () => {
    const action = await admin.scheduledActions.create({
      actionType: 'onboard',
      target: { email: `new@${DOMAIN}`, firstName: 'New' },
      scheduledFor: clock.now(),
    });
    await helios.jobs.runOnce();
    expect(await admin.scheduledActions.get(action.id)).toMatchObject({
      status: 'failed',
      retryCount: 0,
      errorDetails: { code: 'VALIDATION.FAILED', step: 'plan' },
    });
    expect(await stepsOf(action.id)).toEqual([['plan', 'failed']]);
    // A lifecycle run happens once: a recurrence is refused, not ignored (on create and update).
    const recurrence = { interval: 'daily' as const };
    await expect(
      admin.scheduledActions.create({
        actionType: 'onboard',
        target: { email: `again@${DOMAIN}`, firstName: 'Again', lastName: 'Hire' },
        scheduledFor: new Date(clock.now().getTime() + HOUR),
        recurrence,
      }),
    ).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
      details: { issues: [expect.objectContaining({ path: 'recurrence' })] },
    });
    const later = await admin.scheduledActions.create({
      actionType: 'onboard',
      target: { email: `later@${DOMAIN}`, firstName: 'Later', lastName: 'Hire' },
      scheduledFor: new Date(clock.now().getTime() + HOUR),
    });
    await expect(admin.scheduledActions.update(later.id, { recurrence })).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await admin.scheduledActions.cancel(later.id);
  });

  it('validates input and authorizes: managers and users cannot schedule, non-admin keys cannot approve', async () => {
    const user = await createTestUser(helios);
    const manager = await createTestUser(helios, { role: 'manager' });
    await expect(
      admin.scheduledActions.create({ actionType: 'suspend', scheduledFor: clock.now() } as never),
    ).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
      details: { issues: [expect.objectContaining({ path: 'userId' })] },
    });
    await expect(
      admin.scheduledActions.create({
        actionType: 'suspend',
        userId: crypto.randomUUID(),
        scheduledFor: clock.now(),
      }),
    ).rejects.toMatchObject({
      code: 'SCHEDULED_ACTIONS.USER_NOT_FOUND',
    });
    for (const actor of [
      { type: 'user' as const, userId: manager.id },
      { type: 'user' as const, userId: user.id },
      { type: 'apiKey' as const, keyId: 'k', scopes: ['users:read' as const] },
    ]) {
      await expect(
        helios.as(actor).scheduledActions.create({
          actionType: 'suspend',
          userId: user.id,
          scheduledFor: inHours(1),
        }),
      ).rejects.toMatchObject({
        kind: 'FORBIDDEN',
      });
    }
    const key = helios.as({ type: 'apiKey', keyId: 'k', scopes: ['users:write'] });
    const byKey = await key.scheduledActions.create({
      actionType: 'suspend',
      userId: user.id,
      scheduledFor: inHours(1),
      requiresApproval: true,
    });
    await expect(key.scheduledActions.approve(byKey.id)).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    // A user sees the actions about themself only.
    expect(
      (await helios.as({ type: 'user', userId: user.id }).scheduledActions.list()).items.map(
        (a) => a.id,
      ),
    ).toEqual([byKey.id]);
    await expect(
      helios.as({ type: 'user', userId: manager.id }).scheduledActions.get(byKey.id),
    ).rejects.toMatchObject({ code: 'SCHEDULED_ACTIONS.NOT_FOUND' });
    await admin.scheduledActions.cancel(byKey.id);
  });

  describe('with Google Workspace and Microsoft 365 connected', () => {
    let linked: { userId: string; googleId: string; msId: string };

    beforeAll(async () => {
      await admin.google.credentials.configure({
        serviceAccountKey: google.serviceAccountKey,
        adminEmail: google.adminEmail,
        domain: DOMAIN,
      });
      expect((await admin.google.credentials.testConnection()).ok).toBe(true);
      await admin.microsoft.credentials.configure({
        tenantId: graph.tenantId,
        clientId: graph.clientId,
        clientSecret: graph.clientSecret,
      });
      await admin.organizations.modules.enable('microsoft_365');
    });

    beforeEach(async () => {
      const email = `linked${randomBytes(3).toString('hex')}@${DOMAIN}`;
      const local = await createTestUser(helios, { email });
      const g = await admin.google.writeback.createUser({
        primaryEmail: email,
        givenName: 'Lin',
        familyName: 'Ked',
        localUserId: local.id,
      });
      const m = await admin.microsoft.writeback.createUser({
        userPrincipalName: email,
        displayName: 'Lin Ked',
        localUserId: local.id,
      });
      linked = { userId: local.id, googleId: g.googleId, msId: m.msId };
    });

    it('suspends a user linked to Google and Microsoft in both clouds and locally, each step journaled', async () => {
      const googleUpdates = () =>
        (google.requests.byRoute['users.update'] ?? 0) +
        (google.requests.byRoute['users.patch'] ?? 0);
      const graphUpdates = () => graph.requests.byRoute['users.update'] ?? 0;
      const [g0, m0] = [googleUpdates(), graphUpdates()];
      const action = await admin.scheduledActions.create({
        actionType: 'suspend',
        userId: linked.userId,
        scheduledFor: inHours(1),
      });
      await timePasses(HOUR);
      await helios.jobs.runOnce();
      expect(await admin.scheduledActions.get(action.id)).toMatchObject({
        status: 'completed',
        totalSteps: 3,
        completedSteps: 3,
      });
      expect(await userStatus(linked.userId)).toBe('suspended');
      expect(google.state.users.get(linked.googleId)).toMatchObject({ suspended: true });
      expect(graph.state.users.get(linked.msId)).toMatchObject({ accountEnabled: false });
      expect(googleUpdates() - g0).toBe(1);
      expect(graphUpdates() - m0).toBe(1);
      const logs = (await admin.scheduledActions.logs(action.id)).filter(
        (l) => l.stepName !== 'claim',
      );
      expect(logs.map((l) => [l.stepName, l.stepType, l.status])).toEqual([
        ['local_user', 'local', 'completed'],
        ['google', 'integration', 'completed'],
        ['microsoft', 'integration', 'completed'],
      ]);
      expect(logs[1]!.details).toMatchObject({
        cloud: 'google',
        externalId: linked.googleId,
        operation: 'suspendUser',
      });

      // Restoring takes both back; running the same action again calls nothing.
      const restore = await admin.scheduledActions.create({
        actionType: 'unsuspend',
        userId: linked.userId,
        scheduledFor: clock.now(),
      });
      await helios.jobs.runOnce();
      expect((await admin.scheduledActions.get(restore.id)).status).toBe('completed');
      expect(google.state.users.get(linked.googleId)).toMatchObject({ suspended: false });
      expect(graph.state.users.get(linked.msId)).toMatchObject({ accountEnabled: true });
      expect(await userStatus(linked.userId)).toBe('active');
    });

    it('does not call a cloud again after a crash between its call and its journal row (the mirror shows the call)', async () => {
      const googleUpdates = () =>
        (google.requests.byRoute['users.update'] ?? 0) +
        (google.requests.byRoute['users.patch'] ?? 0);
      const action = await admin.scheduledActions.create({
        actionType: 'suspend',
        userId: linked.userId,
        scheduledFor: clock.now(),
      });
      await crashedClaim(action.id, '7001');
      // The dead attempt had suspended the Google account (the write-back recorded it) but journaled nothing.
      await admin.google.writeback.suspendUser(linked.googleId);
      const calls = googleUpdates();
      expect(await runAs(action.id, '7001', 2)).toMatchObject({
        status: 'completed',
        totalSteps: 3,
        completedSteps: 3,
      });
      expect(googleUpdates()).toBe(calls);
      expect(await stepsOf(action.id)).toEqual([
        ['local_user', 'completed'],
        ['google', 'skipped'],
        ['microsoft', 'completed'],
      ]);
      expect(graph.state.users.get(linked.msId)).toMatchObject({ accountEnabled: false });
    });

    it('does not call again after a crash between the call and its record (the mirror is stale): a re-run reads the account live', async () => {
      const googleUpdates = () =>
        (google.requests.byRoute['users.update'] ?? 0) +
        (google.requests.byRoute['users.patch'] ?? 0);
      const graphUpdates = () => graph.requests.byRoute['users.update'] ?? 0;
      const action = await admin.scheduledActions.create({
        actionType: 'suspend',
        userId: linked.userId,
        scheduledFor: clock.now(),
      });
      await crashedClaim(action.id, '7002');
      // The dead attempt's calls reached both clouds; the worker died before recording anything:
      // the mirrors still show the accounts active.
      google.state.users.get(linked.googleId)!.suspended = true;
      graph.state.users.get(linked.msId)!.accountEnabled = false;
      const [g0, m0] = [googleUpdates(), graphUpdates()];
      expect(await runAs(action.id, '7002', 2)).toMatchObject({
        status: 'completed',
        totalSteps: 3,
        completedSteps: 3,
      });
      expect([googleUpdates() - g0, graphUpdates() - m0]).toEqual([0, 0]);
      const logs = (await admin.scheduledActions.logs(action.id)).filter(
        (l) => l.stepName !== 'claim',
      );
      expect(
        logs.map((l) => [l.stepName, l.status, (l.details as { reason?: string }).reason ?? null]),
      ).toEqual([
        ['local_user', 'completed', null],
        ['google', 'skipped', 'already_suspended'],
        ['microsoft', 'skipped', 'already_suspended'],
      ]);
      expect(logs[1]!.details).toMatchObject({ readLive: true });
      // The live read refreshed the mirrors.
      expect((await admin.google.directory.getUser(linked.googleId)).isSuspended).toBe(true);
      expect((await admin.microsoft.directory.getUser(linked.msId)).isAccountEnabled).toBe(false);

      // A re-run that finds the account not changed yet calls the cloud.
      const restore = await admin.scheduledActions.create({
        actionType: 'unsuspend',
        userId: linked.userId,
        scheduledFor: clock.now(),
      });
      await crashedClaim(restore.id, '7003');
      await helios.db
        .updateTable('organization_users')
        .set({ user_status: 'suspended' })
        .where('id', '=', linked.userId)
        .execute();
      expect(await runAs(restore.id, '7003', 2)).toMatchObject({ status: 'completed' });
      expect([googleUpdates() - g0, graphUpdates() - m0]).toEqual([1, 1]);
      expect(google.state.users.get(linked.googleId)).toMatchObject({ suspended: false });
      expect(graph.state.users.get(linked.msId)).toMatchObject({ accountEnabled: true });
    });

    it('retries a failing cloud step at next_retry_at without repeating the done steps, then marks it failed with its error', async () => {
      graph.setFaults({ rate: 1, kinds: ['503'] });
      try {
        const action = await admin.scheduledActions.create({
          actionType: 'suspend',
          userId: linked.userId,
          scheduledFor: clock.now(),
          maxRetries: 1,
        });
        await helios.jobs.runOnce();
        const first = await admin.scheduledActions.get(action.id);
        expect(first).toMatchObject({
          status: 'pending',
          retryCount: 1,
          completedSteps: 2,
          totalSteps: 3,
        });
        expect(first.nextRetryAt).toEqual(new Date(clock.now().getTime() + 5 * 60_000));
        expect(first.errorDetails).toMatchObject({ step: 'microsoft' });
        expect(first.errorMessage).toBeTruthy();
        // Not before next_retry_at.
        await timePasses(4 * 60_000);
        await helios.jobs.runOnce();
        expect((await admin.scheduledActions.get(action.id)).retryCount).toBe(1);
        await timePasses(60_000);
        await helios.jobs.runOnce();
        const failed = await admin.scheduledActions.get(action.id);
        expect(failed).toMatchObject({
          status: 'failed',
          retryCount: 1,
          nextRetryAt: null,
          completedAt: clock.now(),
          errorDetails: { step: 'microsoft' },
        });
        expect(await stepsOf(action.id)).toEqual([
          ['local_user', 'completed'],
          ['google', 'completed'],
          ['microsoft', 'failed'],
          ['microsoft', 'failed'],
        ]);
        expect(google.state.users.get(linked.googleId)).toMatchObject({ suspended: true });
      } finally {
        graph.setFaults(null);
      }
    });
  });
});

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
import { recordingMailer } from '../../shared/mailer';
import { systemActor } from '../policy/actor';
import { type LifecycleRunsInternal, RUN_STEP } from './lifecycle.runs';

// Onboarding and offboarding runs against the Google and Graph simulators over HTTP, on both job
// backends (graphile-worker on PostgreSQL, the in-process queue on the embedded database). Time is
// moved with a fake clock, never waited for.

const DOMAIN = 'runs.test';
const E5 = 'c7df2760-2c81-4ef7-b578-5b5392b571df';
const HOUR = 3600_000;
const clock = fixedClock(new Date('2027-03-01T09:00:00Z'));
const mailer = recordingMailer();
let t: TestDatabase;
let helios: Helios;
let admin: HeliosScope;
let google: GoogleDirectorySimulator;
let graph: GraphSimulator;
let googleGroupId: string;
let graphGroupId: string;
/** Access groups linked to the Google group, the Graph group, and a local one. */
let groups: { google: string; microsoft: string; local: string };

async function timePasses(ms: number): Promise<void> {
  clock.advance(ms);
  if (helios.jobs.backend === 'postgres') {
    await sql`update graphile_worker._private_jobs set run_at = run_at - make_interval(secs => ${ms / 1000})`.execute(
      helios.db,
    );
  }
}
const g = (route: string) => google.requests.byRoute[route] ?? 0;
const m = (route: string) => graph.requests.byRoute[route] ?? 0;
const unique = () => randomBytes(3).toString('hex');
const stateOf = (run: { steps: Array<{ id: string; state: string }> }) =>
  Object.fromEntries(run.steps.map((s) => [s.id, s.state]));
async function counts() {
  const q = async (table: string) =>
    Number(
      (
        await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)}`.execute(
          helios.db,
        )
      ).rows[0]!.n,
    );
  return {
    actions: await q('scheduled_user_actions'),
    logs: await q('user_lifecycle_logs'),
    users: await q('organization_users'),
    members: await q('access_group_members'),
    audit: await q('audit_logs'),
    passwords: await q('user_initial_passwords'),
    google: google.requests.total,
    graph: graph.requests.total,
  };
}

/** A user linked to both clouds (created through the write-back), with a manager linked too. */
async function linkedUser(options: { licensed?: boolean; inGroups?: boolean } = {}) {
  const make = async (prefix: string, managerId?: string) => {
    const email = `${prefix}${unique()}@${DOMAIN}`;
    const local = await createTestUser(helios, {
      email,
      ...(managerId ? { reporting_manager_id: managerId } : {}),
    } as never);
    const gu = await admin.google.writeback.createUser({
      primaryEmail: email,
      givenName: 'Lin',
      familyName: 'Ked',
      localUserId: local.id,
    });
    const mu = await admin.microsoft.writeback.createUser({
      userPrincipalName: email,
      displayName: 'Lin Ked',
      usageLocation: 'US',
      localUserId: local.id,
    });
    return { id: local.id, email, googleId: gu.googleId, msId: mu.msId };
  };
  const manager = await make('boss');
  const user = await make('leaver', manager.id);
  if (options.licensed) await admin.microsoft.writeback.assignLicense(user.msId, { add: [E5] });
  if (options.inGroups) {
    for (const id of [groups.google, groups.microsoft, groups.local])
      await admin.accessGroups.addMember(id, user.id);
    await admin.google.writeback.addMember(googleGroupId, user.email);
    await admin.microsoft.writeback.addMember(graphGroupId, user.msId);
  }
  return { user, manager };
}

beforeAll(async () => {
  [google, graph] = await Promise.all([
    startGoogleDirectorySimulator({
      domain: DOMAIN,
      seed: { users: 0, groups: 1, membersPerGroup: 0, orgUnits: 1 },
    }),
    startGraphSimulator({
      domain: DOMAIN,
      seed: { users: 0, groups: 1, membersPerGroup: 0 },
      skus: [{ skuId: E5, skuPartNumber: 'SPE_E5', enabled: 50 }],
    } as never),
  ]);
  t = await createTestDatabase();
  helios = await createHelios({
    ...(t.connectionString ? { databaseUrl: t.connectionString } : { db: t.db }),
    clock,
    mailer,
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
  admin = helios.as({ type: 'user', userId: setup.admin.id });
  await helios.jobs.status();
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
  googleGroupId = [...google.state.groups.keys()][0]!;
  graphGroupId = [...graph.state.groups.keys()][0]!;
  await helios.db
    .insertInto('ms_synced_groups')
    .values({
      organization_id: setup.organization.id,
      ms_id: graphGroupId,
      display_name: 'Eng',
      group_types: JSON.stringify([]),
      raw_data: JSON.stringify(graph.state.groups.get(graphGroupId)),
    })
    .execute();
  const insert = (name: string, platform: string, externalId: string | null) =>
    helios.db
      .insertInto('access_groups')
      .values({
        organization_id: setup.organization.id,
        name,
        platform,
        group_type: 'security',
        external_id: externalId,
        is_active: true,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
  groups = {
    google: (await insert('Eng (Google)', 'google_workspace', googleGroupId)).id,
    microsoft: (await insert('Eng (Microsoft)', 'microsoft_365', graphGroupId)).id,
    local: (await insert('Eng (local)', 'manual', null)).id,
  };
}, 60_000);

afterAll(async () => {
  await helios?.close();
  await t?.destroy();
  await Promise.all([google?.close(), graph?.close()]);
});

beforeEach(async () => {
  google.setFaults(null);
  graph.setFaults?.(null);
  await timePasses(400 * 24 * HOUR);
  await helios.jobs.runOnce();
  mailer.clear();
});

describe(`helios.lifecycle runs (${process.env.DATABASE_URL ? 'PostgreSQL: graphile-worker' : 'embedded: in process'})`, () => {
  it('plans an offboarding with every step and its reason, writing nothing and calling no cloud', async () => {
    const { user, manager } = await linkedUser({ licensed: true, inGroups: true });
    const before = await counts();
    const plan = await admin.lifecycle.offboard.plan({
      userId: user.id,
      lastDay: '2027-03-05',
      overrides: { wipeMobileDevices: true, deleteAccount: true },
    });
    expect(await counts()).toEqual(before);
    const byId = new Map(plan.steps.map((s) => [s.id, s]));
    expect(plan).toMatchObject({ kind: 'offboard', userId: user.id, email: user.email });
    // §6.4 order per cloud, then the local steps and the notices.
    expect(plan.steps.filter((s) => s.platform === 'microsoft').map((s) => s.kind)).toEqual([
      'transfer_data',
      'mail_forwarding',
      'remove_from_groups',
      'remove_from_shared_drives',
      'revoke_tokens',
      'revoke_app_passwords',
      'sign_out',
      'reset_password',
      'wipe_mobile_devices',
      'remove_licenses',
    ]);
    expect(byId.get('microsoft.transfer_data')).toMatchObject({
      state: 'skipped',
      skipReason: 'skipped: Microsoft 365 does not support transferData yet',
    });
    expect(byId.get('google.wipe_mobile_devices')).toMatchObject({
      state: 'skipped',
      skipReason: 'skipped: a wipe needs the explicit confirmation confirmWipe: true',
    });
    expect(byId.get(`microsoft.remove_from_group:${groups.microsoft}`)).toMatchObject({
      state: 'planned',
      call: { operation: 'removeMember', args: [graphGroupId, user.msId] },
    });
    expect(byId.get(`google.remove_from_group:${groups.google}`)).toMatchObject({
      state: 'planned',
      call: { operation: 'removeMember', args: [googleGroupId, user.email] },
    });
    expect(byId.get('microsoft.sign_out')).toMatchObject({
      state: 'planned',
      call: { operation: 'signOut', args: [user.msId] },
    });
    expect(byId.get('google.sign_out')).toMatchObject({
      state: 'skipped',
      skipReason: 'skipped: Google Workspace does not support signOut yet',
    });
    // Licences leave with the suspension at the end of the last day.
    expect(byId.get('microsoft.remove_licenses')).toMatchObject({
      state: 'planned',
      call: { operation: 'removeLicense', args: [user.msId, [E5]] },
      notBefore: '2027-03-06T00:00:00.000Z',
    });
    expect(byId.get('local.schedule_suspend')).toMatchObject({
      state: 'planned',
      call: {
        operation: 'scheduledActions.create',
        args: [
          { actionType: 'suspend', userId: user.id, scheduledFor: '2027-03-06T00:00:00.000Z' },
        ],
      },
    });
    expect(byId.get('local.schedule_delete')?.call?.args[0]).toMatchObject({
      actionType: 'delete',
    });
    expect(byId.get('mail.notify_manager')?.call?.args[0]).toMatchObject({ to: manager.email });

    const onboarding = await admin.lifecycle.onboard.plan({
      user: { email: `new${unique()}@${DOMAIN}`, firstName: 'New', lastName: 'Hire' },
    });
    expect(await counts()).toEqual(before);
    expect(onboarding.steps.map((s) => [s.id, s.state])).toEqual([
      ['local.create_user', 'planned'],
      ['google.create_account', 'planned'],
      ['microsoft.create_account', 'planned'],
      ['mail.welcome', 'skipped'],
    ]);
  });

  it('refuses bad input and non-administrators, writing nothing', async () => {
    const before = await counts();
    await expect(admin.lifecycle.offboard.plan({} as never)).rejects.toMatchObject({
      code: 'VALIDATION.FAILED',
    });
    await expect(
      admin.lifecycle.offboard.apply({ userId: crypto.randomUUID() }),
    ).rejects.toMatchObject({ code: 'LIFECYCLE.RUN_USER_NOT_FOUND' });
    await expect(
      admin.lifecycle.onboard.apply({
        user: { email: `admin@${DOMAIN}`, firstName: 'A', lastName: 'B' },
      }),
    ).rejects.toMatchObject({ code: 'LIFECYCLE.RUN_USER_EXISTS' });
    await expect(
      admin.lifecycle.onboard.plan({
        user: { email: `x@${DOMAIN}`, firstName: 'A', lastName: 'B' },
        overrides: { name: 'not a run field' } as never,
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    const manager = await createTestUser(helios, { role: 'manager' } as never);
    const asManager = helios.as({ type: 'user', userId: manager.id });
    await expect(asManager.lifecycle.offboard.apply({ userId: manager.id })).rejects.toMatchObject({
      kind: 'FORBIDDEN',
    });
    await expect(asManager.lifecycle.runs.list()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    const after = await counts();
    expect({ ...after, users: after.users - 1, audit: 0 }).toEqual({
      ...before,
      audit: 0,
    });
  });

  it('onboards on both clouds: the account, groups and the welcome mail; the rest skipped with the reason', async () => {
    const template = await admin.lifecycle.templates.onboarding.create({
      name: `Eng ${unique()}`,
      groupIds: [groups.google, groups.microsoft, groups.local],
      googleOrgUnitPath: '/Engineering',
      sharedDriveAccess: [{ driveId: 'drive1', role: 'writer' }],
      calendarSubscriptions: ['team@runs.test'],
    });
    const email = `ann${unique()}@${DOMAIN}`;
    const personal = `ann.personal${unique()}@example.org`;
    const before = { gInsert: g('users.insert'), mCreate: m('users.create') };
    const run = await admin.lifecycle.onboard.apply({
      templateId: template.id,
      user: {
        email,
        firstName: 'Ann',
        lastName: 'Lee',
        personalEmail: personal,
        jobTitle: 'Engineer',
        startDate: '2027-03-08',
      },
      portalUrl: 'https://portal.runs.test',
    });
    expect(run.status).toBe('in_progress');
    await helios.jobs.runOnce();
    const done = await admin.lifecycle.runs.get(run.id);
    expect(done).toMatchObject({
      status: 'completed',
      errorMessage: null,
      completedSteps: done.totalSteps,
    });
    expect(stateOf(done)).toMatchObject({
      'local.create_user': 'succeeded',
      'google.create_account': 'succeeded',
      'microsoft.create_account': 'succeeded',
      [`google.group:${groups.google}`]: 'succeeded',
      [`microsoft.group:${groups.microsoft}`]: 'succeeded',
      [`local.group:${groups.local}`]: 'succeeded',
      'google.org_unit': 'skipped',
      'google.shared_drive:drive1': 'skipped',
      'google.calendar:team@runs.test': 'skipped',
      'mail.welcome': 'succeeded',
    });
    expect(done.steps.find((s) => s.id === 'google.org_unit')?.skipReason).toBe(
      'skipped: Google Workspace does not support moveToOrgUnit yet',
    );
    expect(g('users.insert') - before.gInsert).toBe(1);
    expect(m('users.create') - before.mCreate).toBe(1);
    const local = await helios.db
      .selectFrom('organization_users')
      .select(['id', 'job_title', 'google_workspace_id', 'microsoft_365_id'])
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    expect(done.userId).toBe(local.id);
    expect(local.job_title).toBe('Engineer');
    const googleUser = google.state.users.get(local.google_workspace_id!);
    expect(googleUser).toMatchObject({ primaryEmail: email });
    expect(graph.state.users.get(local.microsoft_365_id!)).toMatchObject({
      userPrincipalName: email,
    });
    expect(
      [...(google.state.members.get(googleGroupId)?.values() ?? [])].map((x: any) => x.email),
    ).toContain(email);
    expect([...(graph.state.members.get(graphGroupId) ?? [])]).toContain(local.microsoft_365_id);
    const local3 = await helios.db
      .selectFrom('access_group_members')
      .select('access_group_id')
      .where('user_id', '=', local.id)
      .where('is_active', '=', true)
      .execute();
    expect(local3.map((r) => r.access_group_id).sort()).toEqual(
      [groups.google, groups.microsoft, groups.local].sort(),
    );
    // The initial password is kept encrypted, never in the journal or the mail.
    const password = await helios.db
      .selectFrom('user_initial_passwords')
      .select('encrypted_password')
      .where('user_email', '=', email)
      .executeTakeFirstOrThrow();
    expect(password.encrypted_password).not.toBe(
      google.state.passwords.get(local.google_workspace_id!),
    );
    const plain = google.state.passwords.get(local.google_workspace_id!);
    await helios.jobs.runOnce();
    const mail = mailer.lastTo(personal);
    expect(mail?.subject).toBe('Welcome to Acme, Ann');
    if (plain) {
      expect(JSON.stringify(mail)).not.toContain(plain);
      expect(JSON.stringify(done.journal)).not.toContain(plain);
    }
    // Journal: started + succeeded per run step, skipped ones once.
    expect(
      done.journal.filter((j) => j.stepId === 'google.create_account').map((j) => j.status),
    ).toEqual(['started', 'succeeded']);
    expect(done.journal.find((j) => j.stepId === 'google.org_unit')).toMatchObject({
      status: 'skipped',
      details: {
        platform: 'google',
        reason: 'skipped: Google Workspace does not support moveToOrgUnit yet',
      },
    });
    expect(
      done.journal.find((j) => j.stepId === 'google.create_account' && j.status === 'succeeded'),
    ).toMatchObject({
      details: { platform: 'google', operation: 'createUser', change: { changed: true } },
    });
    const audit = await helios.db
      .selectFrom('audit_logs')
      .select('action')
      .where('resource_id', '=', run.id)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['lifecycle.runs.apply']);
    const page = await admin.lifecycle.runs.list({ kind: 'onboard', limit: 1 });
    expect(page.items[0]?.id).toBe(run.id);
  });

  it('offboards now: suspended in both clouds and locally, groups left, Microsoft signed out, password reset and licence freed', async () => {
    const { user, manager } = await linkedUser({ licensed: true, inGroups: true });
    const before = {
      signOut: m('users.revokeSignInSessions'),
      license: m('users.assignLicense'),
      gRemove: g('members.delete'),
      mRemove: m('groups.members.remove'),
    };
    const run = await admin.lifecycle.offboard.apply({
      userId: user.id,
      overrides: {
        accountAction: 'suspend_immediately',
        licenseAction: 'remove_on_suspension',
        notifyItAdmin: false,
      },
    });
    await helios.jobs.runOnce();
    const done = await admin.lifecycle.runs.get(run.id);
    expect(done.status).toBe('completed');
    expect(stateOf(done)).toMatchObject({
      'google.suspend': 'succeeded',
      'microsoft.suspend': 'succeeded',
      'local.suspend': 'succeeded',
      'microsoft.sign_out': 'succeeded',
      'microsoft.reset_password': 'succeeded',
      'microsoft.remove_licenses': 'succeeded',
      [`google.remove_from_group:${groups.google}`]: 'succeeded',
      [`microsoft.remove_from_group:${groups.microsoft}`]: 'succeeded',
      'local.remove_from_groups': 'succeeded',
      'google.revoke_tokens': 'skipped',
      'microsoft.mail_forwarding': 'skipped',
      'mail.notify_manager': 'succeeded',
    });
    expect(google.state.users.get(user.googleId)).toMatchObject({ suspended: true });
    expect(graph.state.users.get(user.msId)).toMatchObject({
      accountEnabled: false,
      assignedLicenses: [],
    });
    expect(m('users.revokeSignInSessions') - before.signOut).toBe(1);
    expect(m('users.assignLicense') - before.license).toBe(1);
    expect(g('members.delete') - before.gRemove).toBe(1);
    expect(m('groups.members.remove') - before.mRemove).toBe(1);
    expect([...(graph.state.members.get(graphGroupId) ?? [])]).not.toContain(user.msId);
    const status = await helios.db
      .selectFrom('organization_users')
      .select('user_status')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(status.user_status).toBe('suspended');
    const active = await helios.db
      .selectFrom('access_group_members')
      .select('id')
      .where('user_id', '=', user.id)
      .where('is_active', '=', true)
      .execute();
    expect(active).toEqual([]);
    await helios.jobs.runOnce();
    expect(mailer.lastTo(manager.email)?.subject).toContain('leaves Acme');
    // The licence step ran after the suspension it depends on.
    const order = done.journal.filter((j) => j.status === 'succeeded').map((j) => j.stepId);
    expect(order.indexOf('microsoft.remove_licenses')).toBeGreaterThan(
      order.indexOf('microsoft.suspend'),
    );
  });

  it('a failing cloud fails its step after retries, independent steps run, dependants wait; resume finishes with no duplicate call', async () => {
    google.setFaults({ rate: 1, kinds: ['503'] });
    const email = `flaky${unique()}@${DOMAIN}`;
    const personal = `flaky${unique()}@example.org`;
    const run = await admin.lifecycle.onboard.apply({
      user: { email, firstName: 'Fla', lastName: 'Ky', personalEmail: personal },
      overrides: { groupIds: [groups.google, groups.microsoft] },
      portalUrl: 'https://portal.runs.test',
    });
    await helios.jobs.runOnce();
    let current = await admin.lifecycle.runs.get(run.id);
    expect(current.status).toBe('in_progress');
    expect(stateOf(current)['google.create_account']).toBe('queued');
    await timePasses(2_000);
    await helios.jobs.runOnce();
    await timePasses(8_000);
    await helios.jobs.runOnce();
    current = await admin.lifecycle.runs.get(run.id);
    expect(current.status).toBe('failed');
    expect(stateOf(current)).toMatchObject({
      'local.create_user': 'succeeded',
      'google.create_account': 'failed',
      'microsoft.create_account': 'succeeded',
      [`microsoft.group:${groups.microsoft}`]: 'succeeded',
      [`google.group:${groups.google}`]: 'waiting',
      'mail.welcome': 'waiting',
    });
    const failed = current.steps.find((s) => s.id === 'google.create_account')!;
    expect(failed.attempts).toBe(3);
    expect(failed.error?.code).toBeTruthy();
    expect(current.errorMessage).toContain('google.create_account');
    expect(
      current.journal.filter((j) => j.stepId === 'google.create_account').map((j) => j.status),
    ).toEqual(['started', 'failed', 'started', 'failed', 'started', 'failed']);
    expect(mailer.lastTo(personal)).toBeUndefined();

    google.setFaults(null);
    const before = {
      mCreate: m('users.create'),
      gInsert: g('users.insert'),
      mAdd: m('groups.members.add'),
    };
    const users = (await counts()).users;
    const resumed = await admin.lifecycle.runs.resume(run.id);
    expect(resumed.status).toBe('in_progress');
    await helios.jobs.runOnce();
    await helios.jobs.runOnce();
    current = await admin.lifecycle.runs.get(run.id);
    expect(current.status).toBe('completed');
    expect(stateOf(current)).toMatchObject({
      'google.create_account': 'succeeded',
      [`google.group:${groups.google}`]: 'succeeded',
      'mail.welcome': 'succeeded',
    });
    expect(g('users.insert') - before.gInsert).toBe(1);
    expect(m('users.create')).toBe(before.mCreate);
    expect(m('groups.members.add')).toBe(before.mAdd);
    expect((await counts()).users).toBe(users);
    expect(mailer.lastTo(personal)?.subject).toBe('Welcome to Acme, Fla');
    await expect(admin.lifecycle.runs.resume(run.id)).rejects.toMatchObject({
      code: 'LIFECYCLE.RUN_NOT_RESUMABLE',
    });
    const audit = await helios.db
      .selectFrom('audit_logs')
      .select('action')
      .where('resource_id', '=', run.id)
      .execute();
    expect(audit.map((a) => a.action).sort()).toEqual([
      'lifecycle.runs.apply',
      'lifecycle.runs.resume',
    ]);
  });

  it('two workers never run the same step twice', async () => {
    const { user } = await linkedUser();
    const run = await admin.lifecycle.offboard.apply({
      userId: user.id,
      overrides: {
        accountAction: 'suspend_immediately',
        licenseAction: 'keep',
        removeFromAllGroups: false,
        notifyManager: false,
        notifyItAdmin: false,
      },
    });
    const runs = helios.as(systemActor('job:lifecycle.run-step')).lifecycle
      .runs as LifecycleRunsInternal;
    const job = (id: string) => ({
      id,
      task: 'lifecycle.run-step',
      attempt: 1,
      maxAttempts: 10,
      key: `lifecycle-run:${run.id}:microsoft.sign_out`,
    });
    const before = m('users.revokeSignInSessions');
    await Promise.all([
      runs[RUN_STEP](run.id, 'microsoft.sign_out', job('9001')),
      runs[RUN_STEP](run.id, 'microsoft.sign_out', job('9002')),
    ]);
    await helios.jobs.runOnce();
    expect(m('users.revokeSignInSessions') - before).toBe(1);
    const done = await admin.lifecycle.runs.get(run.id);
    expect(done.status).toBe('completed');
    expect(
      done.journal.filter((j) => j.stepId === 'microsoft.sign_out').map((j) => j.status),
    ).toEqual(['started', 'succeeded']);
  });

  it('a run scheduled for later is a pending scheduled action that starts at its time', async () => {
    const { user } = await linkedUser();
    const run = await admin.lifecycle.offboard.apply({
      userId: user.id,
      scheduledFor: new Date(clock.now().getTime() + 3 * HOUR),
      overrides: {
        accountAction: 'keep_active',
        licenseAction: 'keep',
        removeFromAllGroups: false,
        notifyManager: false,
        notifyItAdmin: false,
      },
    });
    expect(run.status).toBe('pending');
    const before = m('users.revokeSignInSessions');
    await helios.jobs.runOnce();
    expect((await admin.lifecycle.runs.get(run.id)).status).toBe('pending');
    expect(m('users.revokeSignInSessions')).toBe(before);
    await timePasses(3 * HOUR);
    await helios.jobs.runOnce();
    await helios.jobs.runOnce();
    const done = await admin.lifecycle.runs.get(run.id);
    expect(done.status).toBe('completed');
    expect(stateOf(done)['microsoft.sign_out']).toBe('succeeded');
    expect(m('users.revokeSignInSessions') - before).toBe(1);
    expect(done.journal[0]).toMatchObject({ stepId: 'claim', status: 'started' });
  });

  it('suspends on the last day: a scheduled suspend fires on the date, the licence leaves with it', async () => {
    const { user } = await linkedUser({ licensed: true });
    const lastDay = new Date(clock.now().getTime() + 24 * HOUR).toISOString().slice(0, 10);
    const run = await admin.lifecycle.offboard.apply({
      userId: user.id,
      lastDay,
      overrides: { notifyItAdmin: false, notifyManager: false, removeFromAllGroups: false },
    });
    await helios.jobs.runOnce();
    let current = await admin.lifecycle.runs.get(run.id);
    expect(current.status).toBe('in_progress');
    expect(stateOf(current)).toMatchObject({
      'local.schedule_suspend': 'succeeded',
      'microsoft.remove_licenses': 'queued',
    });
    const actionId = current.steps.find((s) => s.id === 'local.schedule_suspend')!.output!;
    expect(await admin.scheduledActions.get(actionId)).toMatchObject({
      actionType: 'suspend',
      status: 'pending',
    });
    expect(graph.state.users.get(user.msId)).toMatchObject({ accountEnabled: true });
    await timePasses(12 * HOUR);
    await helios.jobs.runOnce();
    expect(graph.state.users.get(user.msId)).toMatchObject({ accountEnabled: true });
    await timePasses(2 * 24 * HOUR);
    await helios.jobs.runOnce();
    expect(await admin.scheduledActions.get(actionId)).toMatchObject({ status: 'completed' });
    expect(google.state.users.get(user.googleId)).toMatchObject({ suspended: true });
    expect(graph.state.users.get(user.msId)).toMatchObject({
      accountEnabled: false,
      assignedLicenses: [],
    });
    current = await admin.lifecycle.runs.get(run.id);
    expect(current.status).toBe('completed');
  });

  it('a run from an approved request moves it to in progress and completes its system tasks', async () => {
    const template = await admin.lifecycle.templates.onboarding.create({
      name: `Req ${unique()}`,
      groupIds: [groups.local],
      timeline: [
        {
          trigger: 'on_approval',
          actions: [
            { type: 'system', action: 'create_account', title: 'Accounts' },
            { type: 'system', action: 'add_to_groups', title: 'Groups' },
            { type: 'task', title: 'Order a laptop', assignee: 'it' },
          ],
        },
      ],
    });
    const email = `req${unique()}@${DOMAIN}`;
    const request = await admin.lifecycle.requests.create({
      requestType: 'onboard',
      email,
      firstName: 'Rex',
      lastName: 'Quest',
      templateId: template.id,
      startDate: '2027-04-01',
    } as never);
    const approved = await admin.lifecycle.requests.approve(request.id);
    expect(approved.tasks.map((t) => [t.actionType, t.status])).toEqual(
      expect.arrayContaining([
        ['create_account', 'pending'],
        ['add_to_groups', 'pending'],
      ]),
    );
    const run = await admin.lifecycle.onboard.apply({ requestId: request.id });
    expect((await admin.lifecycle.requests.get(request.id)).status).toBe('in_progress');
    await helios.jobs.runOnce();
    expect((await admin.lifecycle.runs.get(run.id)).status).toBe('completed');
    const after = await admin.lifecycle.requests.get(request.id);
    expect(after.userId).toBeTruthy();
    const byAction = Object.fromEntries(
      after.tasks.map((t) => [t.actionType ?? t.title, t.status]),
    );
    expect(byAction).toMatchObject({
      create_account: 'completed',
      add_to_groups: 'completed',
      'Order a laptop': 'pending',
    });
  });
});

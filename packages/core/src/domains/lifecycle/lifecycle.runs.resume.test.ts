import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  admin,
  GOOGLE_SKU,
  google,
  graph,
  helios,
  linkedUser,
  m,
  runThroughRetries,
  stateOf,
  unique,
  useRunsTestBed,
} from './lifecycle.runs.test-kit';

// A provider fault in the middle of an offboarding: the other cloud finishes, the failed cloud's
// steps fail after their retries, and `resume` completes only what is left, with no write twice.

useRunsTestBed();

/** Offboards with a template of these fields (no notices) while every Graph call fails, through the retries. */
async function offboardWithGraphDown(
  userId: string,
  fields: Omit<Parameters<typeof admin.lifecycle.templates.offboarding.create>[0], 'name'>,
) {
  const template = await admin.lifecycle.templates.offboarding.create({
    name: `Leave ${unique()}`,
    notifyItAdmin: false,
    notifyManager: false,
    ...fields,
  });
  graph.setFaults({ rate: 1, kinds: ['503'] });
  const run = await admin.lifecycle.offboard.apply({ userId, templateId: template.id });
  await runThroughRetries();
  return run;
}

const MS_WRITES = [
  'users.mailboxSettings.update',
  'groups.members.remove',
  'users.revokeSignInSessions',
  'users.update',
  'users.assignLicense',
];

describe(`helios.lifecycle runs: a fault, then resume (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('Microsoft down mid-offboarding: Google finishes, Microsoft fails; resume does only the rest, once', async () => {
    const { user } = await linkedUser({ licensed: true, inGroups: true });
    const ws = google.workspace;
    ws.addToken(user.email, { clientId: 'app-2.apps.googleusercontent.com' });
    ws.addAppPassword(user.email, 'phone');
    ws.setLicenseSeats(GOOGLE_SKU, null);
    ws.assignLicense(user.email, GOOGLE_SKU);
    const run = await offboardWithGraphDown(user.id, {
      emailAction: 'auto_reply',
      emailAutoReplySubject: 'Gone',
      emailAutoReplyMessage: 'Lin has left Acme.',
      accountAction: 'suspend_immediately',
    });
    let current = await admin.lifecycle.runs.get(run.id);
    expect(current.status).toBe('failed');
    const states = stateOf(current);
    for (const [id, state] of Object.entries(states)) {
      if (id.startsWith('google.')) expect([id, state]).toEqual([id, 'succeeded']);
    }
    expect(states).toMatchObject({
      'microsoft.auto_reply': 'failed',
      'microsoft.suspend': 'failed',
      'microsoft.remove_licenses': 'waiting',
      'local.suspend': 'succeeded',
    });
    // Google did its part: checked on the simulator.
    expect(ws.gmail(user.email).vacation).toMatchObject({
      enableAutoReply: true,
      responseSubject: 'Gone',
    });
    expect(ws.tokens(user.email)).toEqual([]);
    expect(ws.appPasswords(user.email)).toEqual([]);
    expect(ws.licenses(user.email)).toEqual([]);
    expect(google.state.users.get(user.googleId)).toMatchObject({ suspended: true });
    const googleWrites = google.writeCalls.length;

    graph.setFaults(null);
    // The simulator counts refused calls too: count from here.
    const msBefore = Object.fromEntries(MS_WRITES.map((r) => [r, m(r)]));
    const resumed = await admin.lifecycle.runs.resume(run.id);
    expect(resumed.status).toBe('in_progress');
    await helios.jobs.runOnce();
    await helios.jobs.runOnce();
    current = await admin.lifecycle.runs.get(run.id);
    expect(current.status).toBe('completed');
    // No Google write again; each Microsoft write once.
    expect(google.writeCalls.length).toBe(googleWrites);
    expect(Object.fromEntries(MS_WRITES.map((r) => [r, m(r) - msBefore[r]!]))).toEqual({
      'users.mailboxSettings.update': 1,
      'groups.members.remove': 1,
      'users.revokeSignInSessions': 1,
      'users.update': 2,
      'users.assignLicense': 1,
    });
    expect(graph.state.users.get(user.msId)).toMatchObject({
      accountEnabled: false,
      assignedLicenses: [],
    });
    expect(
      (graph.state.mailboxSettings.get(user.msId) as any)?.automaticRepliesSetting,
    ).toMatchObject({ status: 'alwaysEnabled' });
  });

  it('a run still in progress for a later step (the end of the forwarding) resumes its failed steps, the later one left for its date', async () => {
    const { user, manager } = await linkedUser();
    const run = await offboardWithGraphDown(user.id, {
      emailAction: 'forward_manager',
      accountAction: 'keep_active',
      licenseAction: 'keep',
    });
    let current = await admin.lifecycle.runs.get(run.id);
    // Google's end of the forwarding waits for its date: the run is in progress, with a failed step.
    expect({ run: current.status, ...stateOf(current) }).toMatchObject({
      run: 'in_progress',
      'google.mail_forwarding': 'succeeded',
      'google.end_mail_forwarding': 'queued',
      'microsoft.mail_forwarding': 'failed',
      'microsoft.end_mail_forwarding': 'waiting',
    });

    graph.setFaults(null);
    const rulesBefore = m('messageRules.create');
    const resumed = await admin.lifecycle.runs.resume(run.id);
    expect(resumed.status).toBe('in_progress');
    await helios.jobs.runOnce();
    current = await admin.lifecycle.runs.get(run.id);
    expect({ run: current.status, ...stateOf(current) }).toMatchObject({
      run: 'in_progress',
      'google.mail_forwarding': 'succeeded',
      'google.end_mail_forwarding': 'queued',
      'microsoft.mail_forwarding': 'succeeded',
      'microsoft.end_mail_forwarding': 'queued',
    });
    expect(m('messageRules.create') - rulesBefore).toBe(1);
    const rule = current.steps.find((st) => st.id === 'microsoft.mail_forwarding');
    expect(rule?.call?.args).toEqual([user.msId, manager.email]);
    // Nothing failed is left: a second resume is refused, saying why.
    const again = await admin.lifecycle.runs.resume(run.id).then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(again?.code).toBe('LIFECYCLE.RUN_NOT_RESUMABLE');
    expect(again?.message).toContain('in progress');
  });

  it('Google credentials that fail their test do not skip a linked leaver: the steps are planned (they fail with the cloud error, resumable)', async () => {
    const { user } = await linkedUser();
    // Saved, then tested wrong (and the module not switched on): not "connected".
    await sql`update gw_credentials set is_valid = false`.execute(helios.db);
    await sql`update organization_modules set is_enabled = false where module_id in (select id from modules where slug = 'google_workspace')`.execute(
      helios.db,
    );
    try {
      expect(await admin.integrations.get('google').isConnected()).toBe(false);
      const plan = await admin.lifecycle.offboard.plan({ userId: user.id });
      const googleSteps = plan.steps.filter((st) => st.platform === 'google');
      expect(googleSteps.filter((st) => st.state === 'planned').length).toBeGreaterThan(0);
      expect(plan.steps.filter((st) => (st.skipReason ?? '').includes('not connected'))).toEqual(
        [],
      );
    } finally {
      await sql`update gw_credentials set is_valid = true`.execute(helios.db);
    }
  });
});

import { createTestUser } from '@helios/testing';
import { describe, expect, it } from 'vitest';
import {
  admin,
  clock,
  counts,
  DOMAIN,
  E5,
  GOOGLE_SKU,
  g,
  google,
  googleGroupId,
  graph,
  graphGroupId,
  groups,
  HOUR,
  helios,
  linkedUser,
  m,
  mailer,
  stateOf,
  timePasses,
  unique,
  useRunsTestBed,
} from './lifecycle.runs.test-kit';

// Onboarding and offboarding runs on the simulators: plans, runs, faults and resume.

useRunsTestBed();

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
      'transfer_calendar',
      'decline_meetings',
      'mail_forwarding',
      'end_mail_forwarding',
      'remove_from_groups',
      'remove_from_shared_drives',
      'revoke_tokens',
      'revoke_app_passwords',
      'sign_out',
      'reset_password',
      'wipe_mobile_devices',
      'signature',
      'remove_licenses',
    ]);
    // OneDrive has no ownership transfer: the manager gets write access to the files.
    expect(byId.get('microsoft.transfer_data')).toMatchObject({
      state: 'planned',
      reason: `Write access to the OneDrive files for ${manager.email} (OneDrive has no ownership transfer)`,
      call: { operation: 'grantDriveAccess', args: [user.msId, manager.msId] },
    });
    expect(byId.get('google.wipe_mobile_devices')).toMatchObject({
      state: 'skipped',
      skipReason: 'skipped: a wipe needs the explicit confirmation confirmWipe: true',
    });
    // Both clouds list the user's groups at run time and leave each one.
    expect(byId.get('microsoft.remove_from_groups')).toMatchObject({
      state: 'planned',
      call: {
        operation: 'listUserGroups',
        args: [user.msId],
        andThen: { operation: 'removeMember', args: [{ $each: 'id' }, user.msId] },
      },
    });
    expect(byId.get('google.remove_from_groups')).toMatchObject({
      state: 'planned',
      call: { operation: 'listUserGroups', args: [user.googleId] },
    });
    expect(byId.get('microsoft.sign_out')).toMatchObject({
      state: 'planned',
      call: { operation: 'signOut', args: [user.msId] },
    });
    expect(byId.get('google.sign_out')).toMatchObject({
      state: 'planned',
      call: { operation: 'signOut', args: [user.googleId] },
    });
    // Licences leave with the suspension at the end of the last day.
    expect(byId.get('microsoft.remove_licenses')).toMatchObject({
      state: 'planned',
      call: {
        operation: 'listUserLicenses',
        args: [user.msId],
        andThen: { operation: 'removeLicense', args: [user.msId, { $result: true }] },
      },
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

  it("needs an administrator to offboard an administrator or to pick the welcome mail's link, groups:write to pick a new hire's groups; notices go to the hr and it pools", async () => {
    const other = await createTestUser(helios, { role: 'admin' } as never);
    const key = helios.as({
      type: 'apiKey',
      keyId: '00000000-0000-4000-8000-0000000000a1',
      scopes: ['users:write'],
    });
    const before = await counts();
    for (const call of [
      () => key.lifecycle.offboard.plan({ userId: other.id }),
      () => key.lifecycle.offboard.apply({ userId: other.id }),
    ])
      await expect(call()).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    // Picking a new hire's groups grants access: it needs groups:write too.
    await expect(
      key.lifecycle.onboard.apply({
        user: { email: `picked${unique()}@${DOMAIN}`, firstName: 'P', lastName: 'K' },
        overrides: { groupIds: [groups.google] },
      }),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    expect({ ...(await counts()), audit: 0 }).toEqual({ ...before, audit: 0 });
    const withGroups = helios.as({
      type: 'apiKey',
      keyId: '00000000-0000-4000-8000-0000000000a2',
      scopes: ['users:write', 'groups:write'],
    });
    const planned = await withGroups.lifecycle.onboard.plan({
      user: { email: `picked${unique()}@${DOMAIN}`, firstName: 'P', lastName: 'K' },
      overrides: { groupIds: [groups.local] },
    });
    expect(planned.steps.map((s) => s.id)).toContain(`local.group:${groups.local}`);
    // The welcome mail links to the organization's portal URL; another one needs an administrator.
    const hire = {
      email: `hire${unique()}@${DOMAIN}`,
      firstName: 'H',
      lastName: 'I',
      personalEmail: `hire${unique()}@home.test`,
    };
    await expect(
      key.lifecycle.onboard.plan({ user: hire, portalUrl: 'https://evil.example' }),
    ).rejects.toMatchObject({ kind: 'FORBIDDEN' });
    const welcomeOf = async (
      p: Promise<{ steps: Array<{ id: string; state: string; call: { args: unknown[] } | null }> }>,
    ) => (await p).steps.find((s) => s.id === 'mail.welcome');
    expect(await welcomeOf(key.lifecycle.onboard.plan({ user: hire }))).toMatchObject({
      state: 'skipped',
    });
    await admin.organizations.settings.set({
      key: 'portal.public_url',
      value: 'https://portal.runs.test',
    });
    try {
      const welcome = await welcomeOf(key.lifecycle.onboard.plan({ user: hire }));
      expect(welcome?.state).toBe('planned');
      expect(JSON.stringify(welcome?.call?.args)).toContain('https://portal.runs.test');
      expect(
        (
          await welcomeOf(
            key.lifecycle.onboard.plan({ user: hire, portalUrl: 'https://portal.runs.test' }),
          )
        )?.state,
      ).toBe('planned');
    } finally {
      await admin.organizations.settings.delete('portal.public_url');
    }
    // The same key may offboard a user who is not an administrator, with the template's recipients.
    const { user } = await linkedUser();
    for (const overrides of [
      { notificationEmailAddresses: ['someone@elsewhere.example'] },
      { emailForwardToUserId: other.id, emailAction: 'forward_user' as const },
      { emailAutoReplyMessage: 'Write to me at someone@elsewhere.example' },
    ])
      await expect(
        key.lifecycle.offboard.plan({ userId: user.id, overrides }),
      ).rejects.toMatchObject({ code: 'POLICY.FORBIDDEN' });
    const hr = await createTestUser(helios, {});
    const it1 = await createTestUser(helios, {});
    const gone = await createTestUser(helios, {});
    await admin.lifecycle.tasks.setPoolMembers({ hr: [hr.id, gone.id], it: [it1.id] });
    await admin.users.suspend(gone.id);
    const plan = await key.lifecycle.offboard.plan({
      userId: user.id,
      overrides: { notifyHr: true, notifyItAdmin: true },
    });
    const to = (prefix: string) =>
      plan.steps
        .filter((s) => s.id.startsWith(prefix))
        .map((s) => (s.call?.args[0] as { to?: string } | undefined)?.to);
    expect(to('mail.notify_hr')).toEqual([hr.email]);
    expect(to('mail.notify_it')).toEqual([it1.email]);
    // With no it pool, IT is the active administrators (never the leaver).
    await admin.lifecycle.tasks.setPoolMembers({ hr: [], it: [] });
    const again = await key.lifecycle.offboard.plan({
      userId: user.id,
      overrides: { notifyHr: true, notifyItAdmin: true },
    });
    const itTo = again.steps
      .filter((s) => s.id.startsWith('mail.notify_it'))
      .map((s) => (s.call?.args[0] as { to?: string } | undefined)?.to);
    expect(itTo).toContain(`admin@${DOMAIN}`);
    expect(itTo).toContain(other.email);
    expect(again.steps.find((s) => s.id === 'mail.notify_hr')).toMatchObject({
      state: 'skipped',
      skipReason: 'skipped: no address for HR (the HR pool)',
    });
  });

  it('onboards on both clouds: account, org unit, licences after the seat check, groups, shared drive, calendar and welcome mail', async () => {
    google.workspace.setLicenseSeats(GOOGLE_SKU, 5);
    const drive = google.workspace.addSharedDrive(`Team ${unique()}`);
    const calendar = google.workspace.addCalendar(google.adminEmail, 'Team');
    const template = await admin.lifecycle.templates.onboarding.create({
      name: `Eng ${unique()}`,
      groupIds: [groups.google, groups.microsoft, groups.local],
      googleOrgUnitPath: '/Engineering',
      googleLicenseSku: GOOGLE_SKU,
      sharedDriveAccess: [{ driveId: drive, role: 'writer' }],
      calendarSubscriptions: [calendar],
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
      microsoftLicenseSkuIds: [E5],
      microsoftUsageLocation: 'US',
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
      'google.org_unit': 'succeeded',
      'google.license': 'succeeded',
      'microsoft.license': 'succeeded',
      [`google.shared_drive:${drive}`]: 'succeeded',
      [`google.calendar:${calendar}`]: 'succeeded',
      'mail.welcome': 'succeeded',
    });
    expect(done.steps.filter((s) => s.state === 'skipped')).toEqual([]);
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
    expect(googleUser).toMatchObject({ primaryEmail: email, orgUnitPath: '/Engineering' });
    expect(graph.state.users.get(local.microsoft_365_id!)).toMatchObject({
      userPrincipalName: email,
      assignedLicenses: [{ skuId: E5 }],
    });
    expect(google.workspace.licenses(email)).toEqual([GOOGLE_SKU]);
    expect(google.workspace.sharedDriveMembers(drive)).toContainEqual({ email, role: 'writer' });
    expect(google.workspace.calendarAcl(calendar)).toContainEqual(
      expect.objectContaining({ id: `user:${email}`, role: 'reader' }),
    );
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
    expect(
      done.journal.find((j) => j.stepId === 'google.org_unit' && j.status === 'succeeded'),
    ).toMatchObject({
      details: { platform: 'google', operation: 'moveToOrgUnit', change: { changed: true } },
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

  it('offboards now: every step does its work on both clouds, checked on the simulators', async () => {
    const { user, manager } = await linkedUser({ licensed: true, inGroups: true });
    const passwords = {
      google: google.state.passwords.get(user.googleId),
      graph: graph.state.passwords.get(user.msId),
    };
    const ws = google.workspace;
    const file = ws.addDriveFile(user.email, 'Plans');
    const drive = ws.addSharedDrive(`Leaver ${unique()}`, [{ email: user.email, role: 'writer' }]);
    ws.addToken(user.email, { clientId: 'app-1.apps.googleusercontent.com' });
    ws.addAppPassword(user.email, 'mail client');
    ws.setLicenseSeats(GOOGLE_SKU, null);
    ws.assignLicense(user.email, GOOGLE_SKU);
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
    // Everything ran but the end of the Microsoft forwarding, 30 days on (emailForwardDurationDays).
    expect(done.status).toBe('in_progress');
    expect(stateOf(done)).toMatchObject({
      'microsoft.end_mail_forwarding': 'queued',
      'google.end_mail_forwarding': 'skipped',
      'google.suspend': 'succeeded',
      'microsoft.suspend': 'succeeded',
      'local.suspend': 'succeeded',
      'microsoft.sign_out': 'succeeded',
      'microsoft.reset_password': 'succeeded',
      'microsoft.remove_licenses': 'succeeded',
      'google.remove_from_groups': 'succeeded',
      'microsoft.remove_from_groups': 'succeeded',
      'local.remove_from_groups': 'succeeded',
      'google.transfer_data': 'succeeded',
      'google.decline_meetings': 'succeeded',
      'microsoft.decline_meetings': 'succeeded',
      'google.signature': 'succeeded',
      'google.mail_forwarding': 'succeeded',
      'google.remove_from_shared_drives': 'succeeded',
      'google.revoke_tokens': 'succeeded',
      'google.revoke_app_passwords': 'succeeded',
      'google.sign_out': 'succeeded',
      'google.reset_password': 'succeeded',
      'google.remove_licenses': 'succeeded',
      'microsoft.mail_forwarding': 'succeeded',
      'microsoft.transfer_data': 'succeeded',
      'mail.notify_manager': 'succeeded',
    });
    // Only what Microsoft cannot do is skipped, each with its reason.
    expect(
      done.steps.filter((s) => s.state === 'skipped').map((s) => [s.id, s.skipReason]),
    ).toEqual([
      [
        'google.end_mail_forwarding',
        `skipped: a suspended Google account receives no mail, so forwarding stops with the suspension (accountAction suspend_immediately), before ${new Date(clock.now().getTime() + 30 * 24 * HOUR).toISOString()}`,
      ],
      [
        'microsoft.transfer_calendar',
        "skipped: Microsoft 365 has no transfer of meeting ownership (Graph cannot change a meeting's organizer); the meetings the user organizes stay theirs",
      ],
      [
        'microsoft.remove_from_shared_drives',
        'skipped: Microsoft 365 has no shared drives like Google; SharePoint sites and Teams follow group memberships (remove_from_groups)',
      ],
      [
        'microsoft.revoke_tokens',
        'skipped: Microsoft 365 does not support revokeTokens yet (application grants are not revoked one by one), but the sign-out step (revokeSignInSessions) invalidates the refresh tokens of every application',
      ],
      [
        'microsoft.revoke_app_passwords',
        'skipped: Microsoft Graph has no app password API (legacy per-user MFA app passwords); blocking sign-in (the suspension) stops them',
      ],
      [
        'microsoft.signature',
        'skipped: Microsoft 365 has no signature API (Outlook signatures are not in Microsoft Graph)',
      ],
    ]);
    expect(google.state.users.get(user.googleId)).toMatchObject({ suspended: true });
    // Drive data now belongs to the manager; mail goes to them; the rest is gone.
    expect(ws.driveFilesOwnedBy(manager.email)).toContain(file);
    expect(ws.driveFilesOwnedBy(user.email)).toEqual([]);
    expect(ws.gmail(user.email).autoForwarding).toMatchObject({
      enabled: true,
      emailAddress: manager.email,
    });
    expect(ws.sharedDriveMembers(drive).map((x) => x.email)).not.toContain(user.email);
    expect(ws.tokens(user.email)).toEqual([]);
    expect(ws.appPasswords(user.email)).toEqual([]);
    expect(ws.signOuts(user.email)).toBe(1);
    expect(ws.licenses(user.email)).toEqual([]);
    expect(
      [...(google.state.members.get(googleGroupId)?.values() ?? [])].map((x: any) => x.email),
    ).not.toContain(user.email);
    const rules = graph.state.messageRules.get(user.msId);
    expect(JSON.stringify([...(rules?.values() ?? [])])).toContain(manager.email);
    expect(google.state.passwords.get(user.googleId)).not.toBe(passwords.google);
    expect(graph.state.passwords.get(user.msId)).not.toBe(passwords.graph);
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
    // 30 days on, the forwarding rule goes and the run completes.
    await timePasses(29 * 24 * HOUR);
    await helios.jobs.runOnce();
    expect((await admin.lifecycle.runs.get(run.id)).status).toBe('in_progress');
    await timePasses(1 * 24 * HOUR);
    await helios.jobs.runOnce();
    const ended = await admin.lifecycle.runs.get(run.id);
    expect(ended.status).toBe('completed');
    expect(stateOf(ended)['microsoft.end_mail_forwarding']).toBe('succeeded');
    const left = graph.state.messageRules.get(user.msId);
    expect(JSON.stringify([...(left?.values() ?? [])])).not.toContain(manager.email);
    // Google's steps that act as the user (Gmail settings, their shared drives) ran before their
    // account was suspended: a suspended account cannot be acted as.
    const suspendedAt = order.indexOf('google.suspend');
    for (const id of ['google.mail_forwarding', 'google.remove_from_shared_drives'])
      expect(order.indexOf(id)).toBeLessThan(suspendedAt);
    const suspend = done.steps.find((s) => s.id === 'google.suspend');
    expect(suspend?.dependsOn).toEqual([]);
    expect(suspend?.after).toEqual(
      expect.arrayContaining(['google.mail_forwarding', 'google.remove_from_shared_drives']),
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

  it('an unknown delegated admin (GOOGLE.ADMIN_NOT_FOUND) fails its step at once with the explanation, no retry', async () => {
    await admin.google.credentials.configure({
      serviceAccountKey: google.serviceAccountKey,
      adminEmail: `nobody${unique()}@${DOMAIN}`,
      domain: DOMAIN,
    });
    // As if the admin was deleted in Google after the connection test passed.
    await helios.db.updateTable('gw_credentials').set({ is_valid: true }).execute();
    try {
      const personal = `noadmin${unique()}@example.org`;
      const run = await admin.lifecycle.onboard.apply({
        user: {
          email: `noadmin${unique()}@${DOMAIN}`,
          firstName: 'No',
          lastName: 'Admin',
          personalEmail: personal,
        },
        overrides: { groupIds: [groups.microsoft] },
        portalUrl: 'https://portal.runs.test',
      });
      await helios.jobs.runOnce();
      const current = await admin.lifecycle.runs.get(run.id);
      expect(current.status).toBe('failed');
      const failed = current.steps.find((s) => s.id === 'google.create_account')!;
      expect(failed.state).toBe('failed');
      expect(failed.attempts).toBe(1);
      expect(failed.error?.code).toBe('GOOGLE.ADMIN_NOT_FOUND');
      expect(failed.error?.message).toContain('set adminEmail to an existing super administrator');
      expect(
        current.journal.filter((j) => j.stepId === 'google.create_account').map((j) => j.status),
      ).toEqual(['started', 'failed']);
      expect(stateOf(current)['microsoft.create_account']).toBe('succeeded');
    } finally {
      await admin.google.credentials.configure({
        serviceAccountKey: google.serviceAccountKey,
        adminEmail: google.adminEmail,
        domain: DOMAIN,
      });
      expect((await admin.google.credentials.testConnection()).ok).toBe(true);
    }
  });
});

import { GRAPH_APPLICATION_PERMISSIONS } from '@helios/testing';
import { describe, expect, it } from 'vitest';
import {
  admin,
  clock,
  google,
  graph,
  HOUR,
  helios,
  linkedUser,
  m,
  stateOf,
  useRunsTestBed,
} from './lifecycle.runs.test-kit';

// Offboarding and the user's calendar and signature on both simulators: future meetings declined
// or cancelled, meeting ownership transferred, the signature cleared or replaced.

useRunsTestBed();

/** Every template step off but the calendar and signature ones. */
const ONLY_CALENDAR = {
  driveAction: 'keep',
  emailAction: 'keep',
  removeFromAllGroups: false,
  removeFromSharedDrives: false,
  revokeOauthTokens: false,
  revokeAppPasswords: false,
  signOutAllDevices: false,
  resetPassword: false,
  removeSignature: false,
  accountAction: 'keep_active',
  licenseAction: 'keep',
  notifyManager: false,
  notifyItAdmin: false,
} as const;

const at = (hoursFromNow: number) => new Date(clock.now().getTime() + hoursFromNow * HOUR);
const iso = (hoursFromNow: number) => at(hoursFromNow).toISOString();
const googleWrites = (route: string, subject: string) =>
  google.writeCalls.filter((c) => c.route === route && c.subject === subject).length;

/** Meetings on both clouds around the leaver: invited, already declined, organized, past. */
function seedMeetings(
  user: { email: string; msId: string },
  other: { email: string; msId: string },
) {
  const ws = google.workspace;
  const meeting = (h: number) => ({ start: iso(h), end: iso(h + 1) });
  return {
    google: {
      invited: ws.addCalendarEvent(other.email, {
        summary: 'Weekly',
        ...meeting(24),
        attendees: [{ email: user.email }],
      }),
      declined: ws.addCalendarEvent(other.email, {
        summary: 'Optional',
        ...meeting(48),
        attendees: [{ email: user.email, responseStatus: 'declined' }],
      }),
      organized: ws.addCalendarEvent(user.email, {
        summary: 'Handover',
        ...meeting(72),
        attendees: [{ email: other.email, responseStatus: 'accepted' }],
      }),
      past: ws.addCalendarEvent(other.email, {
        summary: 'Last week',
        ...meeting(-170),
        attendees: [{ email: user.email }],
      }),
    },
    graph: {
      invited: graph.addMeeting(other.msId, {
        subject: 'Weekly',
        ...meeting(24),
        attendees: [{ user: user.msId }],
      }),
      declined: graph.addMeeting(other.msId, {
        subject: 'Optional',
        ...meeting(48),
        attendees: [{ user: user.msId, response: 'declined' }],
      }),
      organized: graph.addMeeting(user.msId, {
        subject: 'Handover',
        ...meeting(72),
        attendees: [{ user: other.msId, response: 'accepted' }],
      }),
      past: graph.addMeeting(other.msId, {
        subject: 'Last week',
        ...meeting(-170),
        attendees: [{ user: user.msId }],
      }),
    },
  };
}

const answerOf = (eventId: string, email: string) =>
  google.workspace.calendarEvent(eventId)?.attendees.find((a) => a.email === email)?.responseStatus;
const graphAnswerOf = (meetingId: string, msId: string) =>
  graph.meeting(meetingId)?.attendees.find((a) => a.userId === msId)?.response;

describe(`offboarding: calendar and signature (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, () => {
  it('declines the invitations and cancels the meetings the user organizes on both clouds; a rerun acts on nothing twice', async () => {
    const { user, manager } = await linkedUser();
    const ev = seedMeetings(user, manager);
    const overrides = { ...ONLY_CALENDAR, calendarTransferMeetingOwnership: false };
    const plan = await admin.lifecycle.offboard.plan({ userId: user.id, overrides });
    const byId = new Map(plan.steps.map((s) => [s.id, s]));
    expect(byId.get('google.decline_meetings')).toMatchObject({
      state: 'planned',
      call: { operation: 'declineFutureMeetings', args: [user.googleId, 'cancel'] },
    });
    expect(byId.get('microsoft.decline_meetings')).toMatchObject({
      state: 'planned',
      call: { operation: 'declineFutureMeetings', args: [user.msId, 'cancel'] },
    });
    expect(byId.has('google.transfer_calendar')).toBe(false);

    const before = { decline: m('events.decline'), cancel: m('events.cancel') };
    const run = await admin.lifecycle.offboard.apply({ userId: user.id, overrides });
    await helios.jobs.runOnce();
    const done = await admin.lifecycle.runs.get(run.id);
    expect(done.status).toBe('completed');
    expect(stateOf(done)).toMatchObject({
      'google.decline_meetings': 'succeeded',
      'microsoft.decline_meetings': 'succeeded',
    });
    // Google: the user's own answer declined, the organized meeting cancelled, the rest untouched.
    expect(answerOf(ev.google.invited, user.email)).toBe('declined');
    expect(answerOf(ev.google.invited, manager.email)).toBe('accepted');
    expect(google.workspace.calendarEvent(ev.google.organized)?.status).toBe('cancelled');
    expect(answerOf(ev.google.past, user.email)).toBe('needsAction');
    expect(google.workspace.calendarEvent(ev.google.invited)?.status).toBe('confirmed');
    expect(googleWrites('calendar.events.patch', user.email)).toBe(1);
    expect(googleWrites('calendar.events.delete', user.email)).toBe(1);
    // Graph: decline and cancel, once each.
    expect(graphAnswerOf(ev.graph.invited, user.msId)).toBe('declined');
    expect(graph.meeting(ev.graph.organized)?.isCancelled).toBe(true);
    expect(graphAnswerOf(ev.graph.past, user.msId)).toBe('notResponded');
    expect(graph.meeting(ev.graph.invited)?.isCancelled).toBe(false);
    expect(m('events.decline') - before.decline).toBe(1);
    expect(m('events.cancel') - before.cancel).toBe(1);

    // A second offboarding finds nothing left to decline or cancel.
    const again = await admin.lifecycle.offboard.apply({ userId: user.id, overrides });
    await helios.jobs.runOnce();
    expect((await admin.lifecycle.runs.get(again.id)).status).toBe('completed');
    expect(googleWrites('calendar.events.patch', user.email)).toBe(1);
    expect(googleWrites('calendar.events.delete', user.email)).toBe(1);
    expect(m('events.decline') - before.decline).toBe(1);
    expect(m('events.cancel') - before.cancel).toBe(1);
  });

  it('moves meeting ownership to its own target in a transfer of its own and leaves the organized meetings to it', async () => {
    const { user, manager } = await linkedUser();
    const { user: heir } = await linkedUser();
    const ev = seedMeetings(user, manager);
    const overrides = {
      ...ONLY_CALENDAR,
      driveAction: 'transfer_manager',
      calendarTransferMeetingOwnership: true,
      calendarTransferToManager: false,
      calendarTransferToUserId: heir.id,
    } as const;
    const plan = await admin.lifecycle.offboard.plan({ userId: user.id, overrides });
    const byId = new Map(plan.steps.map((s) => [s.id, s]));
    expect(byId.get('google.transfer_data')?.call).toMatchObject({
      operation: 'transferData',
      args: [user.googleId, manager.googleId, ['drive']],
    });
    expect(byId.get('google.transfer_calendar')).toMatchObject({
      state: 'planned',
      reason: `Ownership of the meetings the user organizes to ${heir.email}`,
      call: { operation: 'transferData', args: [user.googleId, heir.googleId, ['calendar']] },
    });
    expect(byId.get('google.decline_meetings')).toMatchObject({
      dependsOn: ['google.transfer_calendar'],
      call: { args: [user.googleId, 'keep'] },
    });
    expect(byId.get('microsoft.transfer_calendar')).toMatchObject({
      state: 'skipped',
      skipReason:
        "skipped: Microsoft 365 has no transfer of meeting ownership (Graph cannot change a meeting's organizer); the meetings the user organizes stay theirs",
    });

    const run = await admin.lifecycle.offboard.apply({ userId: user.id, overrides });
    await helios.jobs.runOnce();
    const done = await admin.lifecycle.runs.get(run.id);
    expect(done.status).toBe('completed');
    const order = done.journal.filter((j) => j.status === 'succeeded').map((j) => j.stepId);
    expect(order.indexOf('google.decline_meetings')).toBeGreaterThan(
      order.indexOf('google.transfer_calendar'),
    );
    // Two Data Transfers: the Drive data to the manager, the calendar to the heir.
    const mine = google.workspace
      .transfers()
      .filter((t) => t.oldOwnerUserId === user.googleId)
      .map((t) => [
        t.newOwnerUserId,
        t.applicationDataTransfers.map((a: { applicationId: string }) => a.applicationId),
      ]);
    expect(mine).toHaveLength(2);
    expect(mine).toContainEqual([heir.googleId, ['435070579839']]);
    expect(mine).toContainEqual([manager.googleId, ['55656082996']]);
    // Invitations declined; the organized meetings kept on both clouds.
    expect(answerOf(ev.google.invited, user.email)).toBe('declined');
    expect(google.workspace.calendarEvent(ev.google.organized)?.status).toBe('confirmed');
    expect(graphAnswerOf(ev.graph.invited, user.msId)).toBe('declined');
    expect(graph.meeting(ev.graph.organized)?.isCancelled).toBe(false);
  });

  it('keeps one Data Transfer with both applications when the meetings go where the Drive data goes', async () => {
    const { user, manager } = await linkedUser();
    const plan = await admin.lifecycle.offboard.plan({
      userId: user.id,
      overrides: { ...ONLY_CALENDAR, driveAction: 'transfer_manager' },
    });
    const byId = new Map(plan.steps.map((s) => [s.id, s]));
    expect(byId.get('google.transfer_data')?.call).toMatchObject({
      args: [user.googleId, manager.googleId, ['drive', 'calendar']],
    });
    expect(byId.has('google.transfer_calendar')).toBe(false);
    expect(byId.get('google.decline_meetings')?.dependsOn).toEqual(['google.transfer_data']);
  });

  it('skips the meeting transfer with its reason when there is no manager to give the meetings to', async () => {
    const { manager } = await linkedUser();
    // The manager has no manager of their own.
    const plan = await admin.lifecycle.offboard.plan({
      userId: manager.id,
      overrides: { ...ONLY_CALENDAR },
    });
    expect(plan.steps.find((s) => s.id === 'google.transfer_calendar')).toMatchObject({
      state: 'skipped',
      skipReason: 'skipped: no manager to transfer the meetings to',
    });
  });

  it('replaces or clears the Gmail signature; Microsoft 365 skips it with the reason; a rerun writes nothing', async () => {
    const { user } = await linkedUser();
    const text = '<p>Lin has left Acme: write to <b>it@runs.test</b>.</p>';
    const overrides = {
      ...ONLY_CALENDAR,
      calendarDeclineFutureMeetings: false,
      calendarTransferMeetingOwnership: false,
      removeSignature: true,
      setOffboardingSignature: true,
      offboardingSignatureText: text,
    };
    const plan = await admin.lifecycle.offboard.plan({ userId: user.id, overrides });
    const byId = new Map(plan.steps.map((s) => [s.id, s]));
    expect(byId.get('google.signature')).toMatchObject({
      state: 'planned',
      reason: 'The signature of the primary address replaced by the offboarding signature',
      call: { operation: 'setSignature', args: [user.googleId, text] },
    });
    expect(byId.get('microsoft.signature')).toMatchObject({
      state: 'skipped',
      skipReason:
        'skipped: Microsoft 365 has no signature API (Outlook signatures are not in Microsoft Graph)',
    });
    const primary = () => google.workspace.gmail(user.email).sendAs.find((a) => a.isPrimary);
    const run = await admin.lifecycle.offboard.apply({ userId: user.id, overrides });
    await helios.jobs.runOnce();
    expect((await admin.lifecycle.runs.get(run.id)).status).toBe('completed');
    expect(primary()?.signature).toBe(text);

    const clear = { ...overrides, setOffboardingSignature: false, offboardingSignatureText: null };
    const cleared = await admin.lifecycle.offboard.apply({ userId: user.id, overrides: clear });
    await helios.jobs.runOnce();
    expect((await admin.lifecycle.runs.get(cleared.id)).status).toBe('completed');
    expect(primary()?.signature).toBe('');
    const patches = googleWrites('gmail.sendAs.patch', user.email);
    expect(patches).toBe(2);
    const again = await admin.lifecycle.offboard.apply({ userId: user.id, overrides: clear });
    await helios.jobs.runOnce();
    expect((await admin.lifecycle.runs.get(again.id)).status).toBe('completed');
    expect(googleWrites('gmail.sendAs.patch', user.email)).toBe(patches);
  });

  it('reads every page of the calendar: an invitation after 255 declined ones is declined, through the contract', async () => {
    const { user, manager } = await linkedUser();
    const slot = (h: number) => ({ start: iso(h), end: iso(h + 1) });
    for (let i = 0; i < 255; i++) {
      google.workspace.addCalendarEvent(manager.email, {
        summary: `Old ${i}`,
        ...slot(10 + i),
        attendees: [{ email: user.email, responseStatus: 'declined' }],
      });
      graph.addMeeting(manager.msId, {
        subject: `Old ${i}`,
        ...slot(10 + i),
        attendees: [{ user: user.msId, response: 'declined' }],
      });
    }
    const lastG = google.workspace.addCalendarEvent(manager.email, {
      summary: 'Late',
      ...slot(400),
      attendees: [{ email: user.email }],
    });
    const lastM = graph.addMeeting(manager.msId, {
      subject: 'Late',
      ...slot(400),
      attendees: [{ user: user.msId }],
    });
    const before = m('events.calendarView');
    const gChange = await admin.integrations
      .get('google')
      .declineFutureMeetings(user.googleId, 'keep');
    expect(gChange).toEqual({ changed: true, items: [`declined:${lastG}`] });
    expect(answerOf(lastG, user.email)).toBe('declined');
    const mChange = await admin.integrations
      .get('microsoft')
      .declineFutureMeetings(user.msId, 'keep');
    expect(mChange.changed).toBe(true);
    expect(mChange.items).toHaveLength(1);
    expect(graphAnswerOf(lastM, user.msId)).toBe('declined');
    expect(m('events.calendarView') - before).toBe(2);
    // Read first: nothing left to do.
    expect(
      await admin.integrations.get('google').declineFutureMeetings(user.googleId, 'keep'),
    ).toEqual({ changed: false, items: [] });
  });

  it('needs Graph Calendars.ReadWrite to decline: without it the call fails naming the permission, changing nothing', async () => {
    const { user, manager } = await linkedUser();
    const invited = graph.addMeeting(manager.msId, {
      subject: 'Weekly',
      start: iso(5),
      end: iso(6),
      attendees: [{ user: user.msId }],
    });
    graph.grantPermissions(
      GRAPH_APPLICATION_PERMISSIONS.filter((p) => p !== 'Calendars.ReadWrite'),
    );
    try {
      const error = await admin.integrations
        .get('microsoft')
        .declineFutureMeetings(user.msId, 'keep')
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'MICROSOFT.PERMISSION_MISSING' });
      expect(String((error as Error).message)).toContain('Calendars.ReadWrite');
      expect(graphAnswerOf(invited, user.msId)).toBe('notResponded');
    } finally {
      graph.grantPermissions([...GRAPH_APPLICATION_PERMISSIONS]);
    }
  });
});

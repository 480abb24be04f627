/**
 * The offboarding step for the user's files, per cloud, by the template's `driveAction`:
 * `transfer_manager` / `transfer_user` (Google: a Data Transfer of `drive`, with `calendar` when
 * meeting ownership goes to the same user; Microsoft: write access to the user's OneDrive for the
 * target, `grantDriveAccess`, since OneDrive has no ownership transfer), `archive` (into a folder
 * of a Google shared drive; Microsoft has no such target and skips it), `delete` (the files deleted
 * for good N days after the last day or now; Google only while the account is not suspended by
 * then, Microsoft acts on a blocked account with application permissions), or `keep`.
 */
import type { PlanBuilder, PlanCloud } from './lifecycle.runs.plan';
import type { OffboardPerson, OffboardPlanContext } from './lifecycle.steps.offboard';

/** What the Drive step needs beyond the plan context. */
export interface DriveStepInput {
  c: PlanCloud;
  linked: boolean;
  /** The cloud's id of the leaver. */
  user: string;
  /** A person's account in this cloud, or null. */
  accountOf: (person: OffboardPerson | null) => string | null;
  /** Whether a Google suspension comes before the step could run. */
  suspendedBefore: boolean;
  /** `the last day` or `now`. */
  from: string;
  /** Where meeting ownership goes, when the template moves it. */
  calendarTarget: OffboardPerson | null;
}

/**
 * Plans `<cloud>.transfer_data`, `<cloud>.archive_files` or `<cloud>.delete_drive_files`. Returns
 * the id of the transfer step when meeting ownership rides along with it, else null.
 */
export function planDriveAction(
  plan: PlanBuilder,
  ctx: OffboardPlanContext,
  input: DriveStepInput,
): string | null {
  const t = ctx.template;
  const { c, linked, user } = input;
  const name = c.cloud.displayName;
  const extra = { taskAction: 'transfer_data' };
  const transferReason = `Drive: ${t.driveAction}`;
  if (t.driveAction === 'transfer_manager' || t.driveAction === 'transfer_user') {
    const target = t.driveAction === 'transfer_manager' ? ctx.manager : ctx.driveTarget;
    const targetId = input.accountOf(target);
    const skip = (why: string) =>
      plan.skip(`${c.id}.transfer_data`, 'transfer_data', c.id, transferReason, why, extra);
    if (!target)
      skip(
        `skipped: no ${t.driveAction === 'transfer_manager' ? 'manager' : 'target user'} to transfer to`,
      );
    else if (linked && c.connected && !targetId)
      skip(`skipped: ${target.email} has no ${name} account linked`);
    else if (c.id === 'microsoft')
      plan.cloud(
        c,
        linked,
        'transfer_data',
        'transfer_data',
        `Write access to the OneDrive files for ${target.email} (OneDrive has no ownership transfer)`,
        ['grantDriveAccess'],
        () => ({ operation: 'grantDriveAccess', args: [user, targetId] }),
        [],
        extra,
      );
    else {
      const withCalendar =
        t.calendarTransferMeetingOwnership && input.calendarTarget?.id === target.id;
      const apps = withCalendar ? ['drive', 'calendar'] : ['drive'];
      plan.cloud(
        c,
        linked,
        'transfer_data',
        'transfer_data',
        `Ownership of ${apps.join(' and ')} data to ${target.email}`,
        ['transferData'],
        () => ({ operation: 'transferData', args: [user, targetId, apps] }),
        [],
        extra,
      );
      if (withCalendar) return `${c.id}.transfer_data`;
    }
  } else if (t.driveAction === 'archive') {
    const sharedDriveId = t.driveArchiveSharedDriveId;
    const reason = `The files the user owns moved into the folder "${ctx.user.email} (archived)" of the shared drive ${sharedDriveId}`;
    if (!sharedDriveId)
      plan.skip(
        `${c.id}.archive_files`,
        'archive_files',
        c.id,
        transferReason,
        'skipped: no shared drive to archive into (driveArchiveSharedDriveId)',
        extra,
      );
    else if (c.id === 'microsoft' && c.connected && linked)
      plan.skip(
        `${c.id}.archive_files`,
        'archive_files',
        c.id,
        reason,
        `skipped: the archive target is a Google shared drive, which ${name} cannot move OneDrive files into; the OneDrive files stay with the account until it is deleted (choose transfer_manager or transfer_user to give someone access to them)`,
        extra,
      );
    else
      plan.cloud(
        c,
        linked,
        'archive_files',
        'archive_files',
        reason,
        ['archiveUserFiles'],
        () => ({ operation: 'archiveUserFiles', args: [user, sharedDriveId] }),
        [],
        extra,
      );
  } else if (t.driveAction === 'delete') {
    const at = new Date(
      (ctx.lastDayEnd ?? ctx.now).getTime() + t.driveDeleteAfterDays * 86_400_000,
    );
    const what =
      c.id === 'microsoft' ? "The files in the user's OneDrive" : 'The files the user owns';
    const reason = `${what} deleted for good ${t.driveDeleteAfterDays} days after ${input.from}, ${at.toISOString()}`;
    if (input.suspendedBefore)
      plan.skip(
        `${c.id}.delete_drive_files`,
        'delete_drive_files',
        c.id,
        reason,
        `skipped: Drive deletes a user's files only acting as that user, and Google gives no access to a suspended account, which this one is by then (accountAction ${t.accountAction}); the files go with the account when it is deleted (deleteAccount)`,
        extra,
      );
    else
      plan.cloud(
        c,
        linked,
        'delete_drive_files',
        'delete_drive_files',
        reason,
        ['deleteUserFiles'],
        () => ({ operation: 'deleteUserFiles', args: [user] }),
        [],
        { notBefore: at.toISOString(), ...extra },
      );
  } else {
    plan.skip(
      `${c.id}.transfer_data`,
      'transfer_data',
      c.id,
      transferReason,
      'skipped: the template keeps the data in place',
      extra,
    );
  }
  return null;
}

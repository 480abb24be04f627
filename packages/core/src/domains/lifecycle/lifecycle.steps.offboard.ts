/**
 * The offboarding plan, in the order of predecessor §6.4, every step real and through the
 * integration contract: data transfer (OneDrive: write access for the target), archive into a
 * shared drive or deletion N days on (lifecycle.steps.offboard.drive.ts; Google's act as the
 * user, so before any suspension), meeting ownership and the future meetings declined
 * (lifecycle.steps.offboard.calendar.ts), mail forwarding (ended N days on) or auto-reply, groups
 * (cloud and local), shared drives, OAuth tokens, app passwords, sign-out, password reset, mobile
 * wipe (only with confirmation when the template asks for it), the signature, licences per
 * `licenseAction`, the account per `accountAction` (suspend now, or a scheduled `suspend` on the
 * last day), a scheduled `delete` after N days, and the notices to the manager, IT, HR and extra
 * addresses.
 */

import type { PlanBuilder, PlanCloud } from './lifecycle.runs.plan';
import {
  planCalendarTransfer,
  planDeclineMeetings,
  planSignature,
} from './lifecycle.steps.offboard.calendar';
import { planDriveAction } from './lifecycle.steps.offboard.drive';
import type { OffboardingTemplate } from './lifecycle.templates';

/** Why a cloud skips a step, and what covers it instead (more than "does not support ... yet"). */
const NO_API: Partial<Record<string, Partial<Record<string, string>>>> = {
  microsoft: {
    revokeTokens:
      'Microsoft 365 does not support revokeTokens yet (application grants are not revoked one by one), but the sign-out step (revokeSignInSessions) invalidates the refresh tokens of every application',
    revokeAppPasswords:
      'Microsoft Graph has no app password API (legacy per-user MFA app passwords); blocking sign-in (the suspension) stops them',
    removeFromSharedDrives:
      'Microsoft 365 has no shared drives like Google; SharePoint sites and Teams follow group memberships (remove_from_groups)',
  },
};

/** A user as the offboarding plan needs them. */
export interface OffboardPerson {
  id: string;
  email: string;
  name: string;
}

/** What the offboarding planner reads. */
export interface OffboardPlanContext {
  user: OffboardPerson;
  /** The template with the overrides applied. */
  template: OffboardingTemplate;
  clouds: PlanCloud[];
  manager: OffboardPerson | null;
  /** The user the data goes to (`transfer_user`), and where mail is forwarded (`forward_user`). */
  driveTarget: OffboardPerson | null;
  forwardTarget: OffboardPerson | null;
  /** The user meeting ownership goes to when not the manager (`calendarTransferToUserId`). */
  calendarTarget?: OffboardPerson | null;
  /** Each cloud's account of the people above: `${cloud}:${userId}` -> external id. */
  accounts: Map<string, string | null>;
  /** The user's active access-group memberships, with the cloud group each is linked to. */
  groups: Array<{ id: string; name: string; platform: string; externalId: string | null }>;
  /** The licence SKUs the cloud's mirror shows the user holding (for clouds that cannot list them live). */
  mirroredLicenses: Map<string, string[]>;
  /** End of the last working day (UTC), or null. */
  lastDayEnd: Date | null;
  now: Date;
  confirmWipe: boolean;
  organizationName: string;
  itAddresses: string[];
  hrAddresses: string[];
}

/** Adds the offboarding steps to `plan`. */
export function planOffboarding(plan: PlanBuilder, ctx: OffboardPlanContext): void {
  const t = ctx.template;
  const account = (c: PlanCloud, person: OffboardPerson | null) =>
    person ? (ctx.accounts.get(`${c.id}:${person.id}`) ?? null) : null;
  const suspendNow = t.accountAction === 'suspend_immediately';
  // Google gives no token for a suspended user: what acts as the user must come first, and what
  // would come after a suspension cannot run (a scheduled one on the last day, or one now).
  const googleSuspendedBefore = (c: PlanCloud) =>
    c.id === 'google' &&
    (suspendNow || (t.accountAction === 'suspend_on_last_day' && ctx.lastDayEnd !== null));
  const from = ctx.lastDayEnd ? 'the last day' : 'now';
  const archiveFirst = (c: PlanCloud) =>
    t.driveAction === 'archive' && t.driveArchiveSharedDriveId ? [`${c.id}.archive_files`] : [];

  for (const c of ctx.clouds) {
    const ext = c.externalId;
    const linked = ext !== null;
    const name = c.cloud.displayName;
    const user = ext as string;
    // Google names group members by address, Graph by object id.
    const memberKey = c.id === 'google' ? ctx.user.email : user;

    // 1. The user's files. Meeting ownership rides along when it goes to the same user.
    const calendarTarget = t.calendarTransferToManager ? ctx.manager : (ctx.calendarTarget ?? null);
    let calendarStep = planDriveAction(plan, ctx, {
      c,
      linked,
      user,
      accountOf: (person) => account(c, person),
      suspendedBefore: googleSuspendedBefore(c),
      from,
      calendarTarget,
    });

    // 1b. Meeting ownership to its own target, then the future meetings declined.
    if (t.calendarTransferMeetingOwnership && !calendarStep)
      calendarStep = planCalendarTransfer(
        plan,
        c,
        linked,
        calendarTarget,
        account(c, calendarTarget),
        t,
      );
    if (t.calendarDeclineFutureMeetings) planDeclineMeetings(plan, c, linked, t, calendarStep);

    // 2. Mail: forwarding or auto-reply.
    if (t.emailAction === 'forward_manager' || t.emailAction === 'forward_user') {
      const target = t.emailAction === 'forward_manager' ? ctx.manager : ctx.forwardTarget;
      if (!target)
        plan.skip(
          `${c.id}.mail_forwarding`,
          'mail_forwarding',
          c.id,
          `Mail: ${t.emailAction}`,
          'skipped: no address to forward to',
        );
      else {
        plan.cloud(
          c,
          linked,
          'mail_forwarding',
          'mail_forwarding',
          `Incoming mail forwarded to ${target.email}`,
          ['setMailForwarding'],
          () => ({ operation: 'setMailForwarding', args: [user, target.email] }),
        );
        const end = new Date(
          (ctx.lastDayEnd ?? ctx.now).getTime() + t.emailForwardDurationDays * 86_400_000,
        );
        const reason = `Forwarding to ${target.email} ends ${t.emailForwardDurationDays} days after ${from}, ${end.toISOString()}`;
        if (googleSuspendedBefore(c))
          plan.skip(
            `${c.id}.end_mail_forwarding`,
            'end_mail_forwarding',
            c.id,
            reason,
            `skipped: a suspended Google account receives no mail, so forwarding stops with the suspension (accountAction ${t.accountAction}), before ${end.toISOString()}`,
          );
        else
          plan.cloud(
            c,
            linked,
            'end_mail_forwarding',
            'end_mail_forwarding',
            reason,
            ['setMailForwarding'],
            () => ({ operation: 'setMailForwarding', args: [user, null] }),
            [`${c.id}.mail_forwarding`],
            { notBefore: end.toISOString() },
          );
      }
    } else if (t.emailAction === 'auto_reply') {
      plan.cloud(
        c,
        linked,
        'auto_reply',
        'auto_reply',
        'The automatic reply of the template',
        ['setAutoReply'],
        () => ({
          operation: 'setAutoReply',
          args: [
            user,
            {
              enabled: true,
              ...(t.emailAutoReplySubject ? { subject: t.emailAutoReplySubject } : {}),
              ...(t.emailAutoReplyMessage ? { message: t.emailAutoReplyMessage } : {}),
            },
          ],
        }),
      );
    } else {
      plan.skip(
        `${c.id}.mail`,
        'mail',
        c.id,
        `Mail: ${t.emailAction}`,
        t.emailAction === 'keep'
          ? 'skipped: the template keeps the mailbox as it is; it receives mail while the account is active (a suspended Google account receives none) and goes with the account when it is deleted'
          : 'skipped: Helios has no mailbox archive; the mail stays in the mailbox until the account is deleted (export it first, e.g. with Google Vault or Microsoft Purview, to keep it)',
      );
    }

    // 3. Groups.
    if (t.removeFromAllGroups) {
      if (c.cloud.supports.has('listUserGroups')) {
        plan.cloud(
          c,
          linked,
          'remove_from_groups',
          'remove_from_groups',
          `Every ${name} group the user is a direct member of`,
          ['listUserGroups', 'removeMember'],
          () => ({
            operation: 'listUserGroups',
            args: [user],
            andThen: { operation: 'removeMember', args: [{ $each: 'id' }, memberKey] },
          }),
          [],
          { taskAction: 'remove_from_groups' },
        );
      } else {
        // The cloud cannot list a user's groups yet: the groups Helios knows (linked access groups).
        for (const g of ctx.groups) {
          if (g.platform !== c.cloud.moduleSlug || !g.externalId) continue;
          plan.cloud(
            c,
            linked,
            `remove_from_group:${g.id}`,
            'remove_from_groups',
            `The ${name} group of the access group "${g.name}" (${name} cannot list a user's groups yet: the groups Helios knows)`,
            ['removeMember'],
            () => ({ operation: 'removeMember', args: [g.externalId, memberKey] }),
            [],
            { taskAction: 'remove_from_groups' },
          );
        }
      }
    }
    // 4-8. Access.
    const access: Array<
      [
        boolean,
        string,
        string,
        (
          | 'removeFromSharedDrives'
          | 'revokeTokens'
          | 'revokeAppPasswords'
          | 'signOut'
          | 'resetPassword'
        ),
      ]
    > = [
      [
        t.removeFromSharedDrives,
        'remove_from_shared_drives',
        'Every shared drive the user was given',
        'removeFromSharedDrives',
      ],
      [
        t.revokeOauthTokens,
        'revoke_tokens',
        'Every OAuth token granted to applications',
        'revokeTokens',
      ],
      [t.revokeAppPasswords, 'revoke_app_passwords', 'Every app password', 'revokeAppPasswords'],
      [t.signOutAllDevices, 'sign_out', 'Every session signed out', 'signOut'],
      [
        t.resetPassword,
        'reset_password',
        'A random password, kept encrypted (never shown in the run)',
        'resetPassword',
      ],
    ];
    for (const [on, kind, reason, op] of access) {
      if (!on) continue;
      // The archive needs the user's access to its shared drive until its files are in (an order,
      // not a condition: a failed archive does not keep a leaver in the shared drives).
      const after = op === 'removeFromSharedDrives' ? archiveFirst(c) : [];
      const none = c.connected && linked && !c.cloud.supports.has(op) ? NO_API[c.id]?.[op] : null;
      if (none) plan.skip(`${c.id}.${kind}`, kind, c.id, reason, `skipped: ${none}`);
      else
        plan.cloud(
          c,
          linked,
          kind,
          kind,
          reason,
          [op],
          () => ({ operation: op, args: [user] }),
          [],
          {
            after,
          },
        );
    }
    // 9. Mobile wipe: the organization's account and data off each phone (never a factory reset).
    if (t.wipeMobileDevices) {
      const reason = `The organization's account and data removed from every mobile device (${c.id === 'google' ? 'account wipe' : 'Intune retire'})`;
      if (t.wipeRequiresConfirmation && !ctx.confirmWipe)
        plan.skip(
          `${c.id}.wipe_mobile_devices`,
          'wipe_mobile_devices',
          c.id,
          reason,
          'skipped: a wipe needs the explicit confirmation confirmWipe: true',
        );
      else
        plan.cloud(
          c,
          linked,
          'wipe_mobile_devices',
          'wipe_mobile_devices',
          reason,
          ['wipeMobileDevices'],
          () => ({ operation: 'wipeMobileDevices', args: [user] }),
        );
    }
    // 9b. Signature (Gmail send-as; Graph has no signature API).
    planSignature(plan, c, linked, t);
    // 11 (before 10: the licence may wait for the suspension). Account.
    // Google's Gmail settings, Calendar, Drive files and the user's shared drives are reached acting
    // as the user (domain-wide delegation), which a suspended account cannot be: those steps go
    // first. An order, not a condition: one of them failing does not keep the account active.
    const asTheUser =
      c.id === 'google'
        ? [
            'archive_files',
            'decline_meetings',
            'mail_forwarding',
            'auto_reply',
            'remove_from_shared_drives',
            'signature',
          ].map((k) => `${c.id}.${k}`)
        : [];
    if (suspendNow)
      plan.cloud(
        c,
        linked,
        'suspend',
        'suspend',
        `The ${name} account suspended now`,
        ['suspendUser'],
        () => ({ operation: 'suspendUser', args: [user] }),
        [],
        { taskAction: 'deactivate_user', after: asTheUser },
      );
    // 10. Licences.
    const removeLicenses = (notBefore: Date | null, deps: string[], reason: string) => {
      const listLive = c.cloud.supports.has('listUserLicenses');
      const mirrored = ctx.mirroredLicenses.get(c.id) ?? [];
      if (
        !listLive &&
        c.connected &&
        linked &&
        mirrored.length === 0 &&
        c.cloud.supports.has('removeLicense')
      ) {
        plan.skip(
          `${c.id}.remove_licenses`,
          'remove_licenses',
          c.id,
          reason,
          'skipped: the user holds no licence',
        );
        return;
      }
      plan.cloud(
        c,
        linked,
        'remove_licenses',
        'remove_licenses',
        listLive
          ? reason
          : `${reason} (the licences the ${name} mirror shows: ${mirrored.join(', ')})`,
        listLive ? ['listUserLicenses', 'removeLicense'] : ['removeLicense'],
        () =>
          listLive
            ? {
                operation: 'listUserLicenses',
                args: [user],
                andThen: { operation: 'removeLicense', args: [user, { $result: true }] },
              }
            : { operation: 'removeLicense', args: [user, mirrored] },
        deps,
        notBefore ? { notBefore: notBefore.toISOString() } : {},
      );
    };
    if (t.licenseAction === 'remove_immediately') removeLicenses(null, [], 'Licences removed now');
    else if (t.licenseAction === 'remove_on_suspension') {
      if (suspendNow)
        removeLicenses(null, [`${c.id}.suspend`], 'Licences removed with the suspension');
      else if (t.accountAction === 'suspend_on_last_day' && ctx.lastDayEnd)
        removeLicenses(
          ctx.lastDayEnd,
          [],
          'Licences removed with the suspension at the end of the last day',
        );
      else
        plan.skip(
          `${c.id}.remove_licenses`,
          'remove_licenses',
          c.id,
          'Licences removed with the suspension',
          t.accountAction === 'keep_active'
            ? 'skipped: the account stays active, so it keeps its licences'
            : 'skipped: no last day given for the suspension',
        );
    }
  }

  // Local: groups, account, deletion.
  if (t.removeFromAllGroups && ctx.groups.length > 0)
    plan.add(
      'local.remove_from_groups',
      'remove_from_groups',
      'local',
      `The access groups: ${ctx.groups.map((g) => g.name).join(', ')}`,
      { operation: 'accessGroups.removeMember', args: [ctx.groups.map((g) => g.id), ctx.user.id] },
      [],
      { taskAction: 'remove_from_groups' },
    );
  if (suspendNow)
    plan.add(
      'local.suspend',
      'suspend',
      'local',
      'The organization user suspended now',
      { operation: 'users.suspend', args: [ctx.user.id] },
      [],
      { taskAction: 'deactivate_user' },
    );
  else if (t.accountAction === 'suspend_on_last_day') {
    if (ctx.lastDayEnd)
      plan.add(
        'local.schedule_suspend',
        'schedule_suspend',
        'local',
        `A scheduled suspension (local and every linked cloud) at the end of the last day, ${ctx.lastDayEnd.toISOString()}`,
        {
          operation: 'scheduledActions.create',
          args: [
            {
              actionType: 'suspend',
              userId: ctx.user.id,
              scheduledFor: ctx.lastDayEnd.toISOString(),
            },
          ],
        },
        [],
        { taskAction: 'deactivate_user' },
      );
    else
      plan.skip(
        'local.schedule_suspend',
        'schedule_suspend',
        'local',
        'A scheduled suspension on the last day',
        'skipped: no last day given (lastDay)',
      );
  }
  if (t.deleteAccount) {
    const from = ctx.lastDayEnd ?? ctx.now;
    const at = new Date(from.getTime() + t.deleteAfterDays * 86_400_000);
    plan.add(
      'local.schedule_delete',
      'schedule_delete',
      'local',
      `A scheduled deletion ${t.deleteAfterDays} days after the last day, ${at.toISOString()}`,
      {
        operation: 'scheduledActions.create',
        args: [{ actionType: 'delete', userId: ctx.user.id, scheduledFor: at.toISOString() }],
      },
      [],
      { taskAction: 'archive_account' },
    );
  }

  // Notices.
  const lastDay = ctx.lastDayEnd ? ctx.lastDayEnd.toISOString().slice(0, 10) : 'today';
  const notice = (id: string, reason: string, to: string) =>
    plan.add(id, 'notify', 'mail', reason, {
      operation: 'notifications.enqueue',
      args: [
        {
          templateKey: 'offboarding.notice',
          to,
          variables: {
            userName: ctx.user.name,
            email: ctx.user.email,
            organizationName: ctx.organizationName,
            lastDay,
            notes: t.notificationMessage ?? null,
          },
        },
      ],
    });
  if (t.notifyManager) {
    if (ctx.manager) notice('mail.notify_manager', 'The notice to the manager', ctx.manager.email);
    else
      plan.skip(
        'mail.notify_manager',
        'notify',
        'mail',
        'The notice to the manager',
        'skipped: the user has no manager',
      );
  }
  const lists: Array<[boolean, string, string, string[]]> = [
    [t.notifyItAdmin, 'it', 'IT (the it pool, or the administrators)', ctx.itAddresses],
    [t.notifyHr, 'hr', 'HR (the HR pool)', ctx.hrAddresses],
    [true, 'address', 'the template address', t.notificationEmailAddresses],
  ];
  for (const [on, key, who, addresses] of lists) {
    if (!on) continue;
    if (addresses.length === 0 && key !== 'address')
      plan.skip(
        `mail.notify_${key}`,
        'notify',
        'mail',
        `The notice to ${who}`,
        `skipped: no address for ${who}`,
      );
    for (const to of addresses) notice(`mail.notify_${key}:${to}`, `The notice to ${who}`, to);
  }
}

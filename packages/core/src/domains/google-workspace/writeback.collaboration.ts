/**
 * Google Workspace lifecycle write-back, part 2: mail forwarding and automatic reply (Gmail settings,
 * acting as the mailbox's owner), shared drive access (Drive permissions as a domain admin) and
 * calendar sharing (Calendar ACL as the calendar's owner). Idempotent: Google's state is read
 * first and only what differs is written; `changed` says whether anything was.
 */
import { isHeliosError } from '../../errors';
import { parseInput } from '../../shared/validation';
import type { CloudChange } from '../integrations/contract';
import { runWriteback } from '../integrations/writeback';
import { GOOGLE_ERROR_CODES, GOOGLE_ERRORS } from './errors';
import type { GoogleVacationSettings } from './provider.collaboration';
import type { GoogleWritebackContext } from './writeback.context';
import {
  actingAs,
  already,
  auditChange,
  emailOf,
  refusedAsUser,
  resolveUser,
} from './writeback.lifecycle';
import {
  googleAutoReplySchema,
  googleCalendarRoleSchema,
  googleDriveRoleSchema,
  googleEmailSchema,
  googleResourceIdSchema,
} from './writeback.schema';
import type { GoogleWritebackService } from './writeback.service';

type Part2 = Pick<
  GoogleWritebackService,
  | 'setMailForwarding'
  | 'setAutoReply'
  | 'addToSharedDrive'
  | 'removeFromSharedDrives'
  | 'shareCalendar'
>;

const same = (a: unknown, b: unknown) => (a ?? null) === (b ?? null);

/** The vacation settings an automatic reply asks for. */
function vacationOf(reply: {
  enabled: boolean;
  subject?: string | undefined;
  message?: string | undefined;
  endsAt?: string | undefined;
}): GoogleVacationSettings {
  if (!reply.enabled) return { enableAutoReply: false };
  const html = reply.message !== undefined && /<[a-z][\s\S]*>/i.test(reply.message);
  return {
    enableAutoReply: true,
    ...(reply.subject !== undefined ? { responseSubject: reply.subject } : {}),
    ...(reply.message !== undefined
      ? html
        ? { responseBodyHtml: reply.message }
        : { responseBodyPlainText: reply.message }
      : {}),
    ...(reply.endsAt ? { endTime: String(Date.parse(reply.endsAt)) } : {}),
  };
}

/** Whether Google's vacation settings already are the wanted ones. */
function sameVacation(current: GoogleVacationSettings, wanted: GoogleVacationSettings): boolean {
  if (!wanted.enableAutoReply) return current.enableAutoReply !== true;
  return (
    current.enableAutoReply === true &&
    same(current.responseSubject, wanted.responseSubject) &&
    same(current.responseBodyHtml, wanted.responseBodyHtml) &&
    same(current.responseBodyPlainText, wanted.responseBodyPlainText) &&
    same(current.endTime, wanted.endTime)
  );
}

/**
 * A user Google will not let us act as (suspended): every shared drive of the customer is read as
 * the admin and the user's permissions deleted (calls per drive: only for such users).
 */
async function removeAsAdmin(
  google: Awaited<ReturnType<GoogleWritebackContext['provider']>>,
  email: string,
): Promise<CloudChange> {
  const items: string[] = [];
  for (const drive of await google.listSharedDrives()) {
    const mine = (await google.listDrivePermissions(drive.id)).filter(
      (p) => p.emailAddress?.toLowerCase() === email,
    );
    for (const p of mine)
      if (await already(google.deleteDrivePermission(drive.id, p.id), GOOGLE_ERROR_CODES.NOT_FOUND))
        items.push(drive.id);
  }
  return { changed: items.length > 0, items: [...new Set(items)] };
}

/** The lifecycle operations of part 2. */
export function googleCollaborationOperations(ctx: GoogleWritebackContext): Part2 {
  const { rt } = ctx;
  return {
    setMailForwarding: (googleId, toAddress, options) =>
      runWriteback(rt, 'googleWriteback.setMailForwarding', 'users:write', options, {
        async prepare(s) {
          const id = ctx.parseUserId(googleId);
          const to = toAddress === null ? null : parseInput(googleEmailSchema, toAddress);
          return { id, email: await emailOf(s, id), to };
        },
        async call({ id, email, to }): Promise<CloudChange> {
          const google = await ctx.provider();
          const mailbox = (await resolveUser(google, { id, email })).email;
          const current = await actingAs(mailbox, 'Mail forwarding is set', () =>
            google.getAutoForwarding(mailbox),
          );
          if (to === null) {
            if (!current.enabled) return { changed: false };
            await google.updateAutoForwarding(mailbox, { enabled: false });
            return { changed: true, items: [] };
          }
          if (current.enabled && current.emailAddress?.toLowerCase() === to)
            return { changed: false, items: [to] };
          let status = (await google.listForwardingAddresses(mailbox)).find(
            (a) => a.forwardingEmail.toLowerCase() === to,
          )?.verificationStatus;
          if (!status) {
            try {
              status = (await google.createForwardingAddress(mailbox, to)).verificationStatus;
            } catch (error) {
              // Added meanwhile (a retried create): read its status.
              if (!isHeliosError(error) || error.code !== GOOGLE_ERROR_CODES.CONFLICT) throw error;
              status = (await google.listForwardingAddresses(mailbox)).find(
                (a) => a.forwardingEmail.toLowerCase() === to,
              )?.verificationStatus;
            }
          }
          if (status !== 'accepted')
            throw GOOGLE_ERRORS.INVALID_REQUEST({
              message: `Gmail forwards ${mailbox} to ${to} only once ${to} confirms: Gmail sent it a confirmation mail (the forwarding address is ${status}). Confirm it, or forward to an address of the organization's domains, then retry.`,
            });
          await google.updateAutoForwarding(mailbox, {
            enabled: true,
            emailAddress: to,
            disposition: 'leaveInInbox',
          });
          return { changed: true, items: [to] };
        },
        record: (s, change, { id, to }) =>
          auditChange(s, 'google_workspace.mail_forwarding_set', id, change, { to }),
      }),

    setAutoReply: (googleId, reply, options) =>
      runWriteback(rt, 'googleWriteback.setAutoReply', 'users:write', options, {
        async prepare(s) {
          const id = ctx.parseUserId(googleId);
          return {
            id,
            email: await emailOf(s, id),
            reply: parseInput(googleAutoReplySchema, reply),
          };
        },
        async call({ id, email, reply: wanted }): Promise<CloudChange> {
          const google = await ctx.provider();
          const mailbox = (await resolveUser(google, { id, email })).email;
          const vacation = vacationOf(wanted);
          const current = await actingAs(mailbox, 'The automatic reply is set', () =>
            google.getVacation(mailbox),
          );
          if (sameVacation(current, vacation)) return { changed: false };
          await google.updateVacation(mailbox, vacation);
          return { changed: true, items: [mailbox] };
        },
        record: (s, change, { id, reply: wanted }) =>
          auditChange(s, 'google_workspace.auto_reply_set', id, change, {
            enabled: wanted.enabled,
          }),
      }),

    addToSharedDrive: (driveId, googleId, role, options) =>
      runWriteback(rt, 'googleWriteback.addToSharedDrive', 'users:write', options, {
        async prepare(s) {
          const id = ctx.parseUserId(googleId);
          return {
            id,
            email: await emailOf(s, id),
            driveId: parseInput(googleResourceIdSchema, driveId),
            role: parseInput(googleDriveRoleSchema, role),
          };
        },
        async call({ id, email, driveId: drive, role: wanted }): Promise<CloudChange> {
          const google = await ctx.provider();
          const user = await resolveUser(google, { id, email });
          const existing = (await google.listDrivePermissions(drive)).find(
            (p) => p.emailAddress?.toLowerCase() === user.email,
          );
          if (existing?.role === wanted) return { changed: false, items: [drive] };
          if (existing) await google.updateDrivePermission(drive, existing.id, wanted);
          else await google.createDrivePermission(drive, user.email, wanted);
          return { changed: true, items: [drive] };
        },
        record: (s, change, { id, role: wanted }) =>
          auditChange(s, 'google_workspace.shared_drive_add', id, change, { role: wanted }),
      }),

    removeFromSharedDrives: (googleId, options) =>
      runWriteback(rt, 'googleWriteback.removeFromSharedDrives', 'users:write', options, {
        async prepare(s) {
          const id = ctx.parseUserId(googleId);
          return { id, email: await emailOf(s, id) };
        },
        async call(u): Promise<CloudChange> {
          const google = await ctx.provider();
          const user = await resolveUser(google, u);
          // Per user, not per drive of the customer: the drives the user is a member of (listed
          // as them) and their permission id (the same on every drive) deleted as the admin. A
          // drive they reach through a group only has no permission of theirs: 404, no change.
          let drives: Array<{ id: string }>;
          try {
            drives = await google.listSharedDrives(user.email);
          } catch (error) {
            if (!refusedAsUser(error)) throw error;
            return removeAsAdmin(google, user.email);
          }
          if (drives.length === 0) return { changed: false, items: [] };
          const permissionId = await google.drivePermissionId(user.email);
          const items: string[] = [];
          for (const drive of drives)
            if (
              await already(
                google.deleteDrivePermission(drive.id, permissionId),
                GOOGLE_ERROR_CODES.NOT_FOUND,
              )
            )
              items.push(drive.id);
          return { changed: items.length > 0, items };
        },
        record: (s, change, { id }) =>
          auditChange(s, 'google_workspace.shared_drives_remove', id, change),
      }),

    shareCalendar: (calendarId, googleId, role, options) =>
      runWriteback(rt, 'googleWriteback.shareCalendar', 'users:write', options, {
        async prepare(s) {
          const id = ctx.parseUserId(googleId);
          return {
            id,
            email: await emailOf(s, id),
            calendarId: parseInput(googleResourceIdSchema, calendarId).toLowerCase(),
            role: parseInput(googleCalendarRoleSchema, role),
          };
        },
        async call({ id, email, calendarId: cal, role: wanted }): Promise<CloudChange> {
          const google = await ctx.provider();
          const user = await resolveUser(google, { id, email });
          // A user's primary calendar (its id is their address) is changed as that user; other
          // calendars (group calendars) as the admin, who must own them.
          const owner = cal.endsWith('calendar.google.com') ? google.adminEmail : cal;
          const rule = (await google.listCalendarAcl(owner, cal)).find(
            (r) => r.scope?.type === 'user' && r.scope.value?.toLowerCase() === user.email,
          );
          if (rule?.role === wanted) return { changed: false, items: [cal] };
          await google.insertCalendarAcl(owner, cal, user.email, wanted);
          return { changed: true, items: [cal] };
        },
        record: (s, change, { id, role: wanted }) =>
          auditChange(s, 'google_workspace.calendar_share', id, change, { role: wanted }),
      }),
  };
}

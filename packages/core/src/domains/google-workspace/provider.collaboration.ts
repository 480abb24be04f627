/**
 * The Drive, Gmail settings and Calendar calls of the Google Workspace provider. Shared drives are
 * managed as the admin with `useDomainAdminAccess`; Gmail settings act as the mailbox's owner and
 * a calendar's ACL as the calendar's owner (domain-wide delegation, `subject`), as Google requires.
 */
import type { DirectoryConnection } from './provider.http';
import { GOOGLE_LIFECYCLE_SCOPES, type GoogleApiRoots } from './provider.security';

/** A Drive permission. */
export interface GoogleDrivePermission {
  id: string;
  type: string;
  role: string;
  emailAddress?: string;
  [field: string]: unknown;
}

/** A Gmail forwarding address and its verification status (`accepted`, `pending`). */
export interface GoogleForwardingAddress {
  forwardingEmail: string;
  verificationStatus: string;
}

/** Gmail's automatic forwarding setting. */
export interface GoogleAutoForwarding {
  enabled: boolean;
  emailAddress?: string;
  disposition?: string;
}

/** Gmail's vacation responder. */
export interface GoogleVacationSettings {
  enableAutoReply: boolean;
  responseSubject?: string;
  responseBodyPlainText?: string;
  responseBodyHtml?: string;
  restrictToContacts?: boolean;
  restrictToDomain?: boolean;
  /** Epoch milliseconds, as a string. */
  startTime?: string;
  endTime?: string;
  [field: string]: unknown;
}

/** A Gmail send-as alias. */
export interface GoogleSendAs {
  sendAsEmail: string;
  displayName?: string;
  signature?: string;
  isPrimary?: boolean;
  isDefault?: boolean;
  [field: string]: unknown;
}

/** A calendar ACL rule. */
export interface GoogleCalendarAclRule {
  id: string;
  role: string;
  scope: { type: string; value?: string };
  [field: string]: unknown;
}

/** The Drive, Gmail and Calendar calls of the provider. */
export interface GoogleCollaborationCalls {
  /**
   * Every shared drive of the domain (`drives.list`, domain admin access), or with `member` the
   * shared drives that user is a member of (`drives.list` acting as them). @throws HeliosError `GOOGLE.*`
   */
  listSharedDrives(member?: string): Promise<Array<{ id: string; name?: string }>>;
  /**
   * A user's Drive permission id (`about.get` acting as them, `fields=user/permissionId`): the id
   * of their permission on every file and shared drive. @throws HeliosError `GOOGLE.*`
   */
  drivePermissionId(user: string): Promise<string>;
  /** Every permission of a shared drive or file (domain admin access). @throws HeliosError `GOOGLE.*` */
  listDrivePermissions(fileId: string): Promise<GoogleDrivePermission[]>;
  /** Gives a user a role on a shared drive or file. @throws HeliosError `GOOGLE.*` */
  createDrivePermission(
    fileId: string,
    email: string,
    role: string,
  ): Promise<GoogleDrivePermission>;
  /** Changes a permission's role. @throws HeliosError `GOOGLE.*` */
  updateDrivePermission(
    fileId: string,
    permissionId: string,
    role: string,
  ): Promise<GoogleDrivePermission>;
  /** Removes a permission. @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*` */
  deleteDrivePermission(fileId: string, permissionId: string): Promise<void>;
  /** The mailbox's forwarding addresses (as its owner). @throws HeliosError `GOOGLE.*` */
  listForwardingAddresses(mailbox: string): Promise<GoogleForwardingAddress[]>;
  /** Adds a forwarding address (`accepted` at once inside the domain, else `pending`). @throws HeliosError `GOOGLE.*` */
  createForwardingAddress(mailbox: string, email: string): Promise<GoogleForwardingAddress>;
  /** Reads automatic forwarding. @throws HeliosError `GOOGLE.*` */
  getAutoForwarding(mailbox: string): Promise<GoogleAutoForwarding>;
  /** Sets automatic forwarding. @throws HeliosError `GOOGLE.INVALID_REQUEST` (address not accepted) and `GOOGLE.*` */
  updateAutoForwarding(
    mailbox: string,
    setting: GoogleAutoForwarding,
  ): Promise<GoogleAutoForwarding>;
  /** Reads the vacation responder. @throws HeliosError `GOOGLE.*` */
  getVacation(mailbox: string): Promise<GoogleVacationSettings>;
  /** Sets the vacation responder. @throws HeliosError `GOOGLE.*` */
  updateVacation(
    mailbox: string,
    settings: GoogleVacationSettings,
  ): Promise<GoogleVacationSettings>;
  /** The mailbox's send-as aliases. @throws HeliosError `GOOGLE.*` */
  listSendAs(mailbox: string): Promise<GoogleSendAs[]>;
  /** Changes a send-as alias (e.g. its signature). @throws HeliosError `GOOGLE.*` */
  patchSendAs(
    mailbox: string,
    sendAsEmail: string,
    patch: Partial<GoogleSendAs>,
  ): Promise<GoogleSendAs>;
  /** A calendar's ACL, read as `owner`. @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*` */
  listCalendarAcl(owner: string, calendarId: string): Promise<GoogleCalendarAclRule[]>;
  /** Adds (or replaces) a user's rule on a calendar, as `owner`. @throws HeliosError `GOOGLE.*` */
  insertCalendarAcl(
    owner: string,
    calendarId: string,
    email: string,
    role: string,
  ): Promise<GoogleCalendarAclRule>;
}

const enc = encodeURIComponent;

export function collaborationCalls(
  google: DirectoryConnection,
  roots: Required<GoogleApiRoots>,
): GoogleCollaborationCalls {
  const { callAs } = google;
  const drive = { scopes: [GOOGLE_LIFECYCLE_SCOPES.drive] };
  const driveUrl = `${roots.drive}drive/v3/`;
  const adminAccess = { supportsAllDrives: true, useDomainAdminAccess: true };
  const sharing = (mailbox: string) => ({
    subject: mailbox,
    scopes: [GOOGLE_LIFECYCLE_SCOPES.gmailSharing],
  });
  const basic = (mailbox: string) => ({
    subject: mailbox,
    scopes: [GOOGLE_LIFECYCLE_SCOPES.gmailBasic],
  });
  const settings = (mailbox: string) => `${roots.gmail}gmail/v1/users/${enc(mailbox)}/settings/`;
  const calendar = (owner: string) => ({
    subject: owner,
    scopes: [GOOGLE_LIFECYCLE_SCOPES.calendar],
  });
  const aclUrl = (calendarId: string) =>
    `${roots.calendar}calendar/v3/calendars/${enc(calendarId)}/acl`;
  const permFields = 'id,type,role,emailAddress';

  return {
    async listSharedDrives(member) {
      const out: Array<{ id: string; name?: string }> = [];
      const as = member ? { ...drive, subject: member } : drive;
      let pageToken: string | undefined;
      do {
        const data = await callAs<{
          drives?: Array<{ id: string; name?: string }>;
          nextPageToken?: string;
        }>('drive.drives.list', true, as, {
          url: `${driveUrl}drives`,
          params: {
            ...(member ? {} : { useDomainAdminAccess: true }),
            pageSize: 100,
            fields: 'nextPageToken,drives(id,name)',
            ...(pageToken ? { pageToken } : {}),
          },
        });
        out.push(...(data.drives ?? []));
        pageToken = data.nextPageToken;
      } while (pageToken);
      return out;
    },
    async drivePermissionId(user) {
      const data = await callAs<{ user?: { permissionId?: string } }>(
        'drive.about.get',
        true,
        { ...drive, subject: user },
        { url: `${driveUrl}about`, params: { fields: 'user/permissionId' } },
      );
      const id = data.user?.permissionId;
      if (!id) throw new Error(`Google Drive about.get gave no permissionId for ${user}`);
      return id;
    },
    async listDrivePermissions(fileId) {
      const out: GoogleDrivePermission[] = [];
      let pageToken: string | undefined;
      do {
        const data = await callAs<{
          permissions?: GoogleDrivePermission[];
          nextPageToken?: string;
        }>('drive.permissions.list', true, drive, {
          url: `${driveUrl}files/${enc(fileId)}/permissions`,
          params: {
            ...adminAccess,
            pageSize: 100,
            fields: `nextPageToken,permissions(${permFields})`,
            ...(pageToken ? { pageToken } : {}),
          },
        });
        out.push(...(data.permissions ?? []));
        pageToken = data.nextPageToken;
      } while (pageToken);
      return out;
    },
    // Retried on failures: a repeated create gives the same permission (Google's are per identity).
    createDrivePermission: (fileId, email, role) =>
      callAs<GoogleDrivePermission>('drive.permissions.create', true, drive, {
        url: `${driveUrl}files/${enc(fileId)}/permissions`,
        method: 'POST',
        params: { ...adminAccess, sendNotificationEmail: false, fields: permFields },
        data: { type: 'user', role, emailAddress: email },
      }),
    updateDrivePermission: (fileId, permissionId, role) =>
      callAs<GoogleDrivePermission>('drive.permissions.update', true, drive, {
        url: `${driveUrl}files/${enc(fileId)}/permissions/${enc(permissionId)}`,
        method: 'PATCH',
        params: { ...adminAccess, fields: permFields },
        data: { role },
      }),
    deleteDrivePermission: async (fileId, permissionId) => {
      await callAs('drive.permissions.delete', true, drive, {
        url: `${driveUrl}files/${enc(fileId)}/permissions/${enc(permissionId)}`,
        method: 'DELETE',
        params: adminAccess,
      });
    },
    listForwardingAddresses: async (mailbox) =>
      (
        await callAs<{ forwardingAddresses?: GoogleForwardingAddress[] }>(
          'gmail.forwardingAddresses.list',
          true,
          sharing(mailbox),
          { url: `${settings(mailbox)}forwardingAddresses` },
        )
      ).forwardingAddresses ?? [],
    // Retried on failures: a repeated create answers 409, which callers accept.
    createForwardingAddress: (mailbox, email) =>
      callAs<GoogleForwardingAddress>('gmail.forwardingAddresses.create', true, sharing(mailbox), {
        url: `${settings(mailbox)}forwardingAddresses`,
        method: 'POST',
        data: { forwardingEmail: email },
      }),
    getAutoForwarding: (mailbox) =>
      callAs<GoogleAutoForwarding>('gmail.autoForwarding.get', true, sharing(mailbox), {
        url: `${settings(mailbox)}autoForwarding`,
      }),
    updateAutoForwarding: (mailbox, setting) =>
      callAs<GoogleAutoForwarding>('gmail.autoForwarding.update', true, sharing(mailbox), {
        url: `${settings(mailbox)}autoForwarding`,
        method: 'PUT',
        data: setting,
      }),
    getVacation: (mailbox) =>
      callAs<GoogleVacationSettings>('gmail.vacation.get', true, basic(mailbox), {
        url: `${settings(mailbox)}vacation`,
      }),
    updateVacation: (mailbox, vacation) =>
      callAs<GoogleVacationSettings>('gmail.vacation.update', true, basic(mailbox), {
        url: `${settings(mailbox)}vacation`,
        method: 'PUT',
        data: vacation,
      }),
    listSendAs: async (mailbox) =>
      (
        await callAs<{ sendAs?: GoogleSendAs[] }>('gmail.sendAs.list', true, basic(mailbox), {
          url: `${settings(mailbox)}sendAs`,
        })
      ).sendAs ?? [],
    patchSendAs: (mailbox, sendAsEmail, patch) =>
      callAs<GoogleSendAs>('gmail.sendAs.patch', true, basic(mailbox), {
        url: `${settings(mailbox)}sendAs/${enc(sendAsEmail)}`,
        method: 'PATCH',
        data: patch,
      }),
    listCalendarAcl: async (owner, calendarId) =>
      (
        await callAs<{ items?: GoogleCalendarAclRule[] }>(
          'calendar.acl.list',
          true,
          calendar(owner),
          {
            url: aclUrl(calendarId),
          },
        )
      ).items ?? [],
    insertCalendarAcl: (owner, calendarId, email, role) =>
      callAs<GoogleCalendarAclRule>('calendar.acl.insert', true, calendar(owner), {
        url: aclUrl(calendarId),
        method: 'POST',
        params: { sendNotifications: false },
        data: { role, scope: { type: 'user', value: email } },
      }),
  };
}

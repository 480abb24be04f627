/**
 * Microsoft 365 write-back (`helios.microsoftWriteback`): creates and changes users, passwords,
 * sessions, group memberships and licenses in Microsoft 365 through the organization's stored
 * credentials, then updates the local mirror (`ms_synced_users`, `ms_group_memberships`,
 * `ms_licenses`, `access_group_members`, `organization_users` links) from Graph's answer.
 *
 * Every operation is an external call (`rt.external`): authorize and validate (a read scope, no
 * transaction), call Microsoft Graph (never inside a transaction: `EXTERNAL.IN_TRANSACTION`), then
 * write the local rows and the audit row in one short transaction. A Graph failure (HeliosError
 * `MICROSOFT.*`) leaves every local row unchanged. Rows are written the way the sync writes them
 * (`toSyncedUserColumns`), with `sync_hash` null so the next sync rewrites them from Graph; a
 * deleted user's row is kept and marked removed (`raw_data._helios.removedAt`). The parts:
 * `writeback.users.ts`, `writeback.groups.ts`, `writeback.passwords.ts`, `writeback.licenses.ts`,
 * `writeback.lifecycle.ts`, `writeback.devices.ts` over `writeback.context.ts`.
 */
import type { Row } from '../../repositories/types';
import type { ServiceRuntime } from '../../runtime';
import type { Camelize } from '../../shared/case';
import type {
  AutoReplyInput,
  CloudChange,
  CloudGroupRef,
  LicenseAvailability,
  OrganizedMeetings,
  ProviderServiceOptions,
} from '../integrations/contract';
import type { WritebackUserService } from '../integrations/writeback';
import { type AccountGuard, firstArgAccount, guardAccounts } from '../integrations/writeback.guard';
import type { CallOptions } from '../policy/actor';
import type { Microsoft365Provider, MicrosoftProviderOverrides } from './provider';
import { microsoftCalendarOperations } from './writeback.calendar';
import { createMicrosoftWritebackContext } from './writeback.context';
import { microsoftDeviceOperations } from './writeback.devices';
import { microsoftDriveOperations } from './writeback.drive';
import { microsoftGroupOperations } from './writeback.groups';
import { microsoftLicenseOperations } from './writeback.licenses';
import { microsoftLifecycleOperations } from './writeback.lifecycle';
import { microsoftPasswordOperations } from './writeback.passwords';
import type {
  MicrosoftAssignLicenseInput,
  MicrosoftCreateUserInput,
  MicrosoftUpdateUserInput,
} from './writeback.schema';
import { microsoftObjectIdSchema } from './writeback.schema';
import { microsoftUserOperations } from './writeback.users';

/** A Microsoft user as mirrored locally (`ms_synced_users`, without Graph's raw JSON). */
export type MicrosoftWritebackUser = Omit<
  Camelize<Row<'ms_synced_users'>>,
  'rawData' | 'syncHash'
> & {
  /** True once deleted from Microsoft 365 (the row is kept). */
  removed: boolean;
  /** The linked organization user, if any. */
  localUserId: string | null;
};

/** The outcome of a membership change. */
export interface MicrosoftWritebackMembership {
  /** The Graph id of the group. */
  groupMsId: string;
  /** The Graph id of the user. */
  userMsId: string;
  /** The `ms_group_memberships` row (null after a removal, or when a local row vanished meanwhile). */
  membershipId: string | null;
  /** The `access_groups` row mirroring the group (platform `microsoft_365`), if any. */
  accessGroupId: string | null;
  /** The `access_group_members` row changed, or null when the group has no access group or the user is not linked. */
  accessGroupMemberId: string | null;
  /** The linked organization user, if any. */
  localUserId: string | null;
  /** False when Graph already was in the wanted state (a removal of a member already gone). */
  changed: boolean;
}

/** The initial (or reset) password of a user, revealed once. */
export interface MicrosoftInitialPassword {
  userPrincipalName: string;
  password: string;
  createdAt: Date | null;
  revealedAt: Date;
}

/** The outcome of `resetPassword` (the password itself is stored encrypted: see `revealInitialPassword`). */
export interface MicrosoftPasswordReset {
  msId: string;
  userPrincipalName: string;
  /** Always true: the user chooses a new password at the next sign-in. */
  forceChangePasswordNextSignIn: true;
  /** When the new password was stored for one reveal. */
  storedAt: Date;
}

/** The outcome of `signOut` (`revokeSessions`). */
export interface MicrosoftSessionsRevoked {
  msId: string;
  userPrincipalName: string | null;
  revokedAt: Date;
}

/** A license SKU's units after an assignment (`ms_licenses`). */
export interface MicrosoftLicenseUnits {
  skuId: string;
  skuPartNumber: string;
  totalUnits: number;
  consumedUnits: number;
  availableUnits: number;
}

/** @deprecated Use `MicrosoftLicenseUnits`. */
export type MicrosoftLicenceUnits = MicrosoftLicenseUnits;

/** The outcome of `assignLicense`. */
export interface MicrosoftLicenseAssignment {
  user: MicrosoftWritebackUser;
  /** False when the user already held the SKUs to add and lacked the ones to remove (nothing was sent). */
  changed: boolean;
  /** SKU ids newly assigned. */
  added: string[];
  /** SKU ids removed. */
  removed: string[];
  /** The units of the SKUs involved, after the change (the field keeps its REST name). */
  licences: MicrosoftLicenseUnits[];
}

/** @deprecated Use `MicrosoftLicenseAssignment`. */
export type MicrosoftLicenceAssignment = MicrosoftLicenseAssignment;

/**
 * Write-back to Microsoft 365 (`helios.microsoft.writeback`): the shared user operations
 * (`WritebackUserService`: ids are Graph object ids, addresses UPNs; `createUser` also throws
 * INVALID_INPUT `MICROSOFT.INVALID_REQUEST` for a domain the tenant has not verified; `updateUser`
 * clears a field given null), password resets, sign-out, memberships and licenses. Membership
 * operations need `groups:write`. Users and groups must have been synced first.
 */
export interface MicrosoftWritebackService
  extends WritebackUserService<
    MicrosoftWritebackUser,
    MicrosoftCreateUserInput,
    MicrosoftUpdateUserInput,
    MicrosoftInitialPassword
  > {
  /** @deprecated Use `suspendUser` (removed in the next minor version). */
  disableUser(msId: string, options?: CallOptions): Promise<MicrosoftWritebackUser>;
  /** @deprecated Use `restoreUser` (removed in the next minor version). */
  enableUser(msId: string, options?: CallOptions): Promise<MicrosoftWritebackUser>;
  /**
   * Sets a new generated password (changed at the next sign-in), stored encrypted for one reveal
   * (`revealInitialPassword`); returns nothing secret. Audited `microsoft_365.password_reset`.
   * @throws HeliosError as `updateUser`; PRECONDITION_FAILED `SECRETS.NO_KEY`
   * @example
   * ```ts
   * await helios.microsoftWriteback.resetPassword(msId);
   * const { password } = await helios.microsoftWriteback.revealInitialPassword('ada@contoso.com');
   * ```
   */
  resetPassword(msId: string, options?: CallOptions): Promise<MicrosoftPasswordReset>;
  /**
   * Signs the user out of every session (`revokeSignInSessions`). Audited `microsoft_365.sessions_revoke`.
   * @throws HeliosError as `updateUser`
   * @example
   * ```ts
   * await helios.microsoftWriteback.signOut(msId);
   * ```
   */
  signOut(msId: string, options?: CallOptions): Promise<MicrosoftSessionsRevoked>;
  /** @deprecated Use `signOut` (removed in the next minor version). */
  revokeSessions(msId: string, options?: CallOptions): Promise<MicrosoftSessionsRevoked>;
  /**
   * Adds a user to a group in Microsoft 365, then `ms_group_memberships` and, when the user is
   * linked to an organization user, the access group mirroring the group. Audited `microsoft_365.member_add`.
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`; NOT_FOUND
   *   `MICROSOFT_WRITEBACK.GROUP_NOT_SYNCED`, `MICROSOFT_WRITEBACK.USER_NOT_SYNCED`, `MICROSOFT.NOT_FOUND`;
   *   CONFLICT `MICROSOFT.CONFLICT` (already a member); `MICROSOFT.*`
   * @example
   * ```ts
   * await helios.microsoftWriteback.addMember(groupMsId, userMsId);
   * ```
   */
  addMember(
    groupMsId: string,
    userMsId: string,
    options?: CallOptions,
  ): Promise<MicrosoftWritebackMembership>;
  /**
   * Removes a user from a group in Microsoft 365, then deletes the `ms_group_memberships` row and
   * soft-removes the access group membership (`is_active` false, `removed_at`). Audited `microsoft_365.member_remove`.
   * Idempotent: when the user is no longer a member (the group exists) nothing is sent again and the
   * result says `changed: false`; the local rows still follow.
   * @throws HeliosError as `addMember` (`MICROSOFT.NOT_FOUND` when the group or user is gone)
   * @example
   * ```ts
   * await helios.microsoftWriteback.removeMember(groupMsId, userMsId);
   * ```
   */
  removeMember(
    groupMsId: string,
    userMsId: string,
    options?: CallOptions,
  ): Promise<MicrosoftWritebackMembership>;
  /**
   * Adds and removes licenses. Free units are checked first (`subscribedSkus`): when a SKU has none
   * left nothing is sent. Idempotent: only SKUs not held are added and only held ones removed; when
   * nothing changes nothing is sent (`changed: false`). Then the user's `assigned_licenses` and the SKUs' units in `ms_licenses`
   * follow. Audited `microsoft_365.license_assign`.
   * @throws HeliosError as `updateUser`; CONFLICT `MICROSOFT.NO_LICENSES_AVAILABLE` (naming the SKU; nothing sent,
   *   or Graph's own refusal after a race); NOT_FOUND `MICROSOFT_WRITEBACK.UNKNOWN_SKU`; INVALID_INPUT
   *   `MICROSOFT.INVALID_REQUEST` (e.g. no usage location)
   * @example
   * ```ts
   * await helios.microsoftWriteback.assignLicense(msId, { add: ['c7df2760-2c81-4ef7-b578-5b5392b571df'] });
   * ```
   */
  assignLicense(
    msId: string,
    licenses: MicrosoftAssignLicenseInput,
    options?: CallOptions,
  ): Promise<MicrosoftLicenseAssignment>;
  /**
   * The groups the user is a direct member of, read live from Graph
   * (`GET /users/{id}/memberOf/microsoft.graph.group`, every page). Needs `users:read`; not audited.
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`;
   *   `MICROSOFT.NOT_FOUND`, `MICROSOFT.PERMISSION_MISSING` (GroupMember.Read.All) and the other `MICROSOFT.*`
   * @example
   * ```ts
   * const groups = await helios.microsoftWriteback.listUserGroups(msId);
   * ```
   */
  listUserGroups(msId: string, options?: CallOptions): Promise<CloudGroupRef[]>;
  /**
   * The licence SKU ids the user holds (`GET /users/{id}/licenseDetails`), lower-cased. Needs
   * `users:read`; not audited.
   * @throws HeliosError as `listUserGroups` (`MICROSOFT.PERMISSION_MISSING`: User.Read.All)
   * @example
   * ```ts
   * const skuIds = await helios.microsoftWriteback.listUserLicenses(msId);
   * ```
   */
  listUserLicenses(msId: string, options?: CallOptions): Promise<string[]>;
  /**
   * Free units per SKU (`GET /subscribedSkus`: `prepaidUnits.enabled - consumedUnits`), for the
   * SKUs given or, given none, every subscribed SKU. Needs `users:read`; not audited.
   * @throws HeliosError as `listUserGroups`; NOT_FOUND `MICROSOFT_WRITEBACK.UNKNOWN_SKU`
   * @example
   * ```ts
   * const [{ available }] = await helios.microsoftWriteback.licenseAvailability([skuId]);
   * ```
   */
  licenseAvailability(skuIds: string[], options?: CallOptions): Promise<LicenseAvailability[]>;
  /**
   * Sets or turns off the automatic reply (`PATCH /users/{id}/mailboxSettings`,
   * `automaticRepliesSetting`): `alwaysEnabled`, or `scheduled` from now until `endsAt`; the same
   * message inside and outside the organization (Graph's replies have no subject: `subject` is not
   * sent). Reads the settings first and sends nothing when they are already as asked
   * (`changed: false`). Needs `users:write`; audited `microsoft_365.auto_reply_set` when changed.
   * Graph permission MailboxSettings.ReadWrite.
   * @throws HeliosError as `updateUser`; INVALID_INPUT `MICROSOFT.INVALID_REQUEST` (endsAt past);
   *   NOT_FOUND `MICROSOFT.NOT_FOUND` (no mailbox)
   * @example
   * ```ts
   * await helios.microsoftWriteback.setAutoReply(msId, { enabled: true, message: 'I have left.' });
   * ```
   */
  setAutoReply(msId: string, reply: AutoReplyInput, options?: CallOptions): Promise<CloudChange>;
  /**
   * Forwards the user's incoming mail to an address through an inbox message rule named
   * `Helios offboarding forward` (`actions.forwardTo`): Graph has no forwarding property in
   * `mailboxSettings`. The rule is found by its name, so setting the same address twice sends
   * nothing (`changed: false`); another address updates it; null deletes it. Needs `users:write`;
   * audited `microsoft_365.mail_forwarding_set` when changed. Graph permission MailboxSettings.ReadWrite.
   * @throws HeliosError as `updateUser`; NOT_FOUND `MICROSOFT.NOT_FOUND` (no mailbox)
   * @example
   * ```ts
   * await helios.microsoftWriteback.setMailForwarding(msId, 'manager@contoso.com');
   * ```
   */
  setMailForwarding(
    msId: string,
    toAddress: string | null,
    options?: CallOptions,
  ): Promise<CloudChange>;
  /**
   * Shares the default calendar of `calendarId` (the owner's Graph user id) with a synced user
   * (`POST /users/{owner}/calendar/calendarPermissions`): `freeBusyReader` (`freeBusyRead`),
   * `reader` (`read`) or `writer` (`write`); Microsoft 365 has no other calendar owner. The recipient's
   * permission is found by address: the same role sends nothing (`changed: false`), another role is
   * updated. Needs `users:write`; audited `microsoft_365.calendar_share` when changed. Graph
   * permission Calendars.ReadWrite.
   * @throws HeliosError as `updateUser` (for the recipient); INVALID_INPUT `VALIDATION.FAILED`
   *   (e.g. role `owner`); NOT_FOUND `MICROSOFT.NOT_FOUND` (no mailbox)
   * @example
   * ```ts
   * await helios.microsoftWriteback.shareCalendar(managerMsId, msId, 'reader');
   * ```
   */
  shareCalendar(
    calendarId: string,
    userId: string,
    role: string,
    options?: CallOptions,
  ): Promise<CloudChange>;
  /**
   * Retires every mobile device (iOS, iPadOS, Android) the user has enrolled in Intune
   * (`POST /deviceManagement/managedDevices/{id}/retire`): the organization's data, apps and
   * management leave the phone, the rest of it stays (never `wipe`, a factory reset). Reads the
   * devices first (`GET /users/{id}/managedDevices`) and leaves alone one already retired or wiped,
   * or on its way, so a repeat sends nothing (`changed: false`); `items` are the device ids retired.
   * Needs `users:write`; audited `microsoft_365.mobile_wipe` when a device was retired. Graph
   * permissions DeviceManagementManagedDevices.Read.All and
   * DeviceManagementManagedDevices.PrivilegedOperations.All.
   * @throws HeliosError as `updateUser`; `MICROSOFT.PERMISSION_MISSING` (naming the permission)
   * @example
   * ```ts
   * const { items } = await helios.microsoftWriteback.wipeMobileDevices(msId);
   * ```
   */
  wipeMobileDevices(msId: string, options?: CallOptions): Promise<CloudChange>;
  /**
   * Gives another user write access to the user's own OneDrive (OneDrive has no ownership
   * transfer): a sharing invitation on the drive's root (`POST /users/{id}/drive/root/invite`,
   * `roles: ['write']`, no mail sent) unless the root's permissions already give `toMsId` `write` or
   * `owner`, then `changed: false`; `items` is `[toMsId]` when granted. Needs `users:write`; audited
   * `microsoft_365.drive_access_granted` when granted. Graph permission Files.ReadWrite.All.
   * @throws HeliosError as `updateUser`; `MICROSOFT.NOT_FOUND` when the user has no OneDrive;
   *   `MICROSOFT.PERMISSION_MISSING` (naming the permission)
   * @example
   * ```ts
   * await helios.microsoftWriteback.grantDriveAccess(leaverMsId, managerMsId);
   * ```
   */
  grantDriveAccess(msId: string, toMsId: string, options?: CallOptions): Promise<CloudChange>;
  /**
   * Deletes every item at the root of the user's OneDrive for good
   * (`POST /users/{id}/drive/items/{itemId}/permanentDelete`, no recycle bin; a folder with what
   * is in it), after listing them (every page), so a retry deletes only what is left; an item gone
   * meanwhile is skipped. A user removed from the directory, or without a OneDrive, reports
   * `changed: false`. `items` are the item ids deleted. Needs `users:write`; audited
   * `microsoft_365.drive_files_deleted` when something was deleted. Graph permission
   * Files.ReadWrite.All.
   * @throws HeliosError as `updateUser`; `MICROSOFT.PERMISSION_MISSING` (naming the permission)
   * @example
   * ```ts
   * const { items } = await helios.microsoftWriteback.deleteUserFiles(msId);
   * ```
   */
  deleteUserFiles(msId: string, options?: CallOptions): Promise<CloudChange>;
  /**
   * Declines every future meeting (the next 365 days) the user was invited to and has not
   * declined, telling the organizer, and cancels the meetings they organize when `organized` is
   * `cancel` (else leaves them). Reads the calendar first, so a retry acts on nothing twice.
   * Needs `users:write`; audited `microsoft_365.meetings_declined` when it changed something.
   * Graph permission Calendars.ReadWrite.
   * @throws HeliosError as `updateUser`; NOT_FOUND `MICROSOFT.NOT_FOUND` (no mailbox)
   * @example
   * ```ts
   * const { items } = await helios.microsoftWriteback.declineFutureMeetings(msId, 'cancel');
   * ```
   */
  declineFutureMeetings(
    msId: string,
    organized: OrganizedMeetings,
    options?: CallOptions,
  ): Promise<CloudChange>;
}

/** Options of `createMicrosoftWritebackService`. */
export type MicrosoftWritebackServiceOptions = ProviderServiceOptions<
  MicrosoftProviderOverrides,
  Microsoft365Provider
>;

/** Builds the Microsoft 365 write-back service. */
export function createMicrosoftWritebackService(
  rt: ServiceRuntime,
  serviceOptions: MicrosoftWritebackServiceOptions = {},
): MicrosoftWritebackService {
  const ctx = createMicrosoftWritebackContext(rt, serviceOptions);
  const users = microsoftUserOperations(ctx);
  // The names of the previous minor version.
  const deprecated = {
    disableUser: users.suspendUser,
    enableUser: users.restoreUser,
    revokeSessions: users.signOut,
  };
  const service: MicrosoftWritebackService = {
    ...users,
    ...microsoftPasswordOperations(ctx),
    ...microsoftGroupOperations(ctx),
    ...microsoftLicenseOperations(ctx),
    ...microsoftLifecycleOperations(ctx),
    ...microsoftDeviceOperations(ctx),
    ...microsoftDriveOperations(ctx),
    ...microsoftCalendarOperations(ctx),
    ...deprecated,
  };
  return guardAccounts(
    rt,
    'microsoft_365',
    microsoftObjectIdSchema,
    service,
    MICROSOFT_ACCOUNT_GUARDS,
  );
}

const account = firstArgAccount;

/** Who may change which account (writeback.guard.ts). */
const MICROSOFT_ACCOUNT_GUARDS: { [K in keyof MicrosoftWritebackService]?: AccountGuard } = {
  updateUser: account(2),
  suspendUser: account(1),
  restoreUser: account(1),
  disableUser: account(1),
  enableUser: account(1),
  deleteUser: account(1),
  resetPassword: account(1),
  signOut: account(1),
  revokeSessions: account(1),
  assignLicense: account(2),
  setAutoReply: account(2),
  wipeMobileDevices: account(1),
  declineFutureMeetings: account(2),
  setMailForwarding: {
    ...account(2),
    steers: (args) => (args[1] == null ? null : "Forwarding a user's mail"),
  },
  deleteUserFiles: account(1),
  grantDriveAccess: {
    ...account(2),
    steers: () => "Giving another user access to a user's OneDrive files",
  },
  shareCalendar: { options: 3, also: 'groups:write' },
};

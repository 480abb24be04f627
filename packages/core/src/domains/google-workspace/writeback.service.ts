/**
 * Google Workspace write-back (`helios.googleWriteback`): creates and changes users, groups and
 * memberships in Google through the organization's stored credentials, then updates the local
 * mirror (`gw_synced_users`, `gw_groups`, `access_groups`, `access_group_members`,
 * `organization_users` links) from Google's response.
 *
 * Every operation is an external call (`rt.external`): authorize and validate (a read scope, no
 * transaction), call Google (never inside a transaction: `EXTERNAL.IN_TRANSACTION`), then write the
 * local rows and the audit row in one short transaction. A Google failure (HeliosError `GOOGLE.*`)
 * leaves every local row unchanged. The parts: `writeback.users.ts`, `writeback.groups.ts`,
 * `writeback.passwords.ts` over `writeback.context.ts`.
 */
import type { Row } from '../../repositories/types';
import type { ServiceRuntime } from '../../runtime';
import type { Camelize } from '../../shared/case';
import type {
  CloudChange,
  LifecycleOperations,
  ProviderServiceOptions,
} from '../integrations/contract';
import type { WritebackUserService } from '../integrations/writeback';
import { type AccountGuard, firstArgAccount, guardAccounts } from '../integrations/writeback.guard';
import type { CallOptions } from '../policy/actor';
import type { GoogleProviderOverrides, GoogleWorkspaceProvider } from './provider';
import { googleArchiveOperations } from './writeback.archive';
import { googleCalendarOperations } from './writeback.calendar';
import { googleCollaborationOperations } from './writeback.collaboration';
import { createGoogleWritebackContext } from './writeback.context';
import { googleDeviceOperations } from './writeback.devices';
import { googleGroupOperations } from './writeback.groups';
import { googleLifecycleOperations } from './writeback.lifecycle';
import { googlePasswordOperations } from './writeback.passwords';
import type {
  GoogleCreateGroupInput,
  GoogleCreateUserInput,
  GoogleUpdateUserInput,
} from './writeback.schema';
import { googleIdSchema } from './writeback.schema';
import { googleUserOperations } from './writeback.users';

/** @deprecated Import `generateInitialPassword` from the integrations domain (shared by both clouds). */
export { generateInitialPassword } from '../integrations/initial-passwords';

/** A Google user as mirrored locally (`gw_synced_users`, without Google's raw JSON). */
export type GoogleWritebackUser = Omit<Camelize<Row<'gw_synced_users'>>, 'rawData'> & {
  /** True once deleted from Google through Helios (the row is kept). */
  removed: boolean;
  /** The linked organization user, if any. */
  localUserId: string | null;
};

/** A Google group as mirrored locally, with its stable access group id. */
export type GoogleWritebackGroup = Omit<Camelize<Row<'gw_groups'>>, 'rawData'> & {
  /** The `access_groups` row mirroring the group (platform `google_workspace`). */
  accessGroupId: string;
};

/** The outcome of a membership change. */
export interface GoogleWritebackMembership {
  groupGoogleId: string | null;
  groupEmail: string;
  userEmail: string;
  role: 'MEMBER' | 'MANAGER' | 'OWNER';
  /** The local `access_group_members` row changed, or null when the group or the user is not mirrored locally. */
  accessGroupMemberId: string | null;
  /** The linked organization user, if any. */
  localUserId: string | null;
}

/** The outcome of `resetPassword` (the password itself is stored encrypted: see `revealInitialPassword`). */
export interface GooglePasswordReset {
  googleId: string;
  email: string;
  /** Always true: the user chooses a new password at the next sign-in. */
  changePasswordAtNextLogin: true;
  /** When the new password was stored for one reveal. */
  storedAt: Date;
}

/** The outcome of `signOut` (`users.signOut`: every web and device session ends). */
export interface GoogleSignOut {
  googleId: string;
  email: string | null;
  signedOutAt: Date;
}

/** The outcome of `assignLicense` / `removeLicense`: `items` are the SKUs actually changed. */
export interface GoogleLicenseChange extends CloudChange {
  /** The SKUs asked for (`productId/skuId`). */
  skuIds: string[];
}

/** The initial password of a user created through Helios, revealed once. */
export interface GoogleInitialPassword {
  email: string;
  password: string;
  createdAt: Date | null;
  revealedAt: Date;
}

/**
 * Write-back to Google Workspace (`helios.google.writeback`): the shared user operations
 * (`WritebackUserService`: ids are Google ids, addresses primary emails; `createUser` also throws
 * INVALID_INPUT `GOOGLE_WRITEBACK.EMAIL_OUTSIDE_DOMAIN`), org unit moves and groups. Group operations
 * need `groups:write`.
 */
export interface GoogleWritebackService
  extends WritebackUserService<
      GoogleWritebackUser,
      GoogleCreateUserInput,
      GoogleUpdateUserInput,
      GoogleInitialPassword
    >,
    Omit<LifecycleOperations, 'grantDriveAccess'> {
  /**
   * Sets a generated password on the account, to change at the next sign-in, and stores it
   * encrypted for one reveal (`revealInitialPassword`). Audited `google_workspace.password_reset`.
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; `GOOGLE.NOT_FOUND` and `GOOGLE.*` (nothing stored)
   */
  resetPassword(googleId: string, options?: CallOptions): Promise<GooglePasswordReset>;
  /**
   * Signs the user out of every web and device session (`users.signOut`; scope
   * admin.directory.user.security). Audited `google_workspace.user_sign_out`.
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; `GOOGLE.*`
   */
  signOut(googleId: string, options?: CallOptions): Promise<GoogleSignOut>;
  /**
   * Assigns licence SKUs (`productId/skuId`, e.g. `Google-Apps/1010020027`) the user does not hold
   * yet (Licensing API). Audited `google_workspace.license_assign` when one was assigned.
   * @throws HeliosError `GOOGLE.NO_FREE_SEATS` when a SKU has no free seat; `GOOGLE.*`
   * @example
   * ```ts
   * const { changed } = await helios.googleWriteback.assignLicense(googleId, ['Google-Apps/1010020027']);
   * ```
   */
  assignLicense(
    googleId: string,
    skuIds: string[],
    options?: CallOptions,
  ): Promise<GoogleLicenseChange>;
  /** Removes the licence SKUs the user holds. Audited `google_workspace.license_remove`. @throws HeliosError `GOOGLE.*` */
  removeLicense(
    googleId: string,
    skuIds: string[],
    options?: CallOptions,
  ): Promise<GoogleLicenseChange>;
  /** @deprecated Use `suspendUser` (removed in the next minor version). */
  suspend(googleId: string, options?: CallOptions): Promise<GoogleWritebackUser>;
  /** @deprecated Use `restoreUser` (removed in the next minor version). */
  unsuspend(googleId: string, options?: CallOptions): Promise<GoogleWritebackUser>;
  /** Moves a user to another org unit in Google, then locally. Audited `google_workspace.user_move`. @throws HeliosError as `updateUser`, `GOOGLE.INVALID_REQUEST` for an unknown org unit */
  moveOrgUnit(
    googleId: string,
    orgUnitPath: string,
    options?: CallOptions,
  ): Promise<GoogleWritebackUser>;
  /**
   * Creates a Google group, then mirrors it into `gw_groups` and `access_groups` (stable id, upserted
   * by the Google id). Audited `google_workspace.group_create`.
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`, `GOOGLE_WRITEBACK.EMAIL_OUTSIDE_DOMAIN`;
   *   `GOOGLE.CONFLICT` (nothing written); `GOOGLE.*`
   * @example
   * ```ts
   * const group = await helios.googleWriteback.createGroup({ email: 'eng@acme.com', name: 'Engineering' });
   * ```
   */
  createGroup(input: GoogleCreateGroupInput, options?: CallOptions): Promise<GoogleWritebackGroup>;
  /**
   * Adds a member to a Google group, then upserts the local membership (when the group and the user
   * are mirrored locally). Audited `google_workspace.member_add`.
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`; `GOOGLE.CONFLICT` (already a member),
   *   `GOOGLE.NOT_FOUND`; `GOOGLE.*`
   */
  addMember(
    groupEmailOrId: string,
    userEmail: string,
    role?: 'MEMBER' | 'MANAGER' | 'OWNER',
    options?: CallOptions,
  ): Promise<GoogleWritebackMembership>;
  /**
   * Removes a member from a Google group, then soft-removes the local membership (`is_active` false,
   * `removed_at`). Audited `google_workspace.member_remove`.
   * @throws HeliosError as `addMember`
   */
  removeMember(
    groupEmailOrId: string,
    userEmail: string,
    options?: CallOptions,
  ): Promise<GoogleWritebackMembership>;
}

/** Options of `createGoogleWritebackService`. */
export type GoogleWritebackServiceOptions = ProviderServiceOptions<
  GoogleProviderOverrides,
  GoogleWorkspaceProvider
>;

/** Builds the Google Workspace write-back service. */
export function createGoogleWritebackService(
  rt: ServiceRuntime,
  serviceOptions: GoogleWritebackServiceOptions = {},
): GoogleWritebackService {
  const ctx = createGoogleWritebackContext(rt, serviceOptions);
  const users = googleUserOperations(ctx);
  // The names of the previous minor version.
  const deprecated = { suspend: users.suspendUser, unsuspend: users.restoreUser };
  const service: GoogleWritebackService = {
    ...users,
    ...googlePasswordOperations(ctx),
    ...googleGroupOperations(ctx),
    ...googleLifecycleOperations(ctx),
    ...googleCollaborationOperations(ctx),
    ...googleArchiveOperations(ctx),
    ...googleDeviceOperations(ctx),
    ...googleCalendarOperations(ctx),
    ...deprecated,
  };
  return guardAccounts(rt, 'google_workspace', googleIdSchema, service, GOOGLE_ACCOUNT_GUARDS);
}

const account = firstArgAccount;

/** Who may change which account (writeback.guard.ts). */
const GOOGLE_ACCOUNT_GUARDS: { [K in keyof GoogleWritebackService]?: AccountGuard } = {
  updateUser: account(2),
  suspendUser: account(1),
  restoreUser: account(1),
  suspend: account(1),
  unsuspend: account(1),
  deleteUser: account(1),
  moveOrgUnit: account(2),
  moveToOrgUnit: account(2),
  resetPassword: account(1),
  signOut: account(1),
  assignLicense: account(2),
  removeLicense: account(2),
  revokeTokens: account(1),
  revokeAppPasswords: account(1),
  setAutoReply: account(2),
  removeFromSharedDrives: account(1),
  deleteUserFiles: account(1),
  wipeMobileDevices: account(1),
  declineFutureMeetings: account(2),
  setSignature: account(2),
  transferData: { ...account(3), steers: () => "Transferring a user's data to another user" },
  setMailForwarding: {
    ...account(2),
    steers: (args) => (args[1] == null ? null : "Forwarding a user's mail"),
  },
  archiveUserFiles: {
    ...account(2),
    steers: () => "Moving a user's files into a shared drive",
  },
  addToSharedDrive: { options: 3, also: 'groups:write' },
  shareCalendar: { options: 3, also: 'groups:write' },
};

/**
 * The directory-integration contract: what a cloud directory (Google Workspace, Microsoft 365)
 * provides to the rest of the SDK, with one vocabulary for both. Lifecycle, automation and
 * signatures act on "the connected clouds" through it, never through a vendor folder:
 *
 * ```ts
 * for (const cloud of await helios.integrations.connected()) {
 *   const id = await cloud.externalUserId(localUserId);
 *   if (id) await cloud.suspendUser(id);
 * }
 * ```
 *
 * Users are named by the cloud's own id (Google id, Graph object id); `externalUserId` finds it
 * for an organization user. An operation a cloud lacks (licenses in Google Workspace, groups
 * created through Graph) throws PRECONDITION_FAILED `INTEGRATIONS.UNSUPPORTED`; `supports` says
 * which ones a cloud has.
 */
import type { ServiceRuntime } from '../../runtime';
import type { CallOptions } from '../policy/actor';

/** The clouds Helios integrates with. */
export type IntegrationId = 'google' | 'microsoft';

/** The write-back operations of the contract, by name. */
export type DirectoryOperation =
  | 'createUser'
  | 'updateUser'
  | 'suspendUser'
  | 'restoreUser'
  | 'deleteUser'
  | 'resetPassword'
  | 'signOut'
  | 'createGroup'
  | 'deleteGroup'
  | 'addMember'
  | 'removeMember'
  | 'assignLicense'
  | 'removeLicense'
  | LifecycleOperation;

/**
 * The operations lifecycle runs (onboarding, offboarding) need beyond the directory write-back, by
 * name. Their inputs and results are the same on every cloud (see {@link LifecycleOperations}); a
 * cloud that lacks one throws `INTEGRATIONS.UNSUPPORTED` and its `supports` set says so, so a run plans
 * the step as skipped with that reason instead of calling it.
 */
export type LifecycleOperation =
  | 'listUserGroups'
  | 'moveToOrgUnit'
  | 'listUserLicenses'
  | 'licenseAvailability'
  | 'revokeTokens'
  | 'revokeAppPasswords'
  | 'transferData'
  | 'getDataTransfer'
  | 'setMailForwarding'
  | 'setAutoReply'
  | 'addToSharedDrive'
  | 'removeFromSharedDrives'
  | 'shareCalendar'
  | 'wipeMobileDevices'
  | 'declineFutureMeetings'
  | 'setSignature'
  | 'archiveUserFiles'
  | 'deleteUserFiles'
  | 'grantDriveAccess';

/** A cloud group a user belongs to (directly). */
export interface CloudGroupRef {
  /** The cloud's group id. */
  id: string;
  /** The group's address, when it has one. */
  email: string | null;
  /** The group's name, when known. */
  name: string | null;
}

/** Free seats of a license SKU. */
export interface LicenseAvailability {
  /** The SKU (Google `productId/skuId`, Microsoft `skuId`). */
  skuId: string;
  /** Seats not assigned yet; null when the cloud does not say. */
  available: number | null;
}

/** What a data (ownership) transfer moves. */
export type DataTransferApplication = 'drive' | 'calendar';

/** A data transfer between two accounts, as the cloud reports it. */
export interface DataTransfer {
  /** The cloud's transfer id. */
  id: string;
  /** `pending`, `inProgress`, `completed` or `failed` (the cloud's own word for other states). */
  status: string;
  /** The applications being moved. */
  applications: DataTransferApplication[];
}

/** An automatic reply (vacation responder / out-of-office). */
export interface AutoReplyInput {
  /** Off removes the reply. */
  enabled: boolean;
  subject?: string;
  /** Plain text or HTML as given. */
  message?: string;
  /** When the reply stops, ISO 8601; none = until turned off. */
  endsAt?: string;
}

/**
 * What `declineFutureMeetings` does with the future meetings the user organizes: `cancel` them
 * (the attendees are told), or `keep` them (for an ownership transfer to move them).
 */
export type OrganizedMeetings = 'cancel' | 'keep';

/**
 * The change an idempotent operation made: `changed` is false when the cloud was already in the
 * wanted state (so a retried step reports "nothing to do" instead of doing it twice).
 */
export interface CloudChange {
  changed: boolean;
  /** What was changed or removed (ids, addresses), for the run journal. */
  items?: string[];
}

/**
 * The lifecycle operations, cloud-agnostic. Users are named by the cloud's id; every operation is
 * idempotent (safe to retry) and reports whether it changed anything. Authorization as the write-back
 * service's (`users:write`), audited there; a network call, so never inside a transaction.
 */
export interface LifecycleOperations {
  /** The groups the user is a direct member of. */
  listUserGroups(userId: string, options?: CallOptions): Promise<CloudGroupRef[]>;
  /** Moves the user to an org unit (Google). */
  moveToOrgUnit(userId: string, orgUnitPath: string, options?: CallOptions): Promise<CloudChange>;
  /** The license SKUs the user holds. */
  listUserLicenses(userId: string, options?: CallOptions): Promise<string[]>;
  /** Free seats per SKU, to check before assigning. */
  licenseAvailability(skuIds: string[], options?: CallOptions): Promise<LicenseAvailability[]>;
  /** Revokes every OAuth token the user granted to applications. */
  revokeTokens(userId: string, options?: CallOptions): Promise<CloudChange>;
  /** Revokes every app password (application-specific password). */
  revokeAppPasswords(userId: string, options?: CallOptions): Promise<CloudChange>;
  /** Starts moving ownership of the user's data to another user (Google Data Transfer). */
  transferData(
    fromUserId: string,
    toUserId: string,
    applications: DataTransferApplication[],
    options?: CallOptions,
  ): Promise<DataTransfer>;
  /** Reads a data transfer. */
  getDataTransfer(transferId: string, options?: CallOptions): Promise<DataTransfer>;
  /** Forwards the user's incoming mail to an address (null stops forwarding). */
  setMailForwarding(
    userId: string,
    toAddress: string | null,
    options?: CallOptions,
  ): Promise<CloudChange>;
  /** Sets or removes the automatic reply. */
  setAutoReply(userId: string, reply: AutoReplyInput, options?: CallOptions): Promise<CloudChange>;
  /** Gives a user access to a shared drive (`reader`, `commenter`, `writer`, `fileOrganizer`, `organizer`). */
  addToSharedDrive(
    driveId: string,
    userId: string,
    role: string,
    options?: CallOptions,
  ): Promise<CloudChange>;
  /** Removes the user from every shared drive they were given access to. */
  removeFromSharedDrives(userId: string, options?: CallOptions): Promise<CloudChange>;
  /** Shares a calendar with the user (`reader`, `writer`, `owner`, `freeBusyReader`). */
  shareCalendar(
    calendarId: string,
    userId: string,
    role: string,
    options?: CallOptions,
  ): Promise<CloudChange>;
  /**
   * Moves the files the user owns into a folder of theirs in a shared drive (`<address> (archived)`,
   * created once), so they outlive the account; `items` are the files moved. A retry moves only what
   * is left (a moved file belongs to the shared drive).
   */
  archiveUserFiles(
    userId: string,
    sharedDriveId: string,
    options?: CallOptions,
  ): Promise<CloudChange>;
  /**
   * Deletes the files the user owns, for good; `items` are the files deleted. An account that no
   * longer exists reports nothing changed.
   */
  deleteUserFiles(userId: string, options?: CallOptions): Promise<CloudChange>;
  /**
   * Gives another user write access to the user's own files, where the cloud cannot move their
   * ownership (Microsoft OneDrive: a sharing invitation on the drive's root); `items` are the users
   * given access. A user who has that access already reports nothing changed. Google moves
   * ownership instead (`transferData`) and lacks this one.
   */
  grantDriveAccess(userId: string, toUserId: string, options?: CallOptions): Promise<CloudChange>;
  /**
   * Removes the organization's account and data from every mobile device of the user (Google:
   * `admin_account_wipe`; Microsoft: Intune `retire`), never a factory reset of the phone. A device
   * already wiped or being wiped is left alone, so a retried step wipes nothing twice; `items` are
   * the devices wiped by this call.
   */
  wipeMobileDevices(userId: string, options?: CallOptions): Promise<CloudChange>;
  /**
   * Declines, as the user, every future meeting they were invited to and have not declined yet,
   * and cancels the ones they organize (`organized: 'cancel'`, only meetings with other attendees)
   * or leaves them (`keep`). Items: `declined:<eventId>` and `cancelled:<eventId>`; a retry acts on
   * nothing twice (the state is read first).
   */
  declineFutureMeetings(
    userId: string,
    organized: OrganizedMeetings,
    options?: CallOptions,
  ): Promise<CloudChange>;
  /** Sets the signature of the user's primary address (HTML), or clears it (null). */
  setSignature(userId: string, html: string | null, options?: CallOptions): Promise<CloudChange>;
}

/**
 * The vendor types of an integration: its inputs and results, and its services. The defaults
 * (`unknown`) are what code sees that works on any cloud.
 */
export interface DirectoryIntegrationTypes {
  createUserInput: unknown;
  updateUserInput: unknown;
  createGroupInput: unknown;
  user: unknown;
  group: unknown;
  membership: unknown;
  passwordReset: unknown;
  signOut: unknown;
  licenseChange: unknown;
  credentials: unknown;
  sync: unknown;
  directory: unknown;
  writeback: unknown;
}

/**
 * A cloud account as code that works on any cloud sees it, read live from the cloud by
 * {@link DirectoryIntegration.getUser}: `blocked` is Google's `suspended` / Microsoft's
 * `accountEnabled: false`; `user` is the cloud's own record (as its write-back service returns it).
 */
export interface DirectoryAccount<U = unknown> {
  /** The cloud's id (Google id, Graph object id). */
  id: string;
  /** The primary address (Google primary email, Microsoft user principal name). */
  email: string | null;
  /** True when the account cannot sign in. */
  blocked: boolean;
  /** The organization user linked to the account, or null. */
  localUserId: string | null;
  /** The cloud's record. */
  user: U;
}

/** A cloud directory: its identity, its services, whether it is connected, and its write-back. */
export interface DirectoryIntegration<
  T extends DirectoryIntegrationTypes = DirectoryIntegrationTypes,
> extends LifecycleOperations {
  /** `google` or `microsoft`. */
  readonly id: IntegrationId;
  /** `Google Workspace`, `Microsoft 365`. */
  readonly displayName: string;
  /** The organization module of the cloud (`google_workspace`, `microsoft_365`); also its audit and link platform. */
  readonly moduleSlug: 'google_workspace' | 'microsoft_365';
  /** The cloud's services: credentials, sync, the synced directory and write-back. */
  readonly services: {
    readonly credentials: T['credentials'];
    readonly sync: T['sync'];
    readonly directory: T['directory'];
    readonly writeback: T['writeback'];
  };
  /** The write-back operations this cloud has (the others throw `INTEGRATIONS.UNSUPPORTED`). */
  readonly supports: ReadonlySet<DirectoryOperation>;
  /**
   * True when credentials are stored and usable (Microsoft: active) and either the last connection
   * test passed or the cloud's module is enabled. No permission needed; reads no secret.
   */
  isConnected(options?: CallOptions): Promise<boolean>;
  /**
   * True when usable credentials are stored (Microsoft: active), tested or not: a cloud that is set
   * up but whose last test failed (or was never run). No permission needed; reads no secret.
   */
  hasCredentials(options?: CallOptions): Promise<boolean>;
  /** The cloud's id of an organization user (its Google id / Graph object id), or null when not linked. */
  externalUserId(localUserId: string, options?: CallOptions): Promise<string | null>;

  /**
   * Reads a user live from the cloud (not the synced mirror, which it refreshes): null when the cloud
   * has no such account. Needs `users:read`; not audited (a read). Makes a network call, so never
   * inside `helios.transaction` (PRECONDITION_FAILED `EXTERNAL.IN_TRANSACTION`).
   */
  getUser(userId: string, options?: CallOptions): Promise<DirectoryAccount<T['user']> | null>;

  /** Creates a user with a generated initial password (revealed once through the write-back service). */
  createUser(input: T['createUserInput'], options?: CallOptions): Promise<T['user']>;
  /** Changes a user's profile fields. */
  updateUser(
    userId: string,
    patch: T['updateUserInput'],
    options?: CallOptions,
  ): Promise<T['user']>;
  /** Blocks sign-in (Google: suspend; Microsoft: `accountEnabled` false). */
  suspendUser(userId: string, options?: CallOptions): Promise<T['user']>;
  /** Allows sign-in again. */
  restoreUser(userId: string, options?: CallOptions): Promise<T['user']>;
  /** Deletes the user in the cloud (the local row is kept, marked removed). */
  deleteUser(userId: string, options?: CallOptions): Promise<T['user'] | null>;
  /** Sets a generated password, changed at the next sign-in, stored for one reveal. */
  resetPassword(userId: string, options?: CallOptions): Promise<T['passwordReset']>;
  /** Signs the user out of every session. */
  signOut(userId: string, options?: CallOptions): Promise<T['signOut']>;
  /** Creates a group. */
  createGroup(input: T['createGroupInput'], options?: CallOptions): Promise<T['group']>;
  /** Deletes a group. */
  deleteGroup(groupId: string, options?: CallOptions): Promise<void>;
  /** Adds a user to a group (Google: group email or id and user email; Microsoft: Graph ids). */
  addMember(groupId: string, userId: string, options?: CallOptions): Promise<T['membership']>;
  /** Removes a user from a group. */
  removeMember(groupId: string, userId: string, options?: CallOptions): Promise<T['membership']>;
  /** Assigns license SKUs to a user. */
  assignLicense(
    userId: string,
    skuIds: string[],
    options?: CallOptions,
  ): Promise<T['licenseChange']>;
  /** Removes license SKUs from a user. */
  removeLicense(
    userId: string,
    skuIds: string[],
    options?: CallOptions,
  ): Promise<T['licenseChange']>;
}

/**
 * Options of a cloud's service factories (`create<Cloud>SyncService`, `create<Cloud>WritebackService`):
 * tests and the CLI point them at a simulator. `O` is the cloud's provider overrides, `P` its provider.
 */
export interface ProviderServiceOptions<O, P> {
  /** Provider options (API roots, retries...) for the stored credentials, over createHelios `integrations.<cloud>`. */
  providerOverrides?: O;
  /** Builds the provider instead of loading the stored credentials. */
  provider?: (rt: ServiceRuntime) => Promise<P>;
}

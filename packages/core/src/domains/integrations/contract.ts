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
  | 'removeLicense';

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
> {
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

/**
 * The Google Workspace provider: a small typed client of the Admin SDK Directory API acting through
 * a service account with domain-wide delegation (a JWT bearer grant with `subject: adminEmail`).
 * The API root and the token URL are configurable so it can be pointed at a simulator; timeouts,
 * retries (the shared policy of ../../shared/retry.ts: throttled calls wait for Retry-After or the next
 * quota window within a time budget, failed reads back off) and a concurrency cap are built in.
 * Every failure is a HeliosError with a `GOOGLE.*` code (see errors.ts). The token, the client
 * and one call with retries are in provider.http.ts; the users, groups, members and org units calls
 * in provider.users.ts and provider.groups.ts.
 */
import type { RetryInfo, RetryOptions } from '../../shared/retry';
import { archiveCalls, type GoogleArchiveCalls } from './provider.archive';
import { calendarEventCalls, type GoogleCalendarEventCalls } from './provider.calendar';
import { collaborationCalls, type GoogleCollaborationCalls } from './provider.collaboration';
import { deviceCalls, type GoogleDeviceCalls } from './provider.devices';
import { groupCalls } from './provider.groups';
import { directoryConnection } from './provider.http';
import {
  DEFAULT_GOOGLE_LICENSE_SKUS,
  type GoogleApiRoots,
  type GoogleSecurityCalls,
  resolveApiRoots,
  securityCalls,
} from './provider.security';
import { userCalls } from './provider.users';
import type { ServiceAccountKey } from './schema';

export { serviceAccountKeyFingerprint } from './provider.http';

/** A page of a Google list call. */
export interface GooglePage<T> {
  items: T[];
  /** Pass it to the next call; null on the last page. */
  nextPageToken: string | null;
}

/** A Google Workspace user (the fields Helios reads; everything else Google sends is kept). */
export interface GoogleUser {
  id: string;
  primaryEmail: string;
  name?: { givenName?: string; familyName?: string; fullName?: string };
  suspended?: boolean;
  suspensionReason?: string;
  isAdmin?: boolean;
  isDelegatedAdmin?: boolean;
  orgUnitPath?: string;
  aliases?: string[];
  nonEditableAliases?: string[];
  emails?: Array<{ address?: string; primary?: boolean; type?: string }>;
  organizations?: Array<{
    title?: string;
    department?: string;
    primary?: boolean;
    costCenter?: string;
    location?: string;
  }>;
  relations?: Array<{ value?: string; type?: string }>;
  phones?: Array<{ value?: string; type?: string; primary?: boolean }>;
  lastLoginTime?: string;
  creationTime?: string;
  deletionTime?: string;
  isEnrolledIn2Sv?: boolean;
  isEnforcedIn2Sv?: boolean;
  changePasswordAtNextLogin?: boolean;
  etag?: string;
  [field: string]: unknown;
}

/** The body of a user creation (`users.insert`). */
export interface GoogleUserInput {
  primaryEmail: string;
  name: { givenName: string; familyName: string };
  /** The initial password (Google requires one). */
  password: string;
  changePasswordAtNextLogin?: boolean;
  orgUnitPath?: string;
  suspended?: boolean;
  organizations?: GoogleUser['organizations'];
  relations?: GoogleUser['relations'];
  phones?: GoogleUser['phones'];
  [field: string]: unknown;
}

/** The fields of a user update (`users.update`; only the fields given change). */
export type GoogleUserPatch = Partial<Omit<GoogleUserInput, 'name'>> & {
  name?: { givenName?: string; familyName?: string };
  [field: string]: unknown;
};

/** A Google group. */
export interface GoogleGroup {
  id: string;
  email: string;
  name?: string;
  description?: string;
  directMembersCount?: string;
  aliases?: string[];
  adminCreated?: boolean;
  etag?: string;
  [field: string]: unknown;
}

/** The body of a group creation (`groups.insert`). */
export interface GoogleGroupInput {
  email: string;
  name?: string;
  description?: string;
  [field: string]: unknown;
}

/** A member of a group. */
export interface GoogleMember {
  id?: string;
  email?: string;
  role?: 'OWNER' | 'MANAGER' | 'MEMBER' | string;
  type?: 'USER' | 'GROUP' | 'CUSTOMER' | 'EXTERNAL' | string;
  status?: string;
  etag?: string;
  [field: string]: unknown;
}

/** The body of a member addition (`members.insert`). */
export interface GoogleMemberInput {
  /** The member's email (a user, a group or an external address). */
  email: string;
  /** Default MEMBER. */
  role?: 'OWNER' | 'MANAGER' | 'MEMBER';
  [field: string]: unknown;
}

/** An organizational unit. */
export interface GoogleOrgUnit {
  orgUnitId: string;
  orgUnitPath: string;
  name: string;
  description?: string;
  parentOrgUnitId?: string;
  parentOrgUnitPath?: string;
  blockInheritance?: boolean;
  etag?: string;
  [field: string]: unknown;
}

/** Options of `listUsers`. */
export interface ListGoogleUsersOptions {
  /** Page size, 1-500 (default 500). */
  maxResults?: number;
  /** A Directory search query, e.g. `isSuspended=false`. */
  query?: string;
  /** Lists deleted users instead (Google keeps them 20 days). */
  showDeleted?: boolean;
  /** Sort field (default none: Google's order, the fastest). */
  orderBy?: 'email' | 'familyName' | 'givenName';
}

/** The service account and the admin it acts for. */
export interface GoogleWorkspaceCredentials {
  /** The JSON key of the service account (text or parsed). */
  serviceAccountKey: ServiceAccountKey | string;
  /** The super administrator to impersonate (domain-wide delegation). */
  adminEmail: string;
  /** The primary domain (informative; lists cover the whole account). */
  domain?: string | null;
  /** Default: DEFAULT_GOOGLE_SCOPES. */
  scopes?: readonly string[];
}

/** One retry the provider is about to make (operation, attempt, delay, budget left, the error). */
export type GoogleRetryInfo = RetryInfo;

/**
 * How calls are retried (see `RetryOptions`): throttled calls until `budgetMs` (default 5 minutes) runs
 * out, waiting into the next quota window (`quotaWindowMs`, default a minute) when Google sends no
 * Retry-After; failed reads `maxRetries` times (default 3); `maxDelayMs` default 32000.
 */
export type GoogleRetryOptions = RetryOptions;

/** Options of `googleWorkspace`. */
export interface GoogleWorkspaceOptions {
  credentials: GoogleWorkspaceCredentials;
  /** The API root (default https://admin.googleapis.com/); point it at a simulator in tests. */
  rootUrl?: string;
  /** The OAuth token endpoint (default https://oauth2.googleapis.com/token). */
  tokenUrl?: string;
  /**
   * The roots of the Licensing, Data Transfer, Drive, Gmail and Calendar APIs (default Google's; when
   * `rootUrl` is set and an API's root is not, `rootUrl`: a simulator serves them all).
   */
  apiRoots?: GoogleApiRoots;
  /** The licence SKUs (`productId/skuId`) a user's licences are looked for in (default DEFAULT_GOOGLE_LICENSE_SKUS). */
  licenseSkus?: readonly string[];
  /** Timeout of each API request in ms (default 30000). */
  timeoutMs?: number;
  /** Timeout of each token request in ms (default 15000). */
  tokenTimeoutMs?: number;
  /**
   * Retries of throttled (429, 403 userRateLimitExceeded / rateLimitExceeded / quotaExceeded: until the
   * time budget runs out, waiting into the next quota window) and failed (5xx, network: 3 retries)
   * calls. Writes are retried only when throttled (Google did not process them).
   */
  retry?: GoogleRetryOptions;
  /** Most calls in flight at once (default 8). */
  maxConcurrency?: number;
  /** The customer the lists cover (default `my_customer`: the admin's account). */
  customer?: string;
  /** A fetch to use instead of the global one (proxies, tests). */
  fetchImplementation?: typeof fetch;
}

/** Provider options besides the credentials (createHelios `integrations.google`, `loadGoogleProvider`). */
export type GoogleProviderOverrides = Omit<GoogleWorkspaceOptions, 'credentials'>;

/**
 * A Google Workspace account, through the Directory API, and the Licensing, Data Transfer, Drive,
 * Gmail settings and Calendar APIs, and the mobile devices, for lifecycle operations.
 */
export interface GoogleWorkspaceProvider
  extends GoogleSecurityCalls,
    GoogleCollaborationCalls,
    GoogleDeviceCalls,
    GoogleCalendarEventCalls,
    GoogleArchiveCalls {
  readonly kind: 'google-workspace';
  readonly adminEmail: string;
  /** The service account's email. */
  readonly clientEmail: string;
  /** The service account's OAuth client id (the one domain-wide delegation is granted to). */
  readonly clientId: string;
  readonly domain: string | null;
  readonly scopes: readonly string[];
  readonly rootUrl: string;
  readonly tokenUrl: string;
  /** The licence SKUs `listUserLicenses` looks at. */
  readonly licenseSkus: readonly string[];
  /**
   * Gets (or reuses) an access token: proves the key and the delegation work, without calling the API.
   * The token itself is not returned.
   * @throws HeliosError `GOOGLE.BAD_KEY`, `GOOGLE.DELEGATION_NOT_GRANTED`, `GOOGLE.ADMIN_NOT_FOUND`, `GOOGLE.TOKEN_REJECTED`, `GOOGLE.UNAVAILABLE`
   */
  authorize(): Promise<{ expiresAt: Date | null }>;
  /**
   * One page of the account's users (`users.list`, projection full, 500 a page).
   * @throws HeliosError `GOOGLE.*` (see errors.ts)
   * @example
   * ```ts
   * let page = await google.listUsers();
   * while (page.nextPageToken) page = await google.listUsers(page.nextPageToken);
   * ```
   */
  listUsers(
    pageToken?: string | null,
    options?: ListGoogleUsersOptions,
  ): Promise<GooglePage<GoogleUser>>;
  /** One page of the account's groups (200 a page). @throws HeliosError `GOOGLE.*` */
  listGroups(
    pageToken?: string | null,
    options?: { maxResults?: number },
  ): Promise<GooglePage<GoogleGroup>>;
  /**
   * Adds a listener of this provider's retries (besides `retry.onRetry`), e.g. a sync reporting why it
   * slows down; returns the function that removes it.
   */
  watchRetries(listener: (info: GoogleRetryInfo) => void): () => void;
  /** One page of a group's members (200 a page). @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*` */
  listMembers(
    groupKey: string,
    pageToken?: string | null,
    options?: { maxResults?: number },
  ): Promise<GooglePage<GoogleMember>>;
  /** Every org unit of the account (`orgunits.list` type all; not paged by Google). @throws HeliosError `GOOGLE.*` */
  listOrgUnits(): Promise<GoogleOrgUnit[]>;
  /** A user by id, primary email or alias. @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*` */
  getUser(userKey: string): Promise<GoogleUser>;
  /**
   * Creates a user; returns Google's record.
   * @throws HeliosError `GOOGLE.CONFLICT` when the email is taken; `GOOGLE.INVALID_REQUEST`; `GOOGLE.*`
   * @example
   * ```ts
   * await google.insertUser({ primaryEmail: 'ada@acme.com', name: { givenName: 'Ada', familyName: 'L' }, password, changePasswordAtNextLogin: true });
   * ```
   */
  insertUser(user: GoogleUserInput): Promise<GoogleUser>;
  /** Changes the given fields of a user; returns Google's record. @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*` */
  updateUser(userKey: string, patch: GoogleUserPatch): Promise<GoogleUser>;
  /** Suspends a user (an update of `suspended`). @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*` */
  suspendUser(userKey: string): Promise<GoogleUser>;
  /** Lifts a suspension. @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*` */
  unsuspendUser(userKey: string): Promise<GoogleUser>;
  /** Moves a user to another org unit (an update of `orgUnitPath`). @throws HeliosError `GOOGLE.NOT_FOUND`, `GOOGLE.INVALID_REQUEST` and `GOOGLE.*` */
  moveUserToOrgUnit(userKey: string, orgUnitPath: string): Promise<GoogleUser>;
  /** Deletes a user (Google keeps it restorable for 20 days). @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*` */
  deleteUser(userKey: string): Promise<void>;
  /** Creates a group; returns Google's record. @throws HeliosError `GOOGLE.CONFLICT` and `GOOGLE.*` */
  insertGroup(group: GoogleGroupInput): Promise<GoogleGroup>;
  /** Adds a member to a group. @throws HeliosError `GOOGLE.CONFLICT` when already a member; `GOOGLE.NOT_FOUND` and `GOOGLE.*` */
  insertMember(groupKey: string, member: GoogleMemberInput): Promise<GoogleMember>;
  /** Removes a member from a group. @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*` */
  deleteMember(groupKey: string, memberKey: string): Promise<void>;
}

/**
 * Builds a Google Workspace provider. Nothing is sent until the first call.
 *
 * @throws HeliosError INVALID_INPUT `GOOGLE.INVALID_KEY` when the key is not a service account key;
 *   `VALIDATION.FAILED` for bad options
 * @example
 * ```ts
 * const google = googleWorkspace({ credentials: { serviceAccountKey: keyJson, adminEmail: 'admin@acme.com' } });
 * const { items } = await google.listUsers();
 * ```
 */
export function googleWorkspace(options: GoogleWorkspaceOptions): GoogleWorkspaceProvider {
  const google = directoryConnection(options);
  const roots = resolveApiRoots(options);
  return {
    kind: 'google-workspace',
    adminEmail: google.adminEmail,
    clientEmail: google.key.client_email,
    clientId: google.key.client_id,
    domain: options.credentials.domain ?? null,
    scopes: google.scopes,
    rootUrl: google.rootUrl,
    tokenUrl: google.tokenUrl,
    licenseSkus: [...(options.licenseSkus ?? DEFAULT_GOOGLE_LICENSE_SKUS)],
    authorize: () => google.authorize(),
    watchRetries: (listener) => google.policy.watch(listener),
    ...userCalls(google),
    ...groupCalls(google),
    ...securityCalls(google, roots),
    ...collaborationCalls(google, roots),
    ...archiveCalls(google, roots),
    ...deviceCalls(google),
    ...calendarEventCalls(google, roots),
  };
}

/**
 * The public types of the Google Directory simulator: its options, the running simulator and its
 * fault kinds.
 */
import type { FaultOptions } from '../http-kit';
import type { GoogleCalendarEventsKit } from './calendar-events';
import type { SuspensionCalls } from './calls';

/** A fault the simulator can answer instead of the real response. */
export type GoogleDirectoryFaultKind =
  | '429'
  | '500'
  | '503'
  | 'rateLimitExceeded'
  | 'userRateLimitExceeded'
  | 'quotaExceeded'
  | 'timeout'
  | 'reset';

/** Options of `startGoogleDirectorySimulator`. */
export interface GoogleDirectorySimulatorOptions {
  /** The primary domain (default `example.test`). */
  domain?: string;
  /** The customer id (default `C0sim01`); `my_customer` is accepted too. */
  customerId?: string;
  /**
   * Secondary domains of the customer (default none): users and groups may have addresses on them.
   * `users.list`/`groups.list` with `customer` cover every domain, with `domain=` that domain only.
   */
  secondaryDomains?: string[];
  /**
   * Deterministic generated data (default 20 users, 4 groups of 5 members, 3 org units): users
   * `user000001@domain`..., groups `group0001@domain`..., org units `/Engineering`, `/Sales`...;
   * every 17th user suspended, every 10th with an alias, managers by blocks of ten, every 5th
   * group with an alias, every 10th group nesting the previous one. The super admin
   * `admin@domain` comes on top of `users`.
   */
  seed?: { users?: number; groups?: number; membersPerGroup?: number; orgUnits?: number };
  /**
   * Faults on Directory API calls (never on `/token`): each call fails with probability `rate`
   * (0..1, deterministic from `seed`) with a kind drawn from `kinds` (default: all but `timeout`
   * and `reset`). `timeout` holds the socket unanswered (up to 30 s, then drops it); `reset` sends
   * the headers and part of the body, then resets the connection.
   */
  faults?: FaultOptions<GoogleDirectoryFaultKind>;
  /**
   * The per-minute quota of Directory API calls (Google's "queries per minute per user", 2,400 by
   * default in a Cloud project); off by default. Once `perMinute` calls were answered in a window,
   * every call is refused with 403 `userRateLimitExceeded` (domain `usageLimits`, and no Retry-After,
   * as Google does) until the window ends. Windows are fixed and `windowSeconds` long (default 60;
   * tests use 1 or 2). Refused calls do not count; token requests are never counted.
   */
  quota?: GoogleDirectoryQuota;
  /**
   * Licence seats per SKU (`productId/skuId`, e.g. `Google-Apps/1010020027`): a number limits the
   * assignments (an insert over it is refused 412 conditionNotMet), null is unlimited. A SKU not
   * listed here is unknown to the customer (400) until a test seeds it.
   */
  licenses?: Record<string, number | null>;
  /** `transfers.get` calls that still answer `inProgress` for a new data transfer (default 0). */
  dataTransferPolls?: number;
  /** Delay before every answer, in milliseconds. */
  latencyMs?: number;
  /** The port to listen on, on 127.0.0.1 (default 0: any free port). */
  port?: number;
}

/** The per-minute quota of a Google Directory simulator (see `GoogleDirectorySimulatorOptions.quota`). */
export interface GoogleDirectoryQuota {
  /** Calls answered per window (default 2400). */
  perMinute?: number;
  /** The window's length in seconds (default 60). */
  windowSeconds?: number;
}

/** A running Google Directory simulator. */
export interface GoogleDirectorySimulator {
  /** The API root with a trailing slash (pass as `rootUrl` to `@googleapis/admin`). */
  url: string;
  /** The OAuth token endpoint (`<url>token`). */
  tokenUrl: string;
  /** A service account key (RSA key pair generated at start) whose client has all directory scopes delegated. */
  serviceAccountKey: {
    type: 'service_account';
    project_id: string;
    private_key_id: string;
    private_key: string;
    client_email: string;
    client_id: string;
    token_uri: string;
  };
  /** A super admin to impersonate (`admin@<domain>`). */
  adminEmail: string;
  /**
   * The directory, for direct inspection and changes in tests. Users and groups are keyed by id,
   * members by group id then member id, org units by path (`/` is the root). Values are the wire
   * JSON objects; replace a value with `set` to change an email or aliases (in-place changes to
   * other fields are fine). `passwords` (user id to the last password sent) and `deletedUsers`
   * are extras.
   */
  state: {
    users: Map<string, any>;
    groups: Map<string, any>;
    members: Map<string, Map<string, any>>;
    orgUnits: Map<string, any>;
    deletedUsers: Map<string, any>;
    passwords: Map<string, string>;
  };
  /** Counters: every request, per route (`users.list`, `token`...), faults injected, tokens issued, quota refusals. */
  requests: {
    total: number;
    byRoute: Record<string, number>;
    faultsInjected: number;
    tokensIssued: number;
    quotaRejections: number;
  };
  /** Seeds and reads the Workspace state beyond the Directory (security, licences, Drive, Gmail, Calendar, transfers). */
  workspace: GoogleWorkspaceSimKit;
  /**
   * Every answered write call (not GET) in order: route name, method, path and the token's subject,
   * so a test or benchmark can check that no write was sent twice.
   */
  writeCalls: Array<{ route: string; method: string; path: string; subject: string }>;
  /** Successful calls that set `suspended` (`users.update` / `users.patch`), per user id: `suspend` and `unsuspend`. */
  suspensionCalls: SuspensionCalls;
  /** Replaces the fault configuration (null: no faults); the random sequence restarts from its seed. */
  setFaults(faults: GoogleDirectorySimulatorOptions['faults'] | null): void;
  /** Replaces the per-minute quota (null: unlimited) and starts a new window. */
  setQuota(quota: GoogleDirectoryQuota | null): void;
  /**
   * Sets the scopes delegated to a service account client id (null revokes); access tokens already
   * issued to that client are revoked too.
   */
  grantDelegation(clientId: string, scopes: string[] | null): void;
  /** Makes a user super admin or not (takes effect on the next call). */
  setSuperAdmin(email: string, isSuperAdmin: boolean): void;
  /** Stops the server. */
  close(): Promise<void>;
}

/**
 * Seeds and reads the Workspace state of a Google simulator beyond the Directory. Users are named by
 * id, primary email or alias; SKUs as `productId/skuId`.
 */
export interface GoogleWorkspaceSimKit extends GoogleCalendarEventsKit {
  /** Adds an OAuth token the user granted to an application. */
  addToken(
    userKey: string,
    token: { clientId: string; displayText?: string; scopes?: string[]; nativeApp?: boolean },
  ): void;
  /** Adds an app password; returns its `codeId`. */
  addAppPassword(userKey: string, name?: string): number;
  /**
   * Adds a file (or, with the folder MIME type, a folder) to the user's My Drive, at its root or in
   * `parentId` (a folder of any user); returns its id.
   */
  addDriveFile(
    ownerKey: string,
    name: string,
    options?: { mimeType?: string; trashed?: boolean; parentId?: string },
  ): string;
  /** Adds a shared drive with members (role `organizer`, `writer`...); returns its id. */
  addSharedDrive(name: string, members?: Array<{ email: string; role: string }>): string;
  /** Adds a secondary calendar owned by the user; returns its id. */
  addCalendar(ownerKey: string, summary: string): string;
  /** Sets the seats of a SKU (null: unlimited). */
  setLicenseSeats(sku: string, seats: number | null): void;
  /** Assigns a SKU to a user directly (over any seat limit). */
  assignLicense(userKey: string, sku: string): void;
  /** The client ids of the user's OAuth tokens. */
  tokens(userKey: string): string[];
  /** The code ids of the user's app passwords. */
  appPasswords(userKey: string): number[];
  /** How many times the user was signed out (`users.signOut`). */
  signOuts(userKey: string): number;
  /** The SKUs the user holds. */
  licenses(userKey: string): string[];
  /** The addresses of the users holding a SKU. */
  licenseHolders(sku: string): string[];
  /** The ids of the Drive files the user owns. */
  driveFilesOwnedBy(userKey: string): string[];
  /** The members of a shared drive. */
  sharedDriveMembers(driveId: string): Array<{ email: string; role: string }>;
  /**
   * The items directly in a folder or at the root of a shared drive (by id), with their owner's
   * address (null in a shared drive: the drive owns them), sorted by name.
   */
  driveItems(
    parentId: string,
  ): Array<{ id: string; name: string; mimeType: string; owner: string | null }>;
  /** Whether a Drive file or folder exists (not deleted for good; a trashed one exists). */
  driveFileExists(fileId: string): boolean;
  /** The Gmail settings of a mailbox. */
  gmail(userKey: string): {
    forwardingAddresses: Record<string, string>;
    autoForwarding: { enabled: boolean; emailAddress?: string; disposition?: string };
    vacation: Record<string, any>;
    sendAs: Array<Record<string, any>>;
  };
  /** The ACL rules of a calendar (ids such as `user:ann@acme.com`). */
  calendarAcl(calendarId: string): Array<{ id: string; role: string }>;
  /** The data transfers created, as the API reports them. */
  transfers(): Array<Record<string, any>>;
  /**
   * Adds a mobile device owned by the user (default an Android phone, `APPROVED`); returns its
   * `resourceId`.
   */
  addMobileDevice(
    userKey: string,
    device?: { model?: string; os?: string; type?: string; status?: string },
  ): string;
  /** The user's mobile devices: resource id, status and every action answered, in order. */
  mobileDevices(
    userKey: string,
  ): Array<{ resourceId: string; type: string; status: string; actions: string[] }>;
  /** Sets a device's status, e.g. `ACCOUNT_WIPED` once the phone took the account wipe. */
  setMobileDeviceStatus(resourceId: string, status: string): void;
}

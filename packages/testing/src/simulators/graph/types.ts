/**
 * The public types of the Microsoft Graph simulator: its options, throttling budgets, the running
 * simulator and its fault kinds.
 */

import type { FaultOptions } from '../http-kit';
import type { GraphSimDriveItemInput } from './drive';
import type { GraphSimMeeting, GraphSimMeetingInput } from './events';

/** A fault the simulator can answer instead of the real response. */
export type GraphFaultKind = '429' | '500' | '503' | '504' | 'timeout' | 'reset';

/** Options of `startGraphSimulator`. */
export interface GraphSimulatorOptions {
  /** The tenant (directory) id (default `5d6e7f80-91a2-4b3c-8d4e-5f60718293a4`). */
  tenantId?: string;
  /** The verified default domain (default `example.test`); `<first label>.onmicrosoft.com` is the initial domain. */
  domain?: string;
  /**
   * Deterministic generated data (default 20 users, 4 groups of 5 members): users
   * `user000001@domain`... (every 17th disabled, managers by blocks of ten, usage location US,
   * licences per `skus`), groups `group0001` (every third a Microsoft 365 `Unified` group, the
   * others security groups; every tenth group contains the previous one). The Global Administrator
   * `admin@domain` comes on top of `users`.
   */
  seed?: { users?: number; groups?: number; membersPerGroup?: number };
  /**
   * Subscribed SKUs. `consumed` units are held by the first `consumed` seeded users (any excess
   * counts as held outside the seed). Default: SPE_E3 for every user (25 spare), EMS for the first
   * half (10 spare), POWER_BI_PRO 5 of 5 (no free unit).
   */
  skus?: Array<{ skuId: string; skuPartNumber: string; enabled: number; consumed?: number }>;
  /**
   * Faults on Graph calls (never on the token or discovery endpoints), drawn for every request and
   * every `$batch` sub-request: each fails with probability `rate` (0..1, deterministic from `seed`)
   * with a kind drawn from `kinds` (default `429`, `500`, `503`, `504`). `timeout` holds the socket
   * unanswered (up to 30 s, then drops it); `reset` sends the headers and part of the body, then
   * resets the connection. In a `$batch` sub-request `timeout` answers 504 and `reset` 502.
   */
  faults?: FaultOptions<GraphFaultKind>;
  /**
   * Throttling of the app in the tenant, after Microsoft Graph's identity and access limits (off by
   * default): a resource-unit budget (costs: `GRAPH_REQUEST_UNIT_COSTS`) and a write quota, each per
   * fixed window. Past either, requests are refused with 429 `TooManyRequests`, `Retry-After` (whole
   * seconds until that window ends) and `x-ms-throttle-scope` / `x-ms-throttle-information`, until the
   * window rolls over; inside `$batch` each sub-request is charged and refused on its own (the batch
   * answers 200). Refused requests are not charged. See `GraphThrottle` for the defaults.
   */
  throttle?: GraphThrottle;
  /** Delay before every answer, in milliseconds. */
  latencyMs?: number;
  /**
   * Hosts in the links the simulator returns (`@odata.nextLink`, `@odata.deltaLink`,
   * `@odata.context`, discovery endpoints): `public` (default) uses https://graph.microsoft.com and
   * https://login.microsoftonline.com, for clients that rewrite hosts in their network layer;
   * `local` uses the simulator's own URL, for plain `fetch` users.
   */
  links?: 'public' | 'local';
  /** Delta and skip tokens older than this are expired (default 7 days); see `expiredDeltaStatus`. */
  deltaTokenTtlMs?: number;
  /**
   * How an expired or unknown delta/skip token is answered: `400` (default) with error code
   * `syncStateNotFound`, as Graph answers for users and groups, or `410` `resyncRequired` (the
   * answer documented for other delta resources).
   */
  expiredDeltaStatus?: 400 | 410;
  /** The port to listen on, on 127.0.0.1 (default 0: any free port). */
  port?: number;
  /**
   * Seed of the PRNG that shuffles `$batch` responses (default 1): Graph answers sub-requests in any
   * order, so clients must match them by `id`. The order is deterministic for a given seed.
   */
  batchSeed?: number;
  /**
   * At most this many entries of a group's `members@delta` on one delta page (default 100): the
   * initial round of a larger group ends the page after its first part and repeats the group (its id
   * and the next part of `members@delta` only) on the following pages, as Graph does.
   */
  deltaMembersPerPage?: number;
}

/** The throttling budgets of a Graph simulator (see `GraphSimulatorOptions.throttle`). */
export interface GraphThrottle {
  /**
   * Resource units per window (default by tenant size, as Graph: 3,500 under 50 users, 5,000 up to
   * 500, 8,000 above).
   */
  requestUnits?: number;
  /** The resource-unit window in seconds (default 10). */
  windowSeconds?: number;
  /** Writes (POST, PATCH, PUT, DELETE) per write window (default 3,000). */
  writeRequests?: number;
  /** The write window in seconds (default 150: 2 minutes 30). */
  writeWindowSeconds?: number;
}

/** A running Microsoft Graph simulator. */
export interface GraphSimulator {
  /** The Graph root `http://127.0.0.1:PORT` (no trailing slash); the API is under `/v1.0/`. */
  url: string;
  /** The authority host `http://127.0.0.1:PORT` (same server): `/{tenant}/oauth2/v2.0/token` and discovery. */
  authorityHost: string;
  /** `<authorityHost>/<tenantId>/oauth2/v2.0/token`. */
  tokenUrl: string;
  tenantId: string;
  /** The app registration (client credentials) consented for every role in `GRAPH_APPLICATION_PERMISSIONS`. */
  clientId: string;
  clientSecret: string;
  /**
   * The tenant, for direct inspection and changes in tests; values are the wire JSON objects
   * (users and groups keyed by id, members by group id then a set of member ids, SKUs by skuId).
   * Direct changes are not seen by delta queries unless announced with `markChanged` (or made
   * through `touchUser`/`deleteUser`/`addGroupMember`/`removeGroupMember`). Replace a user with
   * `set` to change its userPrincipalName or mail (the lookup index follows `set`).
   * `passwords` holds the last password set per user id, `revokedSessions` the time of the last
   * `revokeSignInSessions` per user id, `mailboxSettings` the mailbox settings changed per user id
   * (the others have the defaults), `messageRules` the inbox rules per user id then rule id,
   * `calendarPermissions` the permissions of each default calendar read or shared so far,
   * `managedDevices` the Intune devices by id (wire JSON, plus `actions`: the actions answered).
   */
  state: {
    users: Map<string, any>;
    groups: Map<string, any>;
    members: Map<string, Set<string>>;
    skus: Map<string, any>;
    deletedUsers: Map<string, any>;
    passwords: Map<string, string>;
    revokedSessions: Map<string, number>;
    mailboxSettings: Map<string, any>;
    messageRules: Map<string, Map<string, any>>;
    calendarPermissions: Map<string, Map<string, any>>;
    managedDevices: Map<string, any>;
  };
  /**
   * Counters: HTTP requests (`total`), per route including `$batch` sub-requests (`token`,
   * `users.list`, `users.delta`, `groups.members`, `batch`...), faults injected, tokens issued,
   * throttled requests and request units charged.
   */
  requests: {
    total: number;
    byRoute: Record<string, number>;
    faultsInjected: number;
    tokensIssued: number;
    throttled: number;
    requestUnits: number;
  };
  /** Replaces the fault configuration (null: no faults); the random sequence restarts from its seed. */
  setFaults(faults: GraphSimulatorOptions['faults'] | null): void;
  /** Replaces the throttling budgets (null: unlimited) and starts new windows. */
  setThrottle(throttle: GraphThrottle | null): void;
  /**
   * Sets the application roles consented for the app (null: no admin consent, tokens carry no
   * roles). Tokens carry the roles consented when issued; a Graph call is allowed by the roles
   * both in its token and still consented, so revoking takes effect at once and granting at the
   * next token.
   */
  grantPermissions(roles: string[] | null): void;
  /** Changes a user (by id or UPN) as an admin would in Entra; recorded for delta queries. */
  touchUser(id: string, changes: Record<string, unknown>): void;
  /**
   * Enrolls an Intune managed device for a user (by id or UPN): an Android phone, `managed`, unless
   * `fields` say otherwise (e.g. `{ operatingSystem: 'iOS' }`); returns the device id.
   */
  addManagedDevice(user: string, fields?: Record<string, unknown>): string;
  /** Adds a file (or a folder, `folder: true`) at the root of a user's OneDrive (id or UPN); returns its id. */
  addDriveItem(user: string, item: GraphSimDriveItemInput): string;
  /**
   * A user's OneDrive as the simulator holds it (copies): the root's items, the root's permissions
   * (`owner` first, then those granted by `invite`) and the ids sent to the recycle bin; null when
   * the user has no OneDrive.
   */
  drive(user: string): {
    items: Array<Record<string, any>>;
    permissions: Array<Record<string, any>>;
    recycled: string[];
  } | null;
  /** Removes a user's OneDrive, as for a user whose site was never provisioned (404 on `drive`). */
  removeDrive(user: string): void;
  /** Deletes a user (soft delete, like `DELETE /users/{id}`); recorded for delta queries. */
  deleteUser(id: string): void;
  /** Adds a meeting organized by a user (id or UPN) with attendees of the tenant; returns its id. */
  addMeeting(organizer: string, meeting: GraphSimMeetingInput): string;
  /** A meeting as the tenant holds it (every attendee's answer, whether cancelled), or null. */
  meeting(id: string): GraphSimMeeting | null;
  /** Adds a user or group to a group as an admin would; recorded for delta queries. */
  addGroupMember(groupId: string, memberId: string): void;
  /** Removes a member from a group as an admin would; recorded for delta queries. */
  removeGroupMember(groupId: string, memberId: string): void;
  /** Records a direct `state` change of a user or group (present: updated, absent: deleted) for delta queries. */
  markChanged(kind: 'user' | 'group', id: string): void;
  /** Expires every delta and skip token issued so far (answered as `expiredDeltaStatus` says). */
  expireDeltaLinks(): void;
  /** Stops the server. */
  close(): Promise<void>;
}

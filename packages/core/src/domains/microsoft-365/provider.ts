/**
 * The Microsoft 365 provider: client-credentials tokens from Entra ID through `@azure/msal-node`,
 * Microsoft Graph v1.0 calls through `@microsoft/microsoft-graph-client`.
 *
 * Both libraries always see the public hosts (https://login.microsoftonline.com,
 * https://graph.microsoft.com): the Graph client attaches the token only to Graph URLs and follows
 * `@odata.nextLink`s only on them. When `loginUrl` / `graphUrl` point elsewhere (a simulator, a
 * proxy), the requests are re-addressed in the network layer: MSAL's `networkClient` and a Graph
 * middleware placed after authentication.
 *
 * Retries (the shared policy of ../../shared/retry.ts): throttling (429) waits for Retry-After and is
 * retried until the call's time budget runs out; transient failures (5xx, network errors, timeouts)
 * are retried with exponential backoff and jitter; writes are retried only when throttled (Graph did
 * not process them). `$batch` sub-requests that are throttled are retried alone, in a later batch.
 * At most `maxConcurrency` calls are in flight.
 *
 * Files: `provider.http.ts` (token, client, retries, delta paging, `$batch`), `provider.users.ts`,
 * `provider.groups.ts`, `provider.licenses.ts`, `provider.mailbox.ts`, `provider.devices.ts` (the calls); this file holds the types and composes them.
 */
import type { RetryInfo, RetryOptions } from '../../shared/retry';
import { MICROSOFT_ERRORS } from './errors';
import { deviceCalls } from './provider.devices';
import { driveCalls } from './provider.drive';
import { eventCalls } from './provider.events';
import { groupCalls, MS_GROUP_FIELDS } from './provider.groups';
import { batchFailure, graphConnection, relative, rolesOf } from './provider.http';
import { licenseCalls } from './provider.licenses';
import { mailboxCalls } from './provider.mailbox';
import { GLOBAL_ADMIN_ROLE_TEMPLATE_ID, MS_USER_FIELDS, userCalls } from './provider.users';

export { MS_MANAGED_DEVICE_FIELDS } from './provider.devices';
export { MS_GROUP_FIELDS } from './provider.groups';
export { batchFailure, GRAPH_DEFAULT_SCOPE, GRAPH_URL, LOGIN_URL } from './provider.http';
export { MS_MEMBER_OF_FIELDS } from './provider.mailbox';
export { GLOBAL_ADMIN_ROLE_TEMPLATE_ID, MS_USER_FIELDS } from './provider.users';

/** An app registration's client credentials. */
export interface MicrosoftCredentials {
  /** The directory (tenant) id. */
  tenantId: string;
  /** The application (client) id. */
  clientId: string;
  /** The client secret's value. */
  clientSecret: string;
}

/**
 * Retries of throttled and transient calls (see `RetryOptions`): throttled calls wait for Retry-After
 * until `budgetMs` (default 5 minutes) runs out; transient failures `maxRetries` times (default 4);
 * `maxDelayMs` default 60000.
 */
export type MicrosoftRetryOptions = RetryOptions;

/** Options of `microsoft365`. */
export interface Microsoft365Options {
  credentials: MicrosoftCredentials;
  /** Where Graph calls go (default https://graph.microsoft.com): a simulator or a proxy. */
  graphUrl?: string;
  /** Where token calls go (default https://login.microsoftonline.com). */
  loginUrl?: string;
  /** Timeout of each call in ms (default 30000). */
  timeoutMs?: number;
  retry?: MicrosoftRetryOptions;
  /** Most calls in flight at once (default 4). */
  maxConcurrency?: number;
  /** Page size of lists and delta rounds (1..999, default 999). */
  pageSize?: number;
  /**
   * Where access tokens outlive the provider (e.g. `ms_credentials.access_token_encrypted`): a token
   * still valid for 5 minutes is reused instead of asking Entra ID again. Errors of the cache are ignored.
   */
  tokenCache?: MicrosoftTokenCache;
}

/** A store for the app's access token between providers (runs, processes). */
export interface MicrosoftTokenCache {
  /** The cached token, or null. */
  read(): Promise<{ accessToken: string; expiresAt: Date } | null>;
  /** Stores a new token. */
  write(token: { accessToken: string; expiresAt: Date }): Promise<void>;
}

/** Provider options besides the credentials (createHelios `integrations.microsoft`). */
export type MicrosoftProviderOverrides = Omit<Microsoft365Options, 'credentials'>;

/** A Graph object as JSON (the properties asked for with `$select`). */
export type GraphObject = Record<string, unknown> & { id: string };

/** One page of a delta round: changed objects (removed ones carry `@removed`). */
export interface DeltaPage {
  items: GraphObject[];
}

/** A page of a delta round as Graph sends it. */
export interface DeltaPageBody {
  value?: GraphObject[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

/** The end of a delta round: the link to ask for the next changes. */
export interface DeltaRound {
  deltaLink: string;
  pages: number;
  objects: number;
}

/** A subscribed licence SKU. */
export interface MicrosoftSku {
  skuId: string;
  skuPartNumber: string;
  consumedUnits: number;
  prepaidUnits: { enabled: number; suspended?: number; warning?: number };
  servicePlans?: unknown[];
  [key: string]: unknown;
}

/** One request of a `$batch`. */
export interface BatchRequest {
  id: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  /** Relative to /v1.0, e.g. `/users/{id}`. */
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One response of a `$batch`. */
export interface BatchResponse {
  id: string;
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** Microsoft 365 through Microsoft Graph. */
export interface Microsoft365Provider {
  readonly kind: 'microsoft-365';
  readonly tenantId: string;
  readonly clientId: string;
  readonly graphUrl: string;
  readonly loginUrl: string;
  /** Gets (or reuses) an access token: proves the tenant, the client id and the secret. @throws HeliosError `MICROSOFT.*` */
  authorize(): Promise<{ expiresAt: Date | null; roles: string[] }>;
  /** The tenant's organization (`/organization`). */
  getOrganization(): Promise<{
    id: string;
    displayName: string | null;
    verifiedDomains: unknown[];
  }>;
  /** One page of users (`$top`), for connection tests. */
  listUsers(options?: { top?: number }): Promise<GraphObject[]>;
  /** One page of groups, for connection tests. */
  listGroups(options?: { top?: number }): Promise<GraphObject[]>;
  /**
   * A users delta round: from the start (`deltaLink` null: every user) or from a stored link (the
   * changes since). Pages are handed to `onPage` as they arrive (constant memory): the round keeps
   * no reference to a page once handed over, so `onPage` may empty `items` as it handles them.
   * @throws HeliosError `MICROSOFT.DELTA_EXPIRED` when the link is no longer valid
   */
  usersDelta(
    deltaLink: string | null,
    onPage: (page: DeltaPage) => Promise<void>,
    first?: DeltaPageBody,
  ): Promise<DeltaRound>;
  /** A groups delta round with `members@delta`. As `usersDelta`. */
  groupsDelta(
    deltaLink: string | null,
    onPage: (page: DeltaPage) => Promise<void>,
    first?: DeltaPageBody,
  ): Promise<DeltaRound>;
  /**
   * A sync's opening reads in ONE request (`$batch`): the first page of the users and groups delta
   * rounds (from the start, or from the links), the Global Administrators and the licence SKUs. Pass
   * the pages as `first` to `usersDelta`/`groupsDelta` to continue the rounds.
   * `adminIds` is null when the app may not read directory roles (the admin flags are then left alone).
   * @throws HeliosError `MICROSOFT.DELTA_EXPIRED`, `MICROSOFT.PERMISSION_MISSING`...
   */
  openSyncReads(links: { users: string | null; groups: string | null }): Promise<{
    users: DeltaPageBody;
    groups: DeltaPageBody;
    adminIds: string[] | null;
    skus: MicrosoftSku[];
  }>;
  /** The tenant's licence SKUs. */
  listSubscribedSkus(): Promise<MicrosoftSku[]>;
  /** The ids of the Global Administrators (role members). */
  listGlobalAdminIds(): Promise<string[]>;
  /** GET /users/{id | userPrincipalName} with the synced fields. */
  getUser(idOrUpn: string): Promise<GraphObject>;
  /** POST /users. */
  createUser(body: Record<string, unknown>): Promise<GraphObject>;
  /** PATCH /users/{id}. */
  updateUser(id: string, patch: Record<string, unknown>): Promise<void>;
  /** DELETE /users/{id} (to the recycle bin). */
  deleteUser(id: string): Promise<void>;
  /** POST /users/{id}/revokeSignInSessions. */
  revokeSignInSessions(id: string): Promise<void>;
  /** POST /users/{id}/assignLicense. */
  assignLicense(
    id: string,
    add: Array<{ skuId: string; disabledPlans?: string[] }>,
    remove: string[],
  ): Promise<GraphObject>;
  /** GET /groups/{id}. */
  getGroup(id: string): Promise<GraphObject>;
  /** POST /groups/{id}/members/$ref. */
  addGroupMember(groupId: string, memberId: string): Promise<void>;
  /** DELETE /groups/{id}/members/{memberId}/$ref. */
  removeGroupMember(groupId: string, memberId: string): Promise<void>;
  /** The groups the user is a direct member of (`GET /users/{id}/memberOf/microsoft.graph.group`, every page). */
  listUserGroups(id: string): Promise<GraphObject[]>;
  /** The user's licences (`GET /users/{id}/licenseDetails`). */
  listLicenseDetails(id: string): Promise<GraphObject[]>;
  /** `GET /users/{id}/mailboxSettings`. */
  getMailboxSettings(id: string): Promise<Record<string, unknown>>;
  /** `PATCH /users/{id}/mailboxSettings`. */
  updateMailboxSettings(
    id: string,
    patch: Record<string, unknown>,
  ): Promise<Record<string, unknown>>;
  /** `GET /users/{id}/mailFolders/inbox/messageRules`. */
  listMessageRules(id: string): Promise<GraphObject[]>;
  /** `POST /users/{id}/mailFolders/inbox/messageRules`. */
  createMessageRule(id: string, rule: Record<string, unknown>): Promise<GraphObject>;
  /** `PATCH /users/{id}/mailFolders/inbox/messageRules/{ruleId}`. */
  updateMessageRule(
    id: string,
    ruleId: string,
    patch: Record<string, unknown>,
  ): Promise<GraphObject>;
  /** `DELETE /users/{id}/mailFolders/inbox/messageRules/{ruleId}`. */
  deleteMessageRule(id: string, ruleId: string): Promise<void>;
  /** `GET /users/{id}/calendar/calendarPermissions` (the default calendar's). */
  listCalendarPermissions(id: string): Promise<GraphObject[]>;
  /** `POST /users/{id}/calendar/calendarPermissions`. */
  createCalendarPermission(id: string, permission: Record<string, unknown>): Promise<GraphObject>;
  /** `PATCH /users/{id}/calendar/calendarPermissions/{permissionId}` (the role). */
  updateCalendarPermission(id: string, permissionId: string, role: string): Promise<GraphObject>;
  /** The user's Intune managed devices (`GET /users/{id}/managedDevices`, every page, `MS_MANAGED_DEVICE_FIELDS`). */
  listManagedDevices(id: string): Promise<GraphObject[]>;
  /** `POST /deviceManagement/managedDevices/{id}/retire` (not retried on failures). */
  retireManagedDevice(deviceId: string): Promise<void>;
  /** The permissions of the root of the user's OneDrive (`GET /users/{id}/drive/root/permissions`, every page). */
  listDriveRootPermissions(id: string): Promise<GraphObject[]>;
  /** The items at the root of the user's OneDrive (`GET /users/{id}/drive/root/children`, every page). */
  listDriveRootChildren(id: string): Promise<GraphObject[]>;
  /** `POST /users/{id}/drive/root/invite` to one user (by object id) with `role`, no mail sent; the permissions granted. */
  inviteToDriveRoot(
    id: string,
    recipientId: string,
    role: 'read' | 'write',
  ): Promise<GraphObject[]>;
  /** `POST /users/{id}/drive/items/{itemId}/permanentDelete` (gone for good, no recycle bin). */
  deleteDriveItem(id: string, itemId: string): Promise<void>;
  /** The user's events between two instants (`GET /users/{id}/calendarView`, every page). */
  listCalendarView(id: string, start: Date, end: Date): Promise<GraphObject[]>;
  /** `POST /users/{id}/events/{eventId}/decline` (`sendResponse`: tell the organizer). */
  declineEvent(id: string, eventId: string, sendResponse: boolean): Promise<void>;
  /** `POST /users/{id}/events/{eventId}/cancel` (the organizer's meeting, for every attendee). */
  cancelEvent(id: string, eventId: string, comment?: string): Promise<void>;
  /**
   * Sends up to any number of requests in `$batch`es of 20; throttled or transient sub-requests are
   * retried alone (honouring their Retry-After). Returns one response per request, in order.
   */
  batch(requests: BatchRequest[]): Promise<BatchResponse[]>;
  /**
   * Adds a listener of this provider's retries (besides `retry.onRetry`), e.g. a sync reporting why it
   * slows down; returns the function that removes it.
   */
  watchRetries(listener: (info: RetryInfo) => void): () => void;
}

/**
 * Builds the Microsoft 365 provider for an app registration.
 *
 * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED` for bad options
 * @example
 * ```ts
 * const ms = microsoft365({ credentials: { tenantId, clientId, clientSecret } });
 * await ms.authorize();
 * const round = await ms.usersDelta(null, async ({ items }) => console.log(items.length));
 * ```
 */
export function microsoft365(options: Microsoft365Options): Microsoft365Provider {
  const graph = graphConnection(options);
  const { tenantId, clientId, graphUrl, loginUrl, pageSize, get } = graph;
  const { deltaStart } = graph;

  return {
    kind: 'microsoft-365',
    tenantId,
    clientId,
    graphUrl,
    loginUrl,

    async authorize() {
      const accessToken = await graph.token();
      return { expiresAt: graph.tokenExpiresAt(), roles: rolesOf(accessToken) };
    },

    async getOrganization() {
      const page = await get<{
        value?: Array<{ id: string; displayName?: string; verifiedDomains?: unknown[] }>;
      }>('organization.get', '/organization', (r) =>
        r.select(['id', 'displayName', 'verifiedDomains']),
      );
      const org = page.value?.[0];
      if (!org)
        throw MICROSOFT_ERRORS.REQUEST_FAILED({
          message: 'Microsoft Graph returned no organization.',
        });
      return {
        id: org.id,
        displayName: org.displayName ?? null,
        verifiedDomains: org.verifiedDomains ?? [],
      };
    },

    async openSyncReads(links) {
      const prefer = { Prefer: `odata.maxpagesize=${pageSize}` };
      const [users, groups, admins, skus] = await this.batch([
        {
          id: 'users',
          method: 'GET',
          url: deltaStart('/users/delta', MS_USER_FIELDS, links.users),
          headers: prefer,
        },
        {
          id: 'groups',
          method: 'GET',
          url: deltaStart('/groups/delta', [...MS_GROUP_FIELDS, 'members'], links.groups),
          headers: prefer,
        },
        {
          id: 'admins',
          method: 'GET',
          url: `/directoryRoles(roleTemplateId='${GLOBAL_ADMIN_ROLE_TEMPLATE_ID}')/members?$select=id`,
        },
        { id: 'skus', method: 'GET', url: '/subscribedSkus' },
      ]);
      for (const [response, operation] of [
        [users, 'users.delta'],
        [groups, 'groups.delta'],
        [skus, 'subscribedSkus.list'],
      ] as const) {
        const failure = batchFailure(response as BatchResponse, operation);
        if (failure) throw failure;
      }
      // Admin flags are optional: without RoleManagement/Directory read permission they are left alone.
      let adminIds: string[] | null = null;
      const adminFailure = batchFailure(admins as BatchResponse, 'directoryRoles.members');
      if (!adminFailure) {
        let page = admins!.body as { value?: Array<{ id: string }>; '@odata.nextLink'?: string };
        adminIds = (page.value ?? []).map((m) => m.id);
        while (page['@odata.nextLink']) {
          page = await get('directoryRoles.members', relative(page['@odata.nextLink']));
          adminIds.push(...(page.value ?? []).map((m) => m.id));
        }
      } else if (MICROSOFT_ERRORS.NOT_FOUND.is(adminFailure)) adminIds = [];
      else if (!MICROSOFT_ERRORS.PERMISSION_MISSING.is(adminFailure)) throw adminFailure;
      return {
        users: users!.body as DeltaPageBody,
        groups: groups!.body as DeltaPageBody,
        adminIds,
        skus: ((skus!.body as { value?: MicrosoftSku[] }).value ?? []) as MicrosoftSku[],
      };
    },

    ...userCalls(graph),
    ...groupCalls(graph),
    ...licenseCalls(graph),
    ...mailboxCalls(graph),
    ...deviceCalls(graph),
    ...driveCalls(graph),
    ...eventCalls(graph),
    batch: (requests) => graph.batch(requests),
    watchRetries: (listener) => graph.policy.watch(listener),
  };
}

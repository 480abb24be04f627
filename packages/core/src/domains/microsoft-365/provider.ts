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
 */
import { ConfidentialClientApplication, type INetworkModule, LogLevel, type NetworkRequestOptions, type NetworkResponse } from '@azure/msal-node';
import { AuthenticationHandler, Client, type Context, HTTPMessageHandler, type Middleware } from '@microsoft/microsoft-graph-client';
import { HeliosError } from '../../errors';
import { CORE_ERRORS } from '../../errors/core.errors';
import { createRetryPolicy, parseRetryAfter, type RetryFailure, type RetryInfo, type RetryOptions, semaphore, sleep } from '../../shared/retry';
import { fromGraphError, fromGraphFailure, fromTokenError, type GraphFailure, isTransient, MICROSOFT_ERRORS, readGraphFailure } from './errors';

/** The public Graph root. */
export const GRAPH_URL = 'https://graph.microsoft.com';
/** The public Entra ID (login) root. */
export const LOGIN_URL = 'https://login.microsoftonline.com';
/** The scope of client-credentials tokens for Graph. */
export const GRAPH_DEFAULT_SCOPE = 'https://graph.microsoft.com/.default';
/** The role template id of Global Administrator (the same in every tenant). */
export const GLOBAL_ADMIN_ROLE_TEMPLATE_ID = '62e90394-69f5-4237-9190-012177145e10';

/** The user properties the sync reads (`$select`). */
export const MS_USER_FIELDS = [
  'id',
  'userPrincipalName',
  'mail',
  'displayName',
  'givenName',
  'surname',
  'jobTitle',
  'department',
  'officeLocation',
  'companyName',
  'mobilePhone',
  'businessPhones',
  'accountEnabled',
  'usageLocation',
  'assignedLicenses',
  'createdDateTime',
] as const;
/** The group properties the sync reads (`$select`; `members` adds `members@delta` in delta rounds). */
export const MS_GROUP_FIELDS = [
  'id',
  'displayName',
  'description',
  'mail',
  'mailEnabled',
  'mailNickname',
  'securityEnabled',
  'groupTypes',
  'createdDateTime',
] as const;

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
  read(): Promise<{ accessToken: string; expiresAt: Date } | null>;
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
  getOrganization(): Promise<{ id: string; displayName: string | null; verifiedDomains: unknown[] }>;
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
  usersDelta(deltaLink: string | null, onPage: (page: DeltaPage) => Promise<void>, first?: DeltaPageBody): Promise<DeltaRound>;
  /** A groups delta round with `members@delta`. As `usersDelta`. */
  groupsDelta(deltaLink: string | null, onPage: (page: DeltaPage) => Promise<void>, first?: DeltaPageBody): Promise<DeltaRound>;
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
  getUser(idOrUpn: string): Promise<GraphObject>;
  createUser(body: Record<string, unknown>): Promise<GraphObject>;
  updateUser(id: string, patch: Record<string, unknown>): Promise<void>;
  deleteUser(id: string): Promise<void>;
  revokeSignInSessions(id: string): Promise<void>;
  assignLicense(id: string, add: Array<{ skuId: string; disabledPlans?: string[] }>, remove: string[]): Promise<GraphObject>;
  getGroup(id: string): Promise<GraphObject>;
  addGroupMember(groupId: string, memberId: string): Promise<void>;
  removeGroupMember(groupId: string, memberId: string): Promise<void>;
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

/** A token is reused while it stays valid this long. */
const TOKEN_MARGIN_MS = 5 * 60_000;

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function checkedUrl(value: string | undefined, fallback: string, name: string): string {
  const url = trimSlash(value ?? fallback);
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('protocol');
  } catch {
    throw CORE_ERRORS.VALIDATION_FAILED({ message: `${name} must be an http(s) URL.` });
  }
  return url;
}

/** Replaces a public root by the configured one (same path and query). */
function readdress(url: string, publicRoot: string, actualRoot: string): string {
  return publicRoot !== actualRoot && url.startsWith(publicRoot) ? actualRoot + url.slice(publicRoot.length) : url;
}

/** An MSAL network module on fetch, re-addressing the public login host. */
function msalNetwork(loginUrl: string, timeoutMs: number): INetworkModule {
  const send = async <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
    const response = await fetch(readdress(url, LOGIN_URL, loginUrl), {
      method,
      headers: options?.headers ?? {},
      ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const text = await response.text();
    let body: unknown = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { error: 'invalid_response', error_description: text.slice(0, 200) };
    }
    return { headers, body: body as T, status: response.status };
  };
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

/** A Graph middleware re-addressing public Graph URLs (after authentication has added the token). */
function readdressMiddleware(graphUrl: string): Middleware {
  let next: Middleware | undefined;
  return {
    async execute(context: Context) {
      if (typeof context.request === 'string') context.request = readdress(context.request, GRAPH_URL, graphUrl);
      else context.request = new Request(readdress(context.request.url, GRAPH_URL, graphUrl), context.request);
      await next?.execute(context);
    },
    setNext(middleware: Middleware) {
      next = middleware;
    },
  };
}

/** The roles (application permissions) in an access token's payload, if it is a JWT. */
function rolesOf(token: string): string[] {
  const payload = token.split('.')[1];
  if (!payload) return [];
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown };
    return Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}

/** The path and query of a Graph URL relative to /v1.0 (for `client.api`). */
function relative(link: string): string {
  const url = new URL(link);
  return `${url.pathname.replace(/^\/v1\.0/, '')}${url.search}`;
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
  const { tenantId, clientId, clientSecret } = options.credentials;
  for (const [name, value] of Object.entries({ tenantId, clientId, clientSecret })) {
    if (typeof value !== 'string' || value.trim() === '') throw CORE_ERRORS.VALIDATION_FAILED({ message: `credentials.${name} is required.` });
  }
  const graphUrl = checkedUrl(options.graphUrl, GRAPH_URL, 'graphUrl');
  const loginUrl = checkedUrl(options.loginUrl, LOGIN_URL, 'loginUrl');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pageSize = Math.min(999, Math.max(1, options.pageSize ?? 999));
  const policy = createRetryPolicy(options.retry, { maxRetries: 4, maxDelayMs: 60_000 });
  const limit = semaphore(Math.max(1, options.maxConcurrency ?? 4));
  const ctx = (operation: string) => ({ operation, tenantId, clientId });

  const msal = new ConfidentialClientApplication({
    auth: { clientId, clientSecret, authority: `${LOGIN_URL}/${tenantId}`, knownAuthorities: ['login.microsoftonline.com'] },
    system: {
      networkClient: msalNetwork(loginUrl, timeoutMs),
      loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => {} },
    },
  });
  let lastToken: { token: string; expiresAt: Date | null } | null = null;
  const fresh = (expiresAt: Date | null) => expiresAt !== null && expiresAt.getTime() - TOKEN_MARGIN_MS > Date.now();
  let cacheRead = false;
  const token = async (): Promise<string> => {
    if (lastToken && fresh(lastToken.expiresAt)) return lastToken.token;
    if (!cacheRead && options.tokenCache) {
      cacheRead = true;
      const cached = await options.tokenCache.read().catch(() => null);
      if (cached && fresh(cached.expiresAt)) {
        lastToken = { token: cached.accessToken, expiresAt: cached.expiresAt };
        return cached.accessToken;
      }
    }
    try {
      const result = await msal.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT_SCOPE] });
      if (!result?.accessToken) throw new Error('Entra ID returned no access token');
      lastToken = { token: result.accessToken, expiresAt: result.expiresOn ?? null };
      // Not awaited: a caller holding the only connection (the embedded database) must not wait on it.
      if (options.tokenCache && result.expiresOn)
        void options.tokenCache.write({ accessToken: result.accessToken, expiresAt: result.expiresOn }).catch(() => undefined);
      return result.accessToken;
    } catch (error) {
      throw fromTokenError(error, ctx('token'));
    }
  };

  const authHandler = new AuthenticationHandler({ getAccessToken: token });
  const readdressing = readdressMiddleware(graphUrl);
  authHandler.setNext(readdressing);
  readdressing.setNext?.(new HTTPMessageHandler());
  const client = Client.initWithMiddleware({ middleware: authHandler, defaultVersion: 'v1.0' });

  /** A Graph failure (or a `$batch` sub-response's) as the retry policy sees it; writes are retried only when throttled. */
  const failureOf = (failure: GraphFailure | null, write: boolean, error: HeliosError): RetryFailure => ({
    error,
    retryable: failure ? (write ? failure.status === 429 : isTransient(failure)) : !write,
    throttled: failure?.status === 429,
    retryAfterSeconds: parseRetryAfter(failure?.retryAfter ?? null),
    status: failure?.status ?? null,
  });

  /** Runs one Graph call with retries; `write` calls are retried only when throttled. */
  const call = async <T>(operation: string, write: boolean, run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    let first = true;
    return policy.run(
      operation,
      () => limit(() => run(AbortSignal.timeout(timeoutMs))),
      (error) => {
        const failure = readGraphFailure(error);
        const wasFirst = first;
        first = false;
        if (failure?.status === 401 && lastToken && wasFirst) {
          // A stored token revoked or rotated early: forget it and ask Entra ID once more.
          lastToken = { token: '', expiresAt: new Date(0) };
          return 'again';
        }
        const helios = fromGraphError(error, ctx(operation));
        // Token errors arrive as HeliosErrors already (fromTokenError): not retried here.
        if (error instanceof HeliosError) return { error: helios, retryable: false, throttled: false, retryAfterSeconds: null, status: null };
        return failureOf(failure, write, helios);
      },
    );
  };

  const get = <T>(operation: string, path: string, build: (r: ReturnType<Client['api']>) => ReturnType<Client['api']> = (r) => r) =>
    call<T>(operation, false, (signal) => build(client.api(path)).option('signal', signal).get() as Promise<T>);

  const deltaStart = (path: string, select: readonly string[], deltaLink: string | null) =>
    deltaLink ? relative(deltaLink) : `${path}?$select=${select.join(',')}`;

  const deltaRound = async (
    operation: string,
    path: string,
    select: readonly string[],
    deltaLink: string | null,
    onPage: (page: DeltaPage) => Promise<void>,
    first?: DeltaPageBody,
  ): Promise<DeltaRound> => {
    let next: string | null = deltaStart(path, select, deltaLink);
    let pages = 0;
    let objects = 0;
    // A page is referenced only until its items are handed over (onPage may drop them as it stages
    // them), never while the next page is read: a round holds one page at a time, at most.
    let given = first;
    first = undefined; // not reachable through the parameter either
    while (next) {
      const current: string = next;
      let page: DeltaPageBody | undefined = given ?? (await get<DeltaPageBody>(operation, current, (r) => r.header('Prefer', `odata.maxpagesize=${pageSize}`)));
      given = undefined;
      let items: GraphObject[] | null = Array.isArray(page.value) ? page.value : [];
      const nextLink = page['@odata.nextLink'];
      const endLink = page['@odata.deltaLink'];
      page = undefined;
      pages += 1;
      objects += items.length;
      await onPage({ items });
      items = null;
      if (nextLink) next = relative(nextLink);
      else if (endLink) return { deltaLink: endLink, pages, objects };
      else throw MICROSOFT_ERRORS.REQUEST_FAILED({ message: `Microsoft Graph ended ${operation} without a next or delta link.` });
    }
    throw CORE_ERRORS.INTERNAL_UNEXPECTED({ message: 'Unreachable' });
  };

  const batchOnce = async (requests: BatchRequest[]): Promise<BatchResponse[]> => {
    const answer = await call<{ responses?: BatchResponse[] }>('batch', true, (signal) =>
      client
        .api('/$batch')
        .option('signal', signal)
        .post({
          requests: requests.map((r) => ({
            id: r.id,
            method: r.method,
            url: r.url,
            ...(r.body === undefined
              ? r.headers
                ? { headers: r.headers }
                : {}
              : { body: r.body, headers: { 'content-type': 'application/json', ...r.headers } }),
          })),
        }),
    );
    const byId = new Map((answer.responses ?? []).map((r) => [String(r.id), { ...r, headers: r.headers ?? {} }]));
    return requests.map(
      (r) => byId.get(r.id) ?? { id: r.id, status: 500, body: { error: { code: 'missingResponse', message: 'No response in the batch' } }, headers: {} },
    );
  };

  return {
    kind: 'microsoft-365',
    tenantId,
    clientId,
    graphUrl,
    loginUrl,

    async authorize() {
      const accessToken = await token();
      return { expiresAt: lastToken?.expiresAt ?? null, roles: rolesOf(accessToken) };
    },

    async getOrganization() {
      const page = await get<{ value?: Array<{ id: string; displayName?: string; verifiedDomains?: unknown[] }> }>('organization.get', '/organization', (r) =>
        r.select(['id', 'displayName', 'verifiedDomains']),
      );
      const org = page.value?.[0];
      if (!org) throw MICROSOFT_ERRORS.REQUEST_FAILED({ message: 'Microsoft Graph returned no organization.' });
      return { id: org.id, displayName: org.displayName ?? null, verifiedDomains: org.verifiedDomains ?? [] };
    },

    async listUsers({ top = 1 } = {}) {
      const page = await get<{ value?: GraphObject[] }>('users.list', '/users', (r) => r.select(['id', 'userPrincipalName']).top(top));
      return page.value ?? [];
    },

    async listGroups({ top = 1 } = {}) {
      const page = await get<{ value?: GraphObject[] }>('groups.list', '/groups', (r) => r.select(['id', 'displayName']).top(top));
      return page.value ?? [];
    },

    usersDelta: (deltaLink, onPage, first) => deltaRound('users.delta', '/users/delta', MS_USER_FIELDS, deltaLink, onPage, first),
    groupsDelta: (deltaLink, onPage, first) => deltaRound('groups.delta', '/groups/delta', [...MS_GROUP_FIELDS, 'members'], deltaLink, onPage, first),

    async openSyncReads(links) {
      const prefer = { Prefer: `odata.maxpagesize=${pageSize}` };
      const [users, groups, admins, skus] = await this.batch([
        { id: 'users', method: 'GET', url: deltaStart('/users/delta', MS_USER_FIELDS, links.users), headers: prefer },
        { id: 'groups', method: 'GET', url: deltaStart('/groups/delta', [...MS_GROUP_FIELDS, 'members'], links.groups), headers: prefer },
        { id: 'admins', method: 'GET', url: `/directoryRoles(roleTemplateId='${GLOBAL_ADMIN_ROLE_TEMPLATE_ID}')/members?$select=id` },
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

    async listSubscribedSkus() {
      const page = await get<{ value?: MicrosoftSku[] }>('subscribedSkus.list', '/subscribedSkus');
      return page.value ?? [];
    },

    async listGlobalAdminIds() {
      const roles = await get<{ value?: Array<{ id: string; roleTemplateId?: string; displayName?: string }> }>('directoryRoles.list', '/directoryRoles');
      const role = (roles.value ?? []).find((r) => r.roleTemplateId === GLOBAL_ADMIN_ROLE_TEMPLATE_ID || r.displayName === 'Global Administrator');
      if (!role) return [];
      const ids: string[] = [];
      let next: string | null = `/directoryRoles/${encodeURIComponent(role.id)}/members?$select=id`;
      while (next) {
        const page: { value?: Array<{ id: string }>; '@odata.nextLink'?: string } = await get('directoryRoles.members', next);
        for (const m of page.value ?? []) ids.push(m.id);
        next = page['@odata.nextLink'] ? relative(page['@odata.nextLink']) : null;
      }
      return ids;
    },

    getUser: (idOrUpn) => get<GraphObject>('users.get', `/users/${encodeURIComponent(idOrUpn)}`, (r) => r.select([...MS_USER_FIELDS])),
    createUser: (body) => call<GraphObject>('users.create', true, (signal) => client.api('/users').option('signal', signal).post(body)),
    updateUser: async (id, patch) => {
      await call('users.update', true, (signal) =>
        client
          .api(`/users/${encodeURIComponent(id)}`)
          .option('signal', signal)
          .patch(patch),
      );
    },
    deleteUser: async (id) => {
      await call('users.delete', true, (signal) =>
        client
          .api(`/users/${encodeURIComponent(id)}`)
          .option('signal', signal)
          .delete(),
      );
    },
    revokeSignInSessions: async (id) => {
      await call('users.revokeSignInSessions', true, (signal) =>
        client
          .api(`/users/${encodeURIComponent(id)}/revokeSignInSessions`)
          .option('signal', signal)
          .post({}),
      );
    },
    assignLicense: (id, add, remove) =>
      call<GraphObject>('users.assignLicense', true, (signal) =>
        client
          .api(`/users/${encodeURIComponent(id)}/assignLicense`)
          .option('signal', signal)
          .post({ addLicenses: add.map((a) => ({ skuId: a.skuId, disabledPlans: a.disabledPlans ?? [] })), removeLicenses: remove }),
      ),
    getGroup: (id) => get<GraphObject>('groups.get', `/groups/${encodeURIComponent(id)}`, (r) => r.select([...MS_GROUP_FIELDS])),
    addGroupMember: async (groupId, memberId) => {
      await call('groups.addMember', true, (signal) =>
        client
          .api(`/groups/${encodeURIComponent(groupId)}/members/$ref`)
          .option('signal', signal)
          .post({ '@odata.id': `${GRAPH_URL}/v1.0/directoryObjects/${encodeURIComponent(memberId)}` }),
      );
    },
    removeGroupMember: async (groupId, memberId) => {
      await call('groups.removeMember', true, (signal) =>
        client
          .api(`/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(memberId)}/$ref`)
          .option('signal', signal)
          .delete(),
      );
    },

    async batch(requests) {
      const results = new Map<string, BatchResponse>();
      // Each sub-request has its own retry bookkeeping (budget, retries); the throttled ones wait
      // together and go again, alone, in a later batch.
      let pending = requests.map((r, i) => {
        const request = { ...r, id: r.id || String(i + 1) };
        return { request, retries: policy.begin(`batch:${request.method} ${request.url}`) };
      });
      while (pending.length > 0) {
        const retryLater: typeof pending = [];
        let waitMs = 0;
        for (let i = 0; i < pending.length; i += 20) {
          const chunk = pending.slice(i, i + 20);
          await policy.ready();
          const responses = await batchOnce(chunk.map((p) => p.request));
          responses.forEach((response, j) => {
            const entry = chunk[j]!;
            if (response.status < 400) {
              results.set(entry.request.id, response);
              return;
            }
            const failure: GraphFailure = {
              status: response.status,
              code: null,
              message: '',
              retryAfter: Object.entries(response.headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1] ?? null,
            };
            const operation = `batch:${entry.request.method} ${entry.request.url}`;
            const next = entry.retries.next(failureOf(failure, entry.request.method !== 'GET', batchFailure(response, operation)!));
            if (typeof next === 'number') {
              waitMs = Math.max(waitMs, next);
              retryLater.push(entry);
            } else {
              results.set(entry.request.id, response);
            }
          });
        }
        if (retryLater.length > 0) await sleep(waitMs);
        pending = retryLater;
      }
      return requests.map((r, i) => results.get(r.id || String(i + 1)) as BatchResponse);
    },

    watchRetries: (listener) => policy.watch(listener),
  };
}

/** Reads a sub-response of a `$batch` as a HeliosError when it failed (null when it succeeded). */
export function batchFailure(response: BatchResponse, operation: string): HeliosError | null {
  if (response.status < 400) return null;
  const error = (response.body as { error?: { code?: string; message?: string } } | null)?.error;
  return fromGraphFailure(
    {
      status: response.status,
      code: error?.code ?? null,
      message: error?.message ?? '',
      retryAfter: Object.entries(response.headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1] ?? null,
    },
    { operation },
  );
}

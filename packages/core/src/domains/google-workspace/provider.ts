/**
 * The Google Workspace provider: a small typed client of the Admin SDK Directory API acting through
 * a service account with domain-wide delegation (a JWT bearer grant with `subject: adminEmail`).
 * The API root and the token URL are configurable so it can be pointed at a simulator; timeouts,
 * retries (the shared policy of ../../shared/retry.ts: throttled calls wait for Retry-After or the next
 * quota window within a time budget, failed reads back off) and a concurrency cap are built in.
 * Every failure is a HeliosError with a `GOOGLE.*` code (see errors.ts).
 */
import { createHash, createPublicKey } from 'node:crypto';
import { admin, type admin_directory_v1 } from '@googleapis/admin';
import { JWT } from 'google-auth-library';
import type { HeliosError } from '../../errors';
import { CORE_ERRORS } from '../../errors/core.errors';
import { createRetryPolicy, type RetryFailure, type RetryInfo, type RetryOptions, semaphore } from '../../shared/retry';
import { parseInput } from '../../shared/validation';
import { GOOGLE_ERROR_CODES, GOOGLE_ERRORS, type GoogleErrorContext, toGoogleError } from './errors';
import { DEFAULT_GOOGLE_SCOPES, GOOGLE_API_ROOT, GOOGLE_TOKEN_URL, type ServiceAccountKey, serviceAccountKeyInputSchema } from './schema';

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
  organizations?: Array<{ title?: string; department?: string; primary?: boolean; costCenter?: string; location?: string }>;
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
export type GoogleUserPatch = Partial<Omit<GoogleUserInput, 'name'>> & { name?: { givenName?: string; familyName?: string }; [field: string]: unknown };

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

/** A Google Workspace account, through the Directory API. */
export interface GoogleWorkspaceProvider {
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
  listUsers(pageToken?: string | null, options?: ListGoogleUsersOptions): Promise<GooglePage<GoogleUser>>;
  /** One page of the account's groups (200 a page). @throws HeliosError `GOOGLE.*` */
  listGroups(pageToken?: string | null, options?: { maxResults?: number }): Promise<GooglePage<GoogleGroup>>;
  /**
   * Adds a listener of this provider's retries (besides `retry.onRetry`), e.g. a sync reporting why it
   * slows down; returns the function that removes it.
   */
  watchRetries(listener: (info: GoogleRetryInfo) => void): () => void;
  /** One page of a group's members (200 a page). @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*` */
  listMembers(groupKey: string, pageToken?: string | null, options?: { maxResults?: number }): Promise<GooglePage<GoogleMember>>;
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

/** Ensures a trailing slash (the client library appends `admin/directory/v1/...`). */
function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function badOption(message: string): HeliosError {
  return CORE_ERRORS.VALIDATION_FAILED({ message });
}

function page<T>(items: unknown, token: unknown): GooglePage<T> {
  return { items: Array.isArray(items) ? (items as T[]) : [], nextPageToken: typeof token === 'string' && token !== '' ? token : null };
}

/**
 * A short, stable fingerprint of a service account key: Google's `private_key_id` when present,
 * else the first 16 hex characters of the SHA-256 of the public key.
 */
export function serviceAccountKeyFingerprint(key: Pick<ServiceAccountKey, 'private_key' | 'private_key_id'>): string {
  if (key.private_key_id) return key.private_key_id;
  const der = createPublicKey(key.private_key).export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex').slice(0, 16)}`;
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
  const key = parseInput(serviceAccountKeyInputSchema, options.credentials.serviceAccountKey, GOOGLE_ERRORS.INVALID_KEY);
  const adminEmail = options.credentials.adminEmail.trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+$/.test(adminEmail)) throw badOption('adminEmail must be an email address.');
  const scopes = [...(options.credentials.scopes?.length ? options.credentials.scopes : DEFAULT_GOOGLE_SCOPES)];
  const rootUrl = withSlash(options.rootUrl ?? GOOGLE_API_ROOT);
  const tokenUrl = options.tokenUrl ?? GOOGLE_TOKEN_URL;
  for (const url of [rootUrl, tokenUrl]) {
    if (!/^https?:\/\//.test(url)) throw badOption(`${url} is not an http(s) URL.`);
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const tokenTimeoutMs = options.tokenTimeoutMs ?? 15_000;
  const customer = options.customer ?? 'my_customer';
  const policy = createRetryPolicy(options.retry, { maxRetries: 3, maxDelayMs: 32_000 });
  const limit = semaphore(Math.max(1, options.maxConcurrency ?? 8));

  const jwt = new JWT({
    email: key.client_email,
    key: key.private_key,
    scopes,
    subject: adminEmail,
    // The assertion names the endpoint it is for (RFC 7523), so one sent to another token URL (a
    // simulator) is useless at Google's.
    ...(tokenUrl !== GOOGLE_TOKEN_URL ? { additionalClaims: { aud: tokenUrl } } : {}),
    ...(options.fetchImplementation ? { transporterOptions: { fetchImplementation: options.fetchImplementation } } : {}),
  });
  // gtoken posts to Google's fixed token URL through the JWT client's transporter: send it to
  // `tokenUrl` instead, with our timeout, and without the library's own retries (ours apply).
  const googleToken = new URL(GOOGLE_TOKEN_URL);
  jwt.transporter.interceptors.request.add({
    resolved: async (config) => {
      const url = new URL(String(config.url));
      if (url.origin === googleToken.origin && url.pathname === googleToken.pathname) {
        config.url = new URL(tokenUrl);
        config.timeout = tokenTimeoutMs;
        config.retryConfig = { ...config.retryConfig, retry: 0, noResponseRetries: 0 };
      }
      return config;
    },
  });
  const directory: admin_directory_v1.Admin = admin({
    version: 'directory_v1',
    auth: jwt,
    rootUrl,
    timeout: timeoutMs,
    retry: false,
    ...(options.fetchImplementation ? { fetchImplementation: options.fetchImplementation } : {}),
  });

  const context = (operation: string, url: string): GoogleErrorContext => ({ operation, clientId: key.client_id, adminEmail, scopes, url });

  /** Forgets the cached access token, so the next call asks for a new one. */
  const dropToken = () => {
    jwt.gtoken = undefined;
    jwt.credentials = { refresh_token: 'jwt-placeholder', expiry_date: 1 };
  };

  /**
   * What the retry policy needs to know of a failed call. Throttling (kind RATE_LIMITED) is retried,
   * writes included (Google did not process them); other failures only when retryable and idempotent.
   * Without Retry-After, throttling is a per-minute quota: the policy waits into the next window.
   */
  const failureOf = (error: HeliosError, idempotent: boolean): RetryFailure => {
    const throttled = error.kind === 'RATE_LIMITED';
    const retryAfterSeconds = typeof error.details.retryAfterSeconds === 'number' ? error.details.retryAfterSeconds : null;
    const status = typeof error.details.status === 'number' ? error.details.status : null;
    return {
      error,
      retryable: error.retryable && (idempotent || throttled),
      throttled,
      retryAfterSeconds,
      quotaWindow: throttled && retryAfterSeconds === null,
      status,
    };
  };

  /** Runs one call with the concurrency cap, error translation and retries. */
  const call = async <T>(operation: string, idempotent: boolean, fn: () => Promise<T>): Promise<T> => {
    let renewed = false;
    return policy.run(
      operation,
      () => limit(fn),
      (raw) => {
        const error = toGoogleError(raw, context(operation, rootUrl));
        if (error.details.status === 401 && error.code === GOOGLE_ERROR_CODES.TOKEN_REJECTED && !renewed) {
          // The access token was revoked (key or delegation changed): get a new one once, which
          // either works or explains what changed.
          renewed = true;
          dropToken();
          return 'again';
        }
        return failureOf(error, idempotent);
      },
    );
  };

  const users = directory.users;
  const updateUser = (userKey: string, patch: GoogleUserPatch) =>
    call('users.update', true, async () => (await users.update({ userKey, requestBody: patch as admin_directory_v1.Schema$User })).data as GoogleUser);

  return {
    kind: 'google-workspace',
    adminEmail,
    clientEmail: key.client_email,
    clientId: key.client_id,
    domain: options.credentials.domain ?? null,
    scopes,
    rootUrl,
    tokenUrl,

    async authorize() {
      const credentials = await policy.run(
        'token',
        () => jwt.authorize(),
        (raw) => failureOf(toGoogleError(raw, context('token', tokenUrl)), true),
      );
      return { expiresAt: typeof credentials.expiry_date === 'number' ? new Date(credentials.expiry_date) : null };
    },

    watchRetries: (listener) => policy.watch(listener),

    listUsers: (pageToken, listOptions = {}) =>
      call('users.list', true, async () => {
        const { data } = await users.list({
          customer,
          maxResults: listOptions.maxResults ?? 500,
          projection: 'full',
          ...(pageToken ? { pageToken } : {}),
          ...(listOptions.query ? { query: listOptions.query } : {}),
          ...(listOptions.showDeleted ? { showDeleted: 'true' } : {}),
          ...(listOptions.orderBy ? { orderBy: listOptions.orderBy } : {}),
        });
        return page<GoogleUser>(data.users, data.nextPageToken);
      }),

    listGroups: (pageToken, listOptions = {}) =>
      call('groups.list', true, async () => {
        const { data } = await directory.groups.list({ customer, maxResults: listOptions.maxResults ?? 200, ...(pageToken ? { pageToken } : {}) });
        return page<GoogleGroup>(data.groups, data.nextPageToken);
      }),

    listMembers: (groupKey, pageToken, listOptions = {}) =>
      call('members.list', true, async () => {
        const { data } = await directory.members.list({ groupKey, maxResults: listOptions.maxResults ?? 200, ...(pageToken ? { pageToken } : {}) });
        return page<GoogleMember>(data.members, data.nextPageToken);
      }),

    listOrgUnits: () =>
      call('orgunits.list', true, async () => {
        const { data } = await directory.orgunits.list({ customerId: customer, type: 'all' });
        return (data.organizationUnits ?? []) as GoogleOrgUnit[];
      }),

    getUser: (userKey) => call('users.get', true, async () => (await users.get({ userKey, projection: 'full' })).data as GoogleUser),

    insertUser: (user) =>
      call('users.insert', false, async () => (await users.insert({ requestBody: user as admin_directory_v1.Schema$User })).data as GoogleUser),

    updateUser,
    suspendUser: (userKey) => updateUser(userKey, { suspended: true }),
    unsuspendUser: (userKey) => updateUser(userKey, { suspended: false }),
    moveUserToOrgUnit: (userKey, orgUnitPath) => updateUser(userKey, { orgUnitPath }),

    deleteUser: (userKey) =>
      call('users.delete', false, async () => {
        await users.delete({ userKey });
      }),

    insertGroup: (group) =>
      call('groups.insert', false, async () => (await directory.groups.insert({ requestBody: group as admin_directory_v1.Schema$Group })).data as GoogleGroup),

    insertMember: (groupKey, member) =>
      call(
        'members.insert',
        false,
        async () =>
          (await directory.members.insert({ groupKey, requestBody: { role: 'MEMBER', ...member } as admin_directory_v1.Schema$Member })).data as GoogleMember,
      ),

    deleteMember: (groupKey, memberKey) =>
      call('members.delete', false, async () => {
        await directory.members.delete({ groupKey, memberKey });
      }),
  };
}

/**
 * A Google Workspace Directory API (Admin SDK, `admin/directory/v1`) simulator for tests: users,
 * groups, members and org units over HTTP on 127.0.0.1 in Google's JSON wire format, with the OAuth
 * 2.0 token endpoint for service accounts with domain-wide delegation (JWT bearer grant, RFC 7523),
 * deterministic seed data, injected faults and quota accounting.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, verify as verifySignature } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DirectorySeed,
  etagOf,
  groupIdFor,
  IndexedMap,
  type IndexSpec,
  LazyMap,
  orgUnitIdFor,
  quickEtag,
  userIdFor,
  userIndexOf,
} from './google-directory.data';

/** A fault the simulator can answer instead of the real response. */
export type GoogleDirectoryFaultKind = '429' | '500' | '503' | 'rateLimitExceeded' | 'userRateLimitExceeded' | 'quotaExceeded' | 'timeout' | 'reset';

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
  faults?: { rate?: number; kinds?: GoogleDirectoryFaultKind[]; seed?: number; retryAfterSeconds?: number };
  /**
   * The per-minute quota of Directory API calls (Google's "queries per minute per user", 2,400 by
   * default in a Cloud project); off by default. Once `perMinute` calls were answered in a window,
   * every call is refused with 403 `userRateLimitExceeded` (domain `usageLimits`, and no Retry-After,
   * as Google does) until the window ends. Windows are fixed and `windowSeconds` long (default 60;
   * tests use 1 or 2). Refused calls do not count; token requests are never counted.
   */
  quota?: GoogleDirectoryQuota;
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
  requests: { total: number; byRoute: Record<string, number>; faultsInjected: number; tokensIssued: number; quotaRejections: number };
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
  close(): Promise<void>;
}

const scope = (s: string) => `https://www.googleapis.com/auth/admin.directory.${s}`;
/** Every scope the simulator knows, delegated by default to the generated service account. */
export const GOOGLE_DIRECTORY_SCOPES: readonly string[] = [
  'user',
  'user.readonly',
  'user.alias',
  'user.alias.readonly',
  'group',
  'group.readonly',
  'group.member',
  'group.member.readonly',
  'orgunit',
  'orgunit.readonly',
].map(scope);

const READ_USERS = [scope('user'), scope('user.readonly')];
const WRITE_USERS = [scope('user')];
const READ_ALIASES = [...READ_USERS, scope('user.alias'), scope('user.alias.readonly')];
const WRITE_ALIASES = [scope('user'), scope('user.alias')];
const READ_GROUPS = [scope('group'), scope('group.readonly')];
const WRITE_GROUPS = [scope('group')];
const READ_MEMBERS = [...READ_GROUPS, scope('group.member'), scope('group.member.readonly')];
const WRITE_MEMBERS = [scope('group'), scope('group.member')];
const READ_ORGUNITS = [scope('orgunit'), scope('orgunit.readonly')];
const WRITE_ORGUNITS = [scope('orgunit')];

const API_PREFIX = '/admin/directory/v1/';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const GOOGLE_TOKEN_AUDIENCES = [
  'https://oauth2.googleapis.com/token',
  'https://www.googleapis.com/oauth2/v4/token',
  'https://accounts.google.com/o/oauth2/token',
];
const NEVER = '1970-01-01T00:00:00.000Z';
const DEFAULT_FAULTS: GoogleDirectoryFaultKind[] = ['429', '500', '503', 'rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded'];
const ROLES = new Set(['MEMBER', 'MANAGER', 'OWNER']);

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** An error answered in Google's JSON error envelope. */
class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: string,
    readonly domain = 'global',
    readonly extra: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  envelope() {
    return {
      error: {
        code: this.code,
        message: this.message,
        errors: [{ message: this.extra.detail ?? this.message, domain: this.domain, reason: this.reason, ...withoutDetail(this.extra) }],
        status: STATUS[this.code] ?? 'UNKNOWN',
      },
    };
  }
}

function withoutDetail(extra: Record<string, string>): Record<string, string> {
  const { detail: _detail, ...rest } = extra;
  return rest;
}

const notFound = (what: string) => new ApiError(404, `Resource Not Found: ${what}`, 'notFound');
const duplicate = (message = 'Entity already exists.') => new ApiError(409, message, 'duplicate');
const invalid = (message: string) => new ApiError(400, message, 'invalid');
const badRequest = () => new ApiError(400, 'Bad Request', 'badRequest');
const forbidden = () => new ApiError(403, 'Not Authorized to access this resource/api', 'forbidden');
const quotaMessage =
  "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com' for consumer 'project_number:100000000001'.";
const quotaConsole = 'https://console.developers.google.com/apis/api/admin.googleapis.com/quotas?project=100000000001';
/** The 403 of an exhausted per-user rate quota, as the Directory API sends it (no Retry-After). */
const userRateLimited = () =>
  new ApiError(
    403,
    `User Rate Limit Exceeded. Rate of requests for user exceed configured project quota. You may consider re-evaluating expected per-user traffic to the API and adjust project quota limits accordingly. You may monitor aggregate quota usage and adjust limits in the API Console: ${quotaConsole}`,
    'userRateLimitExceeded',
    'usageLimits',
    { extendedHelp: quotaConsole },
  );

const lower = (s: unknown) => String(s ?? '').toLowerCase();
const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': String(Buffer.byteLength(text)),
    vary: 'Origin, X-Origin, Referer',
    'cache-control': 'private',
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: ApiError): void {
  sendJson(res, error.code, error.envelope(), {
    ...(error.code === 401 ? { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' } : {}),
    ...error.headers,
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 5_000_000) throw new ApiError(413, 'Request Entity Too Large', 'uploadTooLarge');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// --- partial responses (`fields=nextPageToken,users(id,primaryEmail)`) ---------------------------

type FieldTree = Map<string, FieldTree | true>;

function parseFields(spec: string): FieldTree {
  let i = 0;
  const fail = () => new ApiError(400, `Invalid field selection ${spec}`, 'invalidParameter', 'global', { locationType: 'parameter', location: 'fields' });
  const list = (): FieldTree => {
    const tree: FieldTree = new Map();
    for (;;) {
      const start = i;
      while (i < spec.length && !',()'.includes(spec[i]!)) i++;
      const path = spec.slice(start, i).trim();
      if (!path) throw fail();
      let sub: FieldTree | true = true;
      if (spec[i] === '(') {
        i++;
        sub = list();
        if (spec[i] !== ')') throw fail();
        i++;
      }
      const parts = path.split('/');
      let node: FieldTree | true = tree;
      for (let j = 0; j < parts.length && node !== true; j++) {
        const name = parts[j]!;
        if (j === parts.length - 1) {
          if (node.get(name) !== true) node.set(name, sub);
        } else {
          let next: FieldTree | true | undefined = node.get(name);
          if (next === undefined) node.set(name, (next = new Map()));
          node = next;
        }
      }
      if (spec[i] !== ',') return tree;
      i++;
    }
  };
  const tree = list();
  if (i !== spec.length) throw fail();
  return tree;
}

function pick(value: unknown, tree: FieldTree): unknown {
  if (Array.isArray(value)) return value.map((v) => pick(v, tree));
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [name, sub] of tree) {
    if (name === '*') Object.assign(out, value);
    else if (name in value) out[name] = sub === true ? value[name] : pick(value[name], sub);
  }
  return out;
}

// --- search queries (`email:ann*`, `name:'Ann Lee'`, `orgUnitPath=/Sales`, `isSuspended=false`) ---

type FieldGetter = (value: any) => unknown;

function parseQuery(query: string, fields: Record<string, FieldGetter>, defaults: string[]): ((value: any) => boolean) | undefined {
  const clauses: Array<(value: any) => boolean> = [];
  const re = /\s*(?:([A-Za-z][\w.]*)([:=]))?('[^']*'|"[^"]*"|[^\s'"]+)/y;
  let rest = query.trim();
  while (rest) {
    re.lastIndex = 0;
    const m = re.exec(rest);
    if (!m) throw invalid('Invalid Input: query');
    rest = rest.slice(re.lastIndex).trim();
    const [, field, op, rawValue] = m;
    const value = rawValue!.replace(/^['"]|['"]$/g, '').toLowerCase();
    const prefix = value.endsWith('*');
    const needle = prefix ? value.slice(0, -1) : value;
    const names = field ? [field] : defaults;
    for (const name of names) if (!fields[name]) throw invalid(`Invalid Input: ${name}`);
    const matchOne = (actual: string): boolean => {
      if (field === 'orgUnitPath') return actual === needle || needle === '/' || actual.startsWith(`${needle.replace(/\/$/, '')}/`);
      if (prefix) return actual.startsWith(needle) || (op === ':' && actual.split(/\s+/).some((w) => w.startsWith(needle)));
      if (op === '=') return actual === needle;
      return actual === needle || actual.split(/\s+/).includes(needle);
    };
    clauses.push((v) =>
      names.some((name) => {
        const actual = fields[name]!(v);
        const list = Array.isArray(actual) ? actual : [actual];
        return list.some((a) => a !== undefined && a !== null && matchOne(lower(a)));
      }),
    );
  }
  return clauses.length ? (v) => clauses.every((c) => c(v)) : undefined;
}

const USER_QUERY_FIELDS: Record<string, FieldGetter> = {
  email: (u) => [u.primaryEmail, ...(u.aliases ?? [])],
  name: (u) => [u.name?.fullName, u.name?.givenName, u.name?.familyName],
  givenName: (u) => u.name?.givenName,
  familyName: (u) => u.name?.familyName,
  orgUnitPath: (u) => u.orgUnitPath,
  isSuspended: (u) => String(!!u.suspended),
  isAdmin: (u) => String(!!u.isAdmin),
  isDelegatedAdmin: (u) => String(!!u.isDelegatedAdmin),
  isArchived: (u) => String(!!u.archived),
  isEnrolledIn2Sv: (u) => String(!!u.isEnrolledIn2Sv),
  directManager: (u) => (u.relations ?? []).filter((r: any) => r?.type === 'manager').map((r: any) => r.value),
};
const USER_QUERY_DEFAULTS = ['email', 'givenName', 'familyName'];

const USER_WRITABLE = [
  'organizations',
  'phones',
  'relations',
  'addresses',
  'externalIds',
  'locations',
  'languages',
  'keywords',
  'websites',
  'ims',
  'gender',
  'notes',
  'customSchemas',
  'recoveryEmail',
  'recoveryPhone',
  'posixAccounts',
  'sshPublicKeys',
];
/** The types of a user's `emails` entry the Directory API accepts. */
const EMAIL_TYPES = new Set(['custom', 'home', 'other', 'work']);

/** The address Google gives every user on the primary domain's test alias (`nonEditableAliases`). */
export function nonEditableAliasOf(primaryEmail: string, domain: string): string {
  return `${primaryEmail.slice(0, primaryEmail.indexOf('@'))}@${domain}.test-google-a.com`;
}

/** The typed entries (`{ address, type }`: personal and other addresses) of a user's `emails`. */
function typedEmailsOf(user: Record<string, any> | undefined): Array<Record<string, unknown>> {
  return Array.isArray(user?.emails) ? user.emails.filter((e: Record<string, unknown>) => typeof e.type === 'string') : [];
}

/** Validates the `emails` of an insert or patch: `{ address, type (custom, home, other, work), customType?, primary? }`. */
function parseTypedEmails(value: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(value)) throw invalid('Invalid Input: emails');
  return value.map((entry) => {
    const address = isObject(entry) && typeof entry.address === 'string' ? entry.address.trim().toLowerCase() : '';
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) throw invalid('Invalid Input: emails.address');
    const type = (entry as Record<string, unknown>).type ?? 'custom';
    if (typeof type !== 'string' || !EMAIL_TYPES.has(type)) throw invalid('Invalid Input: emails.type');
    const customType = (entry as Record<string, unknown>).customType;
    return { address, type, ...(type === 'custom' && typeof customType === 'string' ? { customType } : {}) };
  });
}

/** A user's `emails` as the API answers it: the primary address, the aliases, then the typed entries. */
function composeEmails(primaryEmail: string, aliases: unknown, typed: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  const own = [primaryEmail, ...(Array.isArray(aliases) ? aliases : [])].map((a) => String(a).toLowerCase());
  const seen = new Set(own);
  const extra = typed.filter((e) => {
    const address = String(e.address).toLowerCase();
    if (seen.has(address)) return false;
    seen.add(address);
    return true;
  });
  return [{ address: primaryEmail, primary: true }, ...own.slice(1).map((address) => ({ address })), ...extra];
}

const USER_FLAGS = ['changePasswordAtNextLogin', 'includeInGlobalAddressList', 'ipWhitelisted', 'archived'];

interface IssuedToken {
  sub: string;
  clientId: string;
  scopes: Set<string>;
  expiresAt: number;
}

interface Route {
  name: string;
  scopes: string[];
  run(ctx: { query: URLSearchParams; body: any }): { status: number; body?: unknown };
}

/**
 * Starts a Directory API simulator on 127.0.0.1 (random port).
 *
 * Routes (under `admin/directory/v1/`): `users` list/get/insert/update/patch/delete, `makeAdmin`,
 * `undelete`, user and group `aliases`; `groups` list (`customer`, `domain` or `userKey`)/get/insert/
 * update/patch/delete; `groups/{g}/members` list/get/insert/update/patch/delete and `hasMember`;
 * `customer/{c}/orgunits` list (`type=all|children|allIncludingParent`)/get/insert/update/patch/
 * delete. Lists page by sort key (email), so a page token stays valid while entries are added or
 * removed; `users` list also orders by `orderBy=familyName|givenName` (`sortOrder`), and users are
 * sent as `projection` asks (default `basic`, without `customSchemas`; `full`; `custom` with
 * `customFieldMask`). `customer` lists cover every domain of the account, `domain=` only that one
 * (see `secondaryDomains`); `fields` partial responses are honoured. `POST /token` takes the JWT bearer grant with
 * `aud` = `tokenUrl` or Google's token URL.
 *
 * @example
 * ```ts
 * const sim = await startGoogleDirectorySimulator({ seed: { users: 1000, groups: 50, membersPerGroup: 20, orgUnits: 6 } });
 * // Have the service account client (sim.serviceAccountKey, subject sim.adminEmail) get its token
 * // from sim.tokenUrl, and the Directory client (e.g. @googleapis/admin) use rootUrl: sim.url.
 * sim.setFaults({ rate: 0.1, kinds: ['429', '503', 'rateLimitExceeded'], seed: 7 });
 * // ... run the code under test, then:
 * expect(sim.requests.faultsInjected).toBeGreaterThan(0);
 * await sim.close();
 * ```
 */
export async function startGoogleDirectorySimulator(options: GoogleDirectorySimulatorOptions = {}): Promise<GoogleDirectorySimulator> {
  const domain = lower(options.domain ?? 'example.test');
  const customerId = options.customerId ?? 'C0sim01';
  const seed = new DirectorySeed(domain, customerId, {
    users: options.seed?.users ?? 20,
    groups: options.seed?.groups ?? 4,
    membersPerGroup: options.seed?.membersPerGroup ?? 5,
    orgUnits: options.seed?.orgUnits ?? 3,
  });
  const adminEmail = `admin@${domain}`;
  const domains = new Set([domain, ...(options.secondaryDomains ?? []).map(lower)]);
  const domainOf = (email: unknown) => lower(email).slice(lower(email).indexOf('@') + 1);

  // --- state -------------------------------------------------------------------------------------
  const userSpec: IndexSpec<any> = {
    sortKey: (u) => lower(u.primaryEmail),
    lookupKeys: (u) => [lower(u.primaryEmail), ...(Array.isArray(u.aliases) ? u.aliases.map(lower) : [])],
    seedSortKey: (i) => seed.userEmail(i),
    seedLookupKeys: (i) => seed.userLookupKeys(i),
  };
  const users = new IndexedMap<any>(userSpec, (i) => seed.user(i));
  const deletedUsers = new IndexedMap<any>(userSpec);
  const groups = new IndexedMap<any>(
    {
      sortKey: (g) => lower(g.email),
      lookupKeys: (g) => [lower(g.email), ...(Array.isArray(g.aliases) ? g.aliases.map(lower) : [])],
      seedSortKey: (g) => seed.groupEmail(g),
      seedLookupKeys: (g) => seed.groupLookupKeys(g),
    },
    (g) => seed.group(g),
  );
  const memberSpec: IndexSpec<any> = { sortKey: (m) => lower(m.email), lookupKeys: (m) => [lower(m.email)] };
  const newMemberMap = (list: Array<Record<string, any>> = []) => {
    const map = new IndexedMap<any>(memberSpec);
    for (const m of list) map.set(m.id, m);
    return map;
  };
  const members = new LazyMap<IndexedMap<any>>((g) => newMemberMap(seed.groupMembers(g)));
  const orgUnits = new Map<string, any>();
  const passwords = new Map<string, string>();
  const groupSeedIndex = new Map<string, number>();

  for (const unit of seed.orgUnits()) orgUnits.set(unit.orgUnitPath, unit);
  const admin: Record<string, any> = {
    kind: 'admin#directory#user',
    id: userIdFor(0),
    etag: '',
    primaryEmail: adminEmail,
    name: { givenName: 'Sim', familyName: 'Admin', fullName: 'Sim Admin' },
    isAdmin: true,
    isDelegatedAdmin: false,
    lastLoginTime: '2025-01-01T00:00:00.000Z',
    creationTime: '2019-12-31T00:00:00.000Z',
    agreedToTerms: true,
    suspended: false,
    archived: false,
    changePasswordAtNextLogin: false,
    ipWhitelisted: false,
    emails: [{ address: adminEmail, primary: true }],
    nonEditableAliases: [nonEditableAliasOf(adminEmail, domain)],
    customerId,
    orgUnitPath: '/',
    isMailboxSetup: true,
    isEnrolledIn2Sv: true,
    isEnforcedIn2Sv: true,
    includeInGlobalAddressList: true,
  };
  admin.etag = etagOf(admin);
  users.set(admin.id, admin);
  for (let i = 1; i <= seed.counts.users; i++) users.setSeeded(userIdFor(i), i);
  for (let g = 1; g <= seed.counts.groups; g++) {
    const id = groupIdFor(g);
    groups.setSeeded(id, g);
    members.setSeeded(id, g);
    groupSeedIndex.set(id, g);
  }
  let nextUserIndex = 1_000_000_000_000;
  let nextGroupIndex = 1_000_000_000;
  let nextOrgUnitIndex = 1_000_000;

  // --- credentials -----------------------------------------------------------------------------------
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }) as { privateKey: KeyObject; publicKey: KeyObject };
  const privateKeyId = randomBytes(20).toString('hex');
  const projectId = 'helios-directory-sim';
  const clientEmail = `directory-sync@${projectId}.iam.gserviceaccount.com`;
  const clientId = `1${BigInt(`0x${randomBytes(9).toString('hex')}`)
    .toString()
    .padStart(20, '0')
    .slice(0, 20)}`;
  const accounts = new Map<string, { clientId: string; publicKey: KeyObject; keyId: string }>([[clientEmail, { clientId, publicKey, keyId: privateKeyId }]]);
  const delegations = new Map<string, Set<string>>([[clientId, new Set(GOOGLE_DIRECTORY_SCOPES)]]);
  const tokens = new Map<string, IssuedToken>();

  // --- counters, faults, quota -----------------------------------------------------------------------
  const requests = { total: 0, byRoute: {} as Record<string, number>, faultsInjected: 0, tokensIssued: 0, quotaRejections: 0 };
  const count = (name: string) => {
    requests.byRoute[name] = (requests.byRoute[name] ?? 0) + 1;
  };
  let faults: { rate: number; kinds: GoogleDirectoryFaultKind[]; retryAfter: number; random: () => number } | null = null;
  const setFaults = (f: GoogleDirectorySimulatorOptions['faults'] | null) => {
    faults = f
      ? {
          rate: Math.min(1, Math.max(0, f.rate ?? 0)),
          kinds: f.kinds?.length ? [...f.kinds] : DEFAULT_FAULTS,
          retryAfter: f.retryAfterSeconds ?? 1,
          random: prng(f.seed ?? 1),
        }
      : null;
  };
  setFaults(options.faults ?? null);
  const drawFault = (): GoogleDirectoryFaultKind | null => {
    if (!faults || faults.rate <= 0) return null;
    if (faults.random() >= faults.rate) return null;
    return faults.kinds[Math.floor(faults.random() * faults.kinds.length)]!;
  };
  let quota: { limit: number; windowMs: number } | null = null;
  let windowStart = 0;
  let windowUsed = 0;
  const setQuota = (q: GoogleDirectoryQuota | null) => {
    quota = q ? { limit: Math.max(1, Math.floor(q.perMinute ?? 2400)), windowMs: Math.max(0.001, q.windowSeconds ?? 60) * 1000 } : null;
    windowStart = Date.now();
    windowUsed = 0;
  };
  setQuota(options.quota ?? null);
  /** Counts one call in the current fixed window; false when the window's quota is used up. */
  const takeQuota = (): boolean => {
    if (!quota) return true;
    const now = Date.now();
    if (now - windowStart >= quota.windowMs) {
      windowStart += Math.floor((now - windowStart) / quota.windowMs) * quota.windowMs;
      windowUsed = 0;
    }
    if (windowUsed >= quota.limit) return false;
    windowUsed += 1;
    return true;
  };
  const held = new Set<ServerResponse>();

  // --- lookups -----------------------------------------------------------------------------------
  const findUserId = (key: string): string | undefined => (users.has(key) ? key : users.find(lower(key)));
  const findGroupId = (key: string): string | undefined => (groups.has(key) ? key : groups.find(lower(key)));
  const userOf = (key: string): { id: string; user: any } => {
    const id = findUserId(key);
    const user = id === undefined ? undefined : users.peek(id);
    if (!user) throw notFound('userKey');
    return { id: id!, user };
  };
  const groupOf = (key: string): { id: string; group: any } => {
    const id = findGroupId(key);
    const group = id === undefined ? undefined : groups.peek(id);
    if (!group) throw notFound('groupKey');
    return { id: id!, group };
  };
  const emailTaken = (email: string, self?: string): boolean => {
    const u = users.find(email);
    const g = groups.find(email);
    return (u !== undefined && u !== self) || (g !== undefined && g !== self);
  };
  const userSuspended = (id: string): boolean | undefined => {
    const i = users.seedOf(id);
    if (i !== undefined) return seed.userSuspended(i);
    const u = users.peek(id);
    return u ? !!u.suspended : undefined;
  };
  const userOrgUnit = (id: string): string => {
    const i = users.seedOf(id);
    return lower(i !== undefined ? seed.userOrgUnitPath(i) : (users.peek(id)?.orgUnitPath ?? '/'));
  };

  /** The members of a group; `keep` builds and keeps seeded members (before changing them). */
  const membersOf = (groupId: string, keep: boolean): IndexedMap<any> => {
    if (!keep && members.seedOf(groupId) !== undefined && seed.counts.membersPerGroup <= 1000) return members.peek(groupId)!;
    const found = members.get(groupId) as Map<string, any> | undefined;
    if (found instanceof IndexedMap) return found;
    const map = newMemberMap([...(found?.values() ?? [])]);
    if (found || keep) members.set(groupId, map);
    return map;
  };
  const memberCount = (groupId: string): number => (members.seedOf(groupId) !== undefined ? seed.counts.membersPerGroup : (members.get(groupId)?.size ?? 0));
  /** Whether a user or group id is a direct member of a group (without building seeded members). */
  const isDirectMember = (groupId: string, memberId: string): boolean => {
    const g = members.seedOf(groupId);
    if (g === undefined) return members.get(groupId)?.has(memberId) ?? false;
    const i = userIndexOf(memberId);
    if (i >= 1 && userIdFor(i) === memberId) return seed.groupHasUser(g, i);
    const h = groupSeedIndex.get(memberId);
    return h !== undefined && seed.groupHasGroup(g, h);
  };
  const groupsContaining = (memberId: string): string[] => [...members.keys()].filter((gid) => isDirectMember(gid, memberId));
  const renameMember = (memberId: string, email: string) => {
    for (const gid of groupsContaining(memberId)) {
      const map = membersOf(gid, true);
      const m = map.get(memberId);
      if (m) map.set(memberId, { ...m, email });
    }
  };
  const removeMemberEverywhere = (memberId: string) => {
    for (const gid of groupsContaining(memberId)) membersOf(gid, true).delete(memberId);
  };

  // --- output ------------------------------------------------------------------------------------------
  const stamp = <T extends Record<string, any>>(resource: T): T => {
    (resource as Record<string, any>).etag = etagOf(resource);
    return resource;
  };
  const groupOut = (id: string, group: any) => ({ ...group, directMembersCount: String(memberCount(id)) });
  const memberOut = (m: any) => {
    const suspended = m.type === 'USER' ? userSuspended(m.id) : undefined;
    const out: Record<string, any> = { ...m, status: suspended === undefined ? (m.status ?? 'ACTIVE') : suspended ? 'SUSPENDED' : 'ACTIVE' };
    out.etag = quickEtag(`${out.id}|${out.email}|${out.role}|${out.type}|${out.status}|${out.delivery_settings ?? ''}`);
    return out;
  };
  const listEtag = (keys: string[]) => `"${createHash('sha1').update(keys.join(',')).digest('base64url')}"`;
  const fingerprint = (parts: unknown[]) => createHash('sha1').update(JSON.stringify(parts)).digest('base64url').slice(0, 10);
  const encodeToken = (last: string, fp: string) => Buffer.from(JSON.stringify([last, fp])).toString('base64url');
  const decodeToken = (token: string | null, fp: string): string | undefined => {
    if (!token) return undefined;
    try {
      const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
      if (Array.isArray(parsed) && typeof parsed[0] === 'string' && parsed[1] === fp) return parsed[0];
    } catch {
      // fall through
    }
    throw invalid('Invalid Input: pageToken');
  };
  const intParam = (query: URLSearchParams, name: string, fallback: number, max: number): number => {
    const raw = query.get(name);
    if (raw === null || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new ApiError(400, `Invalid value '${raw}'. Values must be within the range: [1, ${max}]`, 'invalid', 'global', {
        location: name,
        locationType: 'parameter',
      });
    return n;
  };
  /** Checks `customer`/`domain`; answers the one domain a list is limited to (`domain=` alone), if any. */
  const checkCustomer = (query: URLSearchParams, allowUserKey = false): string | undefined => {
    const customer = query.get('customer');
    const dom = query.get('domain');
    const userKey = allowUserKey ? query.get('userKey') : null;
    if (customer) {
      if (customer !== 'my_customer' && customer !== customerId) throw badRequest();
    } else if (dom) {
      if (!domains.has(lower(dom))) throw forbidden();
      return lower(dom);
    } else if (!userKey) throw badRequest();
    return undefined;
  };
  const page = <T>(kind: string, field: string, items: T[], last: string | undefined, more: boolean, fp: string, keys: string[]) => ({
    kind,
    etag: listEtag(keys),
    ...(items.length ? { [field]: items } : {}),
    ...(more && last !== undefined ? { nextPageToken: encodeToken(last, fp) } : {}),
  });

  // --- users ------------------------------------------------------------------------------------------
  const orgUnitPathOf = (value: unknown): string => {
    const path = `/${String(value ?? '').replace(/^\/+|\/+$/g, '')}`;
    const unit = [...orgUnits.values()].find((u) => lower(u.orgUnitPath) === lower(path));
    if (!unit) throw invalid('Invalid Input: INVALID_OU_ID');
    return unit.orgUnitPath;
  };
  const emailOf = (value: unknown, what: string): string => {
    const email = lower(value).trim();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw invalid(`Invalid Input: ${what}`);
    if (!domains.has(email.slice(email.indexOf('@') + 1))) throw invalid('Domain not found.');
    return email;
  };

  const writeUser = (id: string, base: any | undefined, body: any): any => {
    if (!isObject(body)) throw new ApiError(400, 'Parse Error', 'parseError');
    const user: Record<string, any> = base
      ? { ...base }
      : {
          kind: 'admin#directory#user',
          id,
          etag: '',
          primaryEmail: '',
          name: {},
          isAdmin: false,
          isDelegatedAdmin: false,
          lastLoginTime: NEVER,
          creationTime: new Date().toISOString(),
          agreedToTerms: false,
          suspended: false,
          archived: false,
          changePasswordAtNextLogin: false,
          ipWhitelisted: false,
          emails: [],
          customerId,
          orgUnitPath: '/',
          isMailboxSetup: false,
          isEnrolledIn2Sv: false,
          isEnforcedIn2Sv: false,
          includeInGlobalAddressList: true,
        };
    if (!base && !body.primaryEmail) throw invalid('Invalid Input: primary_user_email');
    if (body.primaryEmail !== undefined && body.primaryEmail !== null) {
      const email = emailOf(body.primaryEmail, 'primary_user_email');
      if (email !== lower(user.primaryEmail)) {
        if (emailTaken(email, id)) throw duplicate();
        const aliases = (Array.isArray(user.aliases) ? user.aliases : []).filter((a: string) => lower(a) !== email);
        if (base) aliases.push(lower(base.primaryEmail));
        user.primaryEmail = email;
        if (aliases.length) user.aliases = aliases;
        else delete user.aliases;
      }
    }
    if (body.name !== undefined || !base) {
      if (!isObject(body.name) && base) throw invalid('Invalid Given/Family Name: GivenName');
      const given = body.name?.givenName !== undefined ? String(body.name.givenName).trim() : user.name?.givenName;
      const family = body.name?.familyName !== undefined ? String(body.name.familyName).trim() : user.name?.familyName;
      if (!given || given.length > 60) throw invalid('Invalid Given/Family Name: GivenName');
      if (!family || family.length > 60) throw invalid('Invalid Given/Family Name: FamilyName');
      user.name = { givenName: given, familyName: family, fullName: `${given} ${family}` };
    }
    if (body.password !== undefined || !base) {
      if (typeof body.password !== 'string' || body.password.length < 8 || body.password.length > 100) throw invalid('Invalid Password');
      passwords.set(id, body.password);
    }
    if (body.suspended !== undefined) {
      user.suspended = body.suspended === true;
      if (user.suspended) user.suspensionReason = 'ADMIN';
      else delete user.suspensionReason;
    }
    if (body.orgUnitPath !== undefined) user.orgUnitPath = body.orgUnitPath === null ? '/' : orgUnitPathOf(body.orgUnitPath);
    for (const flag of USER_FLAGS) if (body[flag] !== undefined && body[flag] !== null) user[flag] = body[flag] === true;
    for (const field of USER_WRITABLE) {
      if (body[field] === null) delete user[field];
      else if (body[field] !== undefined) user[field] = structuredClone(body[field]);
    }
    const typed = body.emails === undefined ? typedEmailsOf(base) : body.emails === null ? [] : parseTypedEmails(body.emails);
    user.emails = composeEmails(user.primaryEmail, user.aliases, typed);
    user.nonEditableAliases = [nonEditableAliasOf(user.primaryEmail, domain)];
    return stamp(user);
  };

  /**
   * A user as `projection` asks (default `basic`: no `customSchemas`; `full`: all of them; `custom`:
   * the schemas named in `customFieldMask`).
   */
  const projectionOf = (query: URLSearchParams): ((user: any) => any) => {
    const projection = lower(query.get('projection') || 'basic');
    const mask = query.get('customFieldMask');
    if (projection === 'full') return (u) => u;
    if (projection === 'basic') return ({ customSchemas: _c, ...u }) => u;
    if (projection !== 'custom') throw invalid(`Invalid value for: ${query.get('projection')} is not a valid value`);
    if (!mask) throw invalid('Invalid Input: customFieldMask is required with projection=custom');
    const names = new Set(mask.split(',').map((m) => m.trim()));
    return ({ customSchemas, ...u }) => {
      const kept = isObject(customSchemas) ? Object.entries(customSchemas).filter(([name]) => names.has(name)) : [];
      return kept.length ? { ...u, customSchemas: Object.fromEntries(kept) } : u;
    };
  };
  const USER_ORDER: Record<string, ((u: any) => string) | undefined> = {
    email: undefined,
    familyname: (u) => lower(u.name?.familyName),
    givenname: (u) => lower(u.name?.givenName),
  };

  const usersList = (query: URLSearchParams) => {
    const onlyDomain = checkCustomer(query);
    const showDeleted = query.get('showDeleted') === 'true';
    const max = intParam(query, 'maxResults', 100, 500);
    const sortOrder = query.get('sortOrder');
    if (sortOrder && !['ascending', 'descending'].includes(lower(sortOrder))) throw invalid(`Invalid value for: ${sortOrder} is not a valid value`);
    const descending = lower(sortOrder) === 'descending';
    const orderBy = query.get('orderBy');
    if (orderBy && !(lower(orderBy) in USER_ORDER)) throw invalid(`Invalid value for: ${orderBy} is not a valid value`);
    const project = projectionOf(query);
    const q = query.get('query') ?? '';
    const matches = q ? parseQuery(q, USER_QUERY_FIELDS, USER_QUERY_DEFAULTS) : undefined;
    const store = showDeleted ? deletedUsers : users;
    const filter =
      matches || onlyDomain
        ? (k: string) => {
            const u = store.peek(k);
            return (!onlyDomain || domainOf(u.primaryEmail) === onlyDomain) && (!matches || matches(u));
          }
        : undefined;
    const fp = fingerprint(['users', query.get('customer'), query.get('domain'), q, lower(orderBy), descending, showDeleted]);
    const after = decodeToken(query.get('pageToken'), fp);
    const byName = orderBy ? USER_ORDER[lower(orderBy)] : undefined;
    if (!byName) {
      const { keys, last, more } = store.page(after, max, descending, filter);
      return page(
        'admin#directory#users',
        'users',
        keys.map((k) => project(store.peek(k))),
        last,
        more,
        fp,
        keys,
      );
    }
    // By a name: ties broken by address; the page token holds the last (name, address) pair.
    const sortKey = (u: any) => JSON.stringify([byName(u), lower(u.primaryEmail)]);
    const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0) * (descending ? -1 : 1);
    const all = [...store.keys()]
      .filter((k) => !filter || filter(k))
      .map((k) => ({ k, sk: sortKey(store.peek(k)) }))
      .filter(({ sk }) => after === undefined || compare(sk, after) > 0)
      .sort((x, y) => compare(x.sk, y.sk));
    const chunk = all.slice(0, max);
    const keys = chunk.map((x) => x.k);
    return page(
      'admin#directory#users',
      'users',
      keys.map((k) => project(store.peek(k))),
      chunk.at(-1)?.sk,
      all.length > max,
      fp,
      keys,
    );
  };

  const usersInsert = (body: any) => {
    const id = userIdFor(nextUserIndex++);
    const user = writeUser(id, undefined, body);
    users.set(id, user);
    return user;
  };

  const usersUpdate = (key: string, body: any) => {
    const { id, user } = userOf(key);
    const next = writeUser(id, user, body);
    users.set(id, next);
    if (next.primaryEmail !== user.primaryEmail) renameMember(id, next.primaryEmail);
    return next;
  };

  const usersDelete = (key: string) => {
    const { id, user } = userOf(key);
    removeMemberEverywhere(id);
    users.delete(id);
    deletedUsers.set(id, { ...user, deletionTime: new Date().toISOString() });
  };

  const usersUndelete = (key: string, body: any) => {
    const user = deletedUsers.peek(key);
    if (!user) throw notFound('userKey');
    if (emailTaken(lower(user.primaryEmail))) throw duplicate();
    const { deletionTime: _t, ...rest } = user;
    const restored = stamp({ ...rest, orgUnitPath: isObject(body) && body.orgUnitPath ? orgUnitPathOf(body.orgUnitPath) : rest.orgUnitPath });
    deletedUsers.delete(key);
    users.set(key, restored);
  };

  const aliasesOf = (primaryEmail: string, id: string, list: string[] | undefined) => ({
    kind: 'admin#directory#aliases',
    etag: listEtag(list ?? []),
    ...(list?.length ? { aliases: list.map((alias) => stamp({ kind: 'admin#directory#alias', id, etag: '', primaryEmail, alias })) } : {}),
  });
  const addAlias = <T extends Record<string, any>>(store: IndexedMap<any>, id: string, resource: T, emailField: string, body: any) => {
    if (!isObject(body) || !body.alias) throw invalid('Invalid Input: alias');
    const alias = emailOf(body.alias, 'alias');
    if (emailTaken(alias)) throw duplicate();
    store.set(id, stamp({ ...resource, aliases: [...(resource.aliases ?? []), alias] }));
    return stamp({ kind: 'admin#directory#alias', id, etag: '', primaryEmail: resource[emailField], alias });
  };
  const removeAlias = <T extends Record<string, any>>(store: IndexedMap<any>, id: string, resource: T, alias: string) => {
    const list: string[] = resource.aliases ?? [];
    if (!list.some((a) => lower(a) === lower(alias))) throw notFound('alias');
    const aliases = list.filter((a) => lower(a) !== lower(alias));
    const next: Record<string, any> = { ...resource, aliases };
    if (!aliases.length) delete next.aliases;
    store.set(id, stamp(next));
  };
  const refreshUserEmails = (id: string) => {
    const u = users.peek(id)!;
    users.set(id, stamp({ ...u, emails: composeEmails(u.primaryEmail, u.aliases, typedEmailsOf(u)) }));
  };

  // --- groups ------------------------------------------------------------------------------------------
  const GROUP_QUERY_FIELDS: Record<string, FieldGetter> = {
    email: (g) => [g.email, ...(g.aliases ?? [])],
    name: (g) => g.name,
  };

  const groupsList = (query: URLSearchParams) => {
    const onlyDomain = checkCustomer(query, true);
    const max = intParam(query, 'maxResults', 200, 200);
    const descending = lower(query.get('sortOrder')) === 'descending';
    const q = query.get('query') ?? '';
    let memberKey = query.get('userKey');
    let filter: ((g: any, id: string) => boolean) | undefined;
    const memberCheck = (key: string) => {
      const memberId = findUserId(key) ?? findGroupId(key);
      return (gid: string) =>
        memberId !== undefined ? isDirectMember(gid, memberId) : members.seedOf(gid) === undefined && membersOf(gid, false).find(lower(key)) !== undefined;
    };
    if (q) {
      const m = /(?:^|\s)memberKey=(\S+)/.exec(q);
      if (m) memberKey = m[1]!.replace(/^['"]|['"]$/g, '');
      const rest = q.replace(/(?:^|\s)memberKey=\S+/, '').trim();
      const byFields = rest ? parseQuery(rest, GROUP_QUERY_FIELDS, ['email', 'name']) : undefined;
      if (byFields) filter = (g) => byFields(g);
    }
    const byMember = memberKey ? memberCheck(memberKey) : undefined;
    const fp = fingerprint(['groups', query.get('customer'), query.get('domain'), query.get('userKey'), q, descending]);
    const after = decodeToken(query.get('pageToken'), fp);
    const inDomain = onlyDomain ? (k: string) => domainOf(groups.peek(k).email) === onlyDomain : undefined;
    const accept =
      filter || byMember || inDomain
        ? (k: string) => (!inDomain || inDomain(k)) && (!byMember || byMember(k)) && (!filter || filter(groups.peek(k), k))
        : undefined;
    const { keys, last, more } = groups.page(after, max, descending, accept);
    return page(
      'admin#directory#groups',
      'groups',
      keys.map((k) => groupOut(k, groups.peek(k))),
      last,
      more,
      fp,
      keys,
    );
  };

  const groupsWrite = (id: string, base: any | undefined, body: any) => {
    if (!isObject(body)) throw new ApiError(400, 'Parse Error', 'parseError');
    const group: Record<string, any> = base
      ? { ...base }
      : { kind: 'admin#directory#group', id, etag: '', email: '', name: '', directMembersCount: '0', description: '', adminCreated: true };
    if (!base && !body.email) throw new ApiError(400, 'Missing required field: email', 'required');
    if (body.email !== undefined && body.email !== null) {
      const email = emailOf(body.email, 'email');
      if (email !== lower(group.email)) {
        if (emailTaken(email, id)) throw duplicate();
        const aliases = (group.aliases ?? []).filter((a: string) => lower(a) !== email);
        if (base) aliases.push(lower(base.email));
        group.email = email;
        if (aliases.length) group.aliases = aliases;
        else delete group.aliases;
      }
    }
    if (body.name !== undefined) group.name = body.name === null ? '' : String(body.name);
    if (!base && !body.name) group.name = group.email.slice(0, group.email.indexOf('@'));
    if (body.description !== undefined) group.description = body.description === null ? '' : String(body.description);
    return stamp(group);
  };

  const groupsInsert = (body: any) => {
    const id = groupIdFor(nextGroupIndex++);
    const group = groupsWrite(id, undefined, body);
    groups.set(id, group);
    members.set(id, newMemberMap());
    return groupOut(id, group);
  };

  const groupsUpdate = (key: string, body: any) => {
    const { id, group } = groupOf(key);
    const next = groupsWrite(id, group, body);
    groups.set(id, next);
    if (next.email !== group.email) renameMember(id, next.email);
    return groupOut(id, next);
  };

  const groupsDelete = (key: string) => {
    const { id } = groupOf(key);
    removeMemberEverywhere(id);
    groups.delete(id);
    members.delete(id);
  };

  // --- members -------------------------------------------------------------------------------------
  const findMember = (map: IndexedMap<any>, key: string): string | undefined => {
    if (map.has(key)) return key;
    const byEmail = map.find(lower(key));
    if (byEmail !== undefined) return byEmail;
    const memberId = findUserId(key) ?? findGroupId(key);
    return memberId !== undefined && map.has(memberId) ? memberId : undefined;
  };

  const membersList = (groupKey: string, query: URLSearchParams) => {
    const { id } = groupOf(groupKey);
    const max = intParam(query, 'maxResults', 200, 200);
    const roles = query.get('roles');
    const wanted = roles ? new Set(roles.split(',').map((r) => r.trim().toUpperCase())) : undefined;
    const map = membersOf(id, false);
    const fp = fingerprint(['members', id, roles]);
    const after = decodeToken(query.get('pageToken'), fp);
    const { keys, last, more } = map.page(after, max, false, wanted ? (k) => wanted.has(map.peek(k)?.role) : undefined);
    return page(
      'admin#directory#members',
      'members',
      keys.map((k) => memberOut(map.peek(k))),
      last,
      more,
      fp,
      keys,
    );
  };

  const membersInsert = (groupKey: string, body: any) => {
    const { id: groupId } = groupOf(groupKey);
    if (!isObject(body)) throw new ApiError(400, 'Parse Error', 'parseError');
    const key = String(body.email ?? body.id ?? '');
    if (!key) throw new ApiError(400, 'Missing required field: memberKey', 'required');
    const role = body.role === undefined || body.role === null ? 'MEMBER' : String(body.role).toUpperCase();
    if (!ROLES.has(role)) throw invalid('Invalid Input: role');
    let member: Record<string, any>;
    const userId = findUserId(key);
    const memberGroupId = userId === undefined ? findGroupId(key) : undefined;
    if (userId !== undefined) {
      member = { kind: 'admin#directory#member', id: userId, email: lower(users.peek(userId)!.primaryEmail), role, type: 'USER', status: 'ACTIVE' };
    } else if (memberGroupId !== undefined) {
      if (memberGroupId === groupId) throw invalid('Invalid Input: memberKey');
      member = { kind: 'admin#directory#member', id: memberGroupId, email: lower(groups.peek(memberGroupId)!.email), role, type: 'GROUP', status: 'ACTIVE' };
    } else {
      const email = lower(key).trim();
      if (!email.includes('@') || domains.has(domainOf(email))) throw notFound('memberKey');
      const digits = BigInt(`0x${createHash('sha1').update(email).digest('hex').slice(0, 16)}`)
        .toString()
        .padStart(20, '0');
      member = { kind: 'admin#directory#member', id: `1${digits.slice(0, 20)}`, email, role, type: 'USER', status: 'ACTIVE' };
    }
    if (typeof body.delivery_settings === 'string') member.delivery_settings = body.delivery_settings;
    const map = membersOf(groupId, true);
    if (map.has(member.id) || map.find(member.email) !== undefined) throw duplicate('Member already exists.');
    map.set(member.id, member);
    return memberOut(member);
  };

  const memberAt = (groupKey: string, memberKey: string, keep: boolean) => {
    const { id: groupId } = groupOf(groupKey);
    const map = membersOf(groupId, keep);
    const memberId = findMember(map, memberKey);
    if (memberId === undefined) throw notFound('memberKey');
    return { map, memberId, member: map.peek(memberId)! };
  };

  const membersUpdate = (groupKey: string, memberKey: string, body: any) => {
    const { map, memberId, member } = memberAt(groupKey, memberKey, true);
    if (!isObject(body)) throw new ApiError(400, 'Parse Error', 'parseError');
    const next = { ...member };
    if (body.role !== undefined && body.role !== null) {
      const role = String(body.role).toUpperCase();
      if (!ROLES.has(role)) throw invalid('Invalid Input: role');
      next.role = role;
    }
    if (typeof body.delivery_settings === 'string') next.delivery_settings = body.delivery_settings;
    map.set(memberId, next);
    return memberOut(next);
  };

  // --- org units ---------------------------------------------------------------------------------
  const checkCustomerId = (id: string) => {
    if (id !== 'my_customer' && id !== customerId) throw badRequest();
  };
  const findOrgUnit = (key: string): any => {
    if (key.startsWith('id:')) {
      const unit = [...orgUnits.values()].find((u) => u.orgUnitId === key);
      if (!unit) throw notFound('org unit');
      return unit;
    }
    const path = `/${key.replace(/^\/+|\/+$/g, '')}`;
    const unit = orgUnits.get(path) ?? [...orgUnits.values()].find((u) => lower(u.orgUnitPath) === lower(path));
    if (!unit) throw notFound('org unit');
    return unit;
  };
  const isUnder = (path: string, base: string) => base === '/' || path === base || path.startsWith(`${base}/`);
  const parentOf = (body: any): any => {
    if (body.parentOrgUnitId) return findOrgUnitOr400(String(body.parentOrgUnitId));
    if (body.parentOrgUnitPath) return findOrgUnitOr400(String(body.parentOrgUnitPath));
    throw invalid('Invalid Parent Orgunit Id');
  };
  const findOrgUnitOr400 = (key: string) => {
    try {
      return findOrgUnit(key);
    } catch {
      throw invalid('Invalid Parent Orgunit Id');
    }
  };
  const checkOrgUnitName = (name: unknown): string => {
    const n = String(name ?? '').trim();
    if (!n || n.includes('/') || n.length > 255) throw invalid('Invalid Ou Name');
    return n;
  };

  const orgUnitsList = (query: URLSearchParams) => {
    const base = query.get('orgUnitPath') ? findOrgUnit(query.get('orgUnitPath')!).orgUnitPath : '/';
    const type = lower(query.get('type') || 'children').replace(/_/g, '');
    if (!['all', 'children', 'allincludingparent'].includes(type)) throw invalid('Invalid Input: type');
    const units = [...orgUnits.values()]
      .filter((u) => {
        if (u.orgUnitPath === '/') return false;
        if (u.orgUnitPath === base) return type === 'allincludingparent';
        return type === 'children' ? u.parentOrgUnitPath === base : isUnder(u.orgUnitPath, base);
      })
      .sort((a, b) => (a.orgUnitPath < b.orgUnitPath ? -1 : a.orgUnitPath > b.orgUnitPath ? 1 : 0));
    return {
      kind: 'admin#directory#orgUnits',
      etag: listEtag(units.map((u) => u.orgUnitId)),
      ...(units.length ? { organizationUnits: units } : {}),
    };
  };

  const orgUnitsInsert = (body: any) => {
    if (!isObject(body)) throw new ApiError(400, 'Parse Error', 'parseError');
    const name = checkOrgUnitName(body.name);
    const parent = parentOf(body);
    const path = parent.orgUnitPath === '/' ? `/${name}` : `${parent.orgUnitPath}/${name}`;
    if (orgUnits.has(path)) throw duplicate('Invalid Ou Id');
    const unit = stamp({
      kind: 'admin#directory#orgUnit',
      etag: '',
      name,
      description: body.description ? String(body.description) : '',
      orgUnitPath: path,
      orgUnitId: orgUnitIdFor(nextOrgUnitIndex++),
      parentOrgUnitPath: parent.orgUnitPath,
      parentOrgUnitId: parent.orgUnitId,
      blockInheritance: body.blockInheritance === true,
    });
    orgUnits.set(path, unit);
    return unit;
  };

  const orgUnitsUpdate = (key: string, body: any) => {
    if (!isObject(body)) throw new ApiError(400, 'Parse Error', 'parseError');
    const unit = findOrgUnit(key);
    if (unit.orgUnitPath === '/') throw invalid('Invalid Input: cannot modify the root org unit');
    const name = body.name !== undefined && body.name !== null ? checkOrgUnitName(body.name) : unit.name;
    const parent = body.parentOrgUnitId || body.parentOrgUnitPath ? parentOf(body) : findOrgUnit(unit.parentOrgUnitPath);
    if (isUnder(parent.orgUnitPath, unit.orgUnitPath) && parent.orgUnitPath !== '/') throw invalid('Invalid Parent Orgunit Id');
    const oldPath = unit.orgUnitPath;
    const newPath = parent.orgUnitPath === '/' ? `/${name}` : `${parent.orgUnitPath}/${name}`;
    if (newPath !== oldPath && orgUnits.has(newPath)) throw duplicate('Invalid Ou Id');
    const next = stamp({
      ...unit,
      name,
      orgUnitPath: newPath,
      parentOrgUnitPath: parent.orgUnitPath,
      parentOrgUnitId: parent.orgUnitId,
      ...(body.description !== undefined ? { description: body.description === null ? '' : String(body.description) } : {}),
      ...(body.blockInheritance !== undefined ? { blockInheritance: body.blockInheritance === true } : {}),
    });
    if (newPath !== oldPath) {
      const moved = (p: string) => (p === oldPath ? newPath : `${newPath}${p.slice(oldPath.length)}`);
      for (const u of [...orgUnits.values()]) {
        if (u === unit || !u.orgUnitPath.startsWith(`${oldPath}/`)) continue;
        orgUnits.delete(u.orgUnitPath);
        const path = moved(u.orgUnitPath);
        orgUnits.set(path, stamp({ ...u, orgUnitPath: path, parentOrgUnitPath: moved(u.parentOrgUnitPath) }));
      }
      for (const id of [...users.keys()]) {
        const path = userOrgUnit(id);
        if (path !== lower(oldPath) && !path.startsWith(`${lower(oldPath)}/`)) continue;
        const u = users.get(id)!;
        users.set(id, stamp({ ...u, orgUnitPath: moved(u.orgUnitPath) }));
      }
      orgUnits.delete(oldPath);
    }
    orgUnits.set(newPath, next);
    return next;
  };

  const orgUnitsDelete = (key: string) => {
    const unit = findOrgUnit(key);
    if (unit.orgUnitPath === '/') throw invalid('Invalid Input: cannot delete the root org unit');
    if ([...orgUnits.values()].some((u) => u.parentOrgUnitPath === unit.orgUnitPath))
      throw new ApiError(400, 'Invalid Input: OrgUnit has sub-OrgUnits', 'conditionNotMet');
    const path = lower(unit.orgUnitPath);
    for (const id of users.keys()) if (userOrgUnit(id) === path) throw new ApiError(400, 'Invalid Input: OrgUnit contains users', 'conditionNotMet');
    orgUnits.delete(unit.orgUnitPath);
  };

  // --- routing ---------------------------------------------------------------------------------------
  const ok = (body: unknown) => ({ status: 200, body });
  const noContent = { status: 204 };
  const done = (_: unknown) => noContent;
  const inCustomer =
    (id: string, run: Route['run']): Route['run'] =>
    (ctx) => {
      checkCustomerId(id);
      return run(ctx);
    };
  const resolve = (method: string, segs: string[]): Route | undefined => {
    const [top, a, b, c] = segs;
    const n = segs.length;
    const r = (name: string, scopes: string[], run: Route['run']): Route => ({ name, scopes, run });
    if (top === 'users') {
      if (n === 1 && method === 'GET') return r('users.list', READ_USERS, ({ query }) => ok(usersList(query)));
      if (n === 1 && method === 'POST') return r('users.insert', WRITE_USERS, ({ body }) => ok(usersInsert(body)));
      if (n === 2 && method === 'GET') return r('users.get', READ_USERS, ({ query }) => ok(projectionOf(query)(userOf(a!).user)));
      if (n === 2 && method === 'PUT') return r('users.update', WRITE_USERS, ({ body }) => ok(usersUpdate(a!, body)));
      if (n === 2 && method === 'PATCH') return r('users.patch', WRITE_USERS, ({ body }) => ok(usersUpdate(a!, body)));
      if (n === 2 && method === 'DELETE') return r('users.delete', WRITE_USERS, () => done(usersDelete(a!)));
      if (n === 3 && b === 'makeAdmin' && method === 'POST')
        return r('users.makeAdmin', WRITE_USERS, ({ body }) => {
          const { id, user } = userOf(a!);
          users.set(id, stamp({ ...user, isAdmin: isObject(body) && body.status === true }));
          return noContent;
        });
      if (n === 3 && b === 'undelete' && method === 'POST') return r('users.undelete', WRITE_USERS, ({ body }) => done(usersUndelete(a!, body)));
      if (n === 3 && b === 'aliases' && method === 'GET')
        return r('users.aliases.list', READ_ALIASES, () => {
          const { id, user } = userOf(a!);
          return ok(aliasesOf(user.primaryEmail, id, user.aliases));
        });
      if (n === 3 && b === 'aliases' && method === 'POST')
        return r('users.aliases.insert', WRITE_ALIASES, ({ body }) => {
          const { id, user } = userOf(a!);
          const out = addAlias(users, id, user, 'primaryEmail', body);
          refreshUserEmails(id);
          return ok(out);
        });
      if (n === 4 && b === 'aliases' && method === 'DELETE')
        return r('users.aliases.delete', WRITE_ALIASES, () => {
          const { id, user } = userOf(a!);
          removeAlias(users, id, user, c!);
          refreshUserEmails(id);
          return noContent;
        });
      return undefined;
    }
    if (top === 'groups') {
      if (n === 1 && method === 'GET') return r('groups.list', READ_GROUPS, ({ query }) => ok(groupsList(query)));
      if (n === 1 && method === 'POST') return r('groups.insert', WRITE_GROUPS, ({ body }) => ok(groupsInsert(body)));
      if (n === 2 && method === 'GET')
        return r('groups.get', READ_GROUPS, () => {
          const { id, group } = groupOf(a!);
          return ok(groupOut(id, group));
        });
      if (n === 2 && method === 'PUT') return r('groups.update', WRITE_GROUPS, ({ body }) => ok(groupsUpdate(a!, body)));
      if (n === 2 && method === 'PATCH') return r('groups.patch', WRITE_GROUPS, ({ body }) => ok(groupsUpdate(a!, body)));
      if (n === 2 && method === 'DELETE') return r('groups.delete', WRITE_GROUPS, () => done(groupsDelete(a!)));
      if (b === 'members') {
        if (n === 3 && method === 'GET') return r('members.list', READ_MEMBERS, ({ query }) => ok(membersList(a!, query)));
        if (n === 3 && method === 'POST') return r('members.insert', WRITE_MEMBERS, ({ body }) => ok(membersInsert(a!, body)));
        if (n === 4 && method === 'GET') return r('members.get', READ_MEMBERS, () => ok(memberOut(memberAt(a!, c!, false).member)));
        if (n === 4 && method === 'PUT') return r('members.update', WRITE_MEMBERS, ({ body }) => ok(membersUpdate(a!, c!, body)));
        if (n === 4 && method === 'PATCH') return r('members.patch', WRITE_MEMBERS, ({ body }) => ok(membersUpdate(a!, c!, body)));
        if (n === 4 && method === 'DELETE')
          return r('members.delete', WRITE_MEMBERS, () => {
            const { map, memberId } = memberAt(a!, c!, true);
            map.delete(memberId);
            return noContent;
          });
      }
      if (b === 'hasMember' && n === 4 && method === 'GET')
        return r('members.hasMember', READ_MEMBERS, () => {
          const { id } = groupOf(a!);
          const memberId = findUserId(c!) ?? findGroupId(c!);
          const isMember = memberId !== undefined ? isDirectMember(id, memberId) : findMember(membersOf(id, false), c!) !== undefined;
          return ok({ isMember });
        });
      if (b === 'aliases') {
        if (n === 3 && method === 'GET')
          return r('groups.aliases.list', READ_GROUPS, () => {
            const { id, group } = groupOf(a!);
            return ok(aliasesOf(group.email, id, group.aliases));
          });
        if (n === 3 && method === 'POST')
          return r('groups.aliases.insert', WRITE_GROUPS, ({ body }) => {
            const { id, group } = groupOf(a!);
            return ok(addAlias(groups, id, group, 'email', body));
          });
        if (n === 4 && method === 'DELETE')
          return r('groups.aliases.delete', WRITE_GROUPS, () => {
            const { id, group } = groupOf(a!);
            removeAlias(groups, id, group, c!);
            return noContent;
          });
      }
      return undefined;
    }
    if (top === 'customer' && b === 'orgunits' && a) {
      const path = segs.slice(3).join('/');
      if (n === 3 && method === 'GET')
        return r(
          'orgunits.list',
          READ_ORGUNITS,
          inCustomer(a, ({ query }) => ok(orgUnitsList(query))),
        );
      if (n === 3 && method === 'POST')
        return r(
          'orgunits.insert',
          WRITE_ORGUNITS,
          inCustomer(a, ({ body }) => ok(orgUnitsInsert(body))),
        );
      if (n > 3 && method === 'GET')
        return r(
          'orgunits.get',
          READ_ORGUNITS,
          inCustomer(a, () => ok(findOrgUnit(path))),
        );
      if (n > 3 && method === 'PUT')
        return r(
          'orgunits.update',
          WRITE_ORGUNITS,
          inCustomer(a, ({ body }) => ok(orgUnitsUpdate(path, body))),
        );
      if (n > 3 && method === 'PATCH')
        return r(
          'orgunits.patch',
          WRITE_ORGUNITS,
          inCustomer(a, ({ body }) => ok(orgUnitsUpdate(path, body))),
        );
      if (n > 3 && method === 'DELETE')
        return r(
          'orgunits.delete',
          WRITE_ORGUNITS,
          inCustomer(a, () => done(orgUnitsDelete(path))),
        );
    }
    return undefined;
  };

  // --- token endpoint ----------------------------------------------------------------------------------
  let tokenUrl = '';
  const tokenEndpoint = (req: IncomingMessage, text: string, res: ServerResponse) => {
    const fail = (status: number, error: string, description: string) => sendJson(res, status, { error, error_description: description });
    if (req.method !== 'POST') return fail(405, 'invalid_request', 'Method not allowed; use POST.');
    let form: URLSearchParams;
    try {
      form = lower(req.headers['content-type']).includes('json') ? new URLSearchParams(JSON.parse(text || '{}')) : new URLSearchParams(text);
    } catch {
      return fail(400, 'invalid_request', 'Could not parse the request body.');
    }
    const grantType = form.get('grant_type');
    if (grantType !== JWT_BEARER) return fail(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
    const assertion = form.get('assertion');
    if (!assertion) return fail(400, 'invalid_request', 'Missing required parameter: assertion');
    const parts = assertion.split('.');
    let header: any;
    let claims: any;
    try {
      if (parts.length !== 3) throw new Error('parts');
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
      if (!isObject(header) || !isObject(claims)) throw new Error('shape');
    } catch {
      return fail(400, 'invalid_grant', 'Invalid JWT: the assertion is not a well-formed JWT.');
    }
    const account = accounts.get(String(claims.iss ?? ''));
    if (!account) return fail(400, 'invalid_grant', 'Invalid grant: account not found');
    const signed =
      header.alg === 'RS256' &&
      (header.kid === undefined || header.kid === account.keyId) &&
      verifySignature('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), account.publicKey, Buffer.from(parts[2]!, 'base64url'));
    if (!signed) return fail(400, 'invalid_grant', 'Invalid JWT Signature.');
    if (claims.aud !== tokenUrl && !GOOGLE_TOKEN_AUDIENCES.includes(claims.aud)) return fail(400, 'invalid_grant', 'Invalid JWT: Failed audience check.');
    const now = Math.floor(Date.now() / 1000);
    const { iat, exp } = claims;
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= now || iat > now + 300 || exp - iat > 3600 || exp < iat) {
      return fail(
        400,
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    const scopes = String(claims.scope ?? '')
      .split(/\s+/)
      .filter(Boolean);
    if (!scopes.length) return fail(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    let sub = String(claims.iss);
    if (claims.sub !== undefined && claims.sub !== claims.iss) {
      const granted = delegations.get(account.clientId);
      if (!granted || scopes.some((s) => !granted.has(s))) {
        return fail(
          401,
          'unauthorized_client',
          'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
        );
      }
      const id = findUserId(String(claims.sub));
      const user = id === undefined ? undefined : users.peek(id);
      if (!user || user.suspended) return fail(400, 'invalid_grant', 'Invalid email or User ID');
      sub = lower(user.primaryEmail);
    }
    const accessToken = `ya29.${randomBytes(48).toString('base64url')}`;
    tokens.set(accessToken, { sub, clientId: account.clientId, scopes: new Set(scopes), expiresAt: Date.now() + 3600_000 });
    requests.tokensIssued++;
    return sendJson(
      res,
      200,
      { access_token: accessToken, expires_in: 3600, token_type: 'Bearer' },
      { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate' },
    );
  };

  // --- faults ---------------------------------------------------------------------------------------
  const inject = (kind: GoogleDirectoryFaultKind, res: ServerResponse) => {
    requests.faultsInjected++;
    const retryAfter = String(faults?.retryAfter ?? 1);
    switch (kind) {
      case '429':
        return sendError(res, new ApiError(429, 'Rate Limit Exceeded', 'rateLimitExceeded', 'usageLimits', {}, { 'retry-after': retryAfter }));
      case '500':
        return sendError(res, new ApiError(500, 'Internal error encountered.', 'backendError'));
      case '503':
        return sendError(res, new ApiError(503, 'The service is currently unavailable.', 'backendError'));
      case 'rateLimitExceeded':
        return sendError(res, new ApiError(403, 'Rate Limit Exceeded', 'rateLimitExceeded', 'usageLimits'));
      case 'userRateLimitExceeded':
        return sendError(res, new ApiError(403, 'User Rate Limit Exceeded', 'userRateLimitExceeded', 'usageLimits'));
      case 'quotaExceeded':
        return sendError(res, new ApiError(403, quotaMessage, 'quotaExceeded', 'usageLimits'));
      case 'timeout': {
        held.add(res);
        const timer = setTimeout(() => res.destroy(), 30_000);
        timer.unref();
        res.on('close', () => {
          clearTimeout(timer);
          held.delete(res);
        });
        return;
      }
      case 'reset': {
        res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'content-length': '65536' });
        res.write('{\n  "kind": "admin#directory#users",\n  "etag": "\\"', () => {
          const socket = res.socket as (NonNullable<typeof res.socket> & { resetAndDestroy?: () => void }) | null;
          if (socket?.resetAndDestroy) socket.resetAndDestroy();
          else socket?.destroy();
        });
        return;
      }
    }
  };

  // --- server ---------------------------------------------------------------------------------------
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const text = await readBody(req);
    requests.total++;
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    if (url.pathname === '/token') {
      count('token');
      return tokenEndpoint(req, text, res);
    }
    let route: Route | undefined;
    if (url.pathname.startsWith(API_PREFIX)) {
      let segs: string[];
      try {
        segs = url.pathname.slice(API_PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent);
      } catch {
        count('unknown');
        return sendError(res, badRequest());
      }
      route = resolve(method, segs);
    }
    count(route?.name ?? 'unknown');
    if (!route) return sendError(res, new ApiError(404, 'Not Found', 'notFound'));
    const fault = drawFault();
    if (fault) return inject(fault, res);

    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const auth = 'https://developers.google.com/identity/sign-in/web/devconsole-project';
    if (!bearer) {
      return sendError(
        res,
        new ApiError(
          401,
          `Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See ${auth}.`,
          'required',
          'global',
          { detail: 'Login Required.', location: 'Authorization', locationType: 'header' },
        ),
      );
    }
    const token = tokens.get(bearer);
    if (!token || token.expiresAt <= Date.now()) {
      if (token) tokens.delete(bearer);
      return sendError(
        res,
        new ApiError(
          401,
          `Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See ${auth}.`,
          'authError',
          'global',
          { detail: 'Invalid Credentials', location: 'Authorization', locationType: 'header' },
        ),
      );
    }
    if (!route.scopes.some((s) => token.scopes.has(s))) {
      return sendError(
        res,
        new ApiError(403, 'Request had insufficient authentication scopes.', 'insufficientPermissions', 'global', { detail: 'Insufficient Permission' }),
      );
    }
    const subjectId = findUserId(token.sub);
    const subject = subjectId === undefined ? undefined : users.peek(subjectId);
    if (!subject?.isAdmin || subject.suspended) return sendError(res, forbidden());
    if (!takeQuota()) {
      requests.quotaRejections++;
      return sendError(res, userRateLimited());
    }
    let body: any;
    if (text.trim()) {
      try {
        body = JSON.parse(text);
      } catch {
        return sendError(res, new ApiError(400, 'Parse Error', 'parseError'));
      }
    } else if (method === 'POST' || method === 'PUT' || method === 'PATCH') body = {};
    const fields = url.searchParams.get('fields');
    const tree = fields ? parseFields(fields) : undefined;
    const result = route.run({ query: url.searchParams, body });
    if (result.status === 204) {
      res.writeHead(204, { vary: 'Origin, X-Origin, Referer' });
      return res.end();
    }
    return sendJson(res, result.status, tree ? pick(result.body, tree) : result.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof ApiError) return sendError(res, error);
      return sendError(res, new ApiError(500, 'Internal error encountered.', 'backendError'));
    });
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolvePromise());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;
  tokenUrl = `${url}token`;

  return {
    url,
    tokenUrl,
    serviceAccountKey: {
      type: 'service_account',
      project_id: projectId,
      private_key_id: privateKeyId,
      private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      client_email: clientEmail,
      client_id: clientId,
      token_uri: tokenUrl,
    },
    adminEmail,
    state: { users, groups, members, orgUnits, deletedUsers, passwords },
    requests,
    setFaults,
    setQuota,
    grantDelegation(client, scopes) {
      if (scopes === null) delegations.delete(client);
      else delegations.set(client, new Set(scopes));
      for (const [token, issued] of tokens) if (issued.clientId === client) tokens.delete(token);
    },
    setSuperAdmin(email, isSuperAdmin) {
      const id = findUserId(email);
      const user = id === undefined ? undefined : users.get(id);
      if (!user) throw new Error(`The Google Directory simulator has no user ${email}.`);
      users.set(id!, stamp({ ...user, isAdmin: isSuperAdmin }));
    },
    close: () =>
      new Promise<void>((resolvePromise, reject) => {
        for (const res of held) res.destroy();
        held.clear();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolvePromise()));
      }),
  };
}

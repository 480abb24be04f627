/**
 * A Microsoft Graph v1.0 simulator for tests: the Microsoft identity platform token endpoint
 * (client credentials) with its discovery documents, and the directory part of Graph (organization,
 * users, groups and members, licences, directory roles, delta queries, JSON batching) over HTTP on
 * 127.0.0.1 in Graph's wire format, with deterministic seed data, injected faults and request-unit
 * throttling.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultSkus, GraphSeed, guidFor, ID_KIND, type SkuConfig, skuResource } from './graph/data';
import { IndexedMap, type IndexSpec, LazyMap } from './indexed-map';

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
  faults?: { rate?: number; kinds?: GraphFaultKind[]; seed?: number; retryAfterSeconds?: number };
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
   * `revokeSignInSessions` per user id.
   */
  state: {
    users: Map<string, any>;
    groups: Map<string, any>;
    members: Map<string, Set<string>>;
    skus: Map<string, any>;
    deletedUsers: Map<string, any>;
    passwords: Map<string, string>;
    revokedSessions: Map<string, number>;
  };
  /**
   * Counters: HTTP requests (`total`), per route including `$batch` sub-requests (`token`,
   * `users.list`, `users.delta`, `groups.members`, `batch`...), faults injected, tokens issued,
   * throttled requests and request units charged.
   */
  requests: { total: number; byRoute: Record<string, number>; faultsInjected: number; tokensIssued: number; throttled: number; requestUnits: number };
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
  /** Deletes a user (soft delete, like `DELETE /users/{id}`); recorded for delta queries. */
  deleteUser(id: string): void;
  /** Adds a user or group to a group as an admin would; recorded for delta queries. */
  addGroupMember(groupId: string, memberId: string): void;
  /** Removes a member from a group as an admin would; recorded for delta queries. */
  removeGroupMember(groupId: string, memberId: string): void;
  /** Records a direct `state` change of a user or group (present: updated, absent: deleted) for delta queries. */
  markChanged(kind: 'user' | 'group', id: string): void;
  /** Expires every delta and skip token issued so far (answered as `expiredDeltaStatus` says). */
  expireDeltaLinks(): void;
  close(): Promise<void>;
}

/** Every application role the simulator knows, consented by default for the generated app. */
export const GRAPH_APPLICATION_PERMISSIONS: readonly string[] = [
  'User.Read.All',
  'User.ReadWrite.All',
  'User-PasswordProfile.ReadWrite.All',
  'User.RevokeSessions.All',
  'Group.Read.All',
  'Group.ReadWrite.All',
  'Group.Create',
  'GroupMember.Read.All',
  'GroupMember.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
  'Organization.Read.All',
  'Organization.ReadWrite.All',
  'LicenseAssignment.Read.All',
  'LicenseAssignment.ReadWrite.All',
  'RoleManagement.Read.Directory',
  'RoleManagement.ReadWrite.Directory',
];

/**
 * Resource units charged per request, after Microsoft Graph's identity and access throttling limits:
 * `GET /users` 2, `GET /groups/{id}/members` 3, `GET /subscribedSkus` 3, any other request 1 (a delta
 * page, one object, a write). `$select` takes one off, `$top` under 20 one off, `$expand` adds one;
 * never below 1. Each write (POST, PATCH, PUT, DELETE) also counts 1 against the write quota.
 * `$batch` itself is free: each sub-request is charged.
 */
export const GRAPH_REQUEST_UNIT_COSTS: Readonly<{ users: number; groupMembers: number; subscribedSkus: number; other: number; write: number }> = {
  users: 2,
  groupMembers: 3,
  subscribedSkus: 3,
  other: 1,
  write: 1,
};

const GRAPH_HOST = 'https://graph.microsoft.com';
const LOGIN_HOST = 'https://login.microsoftonline.com';
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const DEFAULT_TENANT = '5d6e7f80-91a2-4b3c-8d4e-5f60718293a4';
const DEFAULT_FAULTS: GraphFaultKind[] = ['429', '500', '503', '504'];
const MAX_BATCH = 20;
const JSON_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const GLOBAL_ADMIN_TEMPLATE = '62e90394-69f5-4237-9190-012177145e10';

const ANY_DIR_READ = ['Directory.Read.All', 'Directory.ReadWrite.All'];
const ROLES_FOR = {
  usersRead: ['User.Read.All', 'User.ReadWrite.All', ...ANY_DIR_READ],
  usersWrite: ['User.ReadWrite.All', 'Directory.ReadWrite.All'],
  password: ['User-PasswordProfile.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  revoke: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  license: ['LicenseAssignment.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  groupsRead: ['Group.Read.All', 'Group.ReadWrite.All', 'GroupMember.Read.All', 'GroupMember.ReadWrite.All', ...ANY_DIR_READ],
  groupsCreate: ['Group.Create', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  groupsWrite: ['Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  membersWrite: ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  org: ['Organization.Read.All', 'Organization.ReadWrite.All', ...ANY_DIR_READ],
  skus: ['Organization.Read.All', 'Organization.ReadWrite.All', 'LicenseAssignment.Read.All', 'LicenseAssignment.ReadWrite.All', ...ANY_DIR_READ],
  roles: ['RoleManagement.Read.Directory', 'RoleManagement.ReadWrite.Directory', ...ANY_DIR_READ],
} as const;

const USER_DEFAULT = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];
const USER_PROPS = [
  'id',
  'accountEnabled',
  'assignedLicenses',
  'businessPhones',
  'city',
  'companyName',
  'country',
  'createdDateTime',
  'department',
  'displayName',
  'employeeId',
  'givenName',
  'jobTitle',
  'mail',
  'mailNickname',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'usageLocation',
  'userPrincipalName',
  'userType',
  'deletedDateTime',
];
const USER_WRITABLE = new Set([
  'accountEnabled',
  'businessPhones',
  'city',
  'companyName',
  'country',
  'department',
  'displayName',
  'employeeId',
  'givenName',
  'jobTitle',
  'mail',
  'mailNickname',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'usageLocation',
  'userPrincipalName',
  'userType',
]);
const GROUP_PROPS = [
  'id',
  'createdDateTime',
  'description',
  'displayName',
  'groupTypes',
  'mail',
  'mailEnabled',
  'mailNickname',
  'securityEnabled',
  'visibility',
  'deletedDateTime',
];
const GROUP_WRITABLE = new Set(['description', 'displayName', 'mailNickname', 'visibility', 'mailEnabled', 'securityEnabled', 'groupTypes']);
const canonical = (names: readonly string[]) => new Map(names.map((n) => [n.toLowerCase(), n]));
const USER_NAMES = canonical(USER_PROPS);
const GROUP_NAMES = canonical(GROUP_PROPS);

/** An error answered in Graph's JSON error envelope. */
class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const badRequest = (message: string, code = 'Request_BadRequest') => new GraphError(400, code, message);
const notFound = (key: string) =>
  new GraphError(404, 'Request_ResourceNotFound', `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`);
const unsupported = () => badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const lower = (s: unknown) => String(s ?? '').toLowerCase();
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/** Graph's password complexity: 8..256 characters from at least three of four classes. */
function weakPassword(password: unknown): boolean {
  if (typeof password !== 'string' || password.length < 8 || password.length > 256) return true;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((re) => re.test(password)).length;
  return classes < 3;
}

// --- $filter ---------------------------------------------------------------------------------------

type Filter = (value: Record<string, any>) => boolean;
/** A parsed `$filter`, with the values of a top-level `eq`/`in` on an indexed property for a fast path. */
interface ParsedFilter {
  test: Filter;
  lookup?: { prop: string; values: string[] };
  needsAdvanced: boolean;
}

function parseFilter(text: string, names: Map<string, string>, typeName: string): ParsedFilter {
  const tokens: string[] = [];
  const re = /\s*('(?:[^']|'')*'|[(),:/]|[^\s(),:/']+)/y;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while (re.lastIndex < text.length && (m = re.exec(text))) tokens.push(m[1]!);
  if (tokens.join('').replace(/\s/g, '') !== text.replace(/\s/g, '')) throw badRequest(`Invalid filter clause: ${text}`, 'BadRequest');
  let pos = 0;
  let needsAdvanced = false;
  const peek = () => tokens[pos];
  const next = () => {
    const t = tokens[pos++];
    if (t === undefined) throw badRequest("Syntax error: character ')' is not valid at position 0.", 'BadRequest');
    return t;
  };
  const expect = (t: string) => {
    if (lower(next()) !== t) throw badRequest(`Syntax error at position ${pos} in '${text}'.`, 'BadRequest');
  };
  const prop = (name: string) => {
    const c = names.get(lower(name));
    if (!c) throw badRequest(`Property '${name}' does not exist as a declared property or extension property.`, 'Request_BadRequest');
    return c;
  };
  const literal = (): unknown => {
    const t = next();
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    const l = lower(t);
    if (l === 'true') return true;
    if (l === 'false') return false;
    if (l === 'null') return null;
    if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
    if (GUID_RE.test(t)) return t;
    throw badRequest(`Syntax error at position ${pos} in '${text}'.`, 'BadRequest');
  };
  const same = (a: unknown, b: unknown) => (typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b);
  const compare = (op: string, a: unknown, b: unknown): boolean => {
    if (op === 'eq') return same(a, b) || (a === undefined && b === null);
    if (op === 'ne') return !same(a, b);
    if (a === null || a === undefined) return false;
    const x = typeof a === 'string' ? a.toLowerCase() : (a as number);
    const y = typeof b === 'string' ? b.toLowerCase() : (b as number);
    if (op === 'ge') return x >= y;
    if (op === 'le') return x <= y;
    if (op === 'gt') return x > y;
    if (op === 'lt') return x < y;
    throw unsupported();
  };
  let lookup: ParsedFilter['lookup'];
  const primary = (top: boolean): Filter => {
    const t = next();
    const l = lower(t);
    if (t === '(') {
      const inner = or(false);
      expect(')');
      return inner;
    }
    if (l === 'not') {
      needsAdvanced = true;
      const inner = primary(false);
      return (v) => !inner(v);
    }
    if (l === 'startswith' || l === 'endswith') {
      expect('(');
      const p = prop(next());
      expect(',');
      const value = lower(literal());
      expect(')');
      if (l === 'endswith') needsAdvanced = true;
      return (v) => typeof v[p] === 'string' && (l === 'startswith' ? v[p].toLowerCase().startsWith(value) : v[p].toLowerCase().endsWith(value));
    }
    const p = prop(t);
    if (peek() === '/') {
      next();
      if (lower(next()) !== 'any') throw unsupported();
      expect('(');
      const variable = next();
      expect(':');
      const ref = next();
      let sub: string | undefined;
      if (peek() === '/') {
        next();
        sub = next();
      }
      if (ref !== variable) throw badRequest(`Syntax error at position ${pos} in '${text}'.`, 'BadRequest');
      const op = lower(next());
      const value = literal();
      expect(')');
      return (v) => Array.isArray(v[p]) && v[p].some((item: any) => compare(op, sub ? item?.[sub] : item, value));
    }
    const op = lower(next());
    if (op === 'in') {
      expect('(');
      const values: unknown[] = [literal()];
      while (peek() === ',') {
        next();
        values.push(literal());
      }
      expect(')');
      if (top) lookup = { prop: p, values: values.map(String) };
      return (v) => values.some((x) => same(v[p], x));
    }
    if (!['eq', 'ne', 'ge', 'le', 'gt', 'lt'].includes(op)) throw unsupported();
    if (op !== 'eq') needsAdvanced = needsAdvanced || op === 'ne';
    const value = literal();
    if (top && op === 'eq' && typeof value === 'string') lookup = { prop: p, values: [value] };
    return (v) => compare(op, v[p], value);
  };
  const and = (top: boolean): Filter => {
    const parts = [primary(top)];
    while (lower(peek()) === 'and') {
      next();
      parts.push(primary(false));
    }
    if (parts.length > 1) lookup = undefined;
    return parts.length === 1 ? parts[0]! : (v) => parts.every((f) => f(v));
  };
  const or = (top: boolean): Filter => {
    const parts = [and(top)];
    while (lower(peek()) === 'or') {
      next();
      parts.push(and(false));
    }
    if (parts.length > 1) lookup = undefined;
    return parts.length === 1 ? parts[0]! : (v) => parts.some((f) => f(v));
  };
  const test = or(true);
  if (pos !== tokens.length) throw badRequest(`Syntax error at position ${pos} in '${text}' for ${typeName}.`, 'BadRequest');
  return lookup ? { test, lookup, needsAdvanced } : { test, needsAdvanced };
}

// --- tokens -----------------------------------------------------------------------------------------

interface AppToken {
  tid: string;
  appid: string;
  roles: string[];
  exp: number;
  aud: string;
}

interface DeltaState {
  /** users or groups */
  k: 'u' | 'g';
  /** i: initial round page; c: incremental page; d: delta link */
  m: 'i' | 'c' | 'd';
  /** initial round: the last id of the previous page */
  a?: string;
  /** initial round: members@delta of group `a` already sent (more follow) */
  o?: number;
  /** the version the round reports changes after */
  b: number;
  /** incremental round: the version of the last log entry processed */
  c?: number;
  /** $select */
  s: string;
  /** page size */
  n: number;
  /** epoch (expireDeltaLinks) */
  e: number;
  /** issued at, ms */
  t: number;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Ctx {
  query: URLSearchParams;
  body: any;
  headers: Record<string, string>;
  roles: Set<string>;
  /** The request path under /v1.0 (for links). */
  path: string;
}

interface Route {
  name: string;
  roles: readonly string[];
  units: number;
  run(ctx: Ctx): Reply;
}

type Outcome = Reply | { fault: 'timeout' | 'reset' };

interface ChangeLog {
  versions: number[];
  ids: string[];
  last: Map<string, number>;
}

/**
 * Starts a Microsoft Graph simulator on 127.0.0.1 (random port).
 *
 * Identity platform: `POST /{tenant}/oauth2/v2.0/token` (client credentials, secret in the form
 * or HTTP Basic), `GET /{tenant}/v2.0/.well-known/openid-configuration`,
 * `GET /{tenant}/discovery/v2.0/keys`, `GET /common/discovery/instance`; `{tenant}` is the tenant
 * id, the domain or the initial `.onmicrosoft.com` domain. Graph (`/v1.0/`): `organization`;
 * `users` list/get (id or UPN)/create/update/delete, `manager` (and `$ref`), `memberOf`,
 * `revokeSignInSessions`, `assignLicense`, `users/delta`; `groups` list/get/create/update/delete,
 * `members` (list, `$ref` add/remove), `groups/delta` (with `members@delta`); `subscribedSkus`;
 * `directoryRoles` (also `directoryRoles(roleTemplateId='...')`) and their `members`;
 * `directory/deletedItems` (list users, get, purge); `$batch` (at most 20 requests; a request runs
 * after the ones it `dependsOn` and answers 424 `FailedDependency` when one of them failed;
 * responses come in a shuffled order, see `batchSeed`). Lists honour `$top`, `$select`, `$filter`
 * (`eq`/`ne`/`in`/`startswith`/`ge`/`le`, `any` lambdas, `and`/`or`; `endswith`, `not` and `ne`
 * need `ConsistencyLevel: eventual`), `$count` with `ConsistencyLevel: eventual`, and
 * `$expand=manager` (users) or `$expand=members` (groups). Pages are in id order and resume after
 * the last id, so a `$skiptoken` stays valid while objects are added or removed.
 *
 * @example
 * ```ts
 * const sim = await startGraphSimulator({ seed: { users: 1000, groups: 50 }, links: 'local' });
 * const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: sim.clientId,
 *   client_secret: sim.clientSecret, scope: 'https://graph.microsoft.com/.default' });
 * const { access_token } = await (await fetch(sim.tokenUrl, { method: 'POST', body: form })).json();
 * const page = await fetch(`${sim.url}/v1.0/users?$top=999`, { headers: { authorization: `Bearer ${access_token}` } });
 * sim.touchUser('user000001@example.test', { jobTitle: 'CTO' }); // seen by the next users/delta round
 * await sim.close();
 * ```
 */
export async function startGraphSimulator(options: GraphSimulatorOptions = {}): Promise<GraphSimulator> {
  const tenantId = lower(options.tenantId ?? DEFAULT_TENANT);
  const domain = lower(options.domain ?? 'example.test');
  const initialDomain = `${domain.split('.')[0]}.onmicrosoft.com`;
  const userCount = Math.max(0, Math.floor(options.seed?.users ?? 20));
  const skuConfigs: SkuConfig[] = options.skus ? options.skus.map((s) => ({ ...s })) : defaultSkus(userCount);
  const seed = new GraphSeed(domain, { users: userCount, groups: options.seed?.groups ?? 4, membersPerGroup: options.seed?.membersPerGroup ?? 5 }, skuConfigs);
  const deltaTtl = options.deltaTokenTtlMs ?? 7 * 86_400_000;
  const membersPerPage = Math.max(1, Math.floor(options.deltaMembersPerPage ?? 100));
  const batchRandom = prng(options.batchSeed ?? 1);
  const expiredDeltaStatus = options.expiredDeltaStatus ?? 400;
  const clientId = guidFor(ID_KIND.app, 1);
  const clientSecret = `sim~${randomBytes(24).toString('base64url')}`;
  const servicePrincipalId = guidFor(ID_KIND.app, 2);
  const signingKey = randomBytes(32);

  // --- state -------------------------------------------------------------------------------------
  const userSpec: IndexSpec<any> = {
    sortKey: (u) => u.id,
    lookupKeys: (u) => [...new Set([lower(u.userPrincipalName), ...(u.mail ? [lower(u.mail)] : [])])],
    seedSortKey: (i) => seed.userId(i),
    seedLookupKeys: (i) => [seed.userPrincipalName(i)],
  };
  const users = new IndexedMap<any>(userSpec, (i) => seed.user(i));
  const deletedUsers = new IndexedMap<any>({ sortKey: (u) => u.id, lookupKeys: () => [] });
  const groups = new IndexedMap<any>(
    {
      sortKey: (g) => g.id,
      lookupKeys: (g) => [lower(g.mailNickname), ...(g.mail ? [lower(g.mail)] : [])],
      seedSortKey: (g) => seed.groupId(g),
      seedLookupKeys: (g) => [seed.groupMailNickname(g)],
    },
    (g) => seed.group(g),
  );
  const members = new LazyMap<Set<string>>((g) => seed.groupMembers(g));
  const skus = new Map<string, any>();
  const passwords = new Map<string, string>();
  const revokedSessions = new Map<string, number>();
  /** Managers set or removed after the seed (null: removed). */
  const managers = new Map<string, string | null>();

  const adminId = seed.userId(0);
  const adminUpn = `admin@${domain}`;
  users.set(adminId, {
    id: adminId,
    accountEnabled: true,
    assignedLicenses: [],
    businessPhones: [],
    city: null,
    companyName: 'Helios Simulated Ltd',
    country: null,
    createdDateTime: '2019-12-31T00:00:00Z',
    department: 'IT',
    displayName: 'Sim Admin',
    employeeId: null,
    givenName: 'Sim',
    jobTitle: 'Administrator',
    mail: adminUpn,
    mailNickname: 'admin',
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: 'en-US',
    surname: 'Admin',
    usageLocation: 'US',
    userPrincipalName: adminUpn,
    userType: 'Member',
  });
  for (let i = 1; i <= seed.counts.users; i++) users.setSeeded(seed.userId(i), i);
  for (let g = 1; g <= seed.counts.groups; g++) {
    const id = seed.groupId(g);
    groups.setSeeded(id, g);
    members.setSeeded(id, g);
  }
  skuConfigs.forEach((s, index) => {
    skus.set(s.skuId, skuResource(tenantId, s, index));
  });
  let nextUserIndex = 1_000_000_000;
  let nextGroupIndex = 1_000_000_000;

  const directoryRoles = [
    {
      id: guidFor(ID_KIND.role, 1),
      displayName: 'Global Administrator',
      template: GLOBAL_ADMIN_TEMPLATE,
      description: 'Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.',
    },
    {
      id: guidFor(ID_KIND.role, 2),
      displayName: 'User Administrator',
      template: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
      description: 'Can manage all aspects of users and groups, including resetting passwords for limited admins.',
    },
    {
      id: guidFor(ID_KIND.role, 3),
      displayName: 'Groups Administrator',
      template: 'fdd7a751-b60b-444a-984c-02652fe8fa1c',
      description:
        'Members of this role can create/manage groups, create/manage groups settings like naming and expiration policies, and view groups activity and audit reports.',
    },
  ];
  const roleMembers = new Map<string, Set<string>>([[directoryRoles[0]!.id, new Set([adminId])]]);

  // --- change log (delta) -----------------------------------------------------------------------------
  let version = 0;
  let epoch = 0;
  const logs: Record<'u' | 'g', ChangeLog> = {
    u: { versions: [], ids: [], last: new Map() },
    g: { versions: [], ids: [], last: new Map() },
  };
  const groupPropsVersion = new Map<string, number>();
  const memberChanges = new Map<string, Map<string, { v: number; added: boolean; type: string }>>();
  const record = (kind: 'u' | 'g', id: string) => {
    const log = logs[kind];
    version++;
    log.versions.push(version);
    log.ids.push(id);
    log.last.set(id, version);
    if (log.versions.length > 4 * log.last.size + 1024) {
      // Compact: keep only the latest entry per object (tokens hold versions, not positions).
      const versions: number[] = [];
      const ids: string[] = [];
      log.versions.forEach((v, k) => {
        if (log.last.get(log.ids[k]!) === v) {
          versions.push(v);
          ids.push(log.ids[k]!);
        }
      });
      log.versions = versions;
      log.ids = ids;
    }
  };
  const recordUser = (id: string) => record('u', id);
  const recordGroup = (id: string) => {
    record('g', id);
    groupPropsVersion.set(id, version);
  };
  const recordMember = (groupId: string, memberId: string, added: boolean, type: string) => {
    record('g', groupId);
    let changes = memberChanges.get(groupId);
    if (!changes) memberChanges.set(groupId, (changes = new Map()));
    changes.set(memberId, { v: version, added, type });
  };

  // --- credentials, counters, faults, throttling -----------------------------------------------------
  let consented: Set<string> | null = new Set(GRAPH_APPLICATION_PERMISSIONS);
  const requests = { total: 0, byRoute: {} as Record<string, number>, faultsInjected: 0, tokensIssued: 0, throttled: 0, requestUnits: 0 };
  const count = (name: string) => {
    requests.byRoute[name] = (requests.byRoute[name] ?? 0) + 1;
  };
  let faults: { rate: number; kinds: GraphFaultKind[]; retryAfter: number; random: () => number } | null = null;
  const setFaults = (f: GraphSimulatorOptions['faults'] | null) => {
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
  const drawFault = (): GraphFaultKind | null => {
    if (!faults || faults.rate <= 0) return null;
    if (faults.random() >= faults.rate) return null;
    return faults.kinds[Math.floor(faults.random() * faults.kinds.length)]!;
  };
  /** A fixed-window budget: `limit` per `windowMs`, the window restarting when it has passed. */
  const budget = (limit: number, windowMs: number) => ({ limit, windowMs, start: Date.now(), used: 0 });
  type Budget = ReturnType<typeof budget>;
  /** Rolls the window over if it passed; the seconds until it ends when `cost` does not fit, else null. */
  const wouldWait = (b: Budget, cost: number, now: number): number | null => {
    if (now - b.start >= b.windowMs) {
      b.start += Math.floor((now - b.start) / b.windowMs) * b.windowMs;
      b.used = 0;
    }
    // A request costing more than the whole budget still passes in a fresh window.
    if (b.used === 0) return null;
    return b.used + cost > b.limit ? Math.max(1, Math.ceil((b.start + b.windowMs - now) / 1000)) : null;
  };
  let throttle: { units: Budget; writes: Budget } | null = null;
  const setThrottle = (t: GraphThrottle | null) => {
    const size = users.size;
    const defaultUnits = size < 50 ? 3500 : size <= 500 ? 5000 : 8000;
    throttle = t
      ? {
          units: budget(Math.max(1, t.requestUnits ?? defaultUnits), Math.max(0.001, t.windowSeconds ?? 10) * 1000),
          writes: budget(Math.max(1, t.writeRequests ?? 3000), Math.max(0.001, t.writeWindowSeconds ?? 150) * 1000),
        }
      : null;
  };
  setThrottle(options.throttle ?? null);
  /**
   * Charges a request: `units` resource units, and one write when `write`. Answers null, or the
   * facts of the throttled answer when a budget is used up (nothing is charged then).
   */
  const charge = (units: number, write: boolean): { wait: number; limit: 'Write' | 'ReadWrite'; reason: string } | null => {
    if (throttle) {
      const now = Date.now();
      const writeWait = write ? wouldWait(throttle.writes, 1, now) : null;
      if (writeWait !== null) return { wait: writeWait, limit: 'Write', reason: 'WriteLimitExceeded' };
      const unitWait = wouldWait(throttle.units, units, now);
      if (unitWait !== null) return { wait: unitWait, limit: 'ReadWrite', reason: 'ResourceUnitLimitExceeded' };
      throttle.units.used += units;
      if (write) throttle.writes.used += 1;
    }
    requests.requestUnits += units;
    return null;
  };
  const held = new Set<ServerResponse>();

  // --- links --------------------------------------------------------------------------------------
  let graphRoot = GRAPH_HOST;
  let loginRoot = LOGIN_HOST;
  const v1 = () => `${graphRoot}/v1.0`;
  const encodeValue = (v: string) => encodeURIComponent(v).replace(/%24/g, '$').replace(/%2C/g, ',');
  const linkWith = (path: string, query: URLSearchParams, extra: Record<string, string>) => {
    const parts: string[] = [];
    for (const [k, v] of query) if (k !== '$skiptoken' && k !== '$deltatoken' && !(k in extra)) parts.push(`${k}=${encodeValue(v)}`);
    for (const [k, v] of Object.entries(extra)) parts.push(`${k}=${encodeValue(v)}`);
    return `${v1()}/${path}?${parts.join('&')}`;
  };
  const context = (what: string) => `${v1()}/$metadata#${what}`;

  // --- opaque tokens --------------------------------------------------------------------------------
  const mac = (data: string) => createHmac('sha256', signingKey).update(data).digest('base64url').slice(0, 22);
  const seal = (payload: unknown) => {
    const data = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${data}.${mac(data)}`;
  };
  const unseal = (token: string | null): any => {
    if (!token) return undefined;
    const cut = token.lastIndexOf('.');
    if (cut < 0) return undefined;
    const data = token.slice(0, cut);
    const sig = Buffer.from(token.slice(cut + 1));
    const want = Buffer.from(mac(data));
    if (sig.length !== want.length || !timingSafeEqual(sig, want)) return undefined;
    try {
      return JSON.parse(Buffer.from(data, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
  };

  // --- access tokens --------------------------------------------------------------------------------
  const b64json = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const issueAccessToken = (): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64json({ typ: 'JWT', alg: 'HS256', kid: 'helios-graph-sim' });
    const payload: Record<string, unknown> = {
      aud: GRAPH_HOST,
      iss: `https://sts.windows.net/${tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + 3599,
      aio: randomBytes(12).toString('base64url'),
      app_displayname: 'Helios Graph simulator app',
      appid: clientId,
      appidacr: '1',
      idp: `https://sts.windows.net/${tenantId}/`,
      idtyp: 'app',
      oid: servicePrincipalId,
      rh: '0.sim.',
      sub: servicePrincipalId,
      tenant_region_scope: 'NA',
      tid: tenantId,
      uti: randomBytes(16).toString('base64url'),
      ver: '1.0',
      xms_tcdt: 1577836800,
    };
    if (consented?.size) payload.roles = [...consented];
    const body = `${header}.${b64json(payload)}`;
    return `${body}.${createHmac('sha256', signingKey).update(body).digest('base64url')}`;
  };
  const verifyAccessToken = (token: string): AppToken | string => {
    const parts = token.split('.');
    if (parts.length !== 3) return 'IDX14100: JWT is not well formed, there are no dots (.).';
    const want = createHmac('sha256', signingKey).update(`${parts[0]}.${parts[1]}`).digest();
    const got = Buffer.from(parts[2]!, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return 'Access token validation failure. Invalid signature.';
    let claims: any;
    try {
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      return 'IDX14102: Unable to decode the payload.';
    }
    if (claims.aud !== GRAPH_HOST && claims.aud !== GRAPH_APP_ID) return 'Access token validation failure. Invalid audience.';
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return 'Lifetime validation failed, the token is expired.';
    return { tid: claims.tid, appid: claims.appid, roles: Array.isArray(claims.roles) ? claims.roles : [], exp: claims.exp, aud: claims.aud };
  };

  // --- lookups --------------------------------------------------------------------------------------
  const findUserId = (key: string): string | undefined => (users.has(key) ? key : users.find(lower(key)));
  const userOf = (key: string): { id: string; user: any } => {
    const id = findUserId(key);
    const user = id === undefined ? undefined : users.peek(id);
    if (!user) throw notFound(key);
    return { id: id!, user };
  };
  const groupOf = (key: string): { id: string; group: any } => {
    const group = groups.peek(key) ?? groups.peek(lower(key));
    if (!group) throw notFound(key);
    return { id: group.id, group };
  };
  const isMember = (groupId: string, memberId: string): boolean => {
    const g = members.seedOf(groupId);
    if (g === undefined) return members.peek(groupId)?.has(memberId) ?? false;
    const i = seed.userIndex(memberId);
    if (i > 0) return seed.groupHasUser(g, i);
    return seed.nests(g) && seed.groupIndex(memberId) === g - 1;
  };
  const groupsContaining = (memberId: string): string[] => {
    const out: string[] = [];
    for (const gid of members.keys()) if (isMember(gid, memberId)) out.push(gid);
    return out;
  };
  const typeOf = (id: string) => (groups.has(id) ? '#microsoft.graph.group' : '#microsoft.graph.user');
  const managerOf = (id: string): string | undefined => {
    const explicit = managers.get(id);
    if (explicit !== undefined) return explicit !== null && users.has(explicit) ? explicit : undefined;
    const i = seed.userIndex(id);
    const m = i > 0 ? seed.userManager(i) : undefined;
    const mid = m === undefined ? undefined : seed.userId(m);
    return mid !== undefined && users.has(mid) ? mid : undefined;
  };

  // --- query options ----------------------------------------------------------------------------------
  const pageSize = (query: URLSearchParams, fallback: number): number => {
    const raw = query.get('$top');
    if (raw === null || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 999) throw badRequest(`Invalid page size specified: '${raw}'. Must be between 1 and 999 inclusive.`);
    return n;
  };
  const parseSelect = (raw: string | null, names: Map<string, string>, typeName: string, extra: string[] = []): string[] | null => {
    if (raw === null || raw.trim() === '') return null;
    const out: string[] = [];
    for (const part of raw.split(',')) {
      const name = part.trim();
      if (name === '*') return [...names.values(), ...extra];
      const c = names.get(name.toLowerCase()) ?? extra.find((e) => e.toLowerCase() === name.toLowerCase());
      if (!c) throw badRequest(`Could not find a property named '${name}' on type 'microsoft.graph.${typeName}'.`);
      if (!out.includes(c)) out.push(c);
    }
    return out;
  };
  const project = (value: Record<string, any>, select: string[] | null | undefined, defaults: readonly string[] | null): Record<string, any> => {
    const fields = select ?? defaults;
    if (!fields) return { ...value };
    const out: Record<string, any> = {};
    for (const f of fields) if (f !== 'members') out[f] = value[f] ?? (f === 'businessPhones' || f === 'groupTypes' ? [] : null);
    if (out.id === undefined) out.id = value.id;
    return out;
  };
  const advanced = (headers: Record<string, string>) => lower(headers.consistencylevel) === 'eventual';
  const checkQueryOptions = (query: URLSearchParams, allowed: string[]) => {
    for (const key of query.keys()) {
      if (key.startsWith('$') && !allowed.includes(key)) {
        if (key === '$orderby' || key === '$search' || key === '$skip') throw unsupported();
        throw badRequest(`Query option '${key}' is not allowed. Make sure that it is supported by the endpoint.`, 'BadRequest');
      }
    }
  };
  /** `$expand=manager` or `manager($select=a,b)` (users), `members` (groups). */
  const parseExpand = (raw: string | null, nav: string, typeName: string): { select: string[] | null } | null => {
    if (!raw) return null;
    const m = /^\s*([A-Za-z]+)\s*(?:\(\s*\$select\s*=\s*([^)]*)\))?\s*$/.exec(raw);
    if (!m || m[1]!.toLowerCase() !== nav.toLowerCase())
      throw badRequest(`Could not find a navigation property named '${m?.[1] ?? raw}' on type 'microsoft.graph.${typeName}'.`);
    return { select: m[2] ? m[2].split(',').map((s) => s.trim()) : null };
  };
  const userOut = (user: any, select: string[] | null, expand: { select: string[] | null } | null): Record<string, any> => {
    const out = project(user, select, USER_DEFAULT);
    if (expand) {
      const mid = managerOf(user.id);
      const manager = mid === undefined ? undefined : users.peek(mid);
      if (manager)
        out.manager = {
          '@odata.type': '#microsoft.graph.user',
          ...project(manager, expand.select && parseSelect(expand.select.join(','), USER_NAMES, 'user'), USER_DEFAULT),
        };
    }
    return out;
  };
  const groupOut = (group: any, select: string[] | null, expand: { select: string[] | null } | null): Record<string, any> => {
    const out = project(group, select, null);
    if (expand) {
      const ids = [...(members.peek(group.id) ?? [])].slice(0, 20);
      out.members = ids.map((mid) =>
        directoryObjectOut(mid, expand.select && parseSelect(expand.select.join(','), new Map([...USER_NAMES, ...GROUP_NAMES]), 'directoryObject')),
      );
    }
    return out;
  };
  const directoryObjectOut = (id: string, select: string[] | null): Record<string, any> => {
    const group = groups.peek(id);
    if (group)
      return {
        '@odata.type': '#microsoft.graph.group',
        ...project(
          group,
          select?.filter((s) => GROUP_NAMES.has(s.toLowerCase())),
          null,
        ),
      };
    const user = users.peek(id);
    return {
      '@odata.type': '#microsoft.graph.user',
      ...project(
        user ?? { id },
        select?.filter((s) => USER_NAMES.has(s.toLowerCase())),
        USER_DEFAULT,
      ),
    };
  };

  // --- lists ------------------------------------------------------------------------------------------
  const listToken = (last: string, fp: string) => seal(['l', last, fp]);
  const listAfter = (query: URLSearchParams, fp: string): string | undefined => {
    const raw = query.get('$skiptoken');
    if (!raw) return undefined;
    const parsed = unseal(raw);
    if (!Array.isArray(parsed) || parsed[0] !== 'l' || parsed[2] !== fp) throw badRequest('Invalid $skiptoken value.', 'Request_BadRequest');
    return parsed[1];
  };
  const fingerprint = (parts: unknown[]) => createHmac('sha1', signingKey).update(JSON.stringify(parts)).digest('base64url').slice(0, 10);

  const listStore = (
    store: IndexedMap<any>,
    ctx: Ctx,
    opts: { entity: string; typeName: string; names: Map<string, string>; lookupProps: string[]; out: (v: any) => Record<string, any> },
  ): Reply => {
    const { query, headers, path } = ctx;
    const top = pageSize(query, 100);
    const filterText = query.get('$filter');
    const filter = filterText ? parseFilter(filterText, opts.names, opts.typeName) : undefined;
    if (filter?.needsAdvanced && !advanced(headers)) throw unsupported();
    const wantCount = lower(query.get('$count')) === 'true';
    if (wantCount && !advanced(headers)) throw badRequest('$count is not currently supported.', 'Request_BadRequest');
    const fp = fingerprint([opts.entity, filterText]);
    const after = listAfter(query, fp);
    let keys: string[];
    let more: boolean;
    let total: number | undefined;
    if (filter?.lookup && opts.lookupProps.includes(filter.lookup.prop)) {
      const found = new Set<string>();
      for (const value of filter.lookup.values) {
        const id = filter.lookup.prop === 'id' ? (store.has(value) ? value : store.has(lower(value)) ? lower(value) : undefined) : store.find(lower(value));
        if (id !== undefined && filter.test(store.peek(id)!)) found.add(id);
      }
      const all = [...found].sort();
      total = all.length;
      const start = after === undefined ? 0 : all.findIndex((k) => k > after);
      const rest = start < 0 ? [] : all.slice(start);
      keys = rest.slice(0, top);
      more = rest.length > top;
    } else {
      const accept = filter ? (k: string) => filter.test(store.peek(k)!) : undefined;
      const result = store.page(after, top, false, accept);
      keys = result.keys;
      more = result.more;
      if (wantCount) total = accept ? [...store.keys()].filter(accept).length : store.size;
    }
    const body: Record<string, unknown> = { '@odata.context': context(opts.entity) };
    if (wantCount) body['@odata.count'] = total;
    if (more && keys.length) body['@odata.nextLink'] = linkWith(path, query, { $skiptoken: listToken(keys[keys.length - 1]!, fp) });
    body.value = keys.map((k) => opts.out(store.peek(k)));
    return { status: 200, body };
  };
  const contextFor = (entity: string, select: string[] | null, single = false) =>
    context(`${entity}${select ? `(${select.join(',')})` : ''}${single ? '/$entity' : ''}`);

  // --- users ------------------------------------------------------------------------------------------
  const upnOf = (value: unknown): string => {
    const upn = String(value ?? '').trim();
    const at = upn.lastIndexOf('@');
    if (at < 1 || /\s/.test(upn)) throw badRequest("Invalid value specified for property 'userPrincipalName' of resource 'User'.");
    const d = lower(upn.slice(at + 1));
    if (d !== domain && d !== initialDomain)
      throw badRequest('The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.');
    return upn;
  };
  const upnTaken = (upn: string, self?: string) => {
    const other = users.find(lower(upn));
    return other !== undefined && other !== self;
  };
  const applyUserChanges = (user: Record<string, any>, body: Record<string, any>, roles: Set<string> | null, creating: boolean) => {
    for (const [key, value] of Object.entries(body)) {
      if (key.startsWith('@odata.') || key === 'passwordProfile' || key === 'passwordPolicies') continue;
      if (creating && key === 'id') continue;
      const name = USER_NAMES.get(key.toLowerCase()) ?? (USER_WRITABLE.has(key) ? key : undefined);
      if (!name) throw badRequest(`Property '${key}' does not exist as a declared property or extension property.`);
      if (!USER_WRITABLE.has(name)) throw badRequest(`Property '${name}' is read-only and cannot be set.`);
      if (roles && !ROLES_FOR.usersWrite.some((r) => roles.has(r))) throw denied();
      if (name === 'userPrincipalName') {
        const upn = upnOf(value);
        if (upnTaken(upn, user.id)) throw badRequest('Another object with the same value for property userPrincipalName already exists.');
        user.userPrincipalName = upn;
      } else if (name === 'accountEnabled') {
        if (typeof value !== 'boolean') throw badRequest("Invalid value specified for property 'accountEnabled' of resource 'User'.");
        user.accountEnabled = value;
      } else if (name === 'businessPhones') {
        if (!Array.isArray(value) || value.length > 1) throw badRequest("Invalid value specified for property 'businessPhones' of resource 'User'.");
        user.businessPhones = value.map(String);
      } else if (name === 'usageLocation') {
        if (value !== null && !/^[A-Za-z]{2}$/.test(String(value)))
          throw badRequest("Invalid value specified for property 'usageLocation' of resource 'User'.");
        user.usageLocation = value === null ? null : String(value).toUpperCase();
      } else user[name] = value === null ? null : String(value);
    }
    if (body.passwordProfile !== undefined) {
      if (roles && !ROLES_FOR.password.some((r) => roles.has(r))) throw denied();
      const password = isObject(body.passwordProfile) ? body.passwordProfile.password : undefined;
      if (creating || password !== undefined) {
        if (password === undefined || password === null || password === '')
          throw badRequest("Invalid value specified for property 'passwordProfile' of resource 'User'.");
        if (weakPassword(password))
          throw badRequest('The specified password does not comply with password complexity requirements. Please provide a different password.');
        passwords.set(user.id, password);
      }
    }
  };
  const usersCreate = (ctx: Ctx): Reply => {
    const body = ctx.body;
    if (!isObject(body)) throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
    for (const p of ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile'])
      if (body[p] === undefined || body[p] === null || body[p] === '') throw badRequest(`Invalid value specified for property '${p}' of resource 'User'.`);
    const id = seed.userId(nextUserIndex++);
    const user: Record<string, any> = {
      id,
      accountEnabled: true,
      assignedLicenses: [],
      businessPhones: [],
      city: null,
      companyName: null,
      country: null,
      createdDateTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      department: null,
      displayName: null,
      employeeId: null,
      givenName: null,
      jobTitle: null,
      mail: null,
      mailNickname: null,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: null,
      surname: null,
      usageLocation: null,
      userPrincipalName: '',
      userType: 'Member',
    };
    applyUserChanges(user, body, null, true);
    users.set(id, user);
    recordUser(id);
    return { status: 201, body: { '@odata.context': contextFor('users', null, true), ...userOut(user, null, null) } };
  };
  const usersUpdate = (key: string, ctx: Ctx): Reply => {
    const { id, user } = userOf(key);
    if (!isObject(ctx.body)) throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
    const next = structuredClone(user);
    applyUserChanges(next, ctx.body, ctx.roles, false);
    users.set(id, next);
    recordUser(id);
    return { status: 204 };
  };
  const removeUser = (id: string) => {
    const user = users.peek(id)!;
    for (const gid of groupsContaining(id)) {
      members.get(gid)!.delete(id);
      recordMember(gid, id, false, '#microsoft.graph.user');
    }
    for (const set of roleMembers.values()) set.delete(id);
    for (const lic of user.assignedLicenses ?? []) {
      const sku = skus.get(lic.skuId);
      if (sku) sku.consumedUnits = Math.max(0, sku.consumedUnits - 1);
    }
    users.delete(id);
    deletedUsers.set(id, {
      ...user,
      assignedLicenses: [],
      deletedDateTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      userPrincipalName: `${id.replace(/-/g, '')}${user.userPrincipalName}`,
    });
    recordUser(id);
  };
  const assignLicense = (key: string, ctx: Ctx): Reply => {
    const { id, user } = userOf(key);
    const body = ctx.body;
    if (!isObject(body) || !Array.isArray(body.addLicenses)) throw badRequest("Invalid value specified for property 'addLicenses' of resource 'User'.");
    if (!Array.isArray(body.removeLicenses)) throw badRequest("Invalid value specified for property 'removeLicenses' of resource 'User'.");
    const current: Array<{ skuId: string; disabledPlans: string[] }> = (user.assignedLicenses ?? []).map((l: any) => ({ ...l }));
    const adds = body.addLicenses.map((l: any) => ({
      skuId: lower(l?.skuId),
      disabledPlans: Array.isArray(l?.disabledPlans) ? l.disabledPlans.map(String) : [],
    }));
    const removes = body.removeLicenses.map(lower);
    for (const a of adds) {
      const sku = skus.get(a.skuId);
      if (!GUID_RE.test(a.skuId) || !sku) throw badRequest(`License ${a.skuId} does not correspond to a valid company License.`);
      for (const plan of a.disabledPlans)
        if (!sku.servicePlans.some((p: any) => p.servicePlanId === plan)) throw badRequest(`Invalid disabled plan ${plan} specified for SKU ${a.skuId}.`);
    }
    for (const r of removes) if (!current.some((l) => l.skuId === r)) throw badRequest('User does not have a corresponding license.');
    if (adds.length && !user.usageLocation) throw badRequest('License assignment cannot be done for user with invalid usage location.');
    for (const a of adds) {
      const sku = skus.get(a.skuId);
      const already = current.some((l) => l.skuId === a.skuId) && !removes.includes(a.skuId);
      if (!already && sku.consumedUnits >= sku.prepaidUnits.enabled) throw badRequest(`Subscription ${a.skuId} does not have any available licenses.`);
    }
    let next = current.filter((l) => !removes.includes(l.skuId));
    for (const r of removes) skus.get(r)!.consumedUnits = Math.max(0, skus.get(r)!.consumedUnits - 1);
    for (const a of adds) {
      const existing = next.find((l) => l.skuId === a.skuId);
      if (existing) existing.disabledPlans = a.disabledPlans;
      else {
        next = [...next, a];
        skus.get(a.skuId)!.consumedUnits++;
      }
    }
    const updated = { ...user, assignedLicenses: next.map((l) => ({ disabledPlans: l.disabledPlans, skuId: l.skuId })) };
    users.set(id, updated);
    recordUser(id);
    return { status: 200, body: { '@odata.context': contextFor('users', null, true), ...userOut(updated, null, null) } };
  };

  // --- groups ------------------------------------------------------------------------------------------
  const applyGroupChanges = (group: Record<string, any>, body: Record<string, any>, creating: boolean) => {
    for (const [key, value] of Object.entries(body)) {
      if (key.startsWith('@odata.') || key.endsWith('@odata.bind')) continue;
      const name = GROUP_NAMES.get(key.toLowerCase());
      if (!name) throw badRequest(`Property '${key}' does not exist as a declared property or extension property.`);
      if (!GROUP_WRITABLE.has(name) || (!creating && ['mailEnabled', 'securityEnabled', 'groupTypes'].includes(name) && value !== group[name]))
        throw badRequest(`Property '${name}' is read-only and cannot be set.`);
      if (name === 'mailEnabled' || name === 'securityEnabled') {
        if (typeof value !== 'boolean') throw badRequest(`Invalid value specified for property '${name}' of resource 'Group'.`);
        group[name] = value;
      } else if (name === 'groupTypes') {
        if (!Array.isArray(value)) throw badRequest("Invalid value specified for property 'groupTypes' of resource 'Group'.");
        group.groupTypes = value.map(String);
      } else if (name === 'mailNickname') {
        const nick = String(value ?? '');
        if (!/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]{1,64}$/.test(nick))
          throw badRequest("Invalid value specified for property 'mailNickname' of resource 'Group'.");
        group.mailNickname = nick;
      } else group[name] = value === null ? null : String(value);
    }
  };
  const groupsCreate = (ctx: Ctx): Reply => {
    const body = ctx.body;
    if (!isObject(body)) throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
    for (const p of ['displayName', 'mailEnabled', 'mailNickname', 'securityEnabled'])
      if (body[p] === undefined || body[p] === null || body[p] === '') throw badRequest(`Invalid value specified for property '${p}' of resource 'Group'.`);
    const id = seed.groupId(nextGroupIndex++);
    const group: Record<string, any> = {
      id,
      createdDateTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      description: null,
      displayName: null,
      groupTypes: [],
      mail: null,
      mailEnabled: false,
      mailNickname: null,
      securityEnabled: true,
      visibility: null,
    };
    applyGroupChanges(group, body, true);
    const unified = group.groupTypes.includes('Unified');
    if (group.mailEnabled && !unified) throw badRequest('Mail-enabled security groups cannot be created through the API.', 'Request_BadRequest');
    if (unified) {
      group.mail = `${group.mailNickname}@${domain}`;
      if (groups.find(lower(group.mail)) !== undefined || users.find(lower(group.mail)) !== undefined)
        throw badRequest('Another object with the same value for property proxyAddresses already exists.');
      group.visibility = group.visibility ?? 'Public';
    }
    const owners: string[] = [];
    const initial: string[] = [];
    for (const [bindKey, list] of [
      ['owners@odata.bind', owners],
      ['members@odata.bind', initial],
    ] as const) {
      const refs = body[bindKey];
      if (refs === undefined) continue;
      if (!Array.isArray(refs) || refs.length > 20) throw badRequest(`Invalid value specified for property '${bindKey.split('@')[0]}' of resource 'Group'.`);
      for (const ref of refs) list.push(refTarget(ref));
    }
    groups.set(id, group);
    members.set(id, new Set());
    recordGroup(id);
    for (const mid of initial) addMember(id, mid);
    return { status: 201, body: { '@odata.context': contextFor('groups', null, true), ...groupOut(group, null, null) } };
  };
  const groupsUpdate = (key: string, ctx: Ctx): Reply => {
    const { id, group } = groupOf(key);
    if (!isObject(ctx.body)) throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
    const next = structuredClone(group);
    applyGroupChanges(next, ctx.body, false);
    groups.set(id, next);
    recordGroup(id);
    return { status: 204 };
  };
  const removeGroup = (id: string) => {
    for (const gid of groupsContaining(id)) {
      members.get(gid)!.delete(id);
      recordMember(gid, id, false, '#microsoft.graph.group');
    }
    groups.delete(id);
    members.delete(id);
    memberChanges.delete(id);
    record('g', id);
  };
  /** The object id named by a `$ref` body or an `@odata.bind` URL (`.../directoryObjects/{id}`, `users/{id}`, `groups/{id}`). */
  const refTarget = (ref: unknown): string => {
    const url = String(ref ?? '');
    const m = /(?:directoryObjects|users|groups)(?:\/|\(')([^/?')]+)'?\)?\/?$/.exec(url);
    if (!m) throw badRequest(`Invalid object identifier '${url}'.`);
    const key = decodeURIComponent(m[1]!);
    const id = groups.has(key) ? key : findUserId(key);
    if (id === undefined || (!groups.has(id) && !users.has(id))) throw notFound(key);
    return id;
  };
  const addMember = (groupId: string, memberId: string) => {
    if (memberId === groupId) throw badRequest('A group cannot be a member of itself.');
    if (isMember(groupId, memberId)) throw badRequest("One or more added object references already exist for the following modified properties: 'members'.");
    let set = members.get(groupId);
    if (!set) members.set(groupId, (set = new Set()));
    set.add(memberId);
    recordMember(groupId, memberId, true, typeOf(memberId));
  };
  const removeMember = (groupId: string, memberId: string) => {
    if (!isMember(groupId, memberId)) throw notFound(memberId);
    members.get(groupId)!.delete(memberId);
    recordMember(groupId, memberId, false, typeOf(memberId));
  };
  const membersList = (key: string, ctx: Ctx): Reply => {
    const { id } = groupOf(key);
    const top = pageSize(ctx.query, 100);
    const select = parseSelect(ctx.query.get('$select'), new Map([...USER_NAMES, ...GROUP_NAMES]), 'directoryObject');
    const fp = fingerprint(['members', id]);
    const after = listAfter(ctx.query, fp);
    const all = [...(members.peek(id) ?? [])].sort();
    const start = after === undefined ? 0 : all.findIndex((k) => k > after);
    const rest = start < 0 ? [] : all.slice(start);
    const keys = rest.slice(0, top);
    const body: Record<string, unknown> = { '@odata.context': context('directoryObjects') };
    if (rest.length > top) body['@odata.nextLink'] = linkWith(ctx.path, ctx.query, { $skiptoken: listToken(keys[keys.length - 1]!, fp) });
    body.value = keys.map((mid) => directoryObjectOut(mid, select));
    return { status: 200, body };
  };

  // --- delta ------------------------------------------------------------------------------------------
  const resync = () =>
    expiredDeltaStatus === 410
      ? new GraphError(
          410,
          'resyncRequired',
          'Resync required. Replace any local cached copies of the collection with the versions from the server by restarting the initial delta query without a delta or skip token.',
        )
      : new GraphError(
          400,
          'syncStateNotFound',
          'The sync state for this delta token was not found or has expired. Restart the initial delta query without a delta or skip token.',
        );
  const readDeltaToken = (raw: string, kind: 'u' | 'g'): DeltaState => {
    const state = unseal(raw) as DeltaState | undefined;
    if (!isObject(state) || state.k !== kind || state.e !== epoch || typeof state.t !== 'number' || Date.now() - state.t > deltaTtl || state.b > version)
      throw resync();
    return state;
  };
  const deltaPage = (kind: 'u' | 'g', ctx: Ctx): Reply => {
    const { query, headers } = ctx;
    const names = kind === 'u' ? USER_NAMES : GROUP_NAMES;
    const typeName = kind === 'u' ? 'user' : 'group';
    const entity = kind === 'u' ? 'users' : 'groups';
    const prefer = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(headers.prefer ?? '')?.[1];
    const skip = query.get('$skiptoken');
    const deltaToken = query.get('$deltatoken');
    let state: DeltaState;
    if (skip) state = readDeltaToken(skip, kind);
    else if (deltaToken && deltaToken !== 'latest') {
      const link = readDeltaToken(deltaToken, kind);
      state = { ...link, m: 'c', c: link.b, t: Date.now() };
    } else {
      const select = query.get('$select') ?? '';
      parseSelect(select, names, typeName, kind === 'g' ? ['members'] : []);
      state = { k: kind, m: 'i', b: version, s: select, n: 100, e: epoch, t: Date.now() };
    }
    let size = prefer ? Number(prefer) : query.get('$top') ? pageSize(query, state.n) : state.n;
    size = Math.min(999, Math.max(1, size));
    const select = parseSelect(state.s || null, names, typeName, kind === 'g' ? ['members'] : []);
    const withMembers = kind === 'g' && (!select || select.includes('members'));
    const base = state.b;
    const body: Record<string, unknown> = { '@odata.context': contextFor(entity, select) };
    const value: Array<Record<string, unknown>> = [];
    const out = (_id: string, v: any) => (kind === 'u' ? userOut(v, select, null) : groupOut(v, select, null));
    const memberDelta = (gid: string, since: number | null): Array<Record<string, unknown>> => {
      if (since === null) return [...(members.peek(gid) ?? [])].map((mid) => ({ '@odata.type': typeOf(mid), id: mid }));
      const changes = memberChanges.get(gid);
      const list: Array<Record<string, unknown>> = [];
      if (changes)
        for (const [mid, c] of changes)
          if (c.v > since) list.push(c.added ? { '@odata.type': c.type, id: mid } : { '@odata.type': c.type, id: mid, '@removed': { reason: 'deleted' } });
      return list;
    };
    let next: DeltaState | undefined;
    if (deltaToken === 'latest' && !skip) {
      // "Sync from now": no data, a delta link at the current version.
    } else if (state.m === 'i') {
      const store = kind === 'u' ? users : groups;
      // A large group's members@delta comes in parts: the group is repeated (id and the next part only).
      const part = (id: string, from: number): { list: Array<Record<string, unknown>>; rest: boolean } => {
        const all = memberDelta(id, null);
        return { list: all.slice(from, from + membersPerPage), rest: all.length > from + membersPerPage };
      };
      let split: number | undefined;
      if (withMembers && state.a !== undefined && state.o !== undefined && groups.peek(state.a)) {
        const { list, rest } = part(state.a, state.o);
        value.push({ '@odata.type': '#microsoft.graph.group', id: state.a, 'members@delta': list });
        if (rest) split = state.o + membersPerPage;
      }
      if (split !== undefined) next = { ...state, o: split, n: size, t: Date.now() };
      else {
        const { keys, more } = store.page(state.a, Math.max(1, size - value.length));
        let last: string | undefined;
        for (const id of keys) {
          const item = out(id, store.peek(id));
          last = id;
          if (withMembers) {
            const { list, rest } = part(id, 0);
            item['members@delta'] = list;
            if (rest) split = membersPerPage;
          }
          value.push(item);
          if (split !== undefined) break;
        }
        if (last !== undefined && (split !== undefined || more)) next = { ...state, a: last, o: split, n: size, t: Date.now() };
      }
    } else {
      const log = logs[kind];
      let lo = 0;
      let hi = log.versions.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (log.versions[mid]! <= state.c!) lo = mid + 1;
        else hi = mid;
      }
      let pos = lo;
      let cursor = state.c!;
      const live = () => {
        while (pos < log.versions.length && log.last.get(log.ids[pos]!) !== log.versions[pos]) cursor = log.versions[pos++]!;
      };
      live();
      while (pos < log.versions.length && value.length < size) {
        const id = log.ids[pos]!;
        cursor = log.versions[pos++]!;
        const v = kind === 'u' ? users.peek(id) : groups.peek(id);
        if (!v) value.push({ id, '@removed': { reason: kind === 'u' ? 'changed' : 'deleted' } });
        else if (kind === 'u') value.push(out(id, v));
        else {
          const propsChanged = (groupPropsVersion.get(id) ?? 0) > base;
          const delta = withMembers ? memberDelta(id, base) : [];
          if (propsChanged) {
            const item = out(id, v);
            if (withMembers && delta.length) item['members@delta'] = delta;
            value.push(item);
          } else if (delta.length) value.push({ '@odata.type': '#microsoft.graph.group', id, 'members@delta': delta });
        }
        live();
      }
      if (pos < log.versions.length) next = { ...state, c: cursor, n: size, t: Date.now() };
      else state = { ...state, b: Math.max(cursor, base) };
    }
    if (next) body['@odata.nextLink'] = `${v1()}/${entity}/delta?$skiptoken=${seal(next)}`;
    else {
      const b = deltaToken === 'latest' && !skip ? version : state.m === 'i' ? base : state.b;
      body['@odata.deltaLink'] =
        `${v1()}/${entity}/delta?$deltatoken=${seal({ k: kind, m: 'd', b, s: state.s, n: size, e: epoch, t: Date.now() } satisfies DeltaState)}`;
    }
    body.value = value;
    return { status: 200, body, headers: prefer ? { 'Preference-Applied': `odata.maxpagesize=${size}` } : {} };
  };

  // --- organization, skus, roles ------------------------------------------------------------------------
  const organization = () => ({
    id: tenantId,
    displayName: 'Helios Simulated Tenant',
    countryLetterCode: 'US',
    createdDateTime: '2019-12-31T00:00:00Z',
    preferredLanguage: 'en',
    tenantType: 'AAD',
    verifiedDomains: [
      { capabilities: 'Email, OfficeCommunicationsOnline', isDefault: true, isInitial: false, name: domain, type: 'Managed' },
      { capabilities: 'Email, OfficeCommunicationsOnline', isDefault: false, isInitial: true, name: initialDomain, type: 'Managed' },
    ],
    assignedPlans: [],
    technicalNotificationMails: [adminUpn],
  });
  const roleOf = (seg: string) => {
    const byTemplate = /^directoryRoles\(roleTemplateId='([^']+)'\)$/i.exec(seg)?.[1];
    const role = byTemplate ? directoryRoles.find((r) => r.template === lower(byTemplate)) : directoryRoles.find((r) => r.id === lower(seg));
    if (!role) throw notFound(byTemplate ?? seg);
    return role;
  };
  const roleOut = (r: (typeof directoryRoles)[number]) => ({
    id: r.id,
    deletedDateTime: null,
    description: r.description,
    displayName: r.displayName,
    roleTemplateId: r.template,
  });

  // --- routing ----------------------------------------------------------------------------------------
  const denied = () => new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  const ok = (body: unknown): Reply => ({ status: 200, body });
  const noContent: Reply = { status: 204 };
  const U = GRAPH_REQUEST_UNIT_COSTS;
  const listUsers = (ctx: Ctx) => {
    checkQueryOptions(ctx.query, ['$top', '$select', '$filter', '$expand', '$skiptoken', '$count']);
    const select = parseSelect(ctx.query.get('$select'), USER_NAMES, 'user');
    const expand = parseExpand(ctx.query.get('$expand'), 'manager', 'user');
    const reply = listStore(users, ctx, {
      entity: 'users',
      typeName: 'user',
      names: USER_NAMES,
      lookupProps: ['id', 'userPrincipalName', 'mail'],
      out: (u) => userOut(u, select, expand),
    });
    (reply.body as any)['@odata.context'] = contextFor('users', select);
    return reply;
  };
  const listGroups = (ctx: Ctx) => {
    checkQueryOptions(ctx.query, ['$top', '$select', '$filter', '$expand', '$skiptoken', '$count']);
    const select = parseSelect(ctx.query.get('$select'), GROUP_NAMES, 'group');
    const expand = parseExpand(ctx.query.get('$expand'), 'members', 'group');
    const reply = listStore(groups, ctx, {
      entity: 'groups',
      typeName: 'group',
      names: GROUP_NAMES,
      lookupProps: ['id', 'mailNickname', 'mail'],
      out: (g) => groupOut(g, select, expand),
    });
    (reply.body as any)['@odata.context'] = contextFor('groups', select);
    return reply;
  };
  const normalize = (seg: string) => seg.replace(/^microsoft\.graph\./, '').replace(/\(\)$/, '');
  const resolve = (method: string, raw: string[]): Route | { error: GraphError } => {
    const segs = raw.map(normalize);
    const [top, a, b, c, d] = segs;
    const n = segs.length;
    const r = (name: string, roles: readonly string[], units: number, run: (ctx: Ctx) => Reply): Route => ({ name, roles, units, run });
    const wrongMethod = { error: new GraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.') };
    if (top === 'organization') {
      if (method !== 'GET') return wrongMethod;
      if (n === 1) return r('organization', ROLES_FOR.org, U.other, () => ok({ '@odata.context': context('organization'), value: [organization()] }));
      if (n === 2)
        return r('organization.get', ROLES_FOR.org, U.other, () => {
          if (lower(a) !== tenantId) throw notFound(a!);
          return ok({ '@odata.context': context('organization/$entity'), ...organization() });
        });
    }
    if (top === 'users') {
      if (n === 1) {
        if (method === 'GET') return r('users.list', ROLES_FOR.usersRead, U.users, listUsers);
        if (method === 'POST') return r('users.create', ROLES_FOR.usersWrite, U.other, usersCreate);
        return wrongMethod;
      }
      if (n === 2 && a === 'delta') {
        if (method !== 'GET') return wrongMethod;
        return r('users.delta', ROLES_FOR.usersRead, U.other, (ctx) => {
          checkQueryOptions(ctx.query, ['$select', '$top', '$skiptoken', '$deltatoken', '$filter']);
          if (ctx.query.get('$filter')) throw unsupported();
          return deltaPage('u', ctx);
        });
      }
      if (n === 2) {
        if (method === 'GET')
          return r('users.get', ROLES_FOR.usersRead, U.other, (ctx) => {
            checkQueryOptions(ctx.query, ['$select', '$expand']);
            const select = parseSelect(ctx.query.get('$select'), USER_NAMES, 'user');
            const expand = parseExpand(ctx.query.get('$expand'), 'manager', 'user');
            const { user } = userOf(a!);
            return ok({ '@odata.context': contextFor('users', select, true), ...userOut(user, select, expand) });
          });
        if (method === 'PATCH') return r('users.update', [...ROLES_FOR.usersWrite, ...ROLES_FOR.password], U.other, (ctx) => usersUpdate(a!, ctx));
        if (method === 'DELETE')
          return r('users.delete', ROLES_FOR.usersWrite, U.other, () => {
            removeUser(userOf(a!).id);
            return noContent;
          });
        return wrongMethod;
      }
      if (b === 'manager') {
        if (n === 3 && method === 'GET')
          return r('users.manager', ROLES_FOR.usersRead, U.other, (ctx) => {
            const select = parseSelect(ctx.query.get('$select'), USER_NAMES, 'user');
            const mid = managerOf(userOf(a!).id);
            const manager = mid === undefined ? undefined : users.peek(mid);
            if (!manager) throw notFound('manager');
            return ok({
              '@odata.context': context('directoryObjects/$entity'),
              '@odata.type': '#microsoft.graph.user',
              ...project(manager, select, USER_DEFAULT),
            });
          });
        if (n === 4 && c === '$ref' && method === 'PUT')
          return r('users.manager.set', ROLES_FOR.usersWrite, U.other, (ctx) => {
            const { id } = userOf(a!);
            const target = refTarget(isObject(ctx.body) ? ctx.body['@odata.id'] : undefined);
            if (target === id || !users.has(target)) throw badRequest('Invalid manager reference.');
            managers.set(id, target);
            recordUser(id);
            return noContent;
          });
        if (n === 4 && c === '$ref' && method === 'DELETE')
          return r('users.manager.remove', ROLES_FOR.usersWrite, U.other, () => {
            const { id } = userOf(a!);
            if (managerOf(id) === undefined) throw notFound('manager');
            managers.set(id, null);
            recordUser(id);
            return noContent;
          });
        return wrongMethod;
      }
      if (n === 3 && b === 'memberOf') {
        if (method !== 'GET') return wrongMethod;
        return r('users.memberOf', [...ROLES_FOR.usersRead, ...ROLES_FOR.groupsRead], U.other, (ctx) => {
          const { id } = userOf(a!);
          const select = parseSelect(ctx.query.get('$select'), GROUP_NAMES, 'group');
          const value: Array<Record<string, unknown>> = groupsContaining(id)
            .sort()
            .map((gid) => ({ '@odata.type': '#microsoft.graph.group', ...project(groups.peek(gid)!, select, null) }));
          for (const role of directoryRoles)
            if (roleMembers.get(role.id)?.has(id)) value.push({ '@odata.type': '#microsoft.graph.directoryRole', ...roleOut(role) });
          return ok({ '@odata.context': context('directoryObjects'), value });
        });
      }
      if (n === 3 && b === 'revokeSignInSessions') {
        if (method !== 'POST') return wrongMethod;
        return r('users.revokeSignInSessions', ROLES_FOR.revoke, U.other, () => {
          const { id } = userOf(a!);
          revokedSessions.set(id, Date.now());
          return ok({ '@odata.context': context('Edm.Boolean'), value: true });
        });
      }
      if (n === 3 && b === 'assignLicense') {
        if (method !== 'POST') return wrongMethod;
        return r('users.assignLicense', ROLES_FOR.license, U.other, (ctx) => assignLicense(a!, ctx));
      }
    }
    if (top === 'groups') {
      if (n === 1) {
        if (method === 'GET') return r('groups.list', ROLES_FOR.groupsRead, U.other, listGroups);
        if (method === 'POST') return r('groups.create', ROLES_FOR.groupsCreate, U.other, groupsCreate);
        return wrongMethod;
      }
      if (n === 2 && a === 'delta') {
        if (method !== 'GET') return wrongMethod;
        return r('groups.delta', ROLES_FOR.groupsRead, U.other, (ctx) => {
          checkQueryOptions(ctx.query, ['$select', '$top', '$skiptoken', '$deltatoken', '$filter', '$expand']);
          if (ctx.query.get('$filter') || ctx.query.get('$expand')) throw unsupported();
          return deltaPage('g', ctx);
        });
      }
      if (n === 2) {
        if (method === 'GET')
          return r('groups.get', ROLES_FOR.groupsRead, U.other, (ctx) => {
            checkQueryOptions(ctx.query, ['$select', '$expand']);
            const select = parseSelect(ctx.query.get('$select'), GROUP_NAMES, 'group');
            const expand = parseExpand(ctx.query.get('$expand'), 'members', 'group');
            return ok({ '@odata.context': contextFor('groups', select, true), ...groupOut(groupOf(a!).group, select, expand) });
          });
        if (method === 'PATCH') return r('groups.update', ROLES_FOR.groupsWrite, U.other, (ctx) => groupsUpdate(a!, ctx));
        if (method === 'DELETE')
          return r('groups.delete', ROLES_FOR.groupsWrite, U.other, () => {
            removeGroup(groupOf(a!).id);
            return noContent;
          });
        return wrongMethod;
      }
      if (b === 'members') {
        if (n === 3 && method === 'GET') return r('groups.members', ROLES_FOR.groupsRead, U.groupMembers, (ctx) => membersList(a!, ctx));
        if (n === 4 && c === '$ref' && method === 'POST')
          return r('groups.members.add', ROLES_FOR.membersWrite, U.other, (ctx) => {
            const { id } = groupOf(a!);
            if (!isObject(ctx.body) || typeof ctx.body['@odata.id'] !== 'string') throw badRequest("Invalid value specified for property '@odata.id'.");
            addMember(id, refTarget(ctx.body['@odata.id']));
            return noContent;
          });
        if (n === 5 && d === '$ref' && method === 'DELETE')
          return r('groups.members.remove', ROLES_FOR.membersWrite, U.other, () => {
            removeMember(groupOf(a!).id, lower(c));
            return noContent;
          });
        return wrongMethod;
      }
    }
    if (top === 'subscribedSkus') {
      if (method !== 'GET') return wrongMethod;
      if (n === 1)
        return r('subscribedSkus', ROLES_FOR.skus, U.subscribedSkus, () => ok({ '@odata.context': context('subscribedSkus'), value: [...skus.values()] }));
      if (n === 2)
        return r('subscribedSkus.get', ROLES_FOR.skus, U.other, () => {
          const sku = [...skus.values()].find((s) => s.id === a || s.skuId === lower(a));
          if (!sku) throw notFound(a!);
          return ok({ '@odata.context': context('subscribedSkus/$entity'), ...sku });
        });
    }
    if (top === 'directoryRoles' || /^directoryRoles\(/i.test(raw[0] ?? '')) {
      if (method !== 'GET') return wrongMethod;
      const byTemplate = top !== 'directoryRoles';
      const roleSeg = byTemplate ? raw[0]! : a;
      const rest = byTemplate ? segs.slice(1) : segs.slice(2);
      if (!byTemplate && n === 1)
        return r('directoryRoles.list', ROLES_FOR.roles, U.other, () =>
          ok({ '@odata.context': context('directoryRoles'), value: directoryRoles.map(roleOut) }),
        );
      if (roleSeg && rest.length === 0)
        return r('directoryRoles.get', ROLES_FOR.roles, U.other, () =>
          ok({ '@odata.context': context('directoryRoles/$entity'), ...roleOut(roleOf(roleSeg)) }),
        );
      if (roleSeg && rest.length === 1 && rest[0] === 'members')
        return r('directoryRoles.members', ROLES_FOR.roles, U.other, (ctx) => {
          const role = roleOf(roleSeg);
          const select = parseSelect(ctx.query.get('$select'), USER_NAMES, 'user');
          const value = [...(roleMembers.get(role.id) ?? [])].filter((id) => users.has(id)).map((id) => directoryObjectOut(id, select));
          return ok({ '@odata.context': context('directoryObjects'), value });
        });
    }
    if (top === 'directory' && a === 'deletedItems') {
      if (n === 3 && b === 'user' && method === 'GET')
        return r('deletedItems.users', ROLES_FOR.usersRead, U.other, (ctx) => {
          const reply = listStore(deletedUsers, ctx, {
            entity: 'users',
            typeName: 'user',
            names: USER_NAMES,
            lookupProps: ['id'],
            out: (u) => project(u, null, null),
          });
          (reply.body as any)['@odata.context'] = context('directory/deletedItems/microsoft.graph.user');
          return reply;
        });
      if (n === 3 && method === 'GET')
        return r('deletedItems.get', ROLES_FOR.usersRead, U.other, () => {
          const user = deletedUsers.peek(lower(b));
          if (!user) throw notFound(b!);
          return ok({ '@odata.context': context('directory/deletedItems/$entity'), '@odata.type': '#microsoft.graph.user', ...user });
        });
      if (n === 3 && method === 'DELETE')
        return r('deletedItems.delete', ROLES_FOR.usersWrite, U.other, () => {
          if (!deletedUsers.delete(lower(b))) throw notFound(b!);
          return noContent;
        });
    }
    return { error: badRequest(`Resource not found for the segment '${raw[n - 1] ?? ''}'.`, 'BadRequest') };
  };

  // --- request pipeline ---------------------------------------------------------------------------------
  const errorBody = (error: GraphError, requestId: string, clientRequestId: string) => ({
    error: {
      code: error.code,
      message: error.message,
      innerError: { date: new Date().toISOString().replace(/\.\d{3}Z$/, ''), 'request-id': requestId, 'client-request-id': clientRequestId },
    },
  });
  const faultError = (kind: GraphFaultKind): GraphError => {
    const retryAfter = String(faults?.retryAfter ?? 1);
    switch (kind) {
      case '429':
        return new GraphError(429, 'TooManyRequests', 'Too many requests. Retry after the number of seconds in the Retry-After header.', {
          'Retry-After': retryAfter,
        });
      case '500':
        return new GraphError(500, 'generalException', 'General exception while processing.');
      case '503':
        return new GraphError(503, 'serviceNotAvailable', 'The service is temporarily unavailable. Please try again later.', { 'Retry-After': retryAfter });
      case 'timeout':
      case '504':
        return new GraphError(504, 'UnknownError', 'The request timed out at the gateway.');
      default:
        return new GraphError(502, 'UnknownError', 'The connection to the backend was reset.');
    }
  };
  /** Authenticates a bearer token: the roles it may use now, or the error to answer. */
  const authenticate = (authorization: string | undefined): Set<string> | GraphError => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    const unauthorized = (message: string) =>
      new GraphError(401, 'InvalidAuthenticationToken', message, {
        'WWW-Authenticate': `Bearer realm="", authorization_uri="${LOGIN_HOST}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
      });
    if (!bearer) return unauthorized('Access token is empty.');
    const token = verifyAccessToken(bearer);
    if (typeof token === 'string') return unauthorized(token);
    if (token.tid !== tenantId || token.appid !== clientId) return unauthorized('Access token validation failure. Invalid audience.');
    return new Set(token.roles.filter((r) => consented?.has(r)));
  };
  /** Runs one Graph request (a top-level one or a `$batch` sub-request) through faults, auth, throttling and its route. */
  const execute = (req: {
    method: string;
    path: string;
    query: URLSearchParams;
    headers: Record<string, string>;
    body: unknown;
    bodyError?: GraphError;
    authorization: string | undefined;
    inBatch: boolean;
  }): Outcome => {
    let segs: string[];
    try {
      segs = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      segs = ['%'];
    }
    const resolved = resolve(req.method, segs);
    const route = 'error' in resolved ? undefined : resolved;
    count(route?.name ?? 'unknown');
    if (!route) return { status: (resolved as { error: GraphError }).error.status, body: (resolved as { error: GraphError }).error };
    const fault = drawFault();
    if (fault) {
      requests.faultsInjected++;
      if (!req.inBatch && (fault === 'timeout' || fault === 'reset')) return { fault };
      const error = faultError(fault);
      return { status: error.status, body: error, headers: error.headers };
    }
    const roles = authenticate(req.authorization);
    if (roles instanceof GraphError) return { status: roles.status, body: roles, headers: roles.headers };
    if (!route.roles.some((r) => roles.has(r))) return { status: 403, body: denied() };
    let units = route.units;
    if (req.query.get('$select')) units--;
    const top = req.query.get('$top');
    if (top !== null && Number(top) < 20) units--;
    if (req.query.get('$expand')) units++;
    units = Math.max(1, units);
    const refused = charge(units, req.method !== 'GET');
    if (refused) {
      requests.throttled++;
      const error = new GraphError(429, 'TooManyRequests', 'Too many requests. Retry after the number of seconds in the Retry-After header.', {
        'Retry-After': String(refused.wait),
        'x-ms-throttle-scope': `Tenant_Application/${refused.limit}/${clientId}/${tenantId}`,
        'x-ms-throttle-information': refused.reason,
      });
      return { status: 429, body: error, headers: error.headers };
    }
    if (req.bodyError) return { status: req.bodyError.status, body: req.bodyError };
    try {
      const reply = route.run({ query: req.query, body: req.body, headers: req.headers, roles, path: segs.join('/') });
      return { ...reply, headers: { ...(reply.headers ?? {}), 'x-ms-resource-unit': String(units) } };
    } catch (error) {
      if (error instanceof GraphError) return { status: error.status, body: error, headers: error.headers };
      throw error;
    }
  };
  /** The wire body of an outcome (errors in Graph's envelope). */
  const wireBody = (reply: Reply, requestId: string, clientRequestId: string) =>
    reply.body instanceof GraphError ? errorBody(reply.body, requestId, clientRequestId) : reply.body;

  const runBatch = (body: unknown, authorization: string | undefined): Reply => {
    if (!isObject(body) || !Array.isArray(body.requests)) return { status: 400, body: badRequest('Invalid batch payload format.', 'BadRequest') };
    if (body.requests.length > MAX_BATCH) return { status: 400, body: badRequest('Number of requests inside batch exceeds the limit.', 'BadRequest') };
    const ids = new Set<string>();
    for (const sub of body.requests) {
      if (!isObject(sub) || sub.id === undefined || !sub.method || !sub.url)
        return { status: 400, body: badRequest('Invalid batch payload format: every request needs id, method and url.', 'BadRequest') };
      if (ids.has(String(sub.id))) return { status: 400, body: badRequest('Batch request contains duplicate ids.', 'BadRequest') };
      ids.add(String(sub.id));
    }
    const dependsOn = new Map<string, string[]>();
    for (const sub of body.requests as Array<Record<string, any>>) {
      if (sub.dependsOn === undefined) continue;
      if (!Array.isArray(sub.dependsOn) || sub.dependsOn.some((d: unknown) => !ids.has(String(d)) || String(d) === String(sub.id)))
        return { status: 400, body: badRequest(`Request id : ${String(sub.id)} has an invalid dependsOn.`, 'BadRequest') };
      dependsOn.set(String(sub.id), sub.dependsOn.map(String));
    }
    // Dependencies first (Graph runs a request after the ones it depends on); a cycle is refused.
    const order: Array<Record<string, any>> = [];
    const placed = new Set<string>();
    let remaining = body.requests as Array<Record<string, any>>;
    while (remaining.length > 0) {
      const ready = remaining.filter((sub) => (dependsOn.get(String(sub.id)) ?? []).every((d) => placed.has(d)));
      if (ready.length === 0) return { status: 400, body: badRequest('Batch request has circular dependsOn.', 'BadRequest') };
      for (const sub of ready) {
        order.push(sub);
        placed.add(String(sub.id));
      }
      remaining = remaining.filter((sub) => !placed.has(String(sub.id)));
    }
    const statusOf = new Map<string, number>();
    const responses = order.map((sub: Record<string, any>) => {
      const id = String(sub.id);
      if ((dependsOn.get(id) ?? []).some((d) => (statusOf.get(d) ?? 0) >= 400)) {
        statusOf.set(id, 424);
        const requestId = randomUUID();
        return {
          id,
          status: 424,
          headers: { 'Cache-Control': 'no-cache', 'OData-Version': '4.0', 'Content-Type': JSON_TYPE },
          body: errorBody(new GraphError(424, 'FailedDependency', 'Dependent request failed.'), requestId, requestId),
        };
      }
      const headers: Record<string, string> = {};
      if (isObject(sub.headers)) for (const [k, v] of Object.entries(sub.headers)) headers[k.toLowerCase()] = String(v);
      const requestId = randomUUID();
      const clientRequestId = headers['client-request-id'] ?? requestId;
      let url = String(sub.url);
      const abs = /^https?:\/\/[^/]+\/v1\.0(\/.*)?$/i.exec(url);
      if (abs) url = abs[1] ?? '/';
      url = url.replace(/^\/?(v1\.0\/)?/i, '');
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
      let bodyError: GraphError | undefined;
      let subBody: unknown = sub.body;
      if (sub.body !== undefined && !headers['content-type'])
        bodyError = badRequest(`Write request id : ${id} does not contain Content-Type header or body.`, 'BadRequest');
      if (typeof subBody === 'string' && lower(headers['content-type']).includes('json')) {
        try {
          subBody = JSON.parse(subBody);
        } catch {
          bodyError = badRequest('Unable to read JSON request payload.', 'BadRequest');
        }
      }
      const outcome = execute({
        method: String(sub.method).toUpperCase(),
        path,
        query,
        headers,
        body: subBody,
        bodyError,
        authorization,
        inBatch: true,
      }) as Reply;
      const outHeaders: Record<string, string> = { 'Cache-Control': 'no-cache', 'OData-Version': '4.0', ...(outcome.headers ?? {}) };
      if (outcome.body !== undefined) outHeaders['Content-Type'] = JSON_TYPE;
      const item: Record<string, unknown> = { id, status: outcome.status, headers: outHeaders };
      if (outcome.body !== undefined) item.body = wireBody(outcome, requestId, clientRequestId);
      statusOf.set(id, outcome.status);
      return item;
    });
    // Graph answers in any order: clients must match responses by id.
    for (let k = responses.length - 1; k > 0; k--) {
      const j = Math.floor(batchRandom() * (k + 1));
      [responses[k], responses[j]] = [responses[j]!, responses[k]!];
    }
    return { status: 200, body: { responses } };
  };

  // --- identity platform -------------------------------------------------------------------------------
  const knownTenant = (t: string) => {
    const l = lower(t);
    return l === tenantId || l === domain || l === initialDomain;
  };
  const aadError = (res: ServerResponse, status: number, error: string, code: number, description: string, correlationId: string) => {
    const traceId = randomUUID();
    const timestamp = new Date()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d{3}Z$/, 'Z');
    sendJson(
      res,
      status,
      {
        error,
        error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
        error_codes: [code],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
        error_uri: `${loginRoot}/error?code=${code}`,
      },
      { 'cache-control': 'no-store, no-cache', pragma: 'no-cache', 'x-ms-request-id': traceId },
    );
  };
  const tenantNotFound = (tenant: string) =>
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`;
  const tokenEndpoint = (req: IncomingMessage, tenant: string, text: string, res: ServerResponse) => {
    const correlationId = String(req.headers['client-request-id'] ?? new URL(req.url ?? '/', 'http://x').searchParams.get('client-request-id') ?? randomUUID());
    if (!knownTenant(tenant)) return aadError(res, 400, 'invalid_request', 90002, tenantNotFound(tenant), correlationId);
    const form = new URLSearchParams(text);
    const grantType = form.get('grant_type');
    if (!grantType) return aadError(res, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.", correlationId);
    if (grantType !== 'client_credentials')
      return aadError(res, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.', correlationId);
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    if (basic) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const cut = decoded.indexOf(':');
      id = id ?? decodeURIComponent(decoded.slice(0, cut));
      secret = secret ?? decodeURIComponent(decoded.slice(cut + 1));
    }
    if (!id) return aadError(res, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.", correlationId);
    if (lower(id) !== clientId)
      return aadError(
        res,
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${id}' was not found in the directory 'Helios Simulated Tenant'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
        correlationId,
      );
    if (!secret && !form.get('client_assertion'))
      return aadError(
        res,
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        correlationId,
      );
    if (secret !== clientSecret)
      return aadError(
        res,
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        correlationId,
      );
    const scope = (form.get('scope') ?? '').trim();
    if (!scope) return aadError(res, 400, 'invalid_scope', 70011, "The provided request must include a 'scope' input parameter.", correlationId);
    const scopes = scope.split(/\s+/);
    if (scopes.length !== 1 || !scopes[0]!.endsWith('/.default'))
      return aadError(
        res,
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scopes.find((s) => !s.endsWith('/.default')) ?? scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        correlationId,
      );
    const resource = scopes[0]!.slice(0, -'/.default'.length).replace(/\/$/, '');
    if (resource !== GRAPH_HOST && resource !== GRAPH_APP_ID && resource !== 'https://graph.microsoft.com/v1.0')
      return aadError(
        res,
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${resource} was not found in the tenant named Helios Simulated Tenant. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
        correlationId,
      );
    requests.tokensIssued++;
    return sendJson(
      res,
      200,
      { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: issueAccessToken() },
      { 'cache-control': 'no-store, no-cache', pragma: 'no-cache', 'client-request-id': correlationId, 'x-ms-request-id': randomUUID() },
    );
  };
  const openidConfiguration = (tenant: string) => {
    const t = ['common', 'organizations'].includes(lower(tenant)) ? lower(tenant) : tenantId;
    const issuerTenant = t === tenantId ? tenantId : '{tenantid}';
    return {
      token_endpoint: `${loginRoot}/${t}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${loginRoot}/${t}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${loginRoot}/${issuerTenant}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${GRAPH_HOST}/oidc/userinfo`,
      authorization_endpoint: `${loginRoot}/${t}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${loginRoot}/${t}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${loginRoot}/${t}/oauth2/v2.0/logout`,
      claims_supported: [
        'sub',
        'iss',
        'cloud_instance_name',
        'cloud_instance_host_name',
        'cloud_graph_host_name',
        'msgraph_host',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'acr',
        'nonce',
        'preferred_username',
        'name',
        'tid',
        'ver',
        'at_hash',
        'c_hash',
        'email',
      ],
      kerberos_endpoint: `${loginRoot}/${t}/kerberos`,
      tenant_region_scope: 'NA',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    };
  };
  const instanceDiscovery = (query: URLSearchParams) => {
    const endpoint = query.get('authorization_endpoint') ?? '';
    const tenant = /^https?:\/\/[^/]+\/([^/]+)\//.exec(endpoint)?.[1] ?? 'common';
    const host = new URL(loginRoot).host;
    const aliases =
      host === 'login.microsoftonline.com' ? ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'] : [host];
    return {
      tenant_discovery_endpoint: `${loginRoot}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host === 'login.microsoftonline.com' ? 'login.windows.net' : host, aliases }],
    };
  };
  const identity = (req: IncomingMessage, url: URL, text: string, res: ServerResponse): boolean => {
    const segs = url.pathname.split('/').filter(Boolean);
    const method = (req.method ?? 'GET').toUpperCase();
    const correlationId = String(req.headers['client-request-id'] ?? randomUUID());
    if (segs.length === 4 && segs[1] === 'oauth2' && segs[2] === 'v2.0' && segs[3] === 'token') {
      count('token');
      if (method !== 'POST') {
        aadError(res, 405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.', correlationId);
        return true;
      }
      tokenEndpoint(req, segs[0]!, text, res);
      return true;
    }
    const wellKnown =
      (segs.length === 4 && segs[1] === 'v2.0' && segs[2] === '.well-known' && segs[3] === 'openid-configuration') ||
      (segs.length === 3 && segs[1] === '.well-known' && segs[2] === 'openid-configuration');
    if (wellKnown && method === 'GET') {
      count('openidConfiguration');
      if (!knownTenant(segs[0]!) && !['common', 'organizations'].includes(lower(segs[0]))) {
        aadError(res, 400, 'invalid_tenant', 90002, tenantNotFound(segs[0]!), correlationId);
        return true;
      }
      sendJson(res, 200, openidConfiguration(segs[0]!), { 'cache-control': 'max-age=86400, private' });
      return true;
    }
    if (segs.length === 4 && segs[1] === 'discovery' && segs[2] === 'v2.0' && segs[3] === 'keys' && method === 'GET') {
      count('jwks');
      sendJson(res, 200, { keys: [] });
      return true;
    }
    if (segs.length === 3 && lower(segs[0]) === 'common' && segs[1] === 'discovery' && segs[2] === 'instance' && method === 'GET') {
      count('instanceDiscovery');
      sendJson(res, 200, instanceDiscovery(url.searchParams));
      return true;
    }
    return false;
  };

  // --- server ---------------------------------------------------------------------------------------
  const sendReset = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': '65536' });
    res.write('{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","value":[{"id":"', () => {
      const socket = res.socket as (NonNullable<typeof res.socket> & { resetAndDestroy?: () => void }) | null;
      if (socket?.resetAndDestroy) socket.resetAndDestroy();
      else socket?.destroy();
    });
  };
  const holdOpen = (res: ServerResponse) => {
    held.add(res);
    const timer = setTimeout(() => res.destroy(), 30_000);
    timer.unref();
    res.on('close', () => {
      clearTimeout(timer);
      held.delete(res);
    });
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    requests.total++;
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    if (!url.pathname.startsWith('/v1.0/') && url.pathname !== '/v1.0') {
      if (identity(req, url, text, res)) return;
      count('unknown');
      return sendJson(res, 404, { error: 'not_found', error_description: `No route for ${url.pathname}.` });
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const requestId = randomUUID();
    const clientRequestId = headers['client-request-id'] ?? requestId;
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.slice('/v1.0/'.length);
    let body: unknown;
    let bodyError: GraphError | undefined;
    if (text.trim()) {
      try {
        body = JSON.parse(text);
      } catch {
        bodyError = badRequest(
          'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
          'BadRequest',
        );
      }
    }
    const replyHeaders = (extra: Record<string, string> = {}) => ({
      'request-id': requestId,
      'client-request-id': clientRequestId,
      'x-ms-ags-diagnostic': '{"ServerInfo":{"DataCenter":"Simulated","Slice":"E","Ring":"5","ScaleUnit":"000","RoleInstance":"HELIOS-SIM"}}',
      'odata-version': '4.0',
      'cache-control': 'no-cache',
      'strict-transport-security': 'max-age=31536000',
      ...extra,
    });
    let outcome: Outcome;
    if (path === '$batch') {
      count('batch');
      const fault = drawFault();
      if (fault) {
        requests.faultsInjected++;
        if (fault === 'timeout' || fault === 'reset') outcome = { fault };
        else {
          const error = faultError(fault);
          outcome = { status: error.status, body: error, headers: error.headers };
        }
      } else if (method !== 'POST')
        outcome = { status: 405, body: new GraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.') };
      else {
        const roles = authenticate(headers.authorization);
        if (roles instanceof GraphError) outcome = { status: roles.status, body: roles, headers: roles.headers };
        else if (bodyError) outcome = { status: 400, body: bodyError };
        else outcome = runBatch(body, headers.authorization);
      }
    } else {
      outcome = execute({ method, path, query: url.searchParams, headers, body, bodyError, authorization: headers.authorization, inBatch: false });
    }
    if ('fault' in outcome) return outcome.fault === 'timeout' ? holdOpen(res) : sendReset(res);
    if (outcome.status === 204 || outcome.body === undefined) {
      res.writeHead(outcome.status, replyHeaders(outcome.headers));
      return res.end();
    }
    const out = JSON.stringify(wireBody(outcome, requestId, clientRequestId));
    res.writeHead(outcome.status, replyHeaders({ 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(out)), ...(outcome.headers ?? {}) }));
    res.end(out);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (res.headersSent) return res.destroy();
      const error = new GraphError(500, 'generalException', 'General exception while processing.');
      const id = randomUUID();
      sendJson(res, 500, errorBody(error, id, id));
    });
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolvePromise());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  if (options.links === 'local') {
    graphRoot = url;
    loginRoot = url;
  }

  const touchUser = (key: string, changes: Record<string, unknown>) => {
    const id = findUserId(key);
    const user = id === undefined ? undefined : users.peek(id);
    if (!user) throw new Error(`The Graph simulator has no user ${key}.`);
    users.set(id!, { ...structuredClone(user), ...changes, id: id! });
    recordUser(id!);
  };
  const userIdOrThrow = (key: string) => {
    const id = findUserId(key);
    if (id === undefined || !users.has(id)) throw new Error(`The Graph simulator has no user ${key}.`);
    return id;
  };
  const groupIdOrThrow = (key: string) => {
    if (!groups.has(key)) throw new Error(`The Graph simulator has no group ${key}.`);
    return key;
  };

  return {
    url,
    authorityHost: url,
    tokenUrl: `${url}/${tenantId}/oauth2/v2.0/token`,
    tenantId,
    clientId,
    clientSecret,
    state: { users, groups, members, skus, deletedUsers, passwords, revokedSessions },
    requests,
    setFaults,
    setThrottle,
    grantPermissions(roles) {
      consented = roles === null ? null : new Set(roles);
    },
    touchUser,
    deleteUser: (key) => removeUser(userIdOrThrow(key)),
    addGroupMember: (groupId, memberId) => addMember(groupIdOrThrow(groupId), groups.has(memberId) ? memberId : userIdOrThrow(memberId)),
    removeGroupMember: (groupId, memberId) => removeMember(groupIdOrThrow(groupId), groups.has(memberId) ? memberId : userIdOrThrow(memberId)),
    markChanged(kind, id) {
      if (kind === 'user') recordUser(id);
      else recordGroup(id);
    },
    expireDeltaLinks() {
      epoch++;
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

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

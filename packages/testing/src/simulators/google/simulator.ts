/**
 * A Google Workspace Directory API (Admin SDK, `admin/directory/v1`) simulator for tests: users,
 * groups, members and org units over HTTP on 127.0.0.1 in Google's JSON wire format, with the OAuth
 * 2.0 token endpoint for service accounts with domain-wide delegation (JWT bearer grant, RFC 7523),
 * deterministic seed data, injected faults and quota accounting.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  countRoute,
  FaultPlan,
  FixedWindow,
  HeldResponses,
  latency,
  parseJson,
  pathSegments,
  readBody,
  requestMethod,
  requestUrl,
  sendPartialThenReset,
  startServer,
} from '../http-kit';
import { GoogleAuth } from './auth';
import { resolveCalendarRoute } from './calendar';
import { createSuspensionCalls, recordSuspensionCall } from './calls';
import { resolveDataTransferRoute } from './datatransfer';
import { Directory } from './directory';
import { resolveDriveRoute } from './drive';
import {
  ApiError,
  backendError,
  badRequest,
  parseError,
  quotaMessage,
  sendError,
  sendGoogleJson,
  userRateLimited,
  VARY,
} from './errors';
import { resolveGmailRoute } from './gmail';
import { resolveLicensingRoute } from './licensing';
import { resolveMobileRoute } from './mobile';
import { stamp } from './paging';
import { parseFields, pick } from './query';
import { type Route, resolveRoute } from './router';
import { resolveSecurityRoute } from './security';
import type {
  GoogleDirectoryFaultKind,
  GoogleDirectoryQuota,
  GoogleDirectorySimulator,
  GoogleDirectorySimulatorOptions,
} from './types';
import { Workspace } from './workspace';
import { workspaceKit } from './workspace-kit';

const API_PREFIX = '/admin/directory/v1/';
const SECURITY = new Set(['tokens', 'asps', 'signOut']);
/** The other APIs on the same server, by path prefix. */
const APIS: Array<[string, (w: Workspace, method: string, segs: string[]) => Route | undefined]> = [
  ['/apps/licensing/v1/', resolveLicensingRoute],
  ['/admin/datatransfer/v1/', resolveDataTransferRoute],
  ['/drive/v3/', resolveDriveRoute],
  ['/gmail/v1/', resolveGmailRoute],
  ['/calendar/v3/', resolveCalendarRoute],
];
const DEFAULT_FAULTS: GoogleDirectoryFaultKind[] = [
  '429',
  '500',
  '503',
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'quotaExceeded',
];

/** Google's per-user quota of API calls: a fixed window; refused calls do not count. */
class Quota {
  private window: FixedWindow | null = null;

  set(q: GoogleDirectoryQuota | null | undefined): void {
    this.window = q
      ? new FixedWindow(
          Math.max(1, Math.floor(q.perMinute ?? 2400)),
          Math.max(0.001, q.windowSeconds ?? 60) * 1000,
        )
      : null;
  }

  /** Counts one call in the current window; false when the window's quota is used up. */
  take(): boolean {
    const w = this.window;
    if (!w) return true;
    w.roll(Date.now());
    if (w.used >= w.limit) return false;
    w.used += 1;
    return true;
  }
}

/** Answers an injected fault as the Directory API does (`timeout` holds the socket, `reset` drops it mid-body). */
function injectFault(
  kind: GoogleDirectoryFaultKind,
  res: ServerResponse,
  retryAfter: string,
  held: HeldResponses,
) {
  switch (kind) {
    case '429':
      return sendError(
        res,
        new ApiError(
          429,
          'Rate Limit Exceeded',
          'rateLimitExceeded',
          'usageLimits',
          {},
          { 'retry-after': retryAfter },
        ),
      );
    case '500':
      return sendError(res, backendError());
    case '503':
      return sendError(
        res,
        new ApiError(503, 'The service is currently unavailable.', 'backendError'),
      );
    case 'rateLimitExceeded':
      return sendError(
        res,
        new ApiError(403, 'Rate Limit Exceeded', 'rateLimitExceeded', 'usageLimits'),
      );
    case 'userRateLimitExceeded':
      return sendError(
        res,
        new ApiError(403, 'User Rate Limit Exceeded', 'userRateLimitExceeded', 'usageLimits'),
      );
    case 'quotaExceeded':
      return sendError(res, new ApiError(403, quotaMessage, 'quotaExceeded', 'usageLimits'));
    case 'timeout':
      return held.hold(res);
    case 'reset':
      return sendPartialThenReset(
        res,
        'application/json; charset=UTF-8',
        '{\n  "kind": "admin#directory#users",\n  "etag": "\\"',
      );
  }
}

/**
 * Starts a Directory API simulator on 127.0.0.1 (random port).
 *
 * Routes (under `admin/directory/v1/`): `users` list/get/insert/update/patch/delete, `makeAdmin`,
 * `undelete`, user and group `aliases`; `customer/{c}/devices/mobile` list (`query` with `email:`)/get/
 * `action` (account or remote wipe, approve, block); `groups` list (`customer`, `domain` or `userKey`)/get/insert/
 * update/patch/delete; `groups/{g}/members` list/get/insert/update/patch/delete and `hasMember`;
 * `customer/{c}/orgunits` list (`type=all|children|allIncludingParent`)/get/insert/update/patch/
 * delete. Lists page by sort key (email), so a page token stays valid while entries are added or
 * removed; `users` list also orders by `orderBy=familyName|givenName` (`sortOrder`), and users are
 * sent as `projection` asks (default `basic`, without `customSchemas`; `full`; `custom` with
 * `customFieldMask`). `customer` lists cover every domain of the account, `domain=` only that one
 * (see `secondaryDomains`); `fields` partial responses are honoured. On the same server: Directory
 * `users/{u}/tokens`, `asps`, `signOut`; Licensing (`apps/licensing/v1/`), Data Transfer
 * (`admin/datatransfer/v1/`), Drive (`drive/v3/`), Gmail settings (`gmail/v1/`) and Calendar ACL
 * (`calendar/v3/`), each with its scopes (Gmail, Calendar and Drive act as the token's subject); see
 * `sim.workspace`. `POST /token` takes the JWT bearer grant with
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
export async function startGoogleDirectorySimulator(
  options: GoogleDirectorySimulatorOptions = {},
): Promise<GoogleDirectorySimulator> {
  const d = new Directory(options);
  const w = new Workspace(d, options.dataTransferPolls ?? 0);
  for (const [sku, seats] of Object.entries(options.licenses ?? {})) w.seats.set(sku, seats);
  const requests = {
    total: 0,
    byRoute: {} as Record<string, number>,
    faultsInjected: 0,
    tokensIssued: 0,
    quotaRejections: 0,
  };
  const count = (name: string) => countRoute(requests.byRoute, name);
  const suspensionCalls = createSuspensionCalls();
  const writeCalls: GoogleDirectorySimulator['writeCalls'] = [];
  const auth = new GoogleAuth(() => {
    requests.tokensIssued++;
  });
  const faults = new FaultPlan<GoogleDirectoryFaultKind>(DEFAULT_FAULTS);
  faults.set(options.faults ?? null);
  const quota = new Quota();
  quota.set(options.quota ?? null);
  const held = new HeldResponses();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = requestUrl(req);
    const method = requestMethod(req);
    const text = await readBody(
      req,
      5_000_000,
      () => new ApiError(413, 'Request Entity Too Large', 'uploadTooLarge'),
    );
    requests.total++;
    await latency(options.latencyMs);
    if (url.pathname === '/token') {
      count('token');
      return auth.tokenEndpoint(d, req, text, res);
    }
    let route: Route | undefined;
    const api = APIS.find(([prefix]) => url.pathname.startsWith(prefix));
    const prefix = url.pathname.startsWith(API_PREFIX) ? API_PREFIX : api?.[0];
    if (prefix) {
      const segs = pathSegments(url.pathname.slice(prefix.length));
      if (!segs) {
        count('unknown');
        return sendError(res, badRequest());
      }
      if (api) route = api[1](w, method, segs);
      else if (segs[0] === 'users' && segs[1] && SECURITY.has(segs[2] ?? ''))
        route = resolveSecurityRoute(w, method, segs[1], segs.slice(2));
      else if (segs[0] === 'customer' && segs[1] && segs[2] === 'devices' && segs[3] === 'mobile')
        route = resolveMobileRoute(w, method, segs[1], segs.slice(4));
      else route = resolveRoute(d, method, segs);
    }
    count(route?.name ?? 'unknown');
    if (!route) return sendError(res, new ApiError(404, 'Not Found', 'notFound'));
    const fault = faults.draw();
    if (fault) {
      requests.faultsInjected++;
      return injectFault(fault, res, faults.retryAfter, held);
    }
    const who = auth.authenticate(d, req.headers.authorization, route.scopes, route.admin ?? true);
    if (who instanceof ApiError) return sendError(res, who);
    if (!quota.take()) {
      requests.quotaRejections++;
      return sendError(res, userRateLimited());
    }
    let body: any;
    if (text.trim()) {
      const parsed = parseJson(text);
      if (!parsed) return sendError(res, parseError());
      body = parsed.value;
    } else if (method === 'POST' || method === 'PUT' || method === 'PATCH') body = {};
    const fields = url.searchParams.get('fields');
    const tree = fields ? parseFields(fields) : undefined;
    const result = route.run({ query: url.searchParams, body, ...who });
    if (method !== 'GET')
      writeCalls.push({ route: route.name, method, path: url.pathname, subject: who.subject });
    recordSuspensionCall(suspensionCalls, route.name, body, result);
    if (result.status === 204) {
      res.writeHead(204, VARY);
      return res.end();
    }
    return sendGoogleJson(res, result.status, tree ? pick(result.body, tree) : result.body);
  };

  const server = await startServer(
    handle,
    (error, res) => {
      if (res.headersSent) return res.destroy();
      return sendError(res, error instanceof ApiError ? error : backendError());
    },
    options.port ?? 0,
    held,
  );
  const url = `${server.origin}/`;
  auth.tokenUrl = `${url}token`;

  return {
    url,
    tokenUrl: auth.tokenUrl,
    serviceAccountKey: auth.serviceAccountKey(),
    adminEmail: d.adminEmail,
    state: {
      users: d.users,
      groups: d.groups,
      members: d.members,
      orgUnits: d.orgUnits,
      deletedUsers: d.deletedUsers,
      passwords: d.passwords,
    },
    requests,
    suspensionCalls,
    workspace: workspaceKit(w),
    writeCalls,
    setFaults: (f) => faults.set(f),
    setQuota: (q) => quota.set(q),
    grantDelegation: (client, scopes) => auth.grantDelegation(client, scopes),
    setSuperAdmin(email, isSuperAdmin) {
      const id = d.findUserId(email);
      const user = id === undefined ? undefined : d.users.get(id);
      if (!user) throw new Error(`The Google Directory simulator has no user ${email}.`);
      d.users.set(id!, stamp({ ...user, isAdmin: isSuperAdmin }));
    },
    close: () => server.close(),
  };
}

/**
 * A Microsoft Graph v1.0 simulator for tests: the Microsoft identity platform token endpoint
 * (client credentials) with its discovery documents, and the directory part of Graph (organization,
 * users, groups and members, licences, directory roles, delta queries, JSON batching) over HTTP on
 * 127.0.0.1 in Graph's wire format, with deterministic seed data, injected faults and request-unit
 * throttling.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  countRoute,
  FaultPlan,
  flatHeaders,
  HeldResponses,
  latency,
  parseJson,
  readBody,
  requestMethod,
  requestUrl,
  sendJson,
  sendPartialThenReset,
  startServer,
} from '../http-kit';
import { createAccessTokens } from './access-tokens';
import { createBatch } from './batch';
import { createCalendarRoutes } from './calendar';
import { Changes } from './changes';
import { createDelta } from './delta';
import { createDeviceRoutes, newManagedDevice } from './devices';
import { addDriveItem, createDriveRoutes, driveOf, removeDrive } from './drive';
import { addMeeting, meetingsOf } from './events';
import { createGroups } from './groups';
import { createIdentity } from './identity';
import { createAssignLicense } from './licences';
import { createMailboxRoutes } from './mailbox';
import { createOData } from './odata';
import { createPipeline } from './pipeline';
import { createRouter } from './router';
import { createTenant } from './tenant';
import { Throttle } from './throttle';
import type { GraphFaultKind, GraphSimulator, GraphSimulatorOptions } from './types';
import { createUsers } from './users';
import {
  badRequest,
  errorBody,
  GraphError,
  generalException,
  JSON_TYPE,
  type Outcome,
  wireBody,
} from './wire';

const DEFAULT_FAULTS: GraphFaultKind[] = ['429', '500', '503', '504'];
const RESET_PARTIAL =
  '{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","value":[{"id":"';

/** The headers Graph sends with every answer of the API. */
const replyHeaders = (
  requestId: string,
  clientRequestId: string,
  extra: Record<string, string> = {},
) => ({
  'request-id': requestId,
  'client-request-id': clientRequestId,
  'x-ms-ags-diagnostic':
    '{"ServerInfo":{"DataCenter":"Simulated","Slice":"E","Ring":"5","ScaleUnit":"000","RoleInstance":"HELIOS-SIM"}}',
  'odata-version': '4.0',
  'cache-control': 'no-cache',
  'strict-transport-security': 'max-age=31536000',
  ...extra,
});

/**
 * Starts a Microsoft Graph simulator on 127.0.0.1 (random port).
 *
 * Identity platform: `POST /{tenant}/oauth2/v2.0/token` (client credentials, secret in the form
 * or HTTP Basic), `GET /{tenant}/v2.0/.well-known/openid-configuration`,
 * `GET /{tenant}/discovery/v2.0/keys`, `GET /common/discovery/instance`; `{tenant}` is the tenant
 * id, the domain or the initial `.onmicrosoft.com` domain. Graph (`/v1.0/`): `organization`;
 * `users` list/get (id or UPN)/create/update/delete, `manager` (and `$ref`), `memberOf`,
 * `revokeSignInSessions`, `assignLicense`, `memberOf/microsoft.graph.group` (paged),
 * `licenseDetails`, `mailboxSettings` (get/update: automatic replies), `mailFolders/inbox/messageRules`
 * (list/get/create/update/delete), `calendar/calendarPermissions` (list/get/create/update/delete),
 * `managedDevices` (Intune, paged); `deviceManagement/managedDevices` list/get, `retire`, `wipe`;
 * `drive` (OneDrive: get, `root/children` and `root/permissions` paged, `root/invite`,
 * `items/{id}` delete and `permanentDelete`);
 * `users/delta`; `groups` list/get/create/update/delete,
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
export async function startGraphSimulator(
  options: GraphSimulatorOptions = {},
): Promise<GraphSimulator> {
  const tenant = createTenant(options);
  const { users, groups, findUserId, links } = tenant;
  const changes = new Changes();
  const requests = {
    total: 0,
    byRoute: {} as Record<string, number>,
    faultsInjected: 0,
    tokensIssued: 0,
    throttled: 0,
    requestUnits: 0,
  };
  const count = (name: string) => countRoute(requests.byRoute, name);
  const faults = new FaultPlan<GraphFaultKind>(DEFAULT_FAULTS);
  faults.set(options.faults ?? null);
  const throttle = new Throttle();
  throttle.set(options.throttle ?? null, users.size);
  const held = new HeldResponses();

  const odata = createOData(tenant);
  const userOps = createUsers(tenant, changes, odata);
  const groupOps = createGroups(tenant, changes, odata);
  const resolve = createRouter({
    tenant,
    changes,
    odata,
    users: userOps,
    groups: groupOps,
    assignLicense: createAssignLicense(tenant, changes, odata),
    mailbox: createMailboxRoutes(tenant, odata),
    calendar: createCalendarRoutes(tenant),
    devices: createDeviceRoutes(tenant, odata),
    drive: createDriveRoutes(tenant, odata),
    deltaPage: createDelta(tenant, changes, odata, options),
  });
  const { access, issueAccessToken, authenticate } = createAccessTokens(tenant);
  const { execute, drawFault } = createPipeline({
    tenant,
    resolve,
    faults,
    throttle,
    authenticate,
    requests,
    count,
  });
  const runBatch = createBatch(execute, options.batchSeed);
  const identity = createIdentity(tenant, {
    count,
    onIssued: () => {
      requests.tokensIssued++;
    },
    issueAccessToken,
  });

  /** A top-level `$batch`: drawn for faults itself, then authenticated; each sub-request runs the pipeline. */
  const batch = (
    method: string,
    headers: Record<string, string>,
    body: unknown,
    bodyError: GraphError | undefined,
  ): Outcome => {
    count('batch');
    const fault = drawFault(true);
    if (fault) return fault;
    if (method !== 'POST')
      return {
        status: 405,
        body: new GraphError(
          405,
          'Request_BadRequest',
          'Specified HTTP method is not allowed for the request target.',
        ),
      };
    const roles = authenticate(headers.authorization);
    if (roles instanceof GraphError)
      return { status: roles.status, body: roles, headers: roles.headers };
    if (bodyError) return { status: 400, body: bodyError };
    return runBatch(body, headers.authorization);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = requestUrl(req);
    const text = await readBody(req);
    requests.total++;
    await latency(options.latencyMs);
    if (!url.pathname.startsWith('/v1.0/') && url.pathname !== '/v1.0') {
      if (identity(req, url, text, res)) return;
      count('unknown');
      return sendJson(res, 404, {
        error: 'not_found',
        error_description: `No route for ${url.pathname}.`,
      });
    }
    const headers = flatHeaders(req);
    const requestId = randomUUID();
    const clientRequestId = headers['client-request-id'] ?? requestId;
    const method = requestMethod(req);
    const path = url.pathname.slice('/v1.0/'.length);
    let body: unknown;
    let bodyError: GraphError | undefined;
    if (text.trim()) {
      const parsed = parseJson(text);
      if (parsed) body = parsed.value;
      else {
        bodyError = badRequest(
          'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
          'BadRequest',
        );
      }
    }
    const outcome: Outcome =
      path === '$batch'
        ? batch(method, headers, body, bodyError)
        : execute({
            method,
            path,
            query: url.searchParams,
            headers,
            body,
            bodyError,
            authorization: headers.authorization,
            inBatch: false,
          });
    if ('fault' in outcome)
      return outcome.fault === 'timeout'
        ? held.hold(res)
        : sendPartialThenReset(res, JSON_TYPE, RESET_PARTIAL);
    if (outcome.status === 204 || outcome.body === undefined) {
      res.writeHead(outcome.status, replyHeaders(requestId, clientRequestId, outcome.headers));
      return res.end();
    }
    const out = JSON.stringify(wireBody(outcome, requestId, clientRequestId));
    res.writeHead(
      outcome.status,
      replyHeaders(requestId, clientRequestId, {
        'content-type': JSON_TYPE,
        'content-length': String(Buffer.byteLength(out)),
        ...(outcome.headers ?? {}),
      }),
    );
    res.end(out);
  };

  const server = await startServer(
    handle,
    (_error, res) => {
      if (res.headersSent) return res.destroy();
      const id = randomUUID();
      sendJson(res, 500, errorBody(generalException(), id, id));
    },
    options.port ?? 0,
    held,
  );
  const url = server.origin;
  if (options.links === 'local') {
    links.graphRoot = url;
    links.loginRoot = url;
  }

  const userIdOrThrow = (key: string) => {
    const id = findUserId(key);
    if (id === undefined || !users.has(id))
      throw new Error(`The Graph simulator has no user ${key}.`);
    return id;
  };
  const groupIdOrThrow = (key: string) => {
    if (!groups.has(key)) throw new Error(`The Graph simulator has no group ${key}.`);
    return key;
  };

  return {
    url,
    authorityHost: url,
    tokenUrl: `${url}/${tenant.tenantId}/oauth2/v2.0/token`,
    tenantId: tenant.tenantId,
    clientId: tenant.clientId,
    clientSecret: tenant.clientSecret,
    state: {
      users,
      groups,
      members: tenant.members,
      skus: tenant.skus,
      deletedUsers: tenant.deletedUsers,
      passwords: tenant.passwords,
      revokedSessions: tenant.revokedSessions,
      mailboxSettings: tenant.mailboxSettings,
      messageRules: tenant.messageRules,
      calendarPermissions: tenant.calendarPermissions,
      managedDevices: tenant.managedDevices,
    },
    requests,
    setFaults: (f) => faults.set(f),
    setThrottle: (t) => throttle.set(t, users.size),
    grantPermissions(roles) {
      access.consented = roles === null ? null : new Set(roles);
    },
    touchUser(key, changed) {
      const id = findUserId(key);
      const user = id === undefined ? undefined : users.peek(id);
      if (!user) throw new Error(`The Graph simulator has no user ${key}.`);
      users.set(id!, { ...structuredClone(user), ...changed, id: id! });
      changes.recordUser(id!);
    },
    deleteUser: (key) => userOps.removeUser(userIdOrThrow(key)),
    addManagedDevice(key, fields) {
      const device = newManagedDevice(users.peek(userIdOrThrow(key)), fields);
      tenant.managedDevices.set(device.id, device);
      return device.id as string;
    },
    addDriveItem: (key, item) => addDriveItem(tenant, userIdOrThrow(key), item),
    drive(key) {
      const drive = driveOf(tenant, userIdOrThrow(key));
      return drive
        ? {
            items: [...drive.items.values()].map((i) => structuredClone(i)),
            permissions: [...drive.permissions.values()].map((p) => structuredClone(p)),
            recycled: [...drive.recycled],
          }
        : null;
    },
    removeDrive: (key) => removeDrive(tenant, userIdOrThrow(key)),
    addMeeting: (organizer, meeting) => addMeeting(tenant, organizer, meeting),
    meeting: (id) => structuredClone(meetingsOf(tenant).get(id) ?? null),
    addGroupMember: (groupId, memberId) =>
      groupOps.addMember(
        groupIdOrThrow(groupId),
        groups.has(memberId) ? memberId : userIdOrThrow(memberId),
      ),
    removeGroupMember: (groupId, memberId) =>
      groupOps.removeMember(
        groupIdOrThrow(groupId),
        groups.has(memberId) ? memberId : userIdOrThrow(memberId),
      ),
    markChanged(kind, id) {
      if (kind === 'user') changes.recordUser(id);
      else changes.recordGroup(id);
    },
    expireDeltaLinks() {
      changes.epoch++;
    },
    close: () => server.close(),
  };
}

/**
 * Directory API mobile device routes of the simulator (under
 * `admin/directory/v1/customer/{customerId}/devices/mobile`): list (`query`, `maxResults` up to
 * 100, `pageToken`, `projection` BASIC or FULL), get, and `action` (`admin_account_wipe`,
 * `admin_remote_wipe`, `approve`, `block`, `cancel_remote_wipe_then_activate`,
 * `cancel_remote_wipe_then_block`), each with Google's scopes: reads accept
 * `admin.directory.device.mobile`, `.mobile.action` and `.mobile.readonly`; actions the first two.
 *
 * The `email:` search field matches as Google documents it: `email:joe@example.com` finds devices of
 * every address whose local part starts with `joe` (so a client must keep only the exact address).
 * An action changes the device's `status`: an account wipe `ACCOUNT_WIPING`, a remote wipe
 * `WIPING`; every action answered is kept in the device's `actions` for tests.
 */
import { isObject, lower } from '../http-kit';
import { invalid, notFound } from './errors';
import { decodeToken, fingerprint, intParam, page } from './paging';
import type { Route } from './router';
import { MOBILE_ACTION, READ_MOBILE } from './scopes';
import type { Workspace } from './workspace';

/** A mobile device as the simulator keeps it. */
export interface SimMobileDevice {
  resourceId: string;
  deviceId: string;
  /** The owner's user id. */
  ownerId: string;
  model: string;
  os: string;
  /** `ANDROID`, `IOS_SYNC`, `GOOGLE_SYNC`. */
  type: string;
  /** `APPROVED`, `PENDING`, `BLOCKED`, `WIPING`, `WIPED`, `ACCOUNT_WIPING`, `ACCOUNT_WIPED`. */
  status: string;
  firstSync: string;
  lastSync: string;
  /** The actions answered, in order. */
  actions: string[];
}

const ACTIONS: Record<string, (status: string) => string> = {
  admin_account_wipe: () => 'ACCOUNT_WIPING',
  admin_remote_wipe: () => 'WIPING',
  approve: () => 'APPROVED',
  block: () => 'BLOCKED',
  cancel_remote_wipe_then_activate: (s) => (s === 'WIPING' ? 'APPROVED' : s),
  cancel_remote_wipe_then_block: (s) => (s === 'WIPING' ? 'BLOCKED' : s),
};

const BASIC = ['resourceId', 'deviceId', 'email', 'name', 'model', 'os', 'type', 'status'];

/** The wire form of a device (`admin#directory#mobiledevice`), BASIC or FULL. */
function deviceOut(w: Workspace, d: SimMobileDevice, full: boolean) {
  const email = w.emailOf(d.ownerId);
  const name = w.d.users.peek(d.ownerId)?.name?.fullName ?? email;
  const all: Record<string, unknown> = {
    kind: 'admin#directory#mobiledevice',
    etag: '',
    resourceId: d.resourceId,
    deviceId: d.deviceId,
    name: [name],
    email: [email],
    model: d.model,
    os: d.os,
    type: d.type,
    status: d.status,
    firstSync: d.firstSync,
    lastSync: d.lastSync,
    userAgent: d.type === 'ANDROID' ? 'Google Apps Device Policy 17.87.03' : '',
    managedAccountIsOnOwnerProfile: d.type === 'ANDROID',
  };
  const out = full
    ? all
    : Object.fromEntries(Object.entries(all).filter(([k]) => k === 'kind' || BASIC.includes(k)));
  return w.etag(out as Record<string, any>);
}

/** Whether a device matches an `email:` search term (the local part as a prefix, as Google does). */
function matchesEmail(w: Workspace, d: SimMobileDevice, term: string): boolean {
  const local = lower(term).split('@')[0] ?? '';
  return w.emailOf(d.ownerId).startsWith(local);
}

/** The devices a `query` selects (only `email:` and `status:` fields; other text matches nothing). */
function select(w: Workspace, query: string | null): SimMobileDevice[] {
  const all = [...w.mobileDevices.values()];
  if (!query?.trim()) return all;
  const terms = query.trim().split(/\s+/);
  return all.filter((d) =>
    terms.every((term) => {
      const [field, value = ''] = term.split(/:(.*)/s) as [string, string?];
      if (lower(field) === 'email') return matchesEmail(w, d, value);
      if (lower(field) === 'status') return lower(d.status) === lower(value);
      return false;
    }),
  );
}

/** The route of a method and the segments after `customer/{customerId}/devices/mobile`, if any. */
export function resolveMobileRoute(
  w: Workspace,
  method: string,
  customerId: string,
  rest: string[],
): Route | undefined {
  const [resourceId, what] = rest;
  const route = (name: string, scopes: string[], run: Route['run']): Route => ({
    name,
    scopes,
    run: (ctx) => {
      w.d.checkCustomerId(customerId);
      return run(ctx);
    },
  });
  const deviceOf = (id: string) => {
    const d = w.mobileDevices.get(id);
    if (!d) throw notFound('resourceId');
    return d;
  };
  if (rest.length === 0 && method === 'GET')
    return route('mobiledevices.list', READ_MOBILE, ({ query }) => {
      const full = (query.get('projection') ?? 'BASIC').toUpperCase() === 'FULL';
      const max = intParam(query, 'maxResults', 100, 100);
      const q = query.get('query');
      const fp = fingerprint(['mobile', q, full]);
      const after = decodeToken(query.get('pageToken'), fp);
      const sorted = select(w, q).sort((a, b) => (a.resourceId < b.resourceId ? -1 : 1));
      const remaining = after === undefined ? sorted : sorted.filter((d) => d.resourceId > after);
      const items = remaining.slice(0, max);
      return {
        status: 200,
        body: page(
          'admin#directory#mobiledevices',
          'mobiledevices',
          items.map((d) => deviceOut(w, d, full)),
          items.at(-1)?.resourceId,
          remaining.length > max,
          fp,
          items.map((d) => d.resourceId),
        ),
      };
    });
  if (rest.length === 1 && method === 'GET')
    return route('mobiledevices.get', READ_MOBILE, ({ query }) => ({
      status: 200,
      body: deviceOut(
        w,
        deviceOf(resourceId!),
        (query.get('projection') ?? 'BASIC').toUpperCase() === 'FULL',
      ),
    }));
  if (rest.length === 2 && what === 'action' && method === 'POST')
    return route('mobiledevices.action', MOBILE_ACTION, ({ body }) => {
      const d = deviceOf(resourceId!);
      const action = isObject(body) && typeof body.action === 'string' ? body.action : '';
      const next = ACTIONS[lower(action)];
      if (!next) throw invalid(`Invalid value for: action (${action || 'missing'})`);
      d.status = next(d.status);
      d.actions.push(lower(action));
      return { status: 204 };
    });
  return undefined;
}

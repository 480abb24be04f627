/**
 * Intune managed devices in the Graph simulator: a user's devices (`users/{id}/managedDevices`,
 * paged with `$top` and `$skiptoken`, `$select`), every device (`deviceManagement/managedDevices`),
 * one device, and the `retire` and `wipe` actions (204, no body). Reads need
 * DeviceManagementManagedDevices.Read.All or .ReadWrite.All; the actions
 * DeviceManagementManagedDevices.PrivilegedOperations.All, as Graph documents.
 *
 * An action sets the device's `managementState` (`retirePending`, `wipePending`) and adds a
 * `deviceActionResults` entry (`actionState` `pending`); each action answered is also counted in the
 * device for tests (`actions`, not sent on the wire).
 */
import { randomUUID } from 'node:crypto';
import { isObject } from '../http-kit';
import type { OData } from './odata';
import { ROLES_FOR } from './permissions';
import type { Tenant } from './tenant';
import {
  badRequest,
  type Ctx,
  GraphError,
  otherRoute,
  type Reply,
  type Route,
  wrongMethodError,
} from './wire';

/** The properties of a managed device the simulator sends (and `$select` accepts). */
export const MANAGED_DEVICE_FIELDS = [
  'id',
  'userId',
  'deviceName',
  'managedDeviceOwnerType',
  'deviceActionResults',
  'enrolledDateTime',
  'lastSyncDateTime',
  'operatingSystem',
  'osVersion',
  'complianceState',
  'managementAgent',
  'managementState',
  'emailAddress',
  'userPrincipalName',
  'userDisplayName',
  'model',
  'manufacturer',
  'serialNumber',
] as const;
const NAMES = new Map<string, string>(MANAGED_DEVICE_FIELDS.map((f) => [f.toLowerCase(), f]));

/** A new managed device of a user (an Android phone unless told). */
export function newManagedDevice(
  user: Record<string, any>,
  fields: Record<string, unknown> = {},
): Record<string, any> {
  const at = new Date().toISOString();
  const os = String(fields.operatingSystem ?? 'Android');
  return {
    id: randomUUID(),
    userId: user.id,
    deviceName: `${String(user.mailNickname ?? 'user')}_${os}_${at.slice(0, 10)}`,
    managedDeviceOwnerType: 'personal',
    deviceActionResults: [],
    enrolledDateTime: at,
    lastSyncDateTime: at,
    operatingSystem: os,
    osVersion: os === 'Android' ? '14.0' : '17.4',
    complianceState: 'compliant',
    managementAgent: 'mdm',
    managementState: 'managed',
    emailAddress: user.mail ?? user.userPrincipalName,
    userPrincipalName: user.userPrincipalName,
    userDisplayName: user.displayName ?? null,
    model: os === 'Android' ? 'Pixel 8' : 'iPhone 15',
    manufacturer: os === 'Android' ? 'Google' : 'Apple',
    serialNumber: randomUUID().slice(0, 12).toUpperCase(),
    actions: [] as string[],
    ...fields,
  };
}

const notFound = () =>
  new GraphError(404, 'ResourceNotFound', 'The requested managed device was not found.');

/** The routes of this file: under `users/{id}/` and under `deviceManagement/`. */
export function createDeviceRoutes(t: Tenant, o: OData) {
  const { managedDevices, userOf, context, contextFor, linkWith, fingerprint } = t;
  const { parseSelect, pageSize, listAfter, listToken, checkQueryOptions } = o;
  const r = otherRoute;
  const wrongMethod = wrongMethodError();
  /** The wire form of a device (without the simulator's `actions` count). */
  const out = (d: Record<string, any>, select: string[] | null) => {
    const { actions: _actions, ...wire } = d;
    if (!select) return { ...wire };
    const picked: Record<string, unknown> = { id: d.id };
    for (const f of select) picked[f] = wire[f] ?? null;
    return picked;
  };

  /** A page of devices, in id order, resuming after the last id. */
  const list = (ctx: Ctx, devices: Array<Record<string, any>>, scope: string): Reply => {
    checkQueryOptions(ctx.query, ['$select', '$top', '$skiptoken', '$filter']);
    if (ctx.query.get('$filter'))
      throw badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
    const select = parseSelect(ctx.query.get('$select'), NAMES, 'managedDevice');
    const top = pageSize(ctx.query, 100);
    const fp = fingerprint(['managedDevices', scope]);
    const after = listAfter(ctx.query, fp);
    const all = devices.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const rest = after === undefined ? all : all.filter((d) => d.id > after);
    const page = rest.slice(0, top);
    const body: Record<string, unknown> = {
      '@odata.context': select
        ? contextFor('deviceManagement/managedDevices', select)
        : context('deviceManagement/managedDevices'),
    };
    if (rest.length > top)
      body['@odata.nextLink'] = linkWith(ctx.path, ctx.query, {
        $skiptoken: listToken(page[page.length - 1]!.id, fp),
      });
    body.value = page.map((d) => out(d, select));
    return { status: 200, body };
  };

  const deviceOf = (id: string) => {
    const d = managedDevices.get(id.toLowerCase());
    if (!d) throw notFound();
    return d;
  };

  /** Records an action on a device: its state, its result entry and the simulator's count. */
  const act = (id: string, action: 'retire' | 'wipe', state: string): Reply => {
    const d = deviceOf(id);
    const at = new Date().toISOString();
    d.managementState = state;
    d.deviceActionResults = [
      ...(d.deviceActionResults ?? []).filter(
        (a: { actionName: string }) => a.actionName !== action,
      ),
      { actionName: action, actionState: 'pending', startDateTime: at, lastUpdatedDateTime: at },
    ];
    d.actions.push(action);
    return { status: 204 };
  };

  const deviceRoutes = (method: string, id: string, rest: string[]) => {
    if (rest.length === 0) {
      if (method !== 'GET') return wrongMethod;
      return r('managedDevices.get', ROLES_FOR.devicesRead, (ctx) => {
        checkQueryOptions(ctx.query, ['$select']);
        const select = parseSelect(ctx.query.get('$select'), NAMES, 'managedDevice');
        return {
          status: 200,
          body: {
            '@odata.context': context('deviceManagement/managedDevices/$entity'),
            ...out(deviceOf(id), select),
          },
        };
      });
    }
    if (rest.length === 1 && rest[0] === 'retire') {
      if (method !== 'POST') return wrongMethod;
      return r('managedDevices.retire', ROLES_FOR.devicesAction, () =>
        act(id, 'retire', 'retirePending'),
      );
    }
    if (rest.length === 1 && rest[0] === 'wipe') {
      if (method !== 'POST') return wrongMethod;
      return r('managedDevices.wipe', ROLES_FOR.devicesAction, (ctx) => {
        if (ctx.body !== undefined && !isObject(ctx.body))
          throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
        for (const [k, v] of Object.entries(ctx.body ?? {}))
          if (
            (k === 'keepEnrollmentData' || k === 'keepUserData' || k === 'persistEsimDataPlan') &&
            typeof v !== 'boolean'
          )
            throw badRequest(`Invalid value for property '${k}'.`, 'BadRequest');
        return act(id, 'wipe', 'wipePending');
      });
    }
    return undefined;
  };

  return {
    /** `users/{key}/managedDevices`, or undefined. */
    user(method: string, key: string, rest: string[]): Route | { error: GraphError } | undefined {
      if (rest.length !== 1 || rest[0] !== 'managedDevices') return undefined;
      if (method !== 'GET') return wrongMethod;
      return r('users.managedDevices', ROLES_FOR.devicesRead, (ctx) => {
        const { id } = userOf(key);
        const mine = [...managedDevices.values()].filter((d) => d.userId === id);
        return list(ctx, mine, id);
      });
    },
    /** `deviceManagement/managedDevices[/{id}[/retire|wipe]]` (segments after `deviceManagement`), or undefined. */
    top(method: string, rest: string[]): Route | { error: GraphError } | undefined {
      const [what, id, ...more] = rest;
      if (what !== 'managedDevices') return undefined;
      if (!id) {
        if (method !== 'GET') return wrongMethod;
        return r('managedDevices.list', ROLES_FOR.devicesRead, (ctx) =>
          list(ctx, [...managedDevices.values()], 'all'),
        );
      }
      return deviceRoutes(method, id, more);
    },
  };
}

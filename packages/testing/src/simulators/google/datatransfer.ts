/**
 * Data Transfer API v1 routes of the simulator (under `admin/datatransfer/v1/`): `applications`
 * (list, get: Drive and Docs `55656082996`, Calendar `435070579839`) and `transfers` (insert, get,
 * list). A transfer moves ownership at once in the simulator's state (Drive: every file the old
 * owner owns; Calendar: the secondary calendars they own); it is reported `inProgress` when created
 * and for `transferPolls` gets, then `completed`. Scope `admin.datatransfer`.
 */
import { isObject } from '../http-kit';
import { invalid, notFound } from './errors';
import type { Route } from './router';
import { DATA_TRANSFER, READ_DATA_TRANSFER } from './scopes';
import {
  CALENDAR_APPLICATION_ID,
  DRIVE_APPLICATION_ID,
  type SimTransfer,
  type Workspace,
} from './workspace';

const ok = (body: unknown) => ({ status: 200, body });

const APPLICATIONS = [
  {
    kind: 'admin#datatransfer#ApplicationResource',
    id: DRIVE_APPLICATION_ID,
    name: 'Drive and Docs',
    transferParams: [{ key: 'PRIVACY_LEVEL', value: ['PRIVATE', 'SHARED'] }],
  },
  {
    kind: 'admin#datatransfer#ApplicationResource',
    id: CALENDAR_APPLICATION_ID,
    name: 'Calendar',
    transferParams: [{ key: 'RELEASE_RESOURCES', value: ['TRUE'] }],
  },
];

function transferOut(w: Workspace, t: SimTransfer) {
  const { pollsLeft: _p, ...wire } = t;
  return w.etag({ kind: 'admin#datatransfer#DataTransfer', etag: '', ...structuredClone(wire) });
}

/** Moves the data of one application; returns nothing (the state changes). */
function moveData(w: Workspace, applicationId: string, from: string, to: string): void {
  if (applicationId === DRIVE_APPLICATION_ID) {
    for (const file of w.files.values()) {
      if (file.ownerId !== from) continue;
      file.ownerId = to;
      const perms = w.permissionsOf(file.id);
      const toEmail = w.emailOf(to);
      const fromEmail = w.emailOf(from);
      perms.delete(w.permissionIdOf(fromEmail));
      perms.set(w.permissionIdOf(toEmail), {
        id: w.permissionIdOf(toEmail),
        type: 'user',
        role: 'owner',
        emailAddress: toEmail,
      });
    }
  } else if (applicationId === CALENDAR_APPLICATION_ID) {
    for (const cal of w.calendars.values())
      if (cal.ownerId === from && cal.id !== w.emailOf(from)) cal.ownerId = to;
  }
}

/** The Data Transfer route of a method and the path segments under `admin/datatransfer/v1/`, if any. */
export function resolveDataTransferRoute(
  w: Workspace,
  method: string,
  segs: string[],
): Route | undefined {
  const [top, id] = segs;
  const read = (name: string, run: Route['run']): Route => ({
    name,
    scopes: READ_DATA_TRANSFER,
    run,
  });
  if (top === 'applications' && method === 'GET') {
    if (segs.length === 1)
      return read('datatransfer.applications.list', () =>
        ok({
          kind: 'admin#datatransfer#applicationsListResponse',
          etag: '""',
          applications: APPLICATIONS,
        }),
      );
    if (segs.length === 2)
      return read('datatransfer.applications.get', () => {
        const app = APPLICATIONS.find((a) => a.id === id);
        if (!app) throw notFound('applicationId');
        return ok(app);
      });
  }
  if (top !== 'transfers') return undefined;
  if (segs.length === 1 && method === 'POST')
    return {
      name: 'datatransfer.transfers.insert',
      scopes: DATA_TRANSFER,
      run: ({ body }) => {
        if (!isObject(body)) throw invalid('Invalid transfer');
        const from = w.user(String(body.oldOwnerUserId ?? '')).id;
        const to = w.user(String(body.newOwnerUserId ?? '')).id;
        if (from === to) throw invalid('The source and destination users must differ');
        const apps = Array.isArray(body.applicationDataTransfers)
          ? body.applicationDataTransfers
          : [];
        if (!apps.length) throw invalid('applicationDataTransfers is required');
        for (const a of apps)
          if (!APPLICATIONS.some((x) => x.id === String(a?.applicationId)))
            throw invalid(`Invalid application id: ${a?.applicationId}`);
        for (const a of apps) moveData(w, String(a.applicationId), from, to);
        const transfer: SimTransfer = {
          id: w.newId('AKrEtIa'),
          oldOwnerUserId: from,
          newOwnerUserId: to,
          applicationDataTransfers: apps.map((a: any) => ({
            applicationId: String(a.applicationId),
            ...(Array.isArray(a.applicationTransferParams)
              ? { applicationTransferParams: a.applicationTransferParams }
              : {}),
            applicationTransferStatus: 'pending',
          })),
          overallTransferStatusCode: 'inProgress',
          requestTime: new Date().toISOString(),
          pollsLeft: w.transferPolls,
        };
        w.transfers.set(transfer.id, transfer);
        return ok(transferOut(w, transfer));
      },
    };
  if (segs.length === 2 && method === 'GET')
    return read('datatransfer.transfers.get', () => {
      const t = w.transfers.get(id!);
      if (!t) throw notFound('dataTransferId');
      if (t.pollsLeft > 0) t.pollsLeft--;
      else {
        t.overallTransferStatusCode = 'completed';
        for (const a of t.applicationDataTransfers) a.applicationTransferStatus = 'completed';
      }
      return ok(transferOut(w, t));
    });
  if (segs.length === 1 && method === 'GET')
    return read('datatransfer.transfers.list', ({ query }) => {
      const oldOwner = query.get('oldOwnerUserId');
      const newOwner = query.get('newOwnerUserId');
      const status = query.get('status');
      const items = [...w.transfers.values()].filter(
        (t) =>
          (!oldOwner || t.oldOwnerUserId === oldOwner) &&
          (!newOwner || t.newOwnerUserId === newOwner) &&
          (!status || t.overallTransferStatusCode === status),
      );
      return ok({
        kind: 'admin#datatransfer#dataTransfersList',
        etag: '""',
        dataTransfers: items.map((t) => transferOut(w, t)),
      });
    });
  return undefined;
}

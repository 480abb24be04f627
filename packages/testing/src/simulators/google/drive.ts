/**
 * Drive API v3 routes of the simulator (under `drive/v3/`): `about` get (the subject, with their
 * `permissionId`: the id of their permission on every file; `fields` required), `files` list (`q`
 * with `'<email>' in owners`, `'<id>' in parents`, `name`, `mimeType`, `trashed` joined by `and`;
 * `corpora=drive`), `drives` list (the
 * subject's shared drives, or all of them with `useDomainAdminAccess=true` for a super admin) and
 * `files/{fileId}/permissions` create, list, get, update, delete. A shared drive's id is a file id
 * for permissions, which then needs `supportsAllDrives=true` (else 404 as Google). Without
 * `fields`, files and permissions carry Google's default fields only. Scope `drive`.
 */
import { isObject, lower } from '../http-kit';
import { fileOut, parentsOf, resolveDriveFileRoute } from './drive.files';
import { ApiError, forbidden, invalid } from './errors';
import { intParam } from './paging';
import type { Route, RouteContext } from './router';
import { DRIVE, READ_DRIVE } from './scopes';
import type { SimPermission, Workspace } from './workspace';

const ok = (body: unknown) => ({ status: 200, body });
const ROLES = ['owner', 'organizer', 'fileOrganizer', 'writer', 'commenter', 'reader'];

const fileNotFound = (id: string) =>
  new ApiError(404, `File not found: ${id}.`, 'notFound', 'global', {
    locationType: 'parameter',
    location: 'fileId',
  });
const permissionNotFound = (id: string) =>
  new ApiError(404, `Permission not found: ${id}.`, 'notFound', 'global', {
    locationType: 'parameter',
    location: 'permissionId',
  });

/**
 * A `q` of `files.list` as a predicate (the clauses the simulator knows, joined by `and`): `'<email>'
 * in owners` (`'me'` is the subject), `'<id>' in parents`, `trashed = true|false`, `name = '<text>'`,
 * `mimeType = '<type>'` and `mimeType != '<type>'`.
 */
function parseQ(w: Workspace, q: string, subjectId: string): (f: any) => boolean {
  const clauses = q.trim() ? q.split(/\s+and\s+/i) : [];
  const unquote = (text: string) => text.replace(/\\(.)/g, '$1');
  const tests = clauses.map((c) => {
    const owner = /^'([^']+)'\s+in\s+owners$/i.exec(c.trim());
    if (owner) {
      const id = owner[1] === 'me' ? subjectId : w.userIdOf(owner[1]!);
      return (f: any) => id !== undefined && f.ownerId === id;
    }
    const parent = /^'([^']+)'\s+in\s+parents$/i.exec(c.trim());
    if (parent) return (f: any) => parentsOf(w, f).includes(parent[1]!);
    const trashed = /^trashed\s*=\s*(true|false)$/i.exec(c.trim());
    if (trashed) return (f: any) => f.trashed === (lower(trashed[1]) === 'true');
    const field = /^(name|mimeType)\s*(!?=)\s*'((?:[^'\\]|\\.)*)'$/.exec(c.trim());
    if (field) {
      const [, key, op, raw] = field;
      const value = unquote(raw!);
      return (f: any) => (f[key!] === value) === (op === '=');
    }
    throw new ApiError(400, 'Invalid Value', 'invalid', 'global', {
      locationType: 'parameter',
      location: 'q',
    });
  });
  return (f) => tests.every((t) => t(f));
}

const flag = (query: URLSearchParams, name: string) => query.get(name) === 'true';

/** A page of items by offset (the page token is the next offset). */
function offsetPage<T>(items: T[], query: URLSearchParams, fallback: number, max: number) {
  const size = intParam(query, 'pageSize', fallback, max);
  const start = Number(query.get('pageToken') ?? 0) || 0;
  return {
    chunk: items.slice(start, start + size),
    next: start + size < items.length ? String(start + size) : undefined,
  };
}

export function permissionOut(p: SimPermission, full: boolean) {
  const base = { kind: 'drive#permission', id: p.id, type: p.type, role: p.role };
  return full
    ? {
        ...base,
        ...(p.emailAddress ? { emailAddress: p.emailAddress } : {}),
        ...(p.domain ? { domain: p.domain } : {}),
        ...(p.displayName ? { displayName: p.displayName } : {}),
      }
    : base;
}

/** The item permissions apply to and whether the subject may manage them. */
function target(w: Workspace, fileId: string, ctx: RouteContext, write: boolean) {
  const { query, subject, subjectId } = ctx;
  const drive = w.drives.get(fileId);
  const file = w.files.get(fileId);
  if (!drive && !file) throw fileNotFound(fileId);
  if (drive || file?.driveId) {
    if (!flag(query, 'supportsAllDrives')) throw fileNotFound(fileId);
    const driveId = drive ? drive.id : file!.driveId!;
    const admin = flag(query, 'useDomainAdminAccess') && w.d.users.peek(subjectId)?.isAdmin;
    const mine = w.permissionsOf(driveId).get(w.permissionIdOf(subject));
    if (!admin && !mine) throw fileNotFound(fileId);
    if (write && !admin && mine?.role !== 'organizer')
      throw new ApiError(
        403,
        'The user does not have sufficient permissions for this file.',
        'insufficientFilePermissions',
      );
    return w.permissionsOf(fileId);
  }
  const perms = w.permissionsOf(fileId);
  const mine = perms.get(w.permissionIdOf(subject));
  if (!mine) throw fileNotFound(fileId);
  if (write && mine.role !== 'owner' && mine.role !== 'writer')
    throw new ApiError(
      403,
      'The user does not have sufficient permissions for this file.',
      'insufficientFilePermissions',
    );
  return perms;
}

/** The Drive route of a method and the path segments under `drive/v3/`, if any. */
export function resolveDriveRoute(w: Workspace, method: string, segs: string[]): Route | undefined {
  const [top, fileId, sub, permissionId] = segs;
  const fileRoute = resolveDriveFileRoute(w, method, segs);
  if (fileRoute) return fileRoute;
  const r = (name: string, scopes: string[], run: Route['run']): Route => ({
    name,
    scopes,
    admin: false,
    run,
  });
  if (top === 'drives' && segs.length === 1 && method === 'GET')
    return r('drive.drives.list', READ_DRIVE, ({ query, subject, subjectId }) => {
      const admin = flag(query, 'useDomainAdminAccess');
      if (admin && !w.d.users.peek(subjectId)?.isAdmin) throw forbidden();
      const pid = w.permissionIdOf(subject);
      const all = [...w.drives.values()]
        .filter((d) => admin || w.permissionsOf(d.id).has(pid))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const { chunk, next } = offsetPage(all, query, 10, 100);
      return ok({
        kind: 'drive#driveList',
        drives: chunk.map((d) => ({ kind: 'drive#drive', id: d.id, name: d.name })),
        ...(next ? { nextPageToken: next } : {}),
      });
    });
  if (top === 'about' && segs.length === 1 && method === 'GET')
    return r('drive.about.get', READ_DRIVE, ({ query, subject, subjectId }) => {
      // Drive requires `fields` on about.get.
      if (!query.get('fields'))
        throw new ApiError(
          400,
          "The 'fields' parameter is required for this method.",
          'required',
          'global',
          {
            locationType: 'parameter',
            location: 'fields',
          },
        );
      const user = w.d.users.peek(subjectId);
      return ok({
        kind: 'drive#about',
        user: {
          kind: 'drive#user',
          displayName: user?.name?.fullName ?? subject,
          emailAddress: lower(subject),
          me: true,
          permissionId: w.permissionIdOf(subject),
        },
      });
    });
  if (top !== 'files') return undefined;
  if (segs.length === 1 && method === 'GET')
    return r('drive.files.list', READ_DRIVE, ({ query, subject, subjectId }) => {
      const match = parseQ(w, query.get('q') ?? '', subjectId);
      const pid = w.permissionIdOf(subject);
      const full = query.has('fields');
      // corpora=drive: the items of one shared drive the subject is a member of.
      const corpus = query.get('corpora') === 'drive' ? query.get('driveId') : null;
      if (query.get('corpora') === 'drive') {
        if (
          !corpus ||
          !flag(query, 'includeItemsFromAllDrives') ||
          !flag(query, 'supportsAllDrives')
        )
          throw invalid(
            'The driveId, includeItemsFromAllDrives and supportsAllDrives parameters are required with corpora=drive.',
          );
        if (!w.drives.has(corpus) || !w.permissionsOf(corpus).has(pid))
          throw new ApiError(404, `Shared drive not found: ${corpus}`, 'notFound', 'global', {
            locationType: 'parameter',
            location: 'driveId',
          });
      }
      const all = [...w.files.values()]
        .filter(
          (f) =>
            (corpus
              ? f.driveId === corpus
              : f.ownerId === subjectId ||
                w.permissionsOf(f.id).has(pid) ||
                (f.driveId && w.permissionsOf(f.driveId).has(pid))) && match(f),
        )
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const { chunk, next } = offsetPage(all, query, 100, 1000);
      return ok({
        kind: 'drive#fileList',
        incompleteSearch: false,
        files: chunk.map((f) => fileOut(w, f, full)),
        ...(next ? { nextPageToken: next } : {}),
      });
    });
  if (sub !== 'permissions' || !fileId) return undefined;
  if (segs.length === 3 && method === 'GET')
    return r('drive.permissions.list', READ_DRIVE, (ctx) => {
      const perms = target(w, fileId, ctx, false);
      const full = ctx.query.has('fields');
      const { chunk, next } = offsetPage([...perms.values()], ctx.query, 100, 100);
      return ok({
        kind: 'drive#permissionList',
        permissions: chunk.map((p) => permissionOut(p, full)),
        ...(next ? { nextPageToken: next } : {}),
      });
    });
  if (segs.length === 3 && method === 'POST')
    return r('drive.permissions.create', DRIVE, (ctx) => {
      const perms = target(w, fileId, ctx, true);
      const { body } = ctx;
      if (!isObject(body) || !ROLES.includes(body.role))
        throw invalid('The permission role field is required and must be valid.');
      if (body.type !== 'user' && body.type !== 'group')
        throw invalid('The permission type field is required and must be valid.');
      if (typeof body.emailAddress !== 'string' || !body.emailAddress.includes('@'))
        throw invalid('The permission emailAddress field is required.');
      if (w.drives.has(fileId) && body.role === 'owner')
        throw new ApiError(
          403,
          'Shared drive members cannot be owners.',
          'teamDrivesOwnershipNotSupported',
        );
      const email = lower(body.emailAddress);
      const perm: SimPermission = {
        id: w.permissionIdOf(email),
        type: body.type,
        role: body.role,
        emailAddress: email,
      };
      perms.set(perm.id, perm);
      return ok(permissionOut(perm, ctx.query.has('fields')));
    });
  if (segs.length !== 4 || !permissionId) return undefined;
  if (method === 'GET')
    return r('drive.permissions.get', READ_DRIVE, (ctx) => {
      const perm = target(w, fileId, ctx, false).get(permissionId);
      if (!perm) throw permissionNotFound(permissionId);
      return ok(permissionOut(perm, ctx.query.has('fields')));
    });
  if (method === 'PATCH')
    return r('drive.permissions.update', DRIVE, (ctx) => {
      const perm = target(w, fileId, ctx, true).get(permissionId);
      if (!perm) throw permissionNotFound(permissionId);
      if (isObject(ctx.body) && ctx.body.role !== undefined) {
        if (!ROLES.includes(ctx.body.role)) throw invalid('Invalid permission role.');
        perm.role = ctx.body.role;
      }
      return ok(permissionOut(perm, ctx.query.has('fields')));
    });
  if (method === 'DELETE')
    return r('drive.permissions.delete', DRIVE, (ctx) => {
      const perms = target(w, fileId, ctx, true);
      if (!perms.delete(permissionId)) throw permissionNotFound(permissionId);
      return { status: 204 };
    });
  return undefined;
}

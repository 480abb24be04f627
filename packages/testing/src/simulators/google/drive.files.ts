/**
 * Drive API v3 file routes of the simulator (under `drive/v3/files/{fileId}`): `files.create`
 * (a file or folder in My Drive or a shared drive), `files.get`, `files.update` (moves with
 * `addParents` / `removeParents`) and `files.delete` (for good; a folder takes the files of its
 * owner inside it along). Every call acts as the token's subject (domain-wide delegation decides
 * who `'me'` is). As Drive:
 *
 * - An item in a shared drive is invisible without `supportsAllDrives=true` (404 `notFound`).
 * - Moving a file from My Drive into a shared drive needs its owner, who must be a content manager
 *   (`fileOrganizer`) or manager (`organizer`) of the drive (else 403 `insufficientFilePermissions`);
 *   the shared drive becomes the owner (the owner's permission goes). Folders do not move into a
 *   shared drive (403 `teamDrivesFolderMoveInNotSupported`). An item has one parent (403
 *   `cannotAddParent` when a move would give it two).
 * - Adding to a shared drive needs `writer` or more on it.
 */
import { isObject, lower } from '../http-kit';
import { ApiError, invalid } from './errors';
import type { Route, RouteContext } from './router';
import { DRIVE, READ_DRIVE } from './scopes';
import type { SimDriveFile, Workspace } from './workspace';

/** Drive's MIME type of a folder. */
const FOLDER = 'application/vnd.google-apps.folder';
const ok = (body: unknown) => ({ status: 200, body });
const flag = (query: URLSearchParams, name: string) => query.get(name) === 'true';
const ADDERS = ['organizer', 'fileOrganizer', 'writer'];
const MOVERS = ['organizer', 'fileOrganizer'];

const fileNotFound = (id: string) =>
  new ApiError(404, `File not found: ${id}.`, 'notFound', 'global', {
    locationType: 'parameter',
    location: 'fileId',
  });
const noPermission = () =>
  new ApiError(
    403,
    'The user does not have sufficient permissions for this file.',
    'insufficientFilePermissions',
  );

/** The id of a user's My Drive root folder (stable per user). */
function myDriveRootOf(w: Workspace, userId: string): string {
  return `0A${w.permissionIdOf(w.emailOf(userId)).slice(-12)}Uk9PVA`;
}

/** The parents of a file: as stored, else the root of its owner's My Drive (or its shared drive). */
export function parentsOf(w: Workspace, f: SimDriveFile): string[] {
  if (f.parents) return f.parents;
  if (f.driveId) return [f.driveId];
  return f.ownerId ? [myDriveRootOf(w, f.ownerId)] : [];
}

/** The subject's role on a shared drive, if a member. */
function driveRole(w: Workspace, driveId: string, subject: string): string | undefined {
  return w.permissionsOf(driveId).get(w.permissionIdOf(subject))?.role;
}

/** Whether the subject sees the file (owner, shared with them, or a member of its shared drive). */
function visible(w: Workspace, f: SimDriveFile, ctx: RouteContext): boolean {
  if (f.driveId)
    return flag(ctx.query, 'supportsAllDrives') && !!driveRole(w, f.driveId, ctx.subject);
  return f.ownerId === ctx.subjectId || w.permissionsOf(f.id).has(w.permissionIdOf(ctx.subject));
}

/** A file the subject sees, else 404 as Drive. */
function fileFor(w: Workspace, fileId: string, ctx: RouteContext): SimDriveFile {
  const f = w.files.get(fileId);
  if (!f || !visible(w, f, ctx)) throw fileNotFound(fileId);
  return f;
}

/** Where a parent id points: a shared drive's root, a folder (in a drive or not), or My Drive's root. */
function parentTarget(
  w: Workspace,
  parentId: string,
  ctx: RouteContext,
): { driveId: string | null } {
  if (w.drives.has(parentId)) {
    if (!flag(ctx.query, 'supportsAllDrives') || !driveRole(w, parentId, ctx.subject))
      throw fileNotFound(parentId);
    return { driveId: parentId };
  }
  if (parentId === 'root' || parentId === myDriveRootOf(w, ctx.subjectId)) return { driveId: null };
  const folder = fileFor(w, parentId, ctx);
  if (folder.mimeType !== FOLDER)
    throw new ApiError(403, 'The specified parent is not a folder.', 'cannotAddParent');
  return { driveId: folder.driveId };
}

/** A file as Drive answers it (the default fields, or all the simulator knows when `fields` is set). */
export function fileOut(w: Workspace, f: SimDriveFile, full: boolean) {
  const base = { kind: 'drive#file', id: f.id, name: f.name, mimeType: f.mimeType };
  if (!full) return base;
  const owner = f.ownerId ? w.emailOf(f.ownerId) : null;
  return {
    ...base,
    trashed: f.trashed,
    parents: parentsOf(w, f),
    ...(f.driveId ? { driveId: f.driveId } : {}),
    owners: owner
      ? [{ kind: 'drive#user', emailAddress: owner, permissionId: w.permissionIdOf(owner) }]
      : [],
  };
}

/** Deletes a file; a folder takes the files of the same owner inside it along. */
function remove(w: Workspace, f: SimDriveFile): void {
  w.files.delete(f.id);
  w.permissions.delete(f.id);
  if (f.mimeType !== FOLDER) return;
  for (const child of [...w.files.values()]) {
    if (!parentsOf(w, child).includes(f.id)) continue;
    if (child.ownerId === f.ownerId || (f.driveId && child.driveId === f.driveId)) remove(w, child);
    else child.parents = [];
  }
}

/** The file route of a method and the path segments under `drive/v3/`, if any. */
export function resolveDriveFileRoute(
  w: Workspace,
  method: string,
  segs: string[],
): Route | undefined {
  const [top, fileId] = segs;
  if (top !== 'files') return undefined;
  const r = (name: string, scopes: string[], run: Route['run']): Route => ({
    name,
    scopes,
    admin: false,
    run,
  });
  if (segs.length === 1 && method === 'POST')
    return r('drive.files.create', DRIVE, (ctx) => {
      const body = isObject(ctx.body) ? ctx.body : {};
      if (body.name !== undefined && typeof body.name !== 'string')
        throw invalid('Invalid value for name.');
      const parents: unknown = body.parents ?? [];
      if (!Array.isArray(parents) || parents.some((p) => typeof p !== 'string'))
        throw invalid('Invalid value for parents.');
      if (parents.length > 1)
        throw new ApiError(
          403,
          'Increasing the number of parents is not allowed.',
          'cannotAddParent',
        );
      const parent = (parents[0] as string | undefined) ?? null;
      const where = parent ? parentTarget(w, parent, ctx) : { driveId: null };
      if (where.driveId && !ADDERS.includes(driveRole(w, where.driveId, ctx.subject) ?? ''))
        throw noPermission();
      const id = w.newId('1f');
      const file: SimDriveFile = {
        id,
        name: typeof body.name === 'string' ? body.name : 'Untitled',
        mimeType: typeof body.mimeType === 'string' ? body.mimeType : 'application/octet-stream',
        ownerId: where.driveId ? null : ctx.subjectId,
        driveId: where.driveId,
        trashed: false,
        ...(parent ? { parents: [parent] } : {}),
      };
      w.files.set(id, file);
      if (!where.driveId) {
        const email = lower(ctx.subject);
        const pid = w.permissionIdOf(email);
        w.permissionsOf(id).set(pid, { id: pid, type: 'user', role: 'owner', emailAddress: email });
      }
      return ok(fileOut(w, file, ctx.query.has('fields')));
    });
  if (segs.length !== 2 || !fileId) return undefined;
  if (method === 'GET')
    return r('drive.files.get', READ_DRIVE, (ctx) =>
      ok(fileOut(w, fileFor(w, fileId, ctx), ctx.query.has('fields'))),
    );
  if (method === 'PATCH')
    return r('drive.files.update', DRIVE, (ctx) => {
      const f = fileFor(w, fileId, ctx);
      const body = isObject(ctx.body) ? ctx.body : {};
      const list = (name: string) =>
        (ctx.query.get(name) ?? '')
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean);
      const add = list('addParents');
      const drop = new Set(list('removeParents'));
      const current = parentsOf(w, f);
      const next = [
        ...current.filter((p) => !drop.has(p)),
        ...add.filter((p) => !current.includes(p)),
      ];
      if (add.length > 0 || drop.size > 0) {
        if (next.length > 1)
          throw new ApiError(
            403,
            'Increasing the number of parents is not allowed.',
            'cannotAddParent',
          );
        const targets = add.map((p) => parentTarget(w, p, ctx));
        const toDrive = targets[0]?.driveId ?? f.driveId;
        const mayEdit = f.driveId
          ? MOVERS.includes(driveRole(w, f.driveId, ctx.subject) ?? '')
          : f.ownerId === ctx.subjectId;
        if (!mayEdit) throw noPermission();
        if (toDrive && toDrive !== f.driveId) {
          if (f.mimeType === FOLDER)
            throw new ApiError(
              403,
              'Moving folders into shared drives is not supported.',
              'teamDrivesFolderMoveInNotSupported',
            );
          if (f.driveId || !MOVERS.includes(driveRole(w, toDrive, ctx.subject) ?? ''))
            throw noPermission();
          // The shared drive owns it now: the owner's permission goes.
          w.permissionsOf(f.id).delete(w.permissionIdOf(w.emailOf(f.ownerId!)));
          f.ownerId = null;
          f.driveId = toDrive;
        }
        f.parents = next;
      }
      if (typeof body.name === 'string') f.name = body.name;
      if (typeof body.trashed === 'boolean') f.trashed = body.trashed;
      return ok(fileOut(w, f, ctx.query.has('fields')));
    });
  if (method === 'DELETE')
    return r('drive.files.delete', DRIVE, (ctx) => {
      const f = fileFor(w, fileId, ctx);
      // In a shared drive only a manager deletes for good (others may only trash).
      const may = f.driveId
        ? driveRole(w, f.driveId, ctx.subject) === 'organizer'
        : f.ownerId === ctx.subjectId;
      if (!may) throw noPermission();
      remove(w, f);
      return { status: 204 };
    });
  return undefined;
}

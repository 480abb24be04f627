/**
 * Org units of the Directory API simulator (`customer/{c}/orgunits`): list
 * (`type=all|children|allIncludingParent`), get (by path or `id:`), insert, update/patch (moving a
 * unit moves its sub-units and users) and delete.
 */
import { isObject, lower } from '../http-kit';
import { orgUnitIdFor } from './data';
import type { Directory } from './directory';
import { ApiError, duplicate, invalid, notFound, parseError } from './errors';
import { listEtag, stamp } from './paging';

export function findOrgUnit(d: Directory, key: string): any {
  if (key.startsWith('id:')) {
    const unit = [...d.orgUnits.values()].find((u) => u.orgUnitId === key);
    if (!unit) throw notFound('org unit');
    return unit;
  }
  const path = `/${key.replace(/^\/+|\/+$/g, '')}`;
  const unit =
    d.orgUnits.get(path) ??
    [...d.orgUnits.values()].find((u) => lower(u.orgUnitPath) === lower(path));
  if (!unit) throw notFound('org unit');
  return unit;
}
const isUnder = (path: string, base: string) =>
  base === '/' || path === base || path.startsWith(`${base}/`);
function parentOf(d: Directory, body: any): any {
  if (body.parentOrgUnitId) return findOrgUnitOr400(d, String(body.parentOrgUnitId));
  if (body.parentOrgUnitPath) return findOrgUnitOr400(d, String(body.parentOrgUnitPath));
  throw invalid('Invalid Parent Orgunit Id');
}
function findOrgUnitOr400(d: Directory, key: string) {
  try {
    return findOrgUnit(d, key);
  } catch {
    throw invalid('Invalid Parent Orgunit Id');
  }
}
function checkOrgUnitName(name: unknown): string {
  const n = String(name ?? '').trim();
  if (!n || n.includes('/') || n.length > 255) throw invalid('Invalid Ou Name');
  return n;
}

export function orgUnitsList(d: Directory, query: URLSearchParams) {
  const base = query.get('orgUnitPath')
    ? findOrgUnit(d, query.get('orgUnitPath')!).orgUnitPath
    : '/';
  const type = lower(query.get('type') || 'children').replace(/_/g, '');
  if (!['all', 'children', 'allincludingparent'].includes(type))
    throw invalid('Invalid Input: type');
  const units = [...d.orgUnits.values()]
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
}

export function orgUnitsInsert(d: Directory, body: any) {
  if (!isObject(body)) throw parseError();
  const name = checkOrgUnitName(body.name);
  const parent = parentOf(d, body);
  const path = parent.orgUnitPath === '/' ? `/${name}` : `${parent.orgUnitPath}/${name}`;
  if (d.orgUnits.has(path)) throw duplicate('Invalid Ou Id');
  const unit = stamp({
    kind: 'admin#directory#orgUnit',
    etag: '',
    name,
    description: body.description ? String(body.description) : '',
    orgUnitPath: path,
    orgUnitId: orgUnitIdFor(d.nextOrgUnitIndex++),
    parentOrgUnitPath: parent.orgUnitPath,
    parentOrgUnitId: parent.orgUnitId,
    blockInheritance: body.blockInheritance === true,
  });
  d.orgUnits.set(path, unit);
  return unit;
}

export function orgUnitsUpdate(d: Directory, key: string, body: any) {
  if (!isObject(body)) throw parseError();
  const unit = findOrgUnit(d, key);
  if (unit.orgUnitPath === '/') throw invalid('Invalid Input: cannot modify the root org unit');
  const name =
    body.name !== undefined && body.name !== null ? checkOrgUnitName(body.name) : unit.name;
  const parent =
    body.parentOrgUnitId || body.parentOrgUnitPath
      ? parentOf(d, body)
      : findOrgUnit(d, unit.parentOrgUnitPath);
  if (isUnder(parent.orgUnitPath, unit.orgUnitPath) && parent.orgUnitPath !== '/')
    throw invalid('Invalid Parent Orgunit Id');
  const oldPath = unit.orgUnitPath;
  const newPath = parent.orgUnitPath === '/' ? `/${name}` : `${parent.orgUnitPath}/${name}`;
  if (newPath !== oldPath && d.orgUnits.has(newPath)) throw duplicate('Invalid Ou Id');
  const next = stamp({
    ...unit,
    name,
    orgUnitPath: newPath,
    parentOrgUnitPath: parent.orgUnitPath,
    parentOrgUnitId: parent.orgUnitId,
    ...(body.description !== undefined
      ? { description: body.description === null ? '' : String(body.description) }
      : {}),
    ...(body.blockInheritance !== undefined
      ? { blockInheritance: body.blockInheritance === true }
      : {}),
  });
  if (newPath !== oldPath) {
    const moved = (p: string) => (p === oldPath ? newPath : `${newPath}${p.slice(oldPath.length)}`);
    for (const u of [...d.orgUnits.values()]) {
      if (u === unit || !u.orgUnitPath.startsWith(`${oldPath}/`)) continue;
      d.orgUnits.delete(u.orgUnitPath);
      const path = moved(u.orgUnitPath);
      d.orgUnits.set(
        path,
        stamp({ ...u, orgUnitPath: path, parentOrgUnitPath: moved(u.parentOrgUnitPath) }),
      );
    }
    for (const id of [...d.users.keys()]) {
      const path = d.userOrgUnit(id);
      if (path !== lower(oldPath) && !path.startsWith(`${lower(oldPath)}/`)) continue;
      const u = d.users.get(id)!;
      d.users.set(id, stamp({ ...u, orgUnitPath: moved(u.orgUnitPath) }));
    }
    d.orgUnits.delete(oldPath);
  }
  d.orgUnits.set(newPath, next);
  return next;
}

export function orgUnitsDelete(d: Directory, key: string): void {
  const unit = findOrgUnit(d, key);
  if (unit.orgUnitPath === '/') throw invalid('Invalid Input: cannot delete the root org unit');
  if ([...d.orgUnits.values()].some((u) => u.parentOrgUnitPath === unit.orgUnitPath))
    throw new ApiError(400, 'Invalid Input: OrgUnit has sub-OrgUnits', 'conditionNotMet');
  const path = lower(unit.orgUnitPath);
  for (const id of d.users.keys())
    if (d.userOrgUnit(id) === path)
      throw new ApiError(400, 'Invalid Input: OrgUnit contains users', 'conditionNotMet');
  d.orgUnits.delete(unit.orgUnitPath);
}

/**
 * Directory API security routes of the simulator (under `admin/directory/v1/users/{userKey}/`):
 * `tokens` (list, get, delete: OAuth tokens the user granted to applications), `asps` (list, get,
 * delete: app passwords) and `signOut` (POST). Scope `admin.directory.user.security`.
 */
import { ApiError, notFound } from './errors';
import { listEtag } from './paging';
import type { Route } from './router';
import { USER_SECURITY } from './scopes';
import type { SimAsp, SimToken, Workspace } from './workspace';

const ok = (body: unknown) => ({ status: 200, body });
const noContent = { status: 204 };

function tokenOut(w: Workspace, userId: string, t: SimToken) {
  return w.etag({
    kind: 'admin#directory#token',
    etag: '',
    clientId: t.clientId,
    displayText: t.displayText,
    anonymous: t.anonymous,
    nativeApp: t.nativeApp,
    userKey: userId,
    scopes: [...t.scopes],
  });
}

function aspOut(w: Workspace, userId: string, a: SimAsp) {
  return w.etag({
    kind: 'admin#directory#asp',
    etag: '',
    codeId: a.codeId,
    name: a.name,
    creationTime: a.creationTime,
    lastTimeUsed: a.lastTimeUsed,
    userKey: userId,
  });
}

/** The security route of a method and the segments after `users/{userKey}/`, if any. */
export function resolveSecurityRoute(
  w: Workspace,
  method: string,
  userKey: string,
  rest: string[],
): Route | undefined {
  const [what, item] = rest;
  const r = (name: string, run: Route['run']): Route => ({ name, scopes: USER_SECURITY, run });
  if (what === 'signOut' && rest.length === 1 && method === 'POST')
    return r('users.signOut', () => {
      const { id } = w.user(userKey);
      w.signOuts.set(id, (w.signOuts.get(id) ?? 0) + 1);
      return noContent;
    });
  if (what === 'tokens') {
    if (rest.length === 1 && method === 'GET')
      return r('tokens.list', () => {
        const { id } = w.user(userKey);
        const items = [...w.tokensOf(id).values()].map((t) => tokenOut(w, id, t));
        return ok({
          kind: 'admin#directory#tokenList',
          etag: listEtag(items.map((t) => t.clientId)),
          ...(items.length ? { items } : {}),
        });
      });
    if (rest.length === 2 && (method === 'GET' || method === 'DELETE'))
      return r(method === 'GET' ? 'tokens.get' : 'tokens.delete', () => {
        const { id } = w.user(userKey);
        const tokens = w.tokensOf(id);
        const token = tokens.get(item!);
        if (!token) throw notFound('clientId');
        if (method === 'GET') return ok(tokenOut(w, id, token));
        tokens.delete(item!);
        return noContent;
      });
  }
  if (what === 'asps') {
    if (rest.length === 1 && method === 'GET')
      return r('asps.list', () => {
        const { id } = w.user(userKey);
        const items = [...w.aspsOf(id).values()].map((a) => aspOut(w, id, a));
        return ok({
          kind: 'admin#directory#aspList',
          etag: listEtag(items.map((a) => String(a.codeId))),
          ...(items.length ? { items } : {}),
        });
      });
    if (rest.length === 2 && (method === 'GET' || method === 'DELETE'))
      return r(method === 'GET' ? 'asps.get' : 'asps.delete', () => {
        const { id } = w.user(userKey);
        const codeId = Number(item);
        if (!Number.isInteger(codeId))
          throw new ApiError(400, 'Invalid value for: codeId', 'invalid');
        const asps = w.aspsOf(id);
        const asp = asps.get(codeId);
        if (!asp) throw notFound('codeId');
        if (method === 'GET') return ok(aspOut(w, id, asp));
        asps.delete(codeId);
        return noContent;
      });
  }
  return undefined;
}

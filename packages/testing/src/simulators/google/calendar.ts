/**
 * Calendar API v3 ACL routes of the simulator (under `calendar/v3/calendars/{calendarId}/acl`):
 * list, insert (a rule for a scope already in the ACL replaces its role, as Google does), get and
 * delete. A user's primary calendar (id = their address, or `primary` for the subject) exists
 * implicitly; others are seeded. Only the calendar's owner (or a user with an `owner` rule) may
 * read or change the ACL. Scope `calendar`.
 */
import { isObject, lower } from '../http-kit';
import { resolveCalendarEventsRoute } from './calendar-events';
import { ApiError, invalid, notFound } from './errors';
import { listEtag } from './paging';
import type { Route, RouteContext } from './router';
import { CALENDAR, READ_CALENDAR } from './scopes';
import type { SimCalendar, Workspace } from './workspace';

const ok = (body: unknown) => ({ status: 200, body });
const ROLES = ['none', 'freeBusyReader', 'reader', 'writer', 'owner'];
const SCOPE_TYPES = ['default', 'user', 'group', 'domain'];

function ruleOut(
  w: Workspace,
  id: string,
  rule: SimCalendar['acl'] extends Map<any, infer V> ? V : never,
) {
  return w.etag({
    kind: 'calendar#aclRule',
    etag: '',
    id,
    scope: { ...rule.scope },
    role: rule.role,
  });
}

/** The calendar, if the subject owns it. */
function owned(w: Workspace, calendarId: string, ctx: RouteContext): SimCalendar {
  const cal = w.calendarOf(calendarId, ctx.subjectId);
  const rule = cal.acl.get(`user:${ctx.subject}`);
  if (cal.ownerId !== ctx.subjectId && rule?.role !== 'owner') throw notFound('calendarId');
  return cal;
}

/** The Calendar route of a method and the path segments under `calendar/v3/`, if any. */
export function resolveCalendarRoute(
  w: Workspace,
  method: string,
  segs: string[],
): Route | undefined {
  const [c, calendarId, acl, ruleId] = segs;
  if (acl === 'events') return resolveCalendarEventsRoute(w, method, segs);
  if (c !== 'calendars' || !calendarId || acl !== 'acl') return undefined;
  const r = (name: string, scopes: string[], run: Route['run']): Route => ({
    name,
    scopes,
    admin: false,
    run,
  });
  if (segs.length === 3 && method === 'GET')
    return r('calendar.acl.list', READ_CALENDAR, (ctx) => {
      const cal = owned(w, calendarId, ctx);
      const items = [...cal.acl].map(([id, rule]) => ruleOut(w, id, rule));
      return ok({ kind: 'calendar#acl', etag: listEtag(items.map((i) => i.id)), items });
    });
  if (segs.length === 3 && method === 'POST')
    return r('calendar.acl.insert', CALENDAR, (ctx) => {
      const cal = owned(w, calendarId, ctx);
      const { body } = ctx;
      if (!isObject(body) || !ROLES.includes(body.role)) throw invalid('Invalid role');
      const type = body.scope?.type;
      if (!SCOPE_TYPES.includes(type)) throw invalid('Invalid scope type');
      if (type !== 'default' && typeof body.scope.value !== 'string')
        throw new ApiError(400, 'Missing scope value', 'required');
      const value = type === 'default' ? undefined : lower(body.scope.value);
      const id = value ? `${type}:${value}` : 'default';
      const rule = { role: body.role, scope: { type, ...(value ? { value } : {}) } };
      cal.acl.set(id, rule);
      return ok(ruleOut(w, id, rule));
    });
  if (segs.length !== 4 || !ruleId) return undefined;
  if (method === 'GET')
    return r('calendar.acl.get', READ_CALENDAR, (ctx) => {
      const rule = owned(w, calendarId, ctx).acl.get(lower(ruleId));
      if (!rule) throw notFound('ruleId');
      return ok(ruleOut(w, lower(ruleId), rule));
    });
  if (method === 'DELETE')
    return r('calendar.acl.delete', CALENDAR, (ctx) => {
      const cal = owned(w, calendarId, ctx);
      if (!cal.acl.delete(lower(ruleId))) throw notFound('ruleId');
      return { status: 204 };
    });
  return undefined;
}

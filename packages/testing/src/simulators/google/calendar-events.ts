/**
 * Calendar API v3 events of the simulator (under `calendar/v3/calendars/{calendarId}/events`):
 * `list` (`timeMin`/`timeMax`, `singleEvents`, `orderBy=startTime` only with `singleEvents`,
 * `maxResults` up to 2500, `pageToken`, `showDeleted`), `get`, `patch` (`sendUpdates`) and `delete`.
 * A meeting is one record shared by its organizer and attendees; each sees it in their primary
 * calendar (`primary` or their address; other calendars 404) with `self` on their own entries.
 * An attendee may change only their own `responseStatus` (anything else is 403
 * `forbiddenForNonOrganizer`) and deleting removes the event from their calendar alone; the
 * organizer's delete cancels the meeting for everyone (`status: cancelled`). A deleted or cancelled
 * event answers 410 `deleted`. Events carry no recurrence (single instances only). Scope `calendar`
 * or `calendar.events` (reads also the read-only ones).
 */
import { isObject, lower } from '../http-kit';
import { ApiError, invalid, notFound } from './errors';
import { decodeToken, fingerprint, intParam, page, stamp } from './paging';
import type { Route, RouteContext } from './router';
import { CALENDAR, READ_CALENDAR } from './scopes';
import type { Workspace } from './workspace';

const auth = (s: string) => `https://www.googleapis.com/auth/${s}`;
const WRITE_EVENTS = [...CALENDAR, auth('calendar.events')];
const READ_EVENTS = [...WRITE_EVENTS, ...READ_CALENDAR, auth('calendar.events.readonly')];
const RESPONSES = ['needsAction', 'declined', 'tentative', 'accepted'];
const SEND_UPDATES = ['all', 'externalOnly', 'none'];

/** A meeting as the simulator keeps it (addresses lower case). */
export interface SimCalendarEvent {
  id: string;
  summary: string;
  /** ISO 8601 instants. */
  start: string;
  end: string;
  organizer: string;
  attendees: Array<{ email: string; responseStatus: string }>;
  status: 'confirmed' | 'cancelled';
  /** Attendees who deleted the event from their own calendar. */
  removedFor: Set<string>;
  sequence: number;
}

/** The seed and read helpers of calendar events (part of `sim.workspace`). */
export interface GoogleCalendarEventsKit {
  /**
   * Adds a meeting organized by a user, on their and each attendee's primary calendar; returns its
   * id. Attendees answer `needsAction` unless given.
   */
  addCalendarEvent(
    organizerKey: string,
    event: {
      summary: string;
      start: string;
      end: string;
      attendees?: Array<{ email: string; responseStatus?: string }>;
    },
  ): string;
  /** A meeting as Google holds it: its status and every attendee's answer (null when unknown). */
  calendarEvent(eventId: string): {
    status: string;
    attendees: Array<{ email: string; responseStatus: string }>;
    removedFor: string[];
  } | null;
}

const stores = new WeakMap<Workspace, Map<string, SimCalendarEvent>>();

/** The meetings of a simulator. */
export function eventsOf(w: Workspace): Map<string, SimCalendarEvent> {
  let m = stores.get(w);
  if (!m) stores.set(w, (m = new Map()));
  return m;
}

/** The seed and read helpers of `sim.workspace`. */
export function calendarEventsKit(w: Workspace): GoogleCalendarEventsKit {
  return {
    addCalendarEvent(organizerKey, event) {
      const { email } = w.user(organizerKey);
      const id = w.newId('ev').toLowerCase();
      eventsOf(w).set(id, {
        id,
        summary: event.summary,
        start: new Date(event.start).toISOString(),
        end: new Date(event.end).toISOString(),
        organizer: email,
        attendees: [
          { email, responseStatus: 'accepted' },
          ...(event.attendees ?? []).map((a) => ({
            email: lower(a.email),
            responseStatus: a.responseStatus ?? 'needsAction',
          })),
        ],
        status: 'confirmed',
        removedFor: new Set(),
        sequence: 0,
      });
      return id;
    },
    calendarEvent(eventId) {
      const e = eventsOf(w).get(eventId);
      if (!e) return null;
      return {
        status: e.status,
        attendees: e.attendees.map((a) => ({ ...a })),
        removedFor: [...e.removedFor],
      };
    },
  };
}

/** Whether the event is on the calendar of `email` (cancelled ones too, for `showDeleted`). */
const onCalendarOf = (e: SimCalendarEvent, email: string) =>
  !e.removedFor.has(email) && (e.organizer === email || e.attendees.some((a) => a.email === email));

function eventOut(e: SimCalendarEvent, me: string) {
  return stamp({
    kind: 'calendar#event',
    etag: '',
    id: e.id,
    status: e.removedFor.has(me) ? 'cancelled' : e.status,
    summary: e.summary,
    iCalUID: `${e.id}@google.com`,
    sequence: e.sequence,
    creator: { email: e.organizer, ...(e.organizer === me ? { self: true } : {}) },
    organizer: { email: e.organizer, ...(e.organizer === me ? { self: true } : {}) },
    start: { dateTime: e.start, timeZone: 'UTC' },
    end: { dateTime: e.end, timeZone: 'UTC' },
    attendees: e.attendees.map((a) => ({
      email: a.email,
      ...(a.email === e.organizer ? { organizer: true } : {}),
      ...(a.email === me ? { self: true } : {}),
      responseStatus: a.responseStatus,
    })),
  });
}

const gone = () => new ApiError(410, 'Resource has been deleted', 'deleted');

function rfc3339(query: URLSearchParams, name: string): number | null {
  const raw = query.get(name);
  if (raw === null) return null;
  const at = /[zZ]|[+-]\d\d:\d\d$/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(at)) throw invalid(`Bad Request: ${name}`);
  return at;
}

function sendUpdatesOf(query: URLSearchParams) {
  const v = query.get('sendUpdates');
  if (v !== null && !SEND_UPDATES.includes(v)) throw invalid('Invalid value for: sendUpdates');
}

/** The Calendar events route of a method and the path segments under `calendar/v3/`, if any. */
export function resolveCalendarEventsRoute(
  w: Workspace,
  method: string,
  segs: string[],
): Route | undefined {
  const [c, calendarId, events, eventId] = segs;
  if (c !== 'calendars' || !calendarId || events !== 'events' || segs.length > 4) return undefined;
  const r = (name: string, scopes: string[], run: Route['run']): Route => ({
    name,
    scopes,
    admin: false,
    run,
  });
  /** The subject's address, when the calendar is their primary one. */
  const owner = (ctx: RouteContext) => {
    if (calendarId !== 'primary' && lower(calendarId) !== ctx.subject) throw notFound('calendarId');
    return ctx.subject;
  };
  const visible = (ctx: RouteContext) => {
    const me = owner(ctx);
    const e = eventsOf(w).get(eventId ?? '');
    if (!e || !onCalendarOf(e, me)) throw notFound('eventId');
    return { me, e };
  };

  if (segs.length === 3 && method === 'GET')
    return r('calendar.events.list', READ_EVENTS, ({ query, ...ctx }) => {
      const me = owner({ query, ...ctx });
      const timeMin = rfc3339(query, 'timeMin');
      const timeMax = rfc3339(query, 'timeMax');
      const single = query.get('singleEvents') === 'true';
      const orderBy = query.get('orderBy');
      if (orderBy !== null && orderBy !== 'startTime' && orderBy !== 'updated')
        throw invalid('Invalid value for: orderBy');
      if (orderBy === 'startTime' && !single)
        throw invalid('The requested ordering is not available for the particular query.');
      const showDeleted = query.get('showDeleted') === 'true';
      const max = intParam(query, 'maxResults', 250, 2500);
      const fp = fingerprint([me, timeMin, timeMax, single, showDeleted]);
      const after = decodeToken(query.get('pageToken'), fp);
      const key = (e: SimCalendarEvent) => `${e.start}|${e.id}`;
      const all = [...eventsOf(w).values()]
        .filter((e) => onCalendarOf(e, me) || (showDeleted && e.removedFor.has(me)))
        .filter((e) => showDeleted || (e.status !== 'cancelled' && !e.removedFor.has(me)))
        .filter((e) => timeMin === null || Date.parse(e.end) > timeMin)
        .filter((e) => timeMax === null || Date.parse(e.start) < timeMax)
        .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
        .filter((e) => after === undefined || key(e) > after);
      const items = all.slice(0, max);
      const last = items.at(-1);
      return {
        status: 200,
        body: {
          ...page(
            'calendar#events',
            'items',
            items.map((e) => eventOut(e, me)),
            last ? key(last) : undefined,
            all.length > max,
            fp,
            items.map((e) => e.id),
          ),
          summary: me,
          timeZone: 'UTC',
          accessRole: 'owner',
          ...(items.length === 0 ? { items: [] } : {}),
        },
      };
    });
  if (segs.length !== 4 || !eventId) return undefined;
  if (method === 'GET')
    return r('calendar.events.get', READ_EVENTS, (ctx) => {
      const { me, e } = visible(ctx);
      return { status: 200, body: eventOut(e, me) };
    });
  if (method === 'PATCH')
    return r('calendar.events.patch', WRITE_EVENTS, (ctx) => {
      sendUpdatesOf(ctx.query);
      const { me, e } = visible(ctx);
      if (e.status === 'cancelled') throw gone();
      const body = ctx.body;
      if (!isObject(body)) throw invalid('Bad Request');
      const organizer = e.organizer === me;
      const next = new Map(e.attendees.map((a) => [a.email, a.responseStatus]));
      if (body.attendees !== undefined) {
        if (!Array.isArray(body.attendees)) throw invalid('Invalid attendees');
        const given = new Map<string, string>();
        for (const a of body.attendees) {
          if (!isObject(a) || typeof a.email !== 'string') throw invalid('Invalid attendee email');
          const status = a.responseStatus ?? 'needsAction';
          if (!RESPONSES.includes(status)) throw invalid('Invalid attendee responseStatus');
          given.set(lower(a.email), status);
        }
        if (!organizer) {
          // An attendee changes their own answer only: the others exactly as they are.
          const others = (m: Map<string, string>) =>
            JSON.stringify([...m].filter(([k]) => k !== me).sort());
          if (others(given) !== others(next) || !given.has(me))
            throw new ApiError(
              403,
              'Shared properties can only be changed by the organizer of the event.',
              'forbiddenForNonOrganizer',
            );
        }
        next.clear();
        for (const [k, v] of given) next.set(k, v);
      }
      for (const k of Object.keys(body))
        if (k !== 'attendees' && !(organizer && k === 'summary'))
          throw new ApiError(
            403,
            'Shared properties can only be changed by the organizer of the event.',
            'forbiddenForNonOrganizer',
          );
      if (organizer && typeof body.summary === 'string') e.summary = body.summary;
      e.attendees = [...next].map(([email, responseStatus]) => ({ email, responseStatus }));
      e.sequence++;
      return { status: 200, body: eventOut(e, me) };
    });
  if (method === 'DELETE')
    return r('calendar.events.delete', WRITE_EVENTS, (ctx) => {
      sendUpdatesOf(ctx.query);
      const { me, e } = visible(ctx);
      if (e.status === 'cancelled') throw gone();
      if (e.organizer === me) {
        e.status = 'cancelled';
        e.sequence++;
      } else e.removedFor.add(me);
      return { status: 204 };
    });
  return undefined;
}

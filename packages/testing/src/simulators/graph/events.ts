/**
 * Calendar events in the Graph simulator: `users/{id}/calendarView` (`startDateTime` and
 * `endDateTime` required, `$top` up to 1000, `$skip` pages with `@odata.nextLink`, `$select`),
 * `users/{id}/events/{eventId}` (get) and the `decline` and `cancel` actions (202). A meeting is one
 * record seen in the organizer's and each attendee's mailbox under an id of that mailbox. Declining
 * sets the attendee's `responseStatus.response` to `declined` (only an attendee may: the organizer
 * gets 400); `cancel` is the organizer's only (others get 400 `ErrorAccessDenied`) and marks the
 * meeting `isCancelled` for the attendees while it leaves the organizer's calendar. Events carry no
 * recurrence. Permissions Calendars.Read / Calendars.ReadWrite.
 */
import { isObject, lower } from '../http-kit';
import { ROLES_FOR } from './permissions';
import type { Tenant } from './tenant';
import { badRequest, GraphError, otherRoute, type Route, wrongMethodError } from './wire';

/** A meeting as the Graph simulator keeps it. */
export interface GraphSimMeeting {
  id: string;
  subject: string;
  /** ISO 8601 instants. */
  start: string;
  end: string;
  /** The organizer's user id. */
  organizerId: string;
  /** Attendees by user id (tenant users) with their answer. */
  attendees: Array<{ userId: string; response: string }>;
  isCancelled: boolean;
}

/** A new meeting (`sim.addMeeting`): users by id or UPN. */
export interface GraphSimMeetingInput {
  subject: string;
  start: string;
  end: string;
  attendees?: Array<{ user: string; response?: string }>;
}

const stores = new WeakMap<Tenant, Map<string, GraphSimMeeting>>();

/** The meetings of a tenant. */
export function meetingsOf(t: Tenant): Map<string, GraphSimMeeting> {
  let m = stores.get(t);
  if (!m) stores.set(t, (m = new Map()));
  return m;
}

/** Adds a meeting organized by a user; returns its id. */
export function addMeeting(t: Tenant, organizer: string, input: GraphSimMeetingInput): string {
  const meetings = meetingsOf(t);
  const id = `meeting-${meetings.size + 1}`;
  meetings.set(id, {
    id,
    subject: input.subject,
    start: new Date(input.start).toISOString(),
    end: new Date(input.end).toISOString(),
    organizerId: t.userOf(organizer).id,
    attendees: (input.attendees ?? []).map((a) => ({
      userId: t.userOf(a.user).id,
      response: a.response ?? 'notResponded',
    })),
    isCancelled: false,
  });
  return id;
}

/** The id of a meeting in one mailbox, and back. */
const eventId = (meetingId: string, userId: string) =>
  `AAMk${Buffer.from(`${meetingId}|${userId}`).toString('base64url')}`;
function parseEventId(id: string): [string, string] | null {
  if (!id.startsWith('AAMk')) return null;
  const [m, u] = Buffer.from(id.slice(4), 'base64url').toString('utf8').split('|');
  return m && u ? [m, u] : null;
}

const notInStore = () =>
  new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
const noWindow = () =>
  badRequest(
    'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
    'ErrorInvalidParameter',
  );

/** The routes of `users/{id}/calendarView` and `users/{id}/events/{id}[/decline|/cancel]`. */
export function createEventRoutes(t: Tenant) {
  const { userOf, context, linkWith } = t;
  const mailboxOf = (key: string) => {
    const { id, user } = userOf(key);
    if (!user.mail)
      throw new GraphError(
        404,
        'MailboxNotEnabledForRESTAPI',
        'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
      );
    return { id, user };
  };
  const address = (userId: string) => {
    const u = t.users.peek(userId);
    return { name: u?.displayName ?? '', address: lower(u?.mail ?? u?.userPrincipalName ?? '') };
  };
  /** The meeting as seen in `userId`'s mailbox, or null when it is not there. */
  const view = (m: GraphSimMeeting, userId: string) => {
    const organizer = m.organizerId === userId;
    const mine = m.attendees.find((a) => a.userId === userId);
    if (organizer ? m.isCancelled : !mine) return null;
    return {
      id: eventId(m.id, userId),
      subject: m.subject,
      isOrganizer: organizer,
      isCancelled: m.isCancelled,
      responseStatus: { response: organizer ? 'organizer' : mine!.response, time: m.start },
      start: { dateTime: m.start.replace(/Z$/, '0000'), timeZone: 'UTC' },
      end: { dateTime: m.end.replace(/Z$/, '0000'), timeZone: 'UTC' },
      organizer: { emailAddress: address(m.organizerId) },
      attendees: m.attendees.map((a) => ({
        type: 'required',
        status: { response: a.response, time: m.start },
        emailAddress: address(a.userId),
      })),
    };
  };
  const select = (ev: Record<string, unknown>, query: URLSearchParams) => {
    const fields = query.get('$select');
    if (!fields) return ev;
    const keep = new Set(['id', ...fields.split(',').map((f) => f.trim())]);
    return Object.fromEntries(Object.entries(ev).filter(([k]) => keep.has(k)));
  };
  const meetingOf = (userId: string, id: string) => {
    const parsed = parseEventId(id);
    const m = parsed && parsed[1] === userId ? meetingsOf(t).get(parsed[0]) : undefined;
    if (!m || !view(m, userId)) throw notInStore();
    return m;
  };
  const r = otherRoute;
  const wrongMethod = wrongMethodError();

  return (
    method: string,
    key: string,
    rest: string[],
  ): Route | { error: GraphError } | undefined => {
    const [b, id, verb] = rest;
    if (b === 'calendarView' && rest.length === 1) {
      if (method !== 'GET') return wrongMethod;
      return r('events.calendarView', ROLES_FOR.calendarsRead, (ctx) => {
        const { id: uid } = mailboxOf(key);
        const start = Date.parse(ctx.query.get('startDateTime') ?? '');
        const end = Date.parse(ctx.query.get('endDateTime') ?? '');
        if (Number.isNaN(start) || Number.isNaN(end)) throw noWindow();
        const top = Math.min(1000, Math.max(1, Number(ctx.query.get('$top') ?? 10) || 10));
        const skip = Math.max(0, Number(ctx.query.get('$skip') ?? 0) || 0);
        const all = [...meetingsOf(t).values()]
          .filter((m) => Date.parse(m.start) < end && Date.parse(m.end) > start)
          .sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0))
          .map((m) => view(m, uid))
          .filter((v) => v !== null);
        const value = all.slice(skip, skip + top).map((v) => select(v, ctx.query));
        const body: Record<string, unknown> = {
          '@odata.context': context(`users('${uid}')/calendarView`),
          value,
        };
        if (skip + top < all.length)
          body['@odata.nextLink'] = linkWith(ctx.path, ctx.query, { $skip: String(skip + top) });
        return { status: 200, body };
      });
    }
    if (b !== 'events' || !id || rest.length > 3) return undefined;
    if (rest.length === 2) {
      if (method !== 'GET') return wrongMethod;
      return r('events.get', ROLES_FOR.calendarsRead, (ctx) => {
        const { id: uid } = mailboxOf(key);
        const m = meetingOf(uid, id);
        return { status: 200, body: select(view(m, uid)!, ctx.query) };
      });
    }
    if (verb !== 'decline' && verb !== 'cancel') return undefined;
    if (method !== 'POST') return wrongMethod;
    if (verb === 'decline')
      return r('events.decline', ROLES_FOR.calendarsWrite, (ctx) => {
        const { id: uid } = mailboxOf(key);
        const m = meetingOf(uid, id);
        if (ctx.body !== undefined && !isObject(ctx.body))
          throw badRequest('Empty Payload. JSON content expected.');
        if (m.organizerId === uid)
          throw badRequest(
            "Your request can't be completed. You can't respond to this meeting because you're the meeting organizer.",
            'ErrorInvalidRequest',
          );
        m.attendees.find((a) => a.userId === uid)!.response = 'declined';
        return { status: 202 };
      });
    return r('events.cancel', ROLES_FOR.calendarsWrite, () => {
      const { id: uid } = mailboxOf(key);
      const m = meetingOf(uid, id);
      if (m.organizerId !== uid)
        throw badRequest(
          "Your request can't be completed. You need to be an organizer to cancel a meeting.",
          'ErrorAccessDenied',
        );
      m.isCancelled = true;
      return { status: 202 };
    });
  };
}

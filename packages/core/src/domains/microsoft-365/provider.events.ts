/**
 * The calendar events calls of the Microsoft 365 provider (on `graphConnection`): a user's
 * calendar view in a window (every page), and declining or cancelling one of their events.
 * Application permission Calendars.ReadWrite.
 */
import type { GraphObject, Microsoft365Provider } from './provider';
import { type GraphConnection, relative } from './provider.http';

/** The event properties read for offboarding (`$select`). */
export const MS_EVENT_FIELDS = [
  'id',
  'subject',
  'isOrganizer',
  'isCancelled',
  'responseStatus',
  'attendees',
] as const;

const user = (id: string) => `/users/${encodeURIComponent(id)}`;

/** The calendar events calls of the provider. */
export function eventCalls(
  graph: GraphConnection,
): Pick<Microsoft365Provider, 'listCalendarView' | 'declineEvent' | 'cancelEvent'> {
  const { client, call, get, pageSize } = graph;
  const action = (name: string, id: string, eventId: string, body: Record<string, unknown>) =>
    call(name, true, (signal) =>
      client
        .api(`${user(id)}/events/${encodeURIComponent(eventId)}/${name.split('.')[1]}`)
        .option('signal', signal)
        .post(body),
    );
  return {
    async listCalendarView(id, start, end) {
      const out: GraphObject[] = [];
      const query = new URLSearchParams({
        startDateTime: start.toISOString(),
        endDateTime: end.toISOString(),
        $select: MS_EVENT_FIELDS.join(','),
        $top: String(Math.min(pageSize, 250)),
      });
      let next: string | null = `${user(id)}/calendarView?${query}`;
      while (next) {
        const page: { value?: GraphObject[]; '@odata.nextLink'?: string } = await get(
          'events.calendarView',
          next,
        );
        out.push(...(page.value ?? []));
        next = page['@odata.nextLink'] ? relative(page['@odata.nextLink']) : null;
      }
      return out;
    },
    declineEvent: async (id, eventId, sendResponse) => {
      await action('events.decline', id, eventId, { sendResponse });
    },
    cancelEvent: async (id, eventId, comment) => {
      await action('events.cancel', id, eventId, comment ? { comment } : {});
    },
  };
}

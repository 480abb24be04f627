/**
 * The Calendar events calls of the Google Workspace provider: a user's primary calendar read and
 * changed as that user (domain-wide delegation, `subject`), as Google requires for events.
 */
import type { DirectoryConnection } from './provider.http';
import { GOOGLE_LIFECYCLE_SCOPES, type GoogleApiRoots } from './provider.security';

/** An attendee of a calendar event. */
export interface GoogleEventAttendee {
  email?: string;
  /** True on the entry of the calendar's owner (the user the call acts as). */
  self?: boolean;
  organizer?: boolean;
  /** `needsAction`, `declined`, `tentative` or `accepted`. */
  responseStatus?: string;
  [field: string]: unknown;
}

/** A calendar event (Calendar API v3 `calendar#event`), as far as offboarding reads it. */
export interface GoogleCalendarEvent {
  id: string;
  /** `confirmed`, `tentative` or `cancelled`. */
  status?: string;
  summary?: string;
  organizer?: { email?: string; self?: boolean };
  attendees?: GoogleEventAttendee[];
  [field: string]: unknown;
}

/** Whom Google notifies of a change: `all`, `externalOnly` or `none`. */
export type GoogleSendUpdates = 'all' | 'externalOnly' | 'none';

/** The Calendar events calls of the provider. */
export interface GoogleCalendarEventCalls {
  /**
   * The events of `owner`'s primary calendar that end after `timeMin` (recurring events expanded
   * into instances, `singleEvents`), every page, as `owner`. @throws HeliosError `GOOGLE.*`
   */
  listUpcomingEvents(owner: string, timeMin: Date): Promise<GoogleCalendarEvent[]>;
  /** Patches an event of `owner`'s primary calendar, as `owner`. @throws HeliosError `GOOGLE.*` */
  patchEvent(
    owner: string,
    eventId: string,
    patch: Partial<GoogleCalendarEvent>,
    sendUpdates: GoogleSendUpdates,
  ): Promise<GoogleCalendarEvent>;
  /**
   * Deletes an event of `owner`'s primary calendar, as `owner` (for its organizer: the meeting is
   * cancelled for everyone). @throws HeliosError `GOOGLE.NOT_FOUND` and `GOOGLE.*`
   */
  deleteEvent(owner: string, eventId: string, sendUpdates: GoogleSendUpdates): Promise<void>;
}

const enc = encodeURIComponent;

export function calendarEventCalls(
  google: DirectoryConnection,
  roots: Required<GoogleApiRoots>,
): GoogleCalendarEventCalls {
  const { callAs } = google;
  const as = (owner: string) => ({ subject: owner, scopes: [GOOGLE_LIFECYCLE_SCOPES.calendar] });
  const events = `${roots.calendar}calendar/v3/calendars/primary/events`;
  return {
    async listUpcomingEvents(owner, timeMin) {
      const out: GoogleCalendarEvent[] = [];
      let pageToken: string | undefined;
      do {
        const page = await callAs<{ items?: GoogleCalendarEvent[]; nextPageToken?: string }>(
          'calendar.events.list',
          true,
          as(owner),
          {
            url: events,
            params: {
              timeMin: timeMin.toISOString(),
              singleEvents: true,
              maxResults: 250,
              ...(pageToken ? { pageToken } : {}),
            },
          },
        );
        out.push(...(page.items ?? []));
        pageToken = page.nextPageToken;
      } while (pageToken);
      return out;
    },
    // A patch sets the same fields again: safe to retry.
    patchEvent: (owner, eventId, patch, sendUpdates) =>
      callAs<GoogleCalendarEvent>('calendar.events.patch', true, as(owner), {
        url: `${events}/${enc(eventId)}`,
        method: 'PATCH',
        params: { sendUpdates },
        data: patch,
      }),
    deleteEvent: async (owner, eventId, sendUpdates) => {
      await callAs('calendar.events.delete', true, as(owner), {
        url: `${events}/${enc(eventId)}`,
        method: 'DELETE',
        params: { sendUpdates },
      });
    },
  };
}

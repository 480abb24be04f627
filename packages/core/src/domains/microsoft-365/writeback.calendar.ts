/**
 * Microsoft 365 write-back of a user's future meetings: the default calendar's view from now for
 * {@link MICROSOFT_MEETINGS_WINDOW_DAYS} days; every meeting the user was invited to and has not
 * declined is declined (`sendResponse: true`, so the organizer's tracking shows it), and the
 * meetings the user organizes (with other attendees) are cancelled when asked (`organized:
 * 'cancel'`), else left. Graph keeps no ownership transfer: a kept meeting stays the user's.
 * Idempotent: the view is read first (declined and cancelled events are passed over). Needs
 * `users:write`; audited `microsoft_365.meetings_declined` when it changed something.
 */
import { z } from 'zod';
import { parseInput } from '../../shared/validation';
import type { CloudChange } from '../integrations/contract';
import { runWriteback } from '../integrations/writeback';
import type { GraphObject } from './provider';
import type { MicrosoftWritebackContext } from './writeback.context';
import type { MicrosoftWritebackService } from './writeback.service';

/** How far ahead `declineFutureMeetings` looks (Graph's calendar view needs an end). */
export const MICROSOFT_MEETINGS_WINDOW_DAYS = 365;

const organizedSchema = z.enum(['cancel', 'keep']);

/** What to do with one event of the view: decline it, cancel it, or nothing. */
function meetingAction(event: GraphObject, organized: 'cancel' | 'keep') {
  if (event.isCancelled === true) return null;
  if (event.isOrganizer === true) {
    const attendees = Array.isArray(event.attendees) ? event.attendees : [];
    return organized === 'cancel' && attendees.length > 0 ? 'cancel' : null;
  }
  const response = (event.responseStatus as { response?: string } | undefined)?.response;
  return response === 'declined' ? null : 'decline';
}

export function microsoftCalendarOperations(
  ctx: MicrosoftWritebackContext,
): Pick<MicrosoftWritebackService, 'declineFutureMeetings'> {
  const { rt } = ctx;
  return {
    declineFutureMeetings: (msId, organized, options) =>
      runWriteback(rt, 'microsoftWriteback.declineFutureMeetings', 'users:write', options, {
        async prepare(s) {
          const row = await ctx.prepareUser(s, msId);
          return { row, organized: parseInput(organizedSchema, organized), now: s.now };
        },
        async call({ row, organized: what, now }): Promise<CloudChange> {
          const ms = await ctx.provider();
          const end = new Date(now.getTime() + MICROSOFT_MEETINGS_WINDOW_DAYS * 86_400_000);
          const items: string[] = [];
          for (const event of await ms.listCalendarView(row.ms_id, now, end)) {
            const action = meetingAction(event, what);
            if (action === 'decline') {
              await ms.declineEvent(row.ms_id, event.id, true);
              items.push(`declined:${event.id}`);
            } else if (action === 'cancel') {
              await ms.cancelEvent(row.ms_id, event.id, 'The organizer has left the organization.');
              items.push(`cancelled:${event.id}`);
            }
          }
          return { changed: items.length > 0, items };
        },
        async record(s, change, { row, organized: what }) {
          if (change.changed)
            await s.audit({
              action: 'microsoft_365.meetings_declined',
              resource: 'ms_synced_users',
              resourceId: row.id,
              details: { msId: row.ms_id, organized: what, items: change.items ?? [] },
            });
          return change;
        },
      }),
  };
}

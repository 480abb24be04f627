/**
 * Google Workspace lifecycle write-back, part 3: the user's future meetings (Calendar events of
 * the primary calendar, acting as the user) and the signature of the primary send-as address
 * (Gmail settings, acting as the user). Idempotent: Google's state is read first and only what
 * differs is written; `changed` says whether anything was.
 *
 * Declining patches only the user's own attendee entry (`responseStatus: declined`) with
 * `sendUpdates=none`: Google shows the organizer the answer without a mail to every attendee.
 * Cancelling (deleting) a meeting the user organizes uses `sendUpdates=all`, so the attendees
 * learn that it is off.
 */
import { z } from 'zod';
import { isHeliosError } from '../../errors';
import { parseInput } from '../../shared/validation';
import type { CloudChange } from '../integrations/contract';
import { runWriteback } from '../integrations/writeback';
import { GOOGLE_ERROR_CODES } from './errors';
import type { GoogleCalendarEvent } from './provider.calendar';
import type { GoogleWritebackContext } from './writeback.context';
import { actingAs, auditChange, emailOf, resolveUser } from './writeback.lifecycle';
import type { GoogleWritebackService } from './writeback.service';

type Part3 = Pick<GoogleWritebackService, 'declineFutureMeetings' | 'setSignature'>;

const organizedSchema = z.enum(['cancel', 'keep']);
const signatureSchema = z.string().max(10_000).nullable();

/** True when the delete went through; false when the event was already gone (404, 410). */
async function deleted(p: Promise<void>): Promise<boolean> {
  try {
    await p;
    return true;
  } catch (error) {
    if (
      isHeliosError(error) &&
      (error.code === GOOGLE_ERROR_CODES.NOT_FOUND ||
        (error.details as { status?: unknown } | undefined)?.status === 410)
    )
      return false;
    throw error;
  }
}

/** What to do with one event of the user's calendar: decline it, cancel it, or nothing. */
function meetingAction(
  event: GoogleCalendarEvent,
  mailbox: string,
  organized: 'cancel' | 'keep',
): 'decline' | 'cancel' | null {
  if (event.status === 'cancelled') return null;
  const isMe = (email: string | undefined) => (email ?? '').toLowerCase() === mailbox;
  const attendees = event.attendees ?? [];
  if (event.organizer?.self === true || isMe(event.organizer?.email)) {
    const others = attendees.some((a) => a.self !== true && !isMe(a.email));
    return organized === 'cancel' && others ? 'cancel' : null;
  }
  const me = attendees.find((a) => a.self === true || isMe(a.email));
  if (!me || me.responseStatus === 'declined') return null;
  return 'decline';
}

/** The lifecycle operations of part 3. */
export function googleCalendarOperations(ctx: GoogleWritebackContext): Part3 {
  const { rt } = ctx;
  return {
    declineFutureMeetings: (googleId, organized, options) =>
      runWriteback(rt, 'googleWriteback.declineFutureMeetings', 'users:write', options, {
        async prepare(s) {
          const id = ctx.parseUserId(googleId);
          return {
            id,
            email: await emailOf(s, id),
            organized: parseInput(organizedSchema, organized),
            now: s.now,
          };
        },
        async call({ id, email, organized: what, now }): Promise<CloudChange> {
          const google = await ctx.provider();
          const mailbox = (await resolveUser(google, { id, email })).email.toLowerCase();
          const items: string[] = [];
          const events = await actingAs(mailbox, 'Meetings are declined', () =>
            google.listUpcomingEvents(mailbox, now),
          );
          for (const event of events) {
            const action = meetingAction(event, mailbox, what);
            if (action === 'decline') {
              // Arrays are replaced by a patch: every attendee as read, the user's own entry declined.
              const attendees = (event.attendees ?? []).map((a) =>
                a.self === true || (a.email ?? '').toLowerCase() === mailbox
                  ? { ...a, responseStatus: 'declined' }
                  : a,
              );
              await google.patchEvent(mailbox, event.id, { attendees }, 'none');
              items.push(`declined:${event.id}`);
            } else if (action === 'cancel') {
              // Gone meanwhile (a retried step): Google answers 404 or 410, nothing to cancel.
              if (await deleted(google.deleteEvent(mailbox, event.id, 'all')))
                items.push(`cancelled:${event.id}`);
            }
          }
          return { changed: items.length > 0, items };
        },
        record: (s, change, { id, organized: what }) =>
          auditChange(s, 'google_workspace.meetings_declined', id, change, { organized: what }),
      }),

    setSignature: (googleId, html, options) =>
      runWriteback(rt, 'googleWriteback.setSignature', 'users:write', options, {
        async prepare(s) {
          const id = ctx.parseUserId(googleId);
          return { id, email: await emailOf(s, id), html: parseInput(signatureSchema, html) };
        },
        async call({ id, email, html: wanted }): Promise<CloudChange> {
          const google = await ctx.provider();
          const mailbox = (await resolveUser(google, { id, email })).email;
          const aliases = await actingAs(mailbox, 'The signature is set', () =>
            google.listSendAs(mailbox),
          );
          const primary =
            aliases.find((a) => a.isPrimary === true) ??
            aliases.find((a) => a.sendAsEmail.toLowerCase() === mailbox.toLowerCase());
          if (!primary) return { changed: false };
          const signature = wanted ?? '';
          if ((primary.signature ?? '') === signature)
            return { changed: false, items: [primary.sendAsEmail] };
          await google.patchSendAs(mailbox, primary.sendAsEmail, { signature });
          return { changed: true, items: [primary.sendAsEmail] };
        },
        record: (s, change, { id, html: wanted }) =>
          auditChange(s, 'google_workspace.signature_set', id, change, {
            cleared: wanted === null,
          }),
      }),
  };
}

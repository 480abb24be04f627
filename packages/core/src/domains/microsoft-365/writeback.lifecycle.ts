/**
 * Microsoft 365 write-back of the lifecycle operations Graph offers: a user's groups and licences,
 * free licence units, the automatic reply (`mailboxSettings.automaticRepliesSetting`) and mail
 * forwarding, and sharing a user's default calendar (`calendarPermissions`).
 *
 * Graph's `mailboxSettings` has no forwarding property (Exchange's `ForwardingSmtpAddress` is not in
 * Graph), so forwarding is an inbox message rule named {@link MICROSOFT_FORWARDING_RULE_NAME} with
 * `actions.forwardTo`: found by its name, so setting it twice changes nothing, and null deletes it.
 *
 * Reads need `users:read` and are not audited; writes need `users:write`, read Graph first and send
 * nothing when the mailbox is already as wanted (`changed: false`), and are audited when they
 * changed something. Every operation is an external call: never inside a transaction.
 */
import type { OperationScope } from '../../runtime';
import { parseInput } from '../../shared/validation';
import type { CloudChange, CloudGroupRef, LicenseAvailability } from '../integrations/contract';
import { runWriteback } from '../integrations/writeback';
import type { CallOptions } from '../policy/actor';
import { MICROSOFT_ERRORS } from './errors';
import type { MicrosoftWritebackContext } from './writeback.context';
import {
  MICROSOFT_CALENDAR_ROLES,
  microsoftAutoReplySchema,
  microsoftForwardingSchema,
  microsoftObjectIdSchema,
  microsoftShareCalendarSchema,
  microsoftSkuListSchema,
} from './writeback.schema';
import type { MicrosoftWritebackService } from './writeback.service';

/** The display name of the inbox rule Helios forwards a user's mail with. */
export const MICROSOFT_FORWARDING_RULE_NAME = 'Helios offboarding forward';

type Lifecycle = Pick<
  MicrosoftWritebackService,
  | 'listUserGroups'
  | 'listUserLicenses'
  | 'licenseAvailability'
  | 'setAutoReply'
  | 'setMailForwarding'
  | 'shareCalendar'
>;

interface AutomaticReplies {
  status?: string;
  internalReplyMessage?: string;
  externalReplyMessage?: string;
  scheduledEndDateTime?: { dateTime?: string; timeZone?: string };
}

/** Graph's `dateTime` (no offset) in a time zone, as epoch ms (UTC only; others: NaN). */
function graphTime(value: { dateTime?: string; timeZone?: string } | undefined): number {
  if (!value?.dateTime || (value.timeZone && value.timeZone.toUpperCase() !== 'UTC')) return NaN;
  return Date.parse(`${value.dateTime.replace(/Z$/, '')}Z`);
}

/** Graph's `{ dateTime, timeZone }` of an instant, in UTC. */
const utc = (at: Date) => ({ dateTime: at.toISOString().replace(/Z$/, ''), timeZone: 'UTC' });

/** Forwarding addresses of a message rule, lower-cased. */
function forwardsTo(rule: Record<string, unknown>): string[] {
  const actions = (rule.actions ?? {}) as {
    forwardTo?: Array<{ emailAddress?: { address?: string } }>;
  };
  return (actions.forwardTo ?? []).map((r) => String(r.emailAddress?.address ?? '').toLowerCase());
}

export function microsoftLifecycleOperations(ctx: MicrosoftWritebackContext): Lifecycle {
  const { rt } = ctx;
  /** A read: `users:read`, the id checked, no transaction, no audit. */
  const read = <P, R>(
    operation: string,
    options: CallOptions | undefined,
    prepare: (s: OperationScope) => P,
    call: (prepared: P) => Promise<R>,
  ) =>
    rt.external<P, R>(operation, options, {
      prepare: async (s) => {
        await s.authorize('users:read');
        return prepare(s);
      },
      call,
    });

  return {
    listUserGroups: (msId, options) =>
      read(
        'microsoftWriteback.listUserGroups',
        options,
        () => parseInput(microsoftObjectIdSchema, msId),
        async (id): Promise<CloudGroupRef[]> =>
          (await (await ctx.provider()).listUserGroups(id)).map((g) => ({
            id: g.id,
            email: typeof g.mail === 'string' && g.mail ? g.mail : null,
            name: typeof g.displayName === 'string' ? g.displayName : null,
          })),
      ),

    listUserLicenses: (msId, options) =>
      read(
        'microsoftWriteback.listUserLicenses',
        options,
        () => parseInput(microsoftObjectIdSchema, msId),
        async (id) =>
          (await (await ctx.provider()).listLicenseDetails(id))
            .map((l) => String(l.skuId ?? '').toLowerCase())
            .filter((skuId) => skuId !== ''),
      ),

    licenseAvailability: (skuIds, options) =>
      read(
        'microsoftWriteback.licenseAvailability',
        options,
        () => [...new Set(parseInput(microsoftSkuListSchema, skuIds ?? []))],
        async (wanted): Promise<LicenseAvailability[]> => {
          const skus = await (await ctx.provider()).listSubscribedSkus();
          const free = (sku: (typeof skus)[number]) => ({
            skuId: String(sku.skuId).toLowerCase(),
            available: Math.max(
              0,
              Number(sku.prepaidUnits?.enabled ?? 0) - Number(sku.consumedUnits ?? 0),
            ),
          });
          if (wanted.length === 0) return skus.map(free);
          return wanted.map((skuId) => {
            const sku = skus.find((s) => String(s.skuId).toLowerCase() === skuId);
            if (!sku) throw MICROSOFT_ERRORS.WRITEBACK_UNKNOWN_SKU({ skuId });
            return free(sku);
          });
        },
      ),

    setAutoReply: (msId, reply, options) =>
      runWriteback(rt, 'microsoftWriteback.setAutoReply', 'users:write', options, {
        async prepare(s) {
          const input = parseInput(microsoftAutoReplySchema, reply);
          if (input.endsAt && Date.parse(input.endsAt) <= s.now.getTime())
            throw MICROSOFT_ERRORS.INVALID_REQUEST({
              message: 'The automatic reply must end in the future (endsAt).',
            });
          return { row: await ctx.prepareUser(s, msId), input, now: s.now };
        },
        async call({ row, input, now }): Promise<CloudChange & { status: string }> {
          const ms = await ctx.provider();
          const settings = await ms.getMailboxSettings(row.ms_id);
          const current = (settings.automaticRepliesSetting ?? {}) as AutomaticReplies;
          if (!input.enabled) {
            if (current.status === 'disabled') return { changed: false, status: 'disabled' };
            await ms.updateMailboxSettings(row.ms_id, {
              automaticRepliesSetting: { status: 'disabled' },
            });
            return { changed: true, status: 'disabled' };
          }
          const message = input.message ?? '';
          const endsAt = input.endsAt ? new Date(input.endsAt) : null;
          const status = endsAt ? 'scheduled' : 'alwaysEnabled';
          const same =
            current.status === status &&
            current.internalReplyMessage === message &&
            current.externalReplyMessage === message &&
            (!endsAt || graphTime(current.scheduledEndDateTime) === endsAt.getTime());
          if (same) return { changed: false, status };
          await ms.updateMailboxSettings(row.ms_id, {
            automaticRepliesSetting: {
              status,
              externalAudience: 'all',
              internalReplyMessage: message,
              externalReplyMessage: message,
              ...(endsAt
                ? { scheduledStartDateTime: utc(now), scheduledEndDateTime: utc(endsAt) }
                : {}),
            },
          });
          return { changed: true, status };
        },
        async record(s, { changed, status }, { row, input }) {
          if (changed)
            await s.audit({
              action: 'microsoft_365.auto_reply_set',
              resource: 'ms_synced_users',
              resourceId: row.id,
              details: { msId: row.ms_id, upn: row.upn, status, endsAt: input.endsAt ?? null },
            });
          return { changed, items: [status] };
        },
      }),

    setMailForwarding: (msId, toAddress, options) =>
      runWriteback(rt, 'microsoftWriteback.setMailForwarding', 'users:write', options, {
        async prepare(s) {
          const address = parseInput(microsoftForwardingSchema, toAddress);
          return { row: await ctx.prepareUser(s, msId), address };
        },
        async call({ row, address }): Promise<CloudChange> {
          const ms = await ctx.provider();
          const rules = await ms.listMessageRules(row.ms_id);
          const ours = rules.filter((r) => r.displayName === MICROSOFT_FORWARDING_RULE_NAME);
          if (address === null) {
            for (const rule of ours) await ms.deleteMessageRule(row.ms_id, rule.id);
            return { changed: ours.length > 0, items: ours.map((r) => r.id) };
          }
          const [keep, ...extra] = ours;
          // Two rules of ours (a race of two runs): one is enough.
          for (const rule of extra) await ms.deleteMessageRule(row.ms_id, rule.id);
          const actions = {
            forwardTo: [{ emailAddress: { address } }],
            stopProcessingRules: false,
          };
          if (keep) {
            const targets = forwardsTo(keep);
            if (keep.isEnabled !== false && targets.length === 1 && targets[0] === address)
              return { changed: extra.length > 0, items: [address] };
            await ms.updateMessageRule(row.ms_id, keep.id, { isEnabled: true, actions });
            return { changed: true, items: [address] };
          }
          const sequence =
            rules.reduce((max, r) => Math.max(max, Number(r.sequence ?? 0) || 0), 0) + 1;
          await ms.createMessageRule(row.ms_id, {
            displayName: MICROSOFT_FORWARDING_RULE_NAME,
            sequence,
            isEnabled: true,
            actions,
          });
          return { changed: true, items: [address] };
        },
        async record(s, change, { row, address }) {
          if (change.changed)
            await s.audit({
              action: 'microsoft_365.mail_forwarding_set',
              resource: 'ms_synced_users',
              resourceId: row.id,
              details: { msId: row.ms_id, upn: row.upn, forwardTo: address },
            });
          return change;
        },
      }),

    shareCalendar: (calendarId, userId, role, options) =>
      runWriteback(rt, 'microsoftWriteback.shareCalendar', 'users:write', options, {
        async prepare(s) {
          const input = parseInput(microsoftShareCalendarSchema, { calendarId, userId, role });
          const recipient = await ctx.prepareUser(s, input.userId);
          const address = recipient.upn ?? recipient.email;
          if (!address)
            throw MICROSOFT_ERRORS.INVALID_REQUEST({
              message: `The Microsoft 365 user ${recipient.ms_id} has no address to share a calendar with.`,
            });
          return {
            owner: input.calendarId,
            recipient,
            address: address.toLowerCase(),
            role: MICROSOFT_CALENDAR_ROLES[input.role],
          };
        },
        async call({ owner, recipient, address, role }): Promise<CloudChange> {
          const ms = await ctx.provider();
          const permissions = await ms.listCalendarPermissions(owner);
          const existing = permissions.find(
            (p) =>
              String(
                (p.emailAddress as { address?: string } | undefined)?.address ?? '',
              ).toLowerCase() === address,
          );
          if (existing?.role === role) return { changed: false, items: [existing.id] };
          if (existing) {
            await ms.updateCalendarPermission(owner, existing.id, role);
            return { changed: true, items: [existing.id] };
          }
          const created = await ms.createCalendarPermission(owner, {
            emailAddress: {
              name: recipient.display_name ?? address,
              address,
            },
            isInsideOrganization: true,
            role,
          });
          return { changed: true, items: [created.id] };
        },
        async record(s, change, { owner, recipient, address, role }) {
          if (change.changed)
            await s.audit({
              action: 'microsoft_365.calendar_share',
              resource: 'ms_synced_users',
              resourceId: recipient.id,
              details: { calendarOwnerMsId: owner, msId: recipient.ms_id, address, role },
            });
          return change;
        },
      }),
  };
}

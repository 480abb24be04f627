/**
 * The per-user routes of the Graph simulator that lifecycle runs call: the groups a user is a
 * member of (`memberOf/microsoft.graph.group`, paged), the user's licence details, the mailbox
 * settings (automatic replies) and the inbox message rules (forwarding).
 *
 * A user has a mailbox when it has a `mail` address; otherwise the mailbox routes answer 404
 * `MailboxNotEnabledForRESTAPI`, as Exchange Online does for an account without a mailbox.
 */
import { randomBytes } from 'node:crypto';
import { isObject } from '../http-kit';
import type { OData } from './odata';
import { GRAPH_REQUEST_UNIT_COSTS, ROLES_FOR } from './permissions';
import { GROUP_NAMES } from './schema';
import type { Tenant } from './tenant';
import {
  badRequest,
  type Ctx,
  GraphError,
  otherRoute,
  type Reply,
  type Route,
  wrongMethodError,
} from './wire';

const REPLY_STATUSES = ['disabled', 'alwaysEnabled', 'scheduled'] as const;
const AUDIENCES = ['none', 'contactsOnly', 'all'] as const;

/** The default mailbox settings of a new mailbox. */
export function defaultMailboxSettings(): Record<string, any> {
  return {
    archiveFolder: null,
    timeZone: 'UTC',
    delegateMeetingMessageDeliveryOptions: 'sendToDelegateOnly',
    dateFormat: 'M/d/yyyy',
    timeFormat: 'h:mm tt',
    userPurpose: 'user',
    automaticRepliesSetting: {
      status: 'disabled',
      externalAudience: 'all',
      internalReplyMessage: '',
      externalReplyMessage: '',
      scheduledStartDateTime: { dateTime: '2020-01-01T00:00:00.0000000', timeZone: 'UTC' },
      scheduledEndDateTime: { dateTime: '2020-01-02T00:00:00.0000000', timeZone: 'UTC' },
    },
    language: { locale: 'en-US', displayName: 'English (United States)' },
    workingHours: {
      daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
      startTime: '08:00:00.0000000',
      endTime: '17:00:00.0000000',
      timeZone: { name: 'UTC' },
    },
  };
}

const invalid = (message: string) => badRequest(message, 'ErrorInvalidRequest');

/** A `{ dateTime, timeZone }` value, checked as Exchange does. */
function dateTimeTimeZone(value: unknown, name: string): { dateTime: string; timeZone: string } {
  if (!isObject(value) || typeof value.dateTime !== 'string' || !value.dateTime)
    throw invalid(`Invalid value for property '${name}'.`);
  if (
    Number.isNaN(Date.parse(value.dateTime.endsWith('Z') ? value.dateTime : `${value.dateTime}Z`))
  )
    throw invalid(`Invalid value for property '${name}': '${value.dateTime}' is not a date.`);
  return {
    dateTime: value.dateTime,
    timeZone: typeof value.timeZone === 'string' && value.timeZone ? value.timeZone : 'UTC',
  };
}

/** The routes of this file, keyed by the path under `users/{id}/`. */
export function createMailboxRoutes(t: Tenant, o: OData) {
  const { groups, skus, mailboxSettings, messageRules, userOf, groupsContaining } = t;
  const { context, contextFor, linkWith, fingerprint } = t;
  const { parseSelect, project, pageSize, listAfter, listToken, checkQueryOptions } = o;
  const _U = GRAPH_REQUEST_UNIT_COSTS;

  /** The user's id when it has a mailbox. */
  const mailboxOf = (key: string): string => {
    const { id, user } = userOf(key);
    if (!user.mail)
      throw new GraphError(
        404,
        'MailboxNotEnabledForRESTAPI',
        'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
      );
    return id;
  };
  const settingsOf = (id: string) => {
    let settings = mailboxSettings.get(id);
    if (!settings) {
      settings = defaultMailboxSettings();
      mailboxSettings.set(id, settings);
    }
    return settings;
  };
  const rulesOf = (id: string) => {
    let rules = messageRules.get(id);
    if (!rules) {
      rules = new Map();
      messageRules.set(id, rules);
    }
    return rules;
  };

  const groupsOfUser = (key: string, ctx: Ctx): Reply => {
    checkQueryOptions(ctx.query, ['$select', '$top', '$skiptoken', '$count', '$filter']);
    if (ctx.query.get('$filter'))
      throw badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
    const { id } = userOf(key);
    const select = parseSelect(ctx.query.get('$select'), GROUP_NAMES, 'group');
    const top = pageSize(ctx.query, 100);
    const fp = fingerprint(['memberOf', id]);
    const after = listAfter(ctx.query, fp);
    const all = groupsContaining(id)
      .filter((gid) => groups.has(gid))
      .sort();
    const rest = after === undefined ? all : all.filter((gid) => gid > after);
    const page = rest.slice(0, top);
    const body: Record<string, unknown> = { '@odata.context': contextFor('groups', select) };
    if (rest.length > top)
      body['@odata.nextLink'] = linkWith(ctx.path, ctx.query, {
        $skiptoken: listToken(page[page.length - 1]!, fp),
      });
    body.value = page.map((gid) => ({
      '@odata.type': '#microsoft.graph.group',
      ...project(groups.peek(gid)!, select, null),
    }));
    return { status: 200, body };
  };

  const licenseDetails = (key: string): Reply => {
    const { id, user } = userOf(key);
    const value = (user.assignedLicenses ?? []).map((l: { skuId: string }) => {
      const sku = skus.get(l.skuId);
      return {
        id: `${l.skuId}_${id}`.slice(0, 64),
        skuId: l.skuId,
        skuPartNumber: sku?.skuPartNumber ?? null,
        servicePlans: (sku?.servicePlans ?? []).map((p: Record<string, unknown>) => ({
          servicePlanId: p.servicePlanId,
          servicePlanName: p.servicePlanName,
          provisioningStatus: p.provisioningStatus,
          appliesTo: p.appliesTo,
        })),
      };
    });
    return {
      status: 200,
      body: { '@odata.context': context(`users('${id}')/licenseDetails`), value },
    };
  };

  const settingsReply = (id: string, settings: Record<string, any>): Reply => ({
    status: 200,
    body: { '@odata.context': context(`users('${id}')/mailboxSettings`), ...settings },
  });

  const updateSettings = (key: string, ctx: Ctx): Reply => {
    const id = mailboxOf(key);
    const body = ctx.body;
    if (!isObject(body)) throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
    const next = structuredClone(settingsOf(id));
    for (const [name, value] of Object.entries(body)) {
      if (name.startsWith('@odata.')) continue;
      if (name === 'automaticRepliesSetting') {
        if (!isObject(value))
          throw invalid("Invalid value for property 'automaticRepliesSetting'.");
        const current = next.automaticRepliesSetting;
        for (const [k, v] of Object.entries(value)) {
          if (k.startsWith('@odata.')) continue;
          if (k === 'status') {
            if (!REPLY_STATUSES.includes(v as never))
              throw invalid(`Requested value '${String(v)}' was not found.`);
            current.status = v;
          } else if (k === 'externalAudience') {
            if (!AUDIENCES.includes(v as never))
              throw invalid(`Requested value '${String(v)}' was not found.`);
            current.externalAudience = v;
          } else if (k === 'internalReplyMessage' || k === 'externalReplyMessage') {
            if (typeof v !== 'string') throw invalid(`Invalid value for property '${k}'.`);
            current[k] = v;
          } else if (k === 'scheduledStartDateTime' || k === 'scheduledEndDateTime') {
            current[k] = dateTimeTimeZone(v, k);
          } else {
            throw badRequest(
              `Property '${k}' does not exist as a declared property or extension property.`,
              'RequestBroker--ParseUri',
            );
          }
        }
        if (current.status === 'scheduled') {
          const start = Date.parse(`${current.scheduledStartDateTime.dateTime.replace(/Z$/, '')}Z`);
          const end = Date.parse(`${current.scheduledEndDateTime.dateTime.replace(/Z$/, '')}Z`);
          if (!(end > start))
            throw invalid('The scheduled end time must be later than the scheduled start time.');
        }
      } else if (name === 'timeZone' || name === 'archiveFolder') {
        next[name] = value === null ? null : String(value);
      } else if (name in next) {
        next[name] = value;
      } else {
        throw badRequest(
          `Property '${name}' does not exist as a declared property or extension property.`,
          'RequestBroker--ParseUri',
        );
      }
    }
    mailboxSettings.set(id, next);
    // Graph answers the properties sent, with their stored values.
    const changed = Object.fromEntries(
      Object.keys(body)
        .filter((k) => !k.startsWith('@odata.'))
        .map((k) => [k, next[k]]),
    );
    return settingsReply(id, changed);
  };

  /** A message rule from a request body (create: every required property; update: the ones given). */
  const applyRule = (rule: Record<string, any>, body: unknown, creating: boolean) => {
    if (!isObject(body)) throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
    for (const [k, v] of Object.entries(body)) {
      if (k.startsWith('@odata.')) continue;
      if (k === 'displayName') {
        if (typeof v !== 'string' || !v.trim())
          throw invalid("The property 'displayName' is required.");
        rule.displayName = v;
      } else if (k === 'sequence') {
        if (!Number.isInteger(v) || (v as number) < 1)
          throw invalid("The property 'sequence' must be a positive integer.");
        rule.sequence = v;
      } else if (k === 'isEnabled') {
        if (typeof v !== 'boolean') throw invalid("Invalid value for property 'isEnabled'.");
        rule.isEnabled = v;
      } else if (k === 'conditions' || k === 'exceptions') {
        if (!isObject(v)) throw invalid(`Invalid value for property '${k}'.`);
        rule[k] = structuredClone(v);
      } else if (k === 'actions') {
        if (!isObject(v)) throw invalid("Invalid value for property 'actions'.");
        for (const field of ['forwardTo', 'redirectTo', 'forwardAsAttachmentTo'] as const) {
          const list = v[field];
          if (list === undefined) continue;
          if (
            !Array.isArray(list) ||
            list.some(
              (r) =>
                !isObject(r) ||
                !isObject(r.emailAddress) ||
                typeof r.emailAddress.address !== 'string' ||
                !/^[^@\s]+@[^@\s]+$/.test(r.emailAddress.address),
            )
          )
            throw invalid(`Invalid recipient in '${field}'.`);
        }
        rule.actions = structuredClone(v);
      } else if (k === 'id' || k === 'hasError' || k === 'isReadOnly') {
        throw invalid(`Property '${k}' is read-only and cannot be set.`);
      } else {
        throw badRequest(
          `Property '${k}' does not exist as a declared property or extension property.`,
          'RequestBroker--ParseUri',
        );
      }
    }
    if (creating) {
      if (!rule.displayName) throw invalid("The property 'displayName' is required.");
      if (rule.sequence === undefined) throw invalid("The property 'sequence' is required.");
      if (!rule.actions || Object.keys(rule.actions).length === 0)
        throw invalid('A rule needs at least one action.');
    }
  };
  const ruleOf = (userId: string, ruleId: string) => {
    const rule = rulesOf(userId).get(ruleId);
    if (!rule)
      throw new GraphError(
        404,
        'ErrorItemNotFound',
        'The specified object was not found in the store.',
      );
    return rule;
  };
  const rulesContext = (id: string) => context(`users('${id}')/mailFolders('inbox')/messageRules`);

  const r = otherRoute;
  const wrongMethod = wrongMethodError();

  /**
   * The route of `users/{key}/{rest...}` (segments with `microsoft.graph.` removed), a wrong-method
   * error, or undefined when the path is not one of these.
   */
  return (
    method: string,
    key: string,
    rest: string[],
  ): Route | { error: GraphError } | undefined => {
    const [b, c, d, e] = rest;
    const n = rest.length;
    if (n === 2 && b === 'memberOf' && c === 'group') {
      if (method !== 'GET') return wrongMethod;
      return r('users.memberOf.groups', ROLES_FOR.groupsRead, (ctx) => groupsOfUser(key, ctx));
    }
    if (n === 1 && b === 'licenseDetails') {
      if (method !== 'GET') return wrongMethod;
      return r('users.licenseDetails', ROLES_FOR.licenseRead, () => licenseDetails(key));
    }
    if (n === 1 && b === 'mailboxSettings') {
      if (method === 'GET')
        return r('users.mailboxSettings.get', ROLES_FOR.mailboxRead, () => {
          const id = mailboxOf(key);
          return settingsReply(id, settingsOf(id));
        });
      if (method === 'PATCH')
        return r('users.mailboxSettings.update', ROLES_FOR.mailboxWrite, (ctx) =>
          updateSettings(key, ctx),
        );
      return wrongMethod;
    }
    if (b === 'mailFolders' && c?.toLowerCase() === 'inbox' && d === 'messageRules') {
      if (n === 3) {
        if (method === 'GET')
          return r('messageRules.list', ROLES_FOR.mailboxRead, () => {
            const id = mailboxOf(key);
            const value = [...rulesOf(id).values()].sort((x, y) => x.sequence - y.sequence);
            return { status: 200, body: { '@odata.context': rulesContext(id), value } };
          });
        if (method === 'POST')
          return r('messageRules.create', ROLES_FOR.mailboxWrite, (ctx) => {
            const id = mailboxOf(key);
            const rule: Record<string, any> = {
              id: `${randomBytes(6).toString('base64')}=`,
              displayName: '',
              sequence: undefined,
              isEnabled: true,
              hasError: false,
              isReadOnly: false,
              conditions: {},
              actions: {},
            };
            applyRule(rule, ctx.body, true);
            rulesOf(id).set(rule.id, rule);
            return {
              status: 201,
              body: { '@odata.context': `${rulesContext(id)}/$entity`, ...rule },
            };
          });
        return wrongMethod;
      }
      if (n === 4 && e) {
        if (method === 'GET')
          return r('messageRules.get', ROLES_FOR.mailboxRead, () => {
            const id = mailboxOf(key);
            return {
              status: 200,
              body: { '@odata.context': `${rulesContext(id)}/$entity`, ...ruleOf(id, e) },
            };
          });
        if (method === 'PATCH')
          return r('messageRules.update', ROLES_FOR.mailboxWrite, (ctx) => {
            const id = mailboxOf(key);
            const next = structuredClone(ruleOf(id, e));
            applyRule(next, ctx.body, false);
            rulesOf(id).set(e, next);
            return {
              status: 200,
              body: { '@odata.context': `${rulesContext(id)}/$entity`, ...next },
            };
          });
        if (method === 'DELETE')
          return r('messageRules.delete', ROLES_FOR.mailboxWrite, () => {
            const id = mailboxOf(key);
            ruleOf(id, e);
            rulesOf(id).delete(e);
            return { status: 204 };
          });
        return wrongMethod;
      }
    }
    return undefined;
  };
}

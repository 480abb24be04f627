/**
 * Rules that run on events: `notification` rules (and the `training_assign` placeholder).
 *
 * The events are the organization's audit chain (`audit_logs`, one `sequence` per organization,
 * appended under a lock in commit order): `users.create` is `user.created`; `users.update`,
 * `users.role` and `users.manager` are `user.updated`; `users.status`, `users.delete` and
 * `users.restore` are `user.status_changed`; `lifecycle.request_create` is
 * `lifecycle.request_created`. Each run of a rule reads the events after the sequence its previous
 * run stopped at (recorded in its `rule_evaluation_log` row; the first run starts at the rule's
 * creation), so every event is seen once per rule, whatever the number of runs, and a burst of
 * changes (a bulk import) is one run.
 *
 * A run evaluates the rule once, set-based, over the affected users (the compiled statement with an
 * id filter) or requests (the same statement over the requests' facts rows), and queues ONE mail
 * per recipient listing every matching person of the run (a `notifications.send` job, the
 * `automation.rule-notification` template, variables HTML-escaped): a person is named at most once
 * per rule and run, and a bulk sync mails each recipient once, not once per user. `schedule` rules
 * run once a UTC day over every matching user.
 *
 * Everything happens in one transaction (events read, mails queued, log rows written), so a run
 * that fails queues nothing and the next run sees the same events again.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { bindJobs } from '../jobs';
import { DEFAULT_TEMPLATE_KEYS, sendNotificationTask } from '../notifications';
import type { CallOptions } from '../policy/actor';
import { assertAdministrator } from '../policy/policy';
import { compileCondition, matchingUsersQuery } from './automation.compile';
import { lockAutomation, namedConditionMap } from './automation.conditions';
import { factsNotForRequests, matchingRequests } from './automation.request-facts';
import {
  DEFAULT_NOTIFICATION_EVENTS,
  type NotificationEvent,
  notificationConfigSchema,
} from './automation.rules.schema';
import { type ValidatedCondition, validateCondition } from './automation.validate';

/** `triggered_by` of an event run's log rows. */
export const EVENTS_TRIGGER = 'automation.events';
/** `triggered_by` of a scheduled run's log rows. */
export const SCHEDULE_TRIGGER = 'automation.schedule';

/** The audit actions of each event. */
const EVENT_ACTIONS: Record<Exclude<NotificationEvent, 'schedule'>, readonly string[]> = {
  'user.created': ['users.create'],
  'user.updated': ['users.update', 'users.role', 'users.manager'],
  'user.status_changed': ['users.status', 'users.delete', 'users.restore'],
  'lifecycle.request_created': ['lifecycle.request_create'],
};
const EVENT_OF_ACTION = new Map(
  Object.entries(EVENT_ACTIONS).flatMap(([event, actions]) => actions.map((a) => [a, event])),
);

/** At most this many people named in one mail (the rest are counted). */
const MAX_LINES = 50;
/** At most this many events read per rule and run (the next run takes the rest). */
const MAX_EVENTS = 10_000;
/** At most this many people mailed about per scheduled run of a rule. */
const MAX_SCHEDULED = 5_000;

/** What one run of one rule did. */
export interface RuleEventsRun {
  ruleId: string;
  ruleType: string;
  /** `events` (the events since the last run) or `schedule`. */
  mode: 'events' | 'schedule';
  /** How many events (or, scheduled, matching users) the run looked at. */
  events: number;
  /** How many people matched (named in the mails). */
  matched: number;
  /** One entry per queued mail. */
  mails: Array<{ to: string; people: number; jobId: string }>;
  /** Set when the rule was not evaluated (e.g. `training not available`, facts a request lacks). */
  skipped?: string;
}

/** A person a notification is about: a user, or the subject of a lifecycle request. */
interface Subject {
  key: string;
  name: string;
  email: string;
  managerId: string | null;
  events: Set<string>;
}

const listLine = (p: Subject) => `- ${p.name} <${p.email}> (${[...p.events].sort().join(', ')})`;

/** Runs the enabled notification rules over the events since their last run (or their daily schedule). */
export function runRuleEvents(
  rt: ServiceRuntime,
  input: { schedule?: boolean } | undefined,
  options: CallOptions | undefined,
): Promise<RuleEventsRun[]> {
  return rt.write(options, async (s) => {
    assertAdministrator(s.principal, 'users:write', 'Running automation rules on events');
    await lockAutomation(s);
    const schedule = input?.schedule === true;
    const head = await sql<{ seq: string | null }>`select max(sequence)::text as seq from audit_logs
      where organization_id = ${s.organizationId}::uuid`.execute(s.db);
    const upTo = head.rows[0]?.seq ?? '0';
    const rules = await s.db
      .selectFrom('automation_rules')
      .selectAll()
      .where('organization_id', '=', s.organizationId)
      .where('rule_type', 'in', ['notification', 'training_assign'])
      .where('is_enabled', 'is not', false)
      .orderBy(sql`coalesce(priority, 0)`, 'desc')
      .orderBy('name')
      .execute();
    const named = await namedConditionMap(s.db, s.organizationId);
    const runs: RuleEventsRun[] = [];
    for (const rule of rules) {
      const run = schedule
        ? await scheduledRun(rt, s, rule, named)
        : await eventsRun(rt, s, rule, named, upTo);
      if (run) runs.push(run);
    }
    const mailed = runs.reduce((n, r) => n + r.mails.length, 0);
    if (mailed > 0)
      await s.audit({
        action: 'automation.rules.notify',
        resource: 'automation_rule',
        details: {
          mode: schedule ? 'schedule' : 'events',
          rules: runs.filter((r) => r.mails.length > 0).map((r) => r.ruleId),
          mails: mailed,
        },
      });
    return runs;
  });
}

type RuleRow = Row<'automation_rules'>;
type Named = Awaited<ReturnType<typeof namedConditionMap>>;

function eventsOf(rule: RuleRow): readonly NotificationEvent[] {
  const parsed = notificationConfigSchema.safeParse(rule.config);
  return parsed.success ? (parsed.data.events ?? DEFAULT_NOTIFICATION_EVENTS) : [];
}

/**
 * The sequence the rule's previous event run stopped at; for the first run, the rule's first save
 * through Helios (its creation, or for a predecessor's row the first update).
 */
async function watermarkOf(s: OperationScope, rule: RuleRow, upTo: string): Promise<string> {
  const last = await sql<{ seq: string | null }>`select result ->> 'sequence' as seq
    from rule_evaluation_log where rule_id = ${rule.id}::uuid and triggered_by = ${EVENTS_TRIGGER}
    order by created_at desc, (result ->> 'sequence')::bigint desc limit 1`.execute(s.db);
  if (last.rows[0]?.seq) return last.rows[0].seq;
  const created = await sql<{
    seq: string | null;
  }>`select min(sequence)::text as seq from audit_logs
    where organization_id = ${s.organizationId}::uuid and resource = 'automation_rule'
      and resource_id = ${rule.id}::uuid`.execute(s.db);
  // A rule Helios never saved (a predecessor's row) starts now.
  return created.rows[0]?.seq ?? upTo;
}

async function logRun(
  s: OperationScope,
  rule: RuleRow,
  triggeredBy: string,
  facts: unknown,
  matched: number,
  result: Record<string, unknown>,
  started: number,
): Promise<void> {
  await s.db
    .insertInto('rule_evaluation_log')
    .values({
      organization_id: s.organizationId,
      rule_id: rule.id,
      rule_type: rule.rule_type,
      facts: JSON.stringify(facts),
      matched: matched > 0,
      result: JSON.stringify(result),
      triggered_by: triggeredBy,
      user_id: null,
      evaluation_time_ms: Math.round(performance.now() - started),
      created_at: s.now,
    })
    .execute();
  await s.db
    .updateTable('automation_rules')
    .set({ last_evaluated_at: s.now, last_match_count: matched })
    .where('id', '=', rule.id)
    .execute();
}

function validated(rule: RuleRow, named: Named): ValidatedCondition | null {
  try {
    return validateCondition(rule.conditions, named);
  } catch {
    return null;
  }
}

const ctxOf = (s: OperationScope) => ({
  organizationId: s.organizationId,
  asOf: s.now.toISOString().slice(0, 10),
});

async function eventsRun(
  rt: ServiceRuntime,
  s: OperationScope,
  rule: RuleRow,
  named: Named,
  upTo: string,
): Promise<RuleEventsRun | null> {
  const started = performance.now();
  const from = await watermarkOf(s, rule, upTo);
  if (BigInt(from) >= BigInt(upTo)) return null;
  const wanted =
    rule.rule_type === 'training_assign'
      ? (['user.created'] as const)
      : eventsOf(rule).filter((e) => e !== 'schedule');
  const actions = wanted.flatMap((e) => EVENT_ACTIONS[e as keyof typeof EVENT_ACTIONS] ?? []);
  const rows =
    actions.length === 0
      ? []
      : await s.db
          .selectFrom('audit_logs')
          .select(['action', 'resource_id', sql<string>`sequence::text`.as('seq')])
          .where('organization_id', '=', s.organizationId)
          .where('sequence', '>', sql<string>`${from}::bigint`)
          .where('sequence', '<=', sql<string>`${upTo}::bigint`)
          .where('action', 'in', actions)
          .where('resource_id', 'is not', null)
          .orderBy('sequence')
          .limit(MAX_EVENTS)
          .execute();
  // A full page stops at its last event; the next run reads on from there.
  const stop = rows.length === MAX_EVENTS ? (rows[rows.length - 1]?.seq ?? upTo) : upTo;
  const base = { sequence: stop, from, events: rows.length };
  if (rule.rule_type === 'training_assign') {
    // The training module does not exist yet: nothing is assigned, and the log says so.
    if (rows.length === 0) {
      await logRun(s, rule, EVENTS_TRIGGER, { events: wanted }, 0, base, started);
      return null;
    }
    const skipped = 'training not available';
    await logRun(s, rule, EVENTS_TRIGGER, { events: wanted }, 0, { ...base, skipped }, started);
    return {
      ruleId: rule.id,
      ruleType: rule.rule_type,
      mode: 'events',
      events: rows.length,
      matched: 0,
      mails: [],
      skipped,
    };
  }
  const v = validated(rule, named);
  const facts = { facts: v?.facts ?? [], events: wanted };
  if (rows.length === 0 || !v) {
    const result = v ? base : { ...base, skipped: 'invalid condition' };
    await logRun(s, rule, EVENTS_TRIGGER, facts, 0, result, started);
    return null;
  }
  const userEvents = new Map<string, Set<string>>();
  const requestEvents = new Map<string, Set<string>>();
  for (const row of rows) {
    const event = EVENT_OF_ACTION.get(row.action) as string;
    const target = event === 'lifecycle.request_created' ? requestEvents : userEvents;
    const id = row.resource_id as string;
    target.set(id, (target.get(id) ?? new Set()).add(event));
  }
  const where = compileCondition(v.tree, ctxOf(s));
  const subjects: Subject[] = [];
  if (userEvents.size > 0) {
    await sql`set local jit = off`.execute(s.db);
    const users = await matchingUsersQuery(s.db, s.organizationId, where)
      .where('u.id', 'in', [...userEvents.keys()])
      .clearSelect()
      .select(['u.id', 'u.email', 'u.first_name', 'u.last_name', 'u.reporting_manager_id'])
      .orderBy('u.id')
      .execute();
    for (const u of users)
      subjects.push({
        key: `user:${u.id}`,
        name: `${u.first_name} ${u.last_name}`.trim(),
        email: u.email,
        managerId: u.reporting_manager_id,
        events: userEvents.get(u.id) as Set<string>,
      });
  }
  let unknownFacts: string[] = [];
  if (requestEvents.size > 0) {
    unknownFacts = factsNotForRequests(v);
    const ids =
      unknownFacts.length > 0
        ? []
        : await matchingRequests(s.db, s.organizationId, where, [...requestEvents.keys()]);
    if (ids.length > 0) {
      const requests = await s.db
        .selectFrom('user_requests')
        .select(['id', 'email', 'first_name', 'last_name', 'manager_id'])
        .where('organization_id', '=', s.organizationId)
        .where('id', 'in', ids)
        .orderBy('id')
        .execute();
      for (const r of requests)
        subjects.push({
          key: `request:${r.id}`,
          name: `${r.first_name} ${r.last_name}`.trim(),
          email: r.email,
          managerId: r.manager_id,
          events: requestEvents.get(r.id) as Set<string>,
        });
    }
  }
  const mails = await queueMails(rt, s, rule, subjects, `events:${stop}`);
  await logRun(
    s,
    rule,
    EVENTS_TRIGGER,
    facts,
    subjects.length,
    {
      ...base,
      matched: subjects.length,
      sample: subjects.slice(0, 20).map((p) => p.key),
      mails: mails.length,
      ...(unknownFacts.length > 0 ? { unknown: unknownFacts } : {}),
    },
    started,
  );
  return {
    ruleId: rule.id,
    ruleType: rule.rule_type,
    mode: 'events',
    events: rows.length,
    matched: subjects.length,
    mails,
  };
}

async function scheduledRun(
  rt: ServiceRuntime,
  s: OperationScope,
  rule: RuleRow,
  named: Named,
): Promise<RuleEventsRun | null> {
  if (rule.rule_type !== 'notification' || !eventsOf(rule).includes('schedule')) return null;
  const started = performance.now();
  const day = s.now.toISOString().slice(0, 10);
  const done = await sql<{ one: number }>`select 1 as one from rule_evaluation_log
    where rule_id = ${rule.id}::uuid and triggered_by = ${SCHEDULE_TRIGGER}
      and result ->> 'day' = ${day}::text limit 1`.execute(s.db);
  if (done.rows.length > 0) return null;
  const v = validated(rule, named);
  if (!v) {
    await logRun(s, rule, SCHEDULE_TRIGGER, {}, 0, { day, skipped: 'invalid condition' }, started);
    return null;
  }
  await sql`set local jit = off`.execute(s.db);
  const users = await matchingUsersQuery(s.db, s.organizationId, compileCondition(v.tree, ctxOf(s)))
    .clearSelect()
    .select(['u.id', 'u.email', 'u.first_name', 'u.last_name', 'u.reporting_manager_id'])
    .orderBy('u.id')
    .limit(MAX_SCHEDULED)
    .execute();
  const subjects: Subject[] = users.map((u) => ({
    key: `user:${u.id}`,
    name: `${u.first_name} ${u.last_name}`.trim(),
    email: u.email,
    managerId: u.reporting_manager_id,
    events: new Set(['schedule']),
  }));
  const mails = await queueMails(rt, s, rule, subjects, `schedule:${day}`);
  await logRun(
    s,
    rule,
    SCHEDULE_TRIGGER,
    { facts: v.facts, events: ['schedule'] },
    subjects.length,
    {
      day,
      matched: subjects.length,
      sample: subjects.slice(0, 20).map((p) => p.key),
      mails: mails.length,
    },
    started,
  );
  return {
    ruleId: rule.id,
    ruleType: rule.rule_type,
    mode: 'schedule',
    events: subjects.length,
    matched: subjects.length,
    mails,
  };
}

/** One mail per recipient (active users only for ids and `manager`), listing its people. */
async function queueMails(
  rt: ServiceRuntime,
  s: OperationScope,
  rule: RuleRow,
  subjects: readonly Subject[],
  runKey: string,
): Promise<RuleEventsRun['mails']> {
  if (subjects.length === 0) return [];
  const parsed = notificationConfigSchema.safeParse(rule.config);
  if (!parsed.success) return [];
  const config = parsed.data;
  const perRecipient = new Map<string, Subject[]>();
  const add = (to: string, list: readonly Subject[]) => {
    const key = to.toLowerCase();
    const have = perRecipient.get(key) ?? [];
    for (const p of list) if (!have.includes(p)) have.push(p);
    perRecipient.set(key, have);
  };
  const userIds = new Set<string>();
  for (const r of config.recipients) {
    if (r === 'manager') for (const p of subjects) if (p.managerId) userIds.add(p.managerId);
    if (r !== 'manager' && !r.includes('@')) userIds.add(r.toLowerCase());
  }
  const active =
    userIds.size === 0
      ? []
      : await s.db
          .selectFrom('organization_users')
          .select(['id', 'email'])
          .where('organization_id', '=', s.organizationId)
          .where('id', 'in', [...userIds])
          .where('user_status', '=', 'active')
          .where('deleted_at', 'is', null)
          .execute();
  const emailOf = new Map(active.map((u) => [u.id, u.email]));
  for (const r of config.recipients) {
    if (r === 'manager') {
      for (const p of subjects) {
        const to = p.managerId ? emailOf.get(p.managerId) : undefined;
        if (to) add(to, [p]);
      }
    } else if (r.includes('@')) add(r, subjects);
    else {
      const to = emailOf.get(r.toLowerCase());
      if (to) add(to, subjects);
    }
  }
  const jobs = bindJobs({ ...rt, db: s.db } as ServiceRuntime);
  const mails: RuleEventsRun['mails'] = [];
  for (const [to, people] of perRecipient) {
    const lines = people.slice(0, MAX_LINES).map(listLine);
    if (people.length > MAX_LINES) lines.push(`… and ${people.length - MAX_LINES} more`);
    const hash = createHash('sha256').update(`${runKey}:${to}`).digest('hex').slice(0, 16);
    const templateKey = DEFAULT_TEMPLATE_KEYS.AUTOMATION_RULE_NOTIFICATION;
    const job = await jobs.enqueue(
      sendNotificationTask.name,
      {
        templateKey,
        to,
        variables: {
          subject: config.subject,
          message: config.message,
          userList: lines.join('\n'),
          userCount: people.length,
          ruleName: rule.name,
        },
      },
      { jobKey: `${sendNotificationTask.name}:${templateKey}:${rule.id}:${hash}` },
    );
    mails.push({ to, people: people.length, jobId: job.id });
  }
  return mails;
}

/**
 * `helios.automation.rules`: automation rules (`automation_rules`) and their evaluation log
 * (`rule_evaluation_log`). A rule is a condition tree plus a type with a typed `config`
 * (`dynamic_group`, `training_assign`, `notification`, `template_match`); saving validates both
 * (the tree as named conditions do; the config's group, content, templates and recipients must
 * exist in the organization; at most one `dynamic_group` rule per access group) and persists
 * `nesting_depth`, `condition_count` and `references_conditions`.
 *
 * Evaluation is the compiled statement of automation.compile.ts: `evaluate` counts the matching
 * users of the whole organization (a disabled rule matches nobody), logs the evaluation and keeps
 * `last_evaluated_at` / `last_match_count`; `test` checks one user and writes nothing.
 *
 * Who may call: reads as `helios.automation` (administrators, `users:read` keys); writes and
 * `evaluate` need an administrator; `test` is also open to managers, for their reports only.
 *
 * Owns: automation_rules, rule_evaluation_log.
 */
import { performance } from 'node:perf_hooks';
import { type SqlBool, sql } from 'kysely';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { keysetPage, type Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';
import { isInReportingLine } from '../policy/policy';
import { POLICY_ERRORS } from '../policy/policy.errors';
import {
  type CompileContext,
  compileCondition,
  countMatching,
  factValues,
  matchingUsersQuery,
  withoutJit,
} from './automation.compile';
import {
  authorizeRead,
  authorizeWrite,
  lockAutomation,
  namedConditionMap,
  recomputeUsage,
  uuidArray,
} from './automation.conditions';
import { AUTOMATION_ERRORS } from './automation.errors';
import { type RuleEventsRun, runRuleEvents } from './automation.events';
import {
  evaluatedAgainstRequests,
  factsNotForRequests,
  REQUEST_FACTS,
} from './automation.request-facts';
import {
  type AutomationRule,
  type CreateRuleInput,
  createRuleSchema,
  type EvaluateRuleInput,
  evaluateSchema,
  idSchema,
  type ListEvaluationsInput,
  type ListRulesInput,
  listEvaluationsSchema,
  listRulesSchema,
  type RuleEvaluation,
  type RuleEvaluationResult,
  type RuleTestResult,
  type RuleType,
  type RuleTypeConfig,
  ruleTypeConfigSchema,
  ruleTypeSchema,
  type UpdateRuleInput,
  updateRuleSchema,
} from './automation.rules.schema';
import { type ValidatedCondition, validateCondition } from './automation.validate';

/** Automation rules. */
export interface AutomationRulesService {
  /**
   * Saves a rule after validating its tree and its typed config (administrators).
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `AUTOMATION.INVALID_CONDITION`,
   *   `AUTOMATION.GROUP_NOT_FOUND`, `AUTOMATION.TRAINING_CONTENT_NOT_FOUND`,
   *   `AUTOMATION.TEMPLATE_NOT_FOUND`, `AUTOMATION.RECIPIENT_NOT_FOUND`; CONFLICT
   *   `AUTOMATION.GROUP_RULE_EXISTS`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.automation.rules.create({
   *   name: 'Engineers group',
   *   ruleType: 'dynamic_group',
   *   conditions: { all: [{ condition: 'engineers' }] },
   *   config: { accessGroupId: groupId, pushToPlatform: false },
   * });
   * ```
   */
  create(input: CreateRuleInput, options?: CallOptions): Promise<AutomationRule>;
  /**
   * One rule.
   * @throws HeliosError NOT_FOUND `AUTOMATION.RULE_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const rule = await helios.automation.rules.get(id);
   * ```
   */
  get(id: string, options?: CallOptions): Promise<AutomationRule>;
  /**
   * A page of rules by name, optionally of one type or enabled state.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const { items } = await helios.automation.rules.list({ ruleType: 'dynamic_group' });
   * ```
   */
  list(filter?: ListRulesInput, options?: CallOptions): Promise<Page<AutomationRule>>;
  /**
   * Changes a rule; a new tree or config is validated as on `create`.
   * @throws HeliosError NOT_FOUND `AUTOMATION.RULE_NOT_FOUND`; INVALID_INPUT and CONFLICT as `create`;
   *   FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.automation.rules.update(id, { isEnabled: false });
   * ```
   */
  update(id: string, patch: UpdateRuleInput, options?: CallOptions): Promise<AutomationRule>;
  /**
   * Deletes a rule (its evaluation log stays, without the rule id).
   * @throws HeliosError NOT_FOUND `AUTOMATION.RULE_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.automation.rules.delete(id);
   * ```
   */
  delete(id: string, options?: CallOptions): Promise<void>;
  /**
   * Whether one user matches the rule (a disabled rule never does), with the facts used; writes
   * nothing. Managers may test their reports (direct or not) only.
   * @throws HeliosError NOT_FOUND `AUTOMATION.RULE_NOT_FOUND`, `AUTOMATION.USER_NOT_FOUND`;
   *   INVALID_INPUT `AUTOMATION.INVALID_CONDITION` (a stored tree no longer valid); FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const { matched, facts } = await helios.automation.rules.test(ruleId, userId);
   * ```
   */
  test(id: string, userId: string, options?: CallOptions): Promise<RuleTestResult>;
  /**
   * Evaluates the rule against every user (one statement): count and sample; logs the evaluation
   * and sets `lastEvaluatedAt` and `lastMatchCount` (administrators).
   * @throws HeliosError NOT_FOUND `AUTOMATION.RULE_NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`,
   *   `AUTOMATION.INVALID_CONDITION`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const { count, sample } = await helios.automation.rules.evaluate(ruleId, { limit: 10 });
   * ```
   */
  evaluate(
    id: string,
    input?: EvaluateRuleInput,
    options?: CallOptions,
  ): Promise<RuleEvaluationResult>;
  /**
   * Evaluates every enabled rule of a type, highest priority first (then name), as `evaluate`.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `AUTOMATION.INVALID_CONDITION`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const results = await helios.automation.rules.evaluateByType('dynamic_group');
   * ```
   */
  evaluateByType(
    ruleType: RuleType,
    input?: EvaluateRuleInput,
    options?: CallOptions,
  ): Promise<RuleEvaluationResult[]>;
  /**
   * A page of the rule's logged evaluations, newest first.
   * @throws HeliosError NOT_FOUND `AUTOMATION.RULE_NOT_FOUND`; INVALID_INPUT `PAGING.INVALID_CURSOR`; FORBIDDEN
   * @example
   * ```ts
   * const { items } = await helios.automation.rules.evaluations(ruleId);
   * ```
   */
  evaluations(
    id: string,
    input?: ListEvaluationsInput,
    options?: CallOptions,
  ): Promise<Page<RuleEvaluation>>;
  /**
   * Runs the enabled `notification` rules over the events since each one's previous run (users
   * created, updated or changing status; lifecycle requests created: see automation.events.ts),
   * or with `schedule: true` the rules with the `schedule` event over every matching user (once a
   * UTC day), and queues one mail per recipient and rule. Enabled `training_assign` rules are
   * logged `skipped: training not available`. The `automation.events` job calls it; administrators
   * may too.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const runs = await helios.automation.rules.runEvents();
   * ```
   */
  runEvents(input?: { schedule?: boolean }, options?: CallOptions): Promise<RuleEventsRun[]>;
}

const asNumber = (v: number | null | undefined) => v ?? 0;

/** The DTO of a row. */
export function toAutomationRule(row: Row<'automation_rules'>): AutomationRule {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    description: row.description,
    ruleType: row.rule_type,
    conditions: row.conditions,
    priority: asNumber(row.priority),
    isEnabled: row.is_enabled !== false,
    nestingDepth: asNumber(row.nesting_depth),
    conditionCount: asNumber(row.condition_count),
    referencesConditions: row.references_conditions ?? [],
    config: (row.config ?? {}) as Record<string, unknown>,
    lastEvaluatedAt: row.last_evaluated_at,
    lastMatchCount: asNumber(row.last_match_count),
    createdBy: row.created_by,
    updatedBy: row.updated_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRuleEvaluation(row: Row<'rule_evaluation_log'>): RuleEvaluation {
  return {
    id: row.id,
    ruleId: row.rule_id,
    ruleType: row.rule_type,
    facts: row.facts,
    matched: row.matched,
    result: row.result,
    triggeredBy: row.triggered_by,
    userId: row.user_id,
    evaluationTimeMs: row.evaluation_time_ms,
    createdAt: row.created_at,
  };
}

function auditView(row: Row<'automation_rules'>): Record<string, unknown> {
  return {
    name: row.name,
    description: row.description,
    ruleType: row.rule_type,
    conditions: row.conditions,
    config: row.config,
    priority: row.priority,
    isEnabled: row.is_enabled,
  };
}

async function findRule(
  s: OperationScope,
  id: string,
  forUpdate = false,
): Promise<Row<'automation_rules'>> {
  const parsed = idSchema.safeParse(id);
  if (!parsed.success) throw AUTOMATION_ERRORS.RULE_NOT_FOUND({ id: String(id).slice(0, 64) });
  let query = s.db
    .selectFrom('automation_rules')
    .selectAll()
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', parsed.data);
  if (forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw AUTOMATION_ERRORS.RULE_NOT_FOUND({ id: parsed.data });
  return row;
}

/** The config normalized (ids lower-cased), after checking what it names exists in the organization. */
async function checkConfig(
  s: OperationScope,
  typed: RuleTypeConfig,
  selfId: string | null,
): Promise<Record<string, unknown>> {
  switch (typed.ruleType) {
    case 'dynamic_group': {
      const accessGroupId = typed.config.accessGroupId.toLowerCase();
      const group = await s.db
        .selectFrom('access_groups')
        .select('id')
        .where('organization_id', '=', s.organizationId)
        .where('id', '=', accessGroupId)
        .executeTakeFirst();
      if (!group) throw AUTOMATION_ERRORS.GROUP_NOT_FOUND({ accessGroupId });
      let other = s.db
        .selectFrom('automation_rules')
        .select('id')
        .where('organization_id', '=', s.organizationId)
        .where('rule_type', '=', 'dynamic_group')
        .where(sql<SqlBool>`lower(config ->> 'accessGroupId') = ${accessGroupId}::text`);
      if (selfId) other = other.where('id', '<>', selfId);
      const existing = await other.executeTakeFirst();
      if (existing)
        throw AUTOMATION_ERRORS.GROUP_RULE_EXISTS({ accessGroupId, ruleId: existing.id });
      return { accessGroupId, pushToPlatform: typed.config.pushToPlatform };
    }
    case 'training_assign': {
      const contentIds = typed.config.contentIds.map((x) => x.toLowerCase());
      const found = await s.db
        .selectFrom('training_content')
        .select('id')
        .where('organization_id', '=', s.organizationId)
        .where('id', 'in', contentIds)
        .where('is_active', 'is not', false)
        .execute();
      const have = new Set(found.map((r) => r.id));
      const missing = contentIds.filter((x) => !have.has(x));
      if (missing.length > 0)
        throw AUTOMATION_ERRORS.TRAINING_CONTENT_NOT_FOUND({ contentIds: missing });
      return {
        contentIds,
        ...(typed.config.dueInDays !== undefined ? { dueInDays: typed.config.dueInDays } : {}),
      };
    }
    case 'template_match': {
      const templateId = typed.config.templateId.toLowerCase();
      const { requestType } = typed.config;
      const table = requestType === 'offboard' ? 'offboarding_templates' : 'onboarding_templates';
      const row = await s.db
        .selectFrom(table)
        .select('id')
        .where('organization_id', '=', s.organizationId)
        .where('id', '=', templateId)
        .executeTakeFirst();
      if (!row) throw AUTOMATION_ERRORS.TEMPLATE_NOT_FOUND({ templateId, requestType });
      return { templateId, requestType };
    }
    case 'notification': {
      const isId = (r: string) => idSchema.safeParse(r).success;
      const recipients = typed.config.recipients.map((r) => (isId(r) ? r.toLowerCase() : r));
      const userIds = [...new Set(recipients.filter(isId))];
      if (userIds.length > 0) {
        const found = await s.db
          .selectFrom('organization_users')
          .select('id')
          .where('organization_id', '=', s.organizationId)
          .where('id', 'in', userIds)
          .where('deleted_at', 'is', null)
          .execute();
        const have = new Set(found.map((r) => r.id));
        const missing = userIds.filter((x) => !have.has(x));
        if (missing.length > 0) throw AUTOMATION_ERRORS.RECIPIENT_NOT_FOUND({ userIds: missing });
      }
      return {
        recipients: [...new Set(recipients)],
        subject: typed.config.subject,
        message: typed.config.message,
        ...(typed.config.events ? { events: typed.config.events } : {}),
      };
    }
  }
}

/**
 * Refuses a `notification` rule on `lifecycle.request_created` that uses facts a request does not
 * have. `template_match` rules are saved as they are (the predecessor's rows use user facts such
 * as `userStatus`); at request creation such a rule is logged `unknown` and skipped.
 */
function assertRequestFacts(ruleType: string, config: unknown, v: ValidatedCondition): void {
  if (ruleType !== 'notification' || !evaluatedAgainstRequests(ruleType, config)) return;
  const facts = factsNotForRequests(v);
  if (facts.length > 0)
    throw AUTOMATION_ERRORS.FACT_NOT_FOR_REQUESTS({
      facts,
      available: Object.keys(REQUEST_FACTS),
    });
}

const compileContext = (s: OperationScope): CompileContext => ({
  organizationId: s.organizationId,
  asOf: s.now.toISOString().slice(0, 10),
});

/**
 * Refuses unless the caller may test a condition against `userId`: administrators and
 * `users:read` keys any user; managers their reports (direct or not), never anyone else.
 */
export async function authorizeTest(s: OperationScope, userId: string): Promise<void> {
  const p = s.principal;
  if (p.actor.type === 'user' && !p.isAdministrator) {
    const ok =
      p.role === 'manager' &&
      p.userId !== null &&
      (await isInReportingLine(s.db, p.userId, userId));
    if (!ok)
      throw POLICY_ERRORS.FORBIDDEN(
        {
          permission: 'users:read',
          reason:
            p.role === 'manager'
              ? 'a manager may test conditions against their reports only'
              : 'testing a condition needs an administrator or a manager of the user',
        },
        { details: { actor: p.auditType, role: p.role } },
      );
    return;
  }
  await s.authorize('users:read');
}

/** Whether `userId` (an existing user of the organization) matches the validated tree, and the facts used. */
export async function testUser(
  s: OperationScope,
  v: ValidatedCondition,
  userId: string,
): Promise<{ matched: boolean; facts: Record<string, unknown> }> {
  const exists = await s.db
    .selectFrom('organization_users')
    .select('id')
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', userId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!exists) throw AUTOMATION_ERRORS.USER_NOT_FOUND({ userId });
  const ctx = compileContext(s);
  const where = compileCondition(v.tree, ctx);
  const row = await withoutJit(s.db, (db) =>
    matchingUsersQuery(db, s.organizationId, where, userId).executeTakeFirst(),
  );
  return { matched: row !== undefined, facts: await factValues(s.db, ctx, userId, v.facts) };
}

/** A user id argument, or USER_NOT_FOUND. */
export function parseUserId(userId: unknown): string {
  const id = idSchema.safeParse(userId);
  if (!id.success) throw AUTOMATION_ERRORS.USER_NOT_FOUND({ userId: String(userId).slice(0, 64) });
  return id.data.toLowerCase();
}

/** Evaluates one rule over the organization, logs it and updates its counters (inside a write). */
async function evaluateRow(
  s: OperationScope,
  rule: Row<'automation_rules'>,
  limit: number,
  triggeredBy: string,
): Promise<RuleEvaluationResult> {
  const started = performance.now();
  const named = await namedConditionMap(s.db, s.organizationId);
  const v = validateCondition(rule.conditions, named);
  const enabled = rule.is_enabled !== false;
  await sql`set local jit = off`.execute(s.db);
  const { count, sample } = enabled
    ? await countMatching(
        s.db,
        s.organizationId,
        compileCondition(v.tree, compileContext(s)),
        limit,
      )
    : { count: 0, sample: [] as string[] };
  const elapsed = Math.round(performance.now() - started);
  await s.db
    .insertInto('rule_evaluation_log')
    .values({
      organization_id: s.organizationId,
      rule_id: rule.id,
      rule_type: rule.rule_type,
      facts: JSON.stringify({ facts: v.facts, depth: v.depth, leafCount: v.leafCount }),
      matched: count > 0,
      result: JSON.stringify({ count, sample, enabled }),
      triggered_by: triggeredBy,
      user_id: null,
      evaluation_time_ms: elapsed,
      created_at: s.now,
    })
    .execute();
  await s.db
    .updateTable('automation_rules')
    .set({ last_evaluated_at: s.now, last_match_count: count })
    .where('id', '=', rule.id)
    .execute();
  await s.audit({
    action: 'automation.rules.evaluate',
    resource: 'automation_rule',
    resourceId: rule.id,
    details: { count, triggeredBy, enabled },
  });
  return {
    ruleId: rule.id,
    name: rule.name,
    ruleType: rule.rule_type,
    priority: asNumber(rule.priority),
    isEnabled: enabled,
    count,
    sample,
    evaluatedAt: s.now,
  };
}

/** Builds `helios.automation.rules`. */
export function createAutomationRulesService(rt: ServiceRuntime): AutomationRulesService {
  return {
    create: (input, options) =>
      rt.write(options, async (s) => {
        const data = parseInput(createRuleSchema, input);
        authorizeWrite(s, 'Creating an automation rule');
        await lockAutomation(s);
        const named = await namedConditionMap(s.db, s.organizationId);
        const v = validateCondition(data.conditions, named);
        const config = await checkConfig(s, data as RuleTypeConfig, null);
        assertRequestFacts(data.ruleType, config, v);
        const { id } = await s.db
          .insertInto('automation_rules')
          .values({
            organization_id: s.organizationId,
            name: data.name,
            description: data.description ?? null,
            rule_type: data.ruleType,
            conditions: JSON.stringify(data.conditions),
            priority: data.priority ?? 0,
            is_enabled: data.isEnabled ?? true,
            nesting_depth: v.depth,
            condition_count: v.leafCount,
            references_conditions: uuidArray(v.referencedIds),
            config: JSON.stringify(config),
            last_match_count: 0,
            created_by: s.principal.userId,
            updated_by: s.principal.userId,
            created_at: s.now,
            updated_at: s.now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await recomputeUsage(s);
        const row = await findRule(s, id);
        await s.audit({
          action: 'automation.rules.create',
          resource: 'automation_rule',
          resourceId: row.id,
          details: summarizeChange(null, auditView(row)),
        });
        return toAutomationRule(row);
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await authorizeRead(s, 'Reading automation rules');
        return toAutomationRule(await findRule(s, id));
      }),

    list: (filter, options) =>
      rt.read(options, async (s) => {
        const f = parseInput(listRulesSchema, filter ?? {});
        await authorizeRead(s, 'Reading automation rules');
        const paging = keysetPage({
          list: 'automation.rules:name',
          keys: [
            { by: 'name', kind: 'text' },
            { by: 'id', kind: 'uuid' },
          ],
          limit: f.limit,
          cursor: f.cursor,
        });
        let query = s.db
          .selectFrom('automation_rules')
          .selectAll()
          .where('organization_id', '=', s.organizationId);
        if (f.ruleType) query = query.where('rule_type', '=', f.ruleType);
        if (f.isEnabled !== undefined)
          query = f.isEnabled
            ? query.where('is_enabled', 'is not', false)
            : query.where('is_enabled', '=', false);
        return paging.page(await query.$call(paging.query).execute(), (r) =>
          toAutomationRule(r as Row<'automation_rules'>),
        );
      }),

    update: (id, patch, options) =>
      rt.write(options, async (s) => {
        const data = parseInput(updateRuleSchema, patch);
        authorizeWrite(s, 'Changing an automation rule');
        await lockAutomation(s);
        const before = await findRule(s, id, true);
        let config: Record<string, unknown> | undefined;
        if (data.ruleType !== undefined || data.config !== undefined) {
          const typed = parseInput(ruleTypeConfigSchema, {
            ruleType: data.ruleType ?? before.rule_type,
            config: data.config === undefined ? before.config : data.config,
          });
          config = await checkConfig(s, typed, before.id);
        }
        let v: ValidatedCondition | undefined;
        if (data.conditions !== undefined) {
          const named = await namedConditionMap(s.db, s.organizationId);
          v = validateCondition(data.conditions, named);
        }
        const ruleType = data.ruleType ?? before.rule_type;
        if (
          ruleType === 'notification' &&
          evaluatedAgainstRequests(ruleType, config ?? before.config)
        )
          assertRequestFacts(
            ruleType,
            config ?? before.config,
            v ??
              validateCondition(before.conditions, await namedConditionMap(s.db, s.organizationId)),
          );
        await s.db
          .updateTable('automation_rules')
          .set({
            ...(data.name !== undefined ? { name: data.name } : {}),
            ...(data.description !== undefined ? { description: data.description } : {}),
            ...(data.priority !== undefined ? { priority: data.priority } : {}),
            ...(data.isEnabled !== undefined ? { is_enabled: data.isEnabled } : {}),
            ...(data.ruleType !== undefined ? { rule_type: data.ruleType } : {}),
            ...(config !== undefined ? { config: JSON.stringify(config) } : {}),
            ...(v !== undefined
              ? {
                  conditions: JSON.stringify(data.conditions),
                  nesting_depth: v.depth,
                  condition_count: v.leafCount,
                  references_conditions: uuidArray(v.referencedIds),
                }
              : {}),
            updated_by: s.principal.userId,
            updated_at: s.now,
          })
          .where('id', '=', before.id)
          .execute();
        if (v !== undefined) await recomputeUsage(s);
        const after = await findRule(s, before.id);
        await s.audit({
          action: 'automation.rules.update',
          resource: 'automation_rule',
          resourceId: after.id,
          details: summarizeChange(auditView(before), auditView(after)),
        });
        return toAutomationRule(after);
      }),

    delete: (id, options) =>
      rt.write(options, async (s) => {
        authorizeWrite(s, 'Deleting an automation rule');
        await lockAutomation(s);
        const before = await findRule(s, id, true);
        await s.db.deleteFrom('automation_rules').where('id', '=', before.id).execute();
        await recomputeUsage(s);
        await s.audit({
          action: 'automation.rules.delete',
          resource: 'automation_rule',
          resourceId: before.id,
          details: summarizeChange(auditView(before), null),
        });
      }),

    test: (id, userId, options) =>
      rt.read(options, async (s) => {
        const target = parseUserId(userId);
        await authorizeTest(s, target);
        const rule = await findRule(s, id);
        const named = await namedConditionMap(s.db, s.organizationId);
        const v = validateCondition(rule.conditions, named);
        const r = await testUser(s, v, target);
        const isEnabled = rule.is_enabled !== false;
        return { matched: isEnabled && r.matched, isEnabled, facts: r.facts };
      }),

    evaluate: (id, input, options) =>
      rt.write(options, async (s) => {
        const o = parseInput(evaluateSchema, input ?? {});
        authorizeWrite(s, 'Evaluating an automation rule');
        const rule = await findRule(s, id, true);
        return evaluateRow(s, rule, o.limit, o.triggeredBy);
      }),

    evaluateByType: (ruleType, input, options) =>
      rt.write(options, async (s) => {
        const type = parseInput(ruleTypeSchema, ruleType);
        const o = parseInput(evaluateSchema, input ?? {});
        authorizeWrite(s, 'Evaluating automation rules');
        const rules = await s.db
          .selectFrom('automation_rules')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .where('rule_type', '=', type)
          .where('is_enabled', 'is not', false)
          .orderBy(sql`coalesce(priority, 0)`, 'desc')
          .orderBy('name')
          .orderBy('id')
          .forUpdate()
          .execute();
        const results: RuleEvaluationResult[] = [];
        for (const rule of rules) results.push(await evaluateRow(s, rule, o.limit, o.triggeredBy));
        return results;
      }),

    evaluations: (id, input, options) =>
      rt.read(options, async (s) => {
        const f = parseInput(listEvaluationsSchema, input ?? {});
        await authorizeRead(s, 'Reading automation rule evaluations');
        const rule = await findRule(s, id);
        const paging = keysetPage({
          list: 'automation.rules.evaluations',
          keys: [
            { by: 'created_at', kind: 'timestamp' },
            { by: 'id', kind: 'uuid' },
          ],
          direction: 'desc',
          limit: f.limit,
          cursor: f.cursor,
        });
        const rows = await s.db
          .selectFrom('rule_evaluation_log')
          .selectAll()
          .where('organization_id', '=', s.organizationId)
          .where('rule_id', '=', rule.id)
          .$call(paging.query)
          .execute();
        return paging.page(rows, (r) => toRuleEvaluation(r as Row<'rule_evaluation_log'>));
      }),

    runEvents: (input, options) =>
      runRuleEvents(rt, { schedule: input?.schedule === true }, options),
  };
}

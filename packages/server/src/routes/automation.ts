/**
 * Automation (tag Automation): the facts catalogue, condition validation and testing, named
 * conditions and rules (CRUD, test against one user, evaluate against everyone, evaluation log).
 * Every handler only calls `c.var.sdk.automation`, which decides who may.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import {
  anyJson,
  type Caller,
  cursorQuery,
  defineRoute,
  dto,
  IdParam,
  limitQuery,
  nullableText,
  nullableTime,
  pageOf,
} from '../route';
import type { RouteDeps } from './index';

// Who may call (decided by helios.automation): reading (facts, validate, conditions, rules,
// evaluations) is for administrators and users:read keys; writing and evaluating for
// administrators and admin:full keys; testing a condition against one user also for managers,
// against their reports only.
const READ = 'users:read';
const WRITE = 'admin:full';
const TESTERS: Caller[] = ['admin', 'manager'];
const RULE_TYPES = ['dynamic_group', 'training_assign', 'notification', 'template_match'] as const;

const tree = anyJson.openapi({
  description:
    'A condition tree: { all: [...] }, { any: [...] }, { not: ... }, leaves { fact, operator, value, path? } and references { condition: "<named condition name>" }',
});
const idList = z.array(z.string());

const FactDto = z
  .object({
    name: z.string(),
    path: z.string().optional(),
    label: z.string(),
    category: z.string(),
    type: z.string(),
    operators: z.array(z.string()),
    description: z.string().optional(),
  })
  .openapi('AutomationFact');
const ConditionSummaryDto = z
  .object({
    depth: z.number().int(),
    leafCount: z.number().int(),
    referencedIds: idList,
    facts: z.array(z.string()),
    warnings: z.array(z.object({ path: z.string(), code: z.string(), message: z.string() })),
  })
  .openapi('ConditionSummary');
const MatchResultDto = z
  .object({
    matched: z.boolean(),
    facts: z.record(z.string(), z.unknown()),
  })
  .openapi('ConditionMatch');
const NamedConditionDto = dto('NamedCondition', {
  organizationId: z.string(),
  name: z.string(),
  displayName: z.string(),
  description: nullableText,
  conditions: tree,
  nestingDepth: z.number().int(),
  referencesConditions: idList,
  usageCount: z.number().int(),
  createdBy: nullableText,
  updatedBy: nullableText,
  createdAt: nullableTime,
  updatedAt: nullableTime,
});
const ConditionUsageDto = z
  .object({
    rules: z.array(z.object({ id: z.string(), name: z.string(), ruleType: z.string() })),
    conditions: z.array(z.object({ id: z.string(), name: z.string() })),
  })
  .openapi('NamedConditionUsage');
const AutomationRuleDto = dto('AutomationRule', {
  organizationId: z.string(),
  name: z.string(),
  description: nullableText,
  ruleType: z.string(),
  conditions: tree,
  priority: z.number().int(),
  isEnabled: z.boolean(),
  nestingDepth: z.number().int(),
  conditionCount: z.number().int(),
  referencesConditions: idList,
  config: z.record(z.string(), z.unknown()),
  lastEvaluatedAt: nullableTime,
  lastMatchCount: z.number().int(),
  createdBy: nullableText,
  updatedBy: nullableText,
  createdAt: nullableTime,
  updatedAt: nullableTime,
});
const RuleEvaluationDto = dto('RuleEvaluation', {
  ruleId: nullableText,
  ruleType: z.string(),
  facts: anyJson,
  matched: z.boolean(),
  result: anyJson,
  triggeredBy: nullableText,
  userId: nullableText,
  evaluationTimeMs: z.number().int().nullable(),
  createdAt: nullableTime,
});
const RuleEvaluationResultDto = z
  .object({
    ruleId: z.string(),
    name: z.string(),
    ruleType: z.string(),
    priority: z.number().int(),
    isEnabled: z.boolean(),
    count: z.number().int(),
    sample: idList,
    evaluatedAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('RuleEvaluationResult');
const RuleTestResultDto = z
  .object({
    matched: z.boolean(),
    isEnabled: z.boolean(),
    facts: z.record(z.string(), z.unknown()),
  })
  .openapi('RuleTestResult');

// The route's own view of the SDK's input (the SDK parses it again with its own schemas).
const conditionName = z
  .string()
  .min(1)
  .max(100)
  .openapi({ description: 'What trees reference: { condition: "<name>" }' });
const CreateConditionBody = z
  .object({
    name: conditionName,
    displayName: z.string().min(1).max(255),
    description: z.string().max(2000).nullable().optional(),
    conditions: tree,
  })
  .strict()
  .openapi('CreateNamedCondition');
const UpdateConditionBody = z
  .object({
    name: conditionName.optional(),
    displayName: z.string().min(1).max(255).optional(),
    description: z.string().max(2000).nullable().optional(),
    conditions: tree.optional(),
  })
  .strict()
  .openapi('UpdateNamedCondition');

const DynamicGroupConfig = z
  .object({
    accessGroupId: z.uuid(),
    pushToPlatform: z
      .boolean()
      .optional()
      .openapi({ description: "Also push the membership to the group's cloud (default false)" }),
  })
  .strict()
  .openapi('DynamicGroupRuleConfig');
const TrainingAssignConfig = z
  .object({
    contentIds: z.array(z.uuid()).min(1).max(50),
    dueInDays: z.number().int().min(1).max(365).optional(),
  })
  .strict()
  .openapi('TrainingAssignRuleConfig');
const NotificationConfig = z
  .object({
    recipients: z
      .array(z.string().min(1).max(255))
      .min(1)
      .max(50)
      .openapi({ description: "User ids, email addresses, or 'manager' (the matching user's)" }),
    subject: z.string().min(1).max(200),
    message: z.string().min(1).max(5000),
  })
  .strict()
  .openapi('NotificationRuleConfig');
const TemplateMatchConfig = z
  .object({ templateId: z.uuid(), requestType: z.enum(['onboard', 'offboard']) })
  .strict()
  .openapi('TemplateMatchRuleConfig');

const ruleFields = {
  name: z.string().min(1).max(255),
  description: z.string().max(2000).nullable().optional(),
  conditions: tree,
  priority: z
    .number()
    .int()
    .min(-1_000_000)
    .max(1_000_000)
    .optional()
    .openapi({ description: 'Higher runs first (default 0)' }),
  isEnabled: z
    .boolean()
    .optional()
    .openapi({ description: 'A disabled rule never matches (default true)' }),
};
const CreateRuleBody = z
  .discriminatedUnion('ruleType', [
    z
      .object({ ...ruleFields, ruleType: z.literal('dynamic_group'), config: DynamicGroupConfig })
      .strict(),
    z
      .object({
        ...ruleFields,
        ruleType: z.literal('training_assign'),
        config: TrainingAssignConfig,
      })
      .strict(),
    z
      .object({ ...ruleFields, ruleType: z.literal('notification'), config: NotificationConfig })
      .strict(),
    z
      .object({
        ...ruleFields,
        ruleType: z.literal('template_match'),
        config: TemplateMatchConfig,
      })
      .strict(),
  ])
  .openapi('CreateAutomationRule');
const UpdateRuleBody = z
  .object({
    name: ruleFields.name.optional(),
    description: ruleFields.description,
    conditions: tree.optional(),
    priority: ruleFields.priority,
    isEnabled: ruleFields.isEnabled,
    ruleType: z.enum(RULE_TYPES).optional(),
    config: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: 'The config of the (new or current) rule type' }),
  })
  .strict()
  .openapi('UpdateAutomationRule');
const EvaluateBody = z
  .object({
    limit: z.number().int().min(0).max(1000).optional(),
    triggeredBy: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9_.:-]+$/)
      .optional(),
  })
  .strict()
  .openapi('EvaluateAutomationRule');
const userId = z.uuid().openapi({ description: 'The user to test against' });

/** `/api/v1/automation`: facts, validate, test, named conditions and rules. */
export function registerAutomationRoutes(app: OpenAPIHono<AppEnv>, _deps: RouteDeps): void {
  const tag = 'Automation';
  defineRoute(app, {
    method: 'get',
    path: '/automation/facts',
    tag,
    summary: 'The facts a condition may use, with their type and operators',
    scope: READ,
    response: z.array(FactDto),
    handler: (c) => c.var.sdk.automation.facts(),
  });
  defineRoute(app, {
    method: 'post',
    path: '/automation/validate',
    tag,
    summary: 'Validate a condition tree: depth, leaf count, referenced conditions, warnings',
    description:
      '400 AUTOMATION.INVALID_CONDITION lists each problem (`details.problems`: path, code, message).',
    scope: READ,
    body: z
      .object({
        conditions: tree,
        asCondition: conditionName
          .optional()
          .openapi({ description: 'The named condition it is saved as (refuses self references)' }),
      })
      .strict()
      .openapi('ValidateCondition'),
    response: ConditionSummaryDto,
    status: 200,
    handler: (c, { body }) =>
      c.var.sdk.automation.validate(
        body.conditions,
        body.asCondition === undefined ? {} : { asCondition: body.asCondition },
      ),
  });
  defineRoute(app, {
    method: 'post',
    path: '/automation/test',
    operationId: 'testAutomationCondition',
    tag,
    summary: 'Test a condition tree against one user: matched and the facts used',
    description:
      'Writes nothing. Managers may test their reports (direct or not) only; 403 for anyone else.',
    callers: TESTERS,
    scope: READ,
    body: z.object({ conditions: tree, userId }).strict().openapi('TestCondition'),
    response: MatchResultDto,
    status: 200,
    handler: (c, { body }) => c.var.sdk.automation.test(body.conditions, body.userId),
  });

  defineRoute(app, {
    method: 'get',
    path: '/automation/conditions',
    tag,
    summary: 'Named conditions by name, one page at a time',
    scope: READ,
    query: z.object({
      search: z
        .string()
        .min(1)
        .max(100)
        .optional()
        .openapi({ description: 'Names or display names containing this text' }),
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(NamedConditionDto),
    handler: (c, { query }) => c.var.sdk.automation.conditions.list(query),
  });
  defineRoute(app, {
    method: 'post',
    path: '/automation/conditions',
    tag,
    summary: 'Create a named condition',
    description:
      '409 AUTOMATION.CONDITION_NAME_TAKEN when the name is used; 400 AUTOMATION.INVALID_CONDITION for a bad tree.',
    scope: WRITE,
    body: CreateConditionBody,
    response: NamedConditionDto,
    handler: (c, { body }) => c.var.sdk.automation.conditions.create(body),
  });
  defineRoute(app, {
    method: 'get',
    path: '/automation/conditions/{id}',
    tag,
    summary: 'One named condition',
    scope: READ,
    params: IdParam,
    response: NamedConditionDto,
    handler: (c, { params }) => c.var.sdk.automation.conditions.get(params.id),
  });
  defineRoute(app, {
    method: 'patch',
    path: '/automation/conditions/{id}',
    tag,
    summary: 'Change a named condition (every referring condition and rule is re-validated)',
    description:
      '409 AUTOMATION.DEPENDANT_INVALID when a referring condition or rule would become invalid; 409 AUTOMATION.CONDITION_IN_USE when renaming a referenced condition.',
    scope: WRITE,
    params: IdParam,
    body: UpdateConditionBody,
    response: NamedConditionDto,
    handler: (c, { params, body }) => c.var.sdk.automation.conditions.update(params.id, body),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/automation/conditions/{id}',
    tag,
    summary: 'Delete a named condition nothing references',
    description: '409 AUTOMATION.CONDITION_IN_USE lists the referring rules and conditions.',
    scope: WRITE,
    params: IdParam,
    status: 204,
    handler: async (c, { params }) => {
      await c.var.sdk.automation.conditions.delete(params.id);
      return undefined;
    },
  });
  defineRoute(app, {
    method: 'get',
    path: '/automation/conditions/{id}/usage',
    operationId: 'getNamedConditionUsage',
    tag,
    summary: 'The rules and named conditions that reference this one',
    scope: READ,
    params: IdParam,
    response: ConditionUsageDto,
    handler: (c, { params }) => c.var.sdk.automation.conditions.usage(params.id),
  });

  defineRoute(app, {
    method: 'get',
    path: '/automation/rules',
    tag,
    summary: 'Automation rules by name, one page at a time',
    scope: READ,
    query: z.object({
      ruleType: z.enum(RULE_TYPES).optional(),
      limit: limitQuery,
      cursor: cursorQuery,
    }),
    response: pageOf(AutomationRuleDto),
    handler: (c, { query }) => c.var.sdk.automation.rules.list(query),
  });
  defineRoute(app, {
    method: 'post',
    path: '/automation/rules',
    tag,
    summary: 'Create a rule: a condition tree and a type with its typed config',
    description:
      '400 for a config naming what does not exist (AUTOMATION.GROUP_NOT_FOUND, TRAINING_CONTENT_NOT_FOUND, TEMPLATE_NOT_FOUND, RECIPIENT_NOT_FOUND); 409 AUTOMATION.GROUP_RULE_EXISTS when the access group has a dynamic group rule.',
    scope: WRITE,
    body: CreateRuleBody,
    response: AutomationRuleDto,
    handler: (c, { body }) => c.var.sdk.automation.rules.create(body),
  });
  defineRoute(app, {
    method: 'get',
    path: '/automation/rules/{id}',
    tag,
    summary: 'One automation rule',
    scope: READ,
    params: IdParam,
    response: AutomationRuleDto,
    handler: (c, { params }) => c.var.sdk.automation.rules.get(params.id),
  });
  defineRoute(app, {
    method: 'patch',
    path: '/automation/rules/{id}',
    tag,
    summary: 'Change a rule (a new tree or config is validated as on create)',
    scope: WRITE,
    params: IdParam,
    body: UpdateRuleBody,
    response: AutomationRuleDto,
    handler: (c, { params, body }) => c.var.sdk.automation.rules.update(params.id, body),
  });
  defineRoute(app, {
    method: 'delete',
    path: '/automation/rules/{id}',
    tag,
    summary: 'Delete a rule (its evaluation log stays)',
    scope: WRITE,
    params: IdParam,
    status: 204,
    handler: async (c, { params }) => {
      await c.var.sdk.automation.rules.delete(params.id);
      return undefined;
    },
  });
  defineRoute(app, {
    method: 'post',
    path: '/automation/rules/{id}/test',
    operationId: 'testAutomationRule',
    tag,
    summary: 'Test a rule against one user (a disabled rule never matches); writes nothing',
    description: 'Managers may test their reports (direct or not) only; 403 for anyone else.',
    callers: TESTERS,
    scope: READ,
    params: IdParam,
    body: z.object({ userId }).strict().openapi('TestAutomationRule'),
    response: RuleTestResultDto,
    status: 200,
    handler: (c, { params, body }) => c.var.sdk.automation.rules.test(params.id, body.userId),
  });
  defineRoute(app, {
    method: 'post',
    path: '/automation/rules/{id}/evaluate',
    operationId: 'evaluateAutomationRule',
    tag,
    summary: 'Evaluate a rule against every user: count and sample; logged',
    description:
      'Writes a rule_evaluation_log row and sets lastEvaluatedAt and lastMatchCount. A disabled rule matches nobody.',
    scope: WRITE,
    params: IdParam,
    body: EvaluateBody,
    response: RuleEvaluationResultDto,
    status: 200,
    handler: (c, { params, body }) => c.var.sdk.automation.rules.evaluate(params.id, body),
  });
  defineRoute(app, {
    method: 'get',
    path: '/automation/rules/{id}/evaluations',
    tag,
    summary: "The rule's logged evaluations, newest first",
    scope: READ,
    params: IdParam,
    query: z.object({ limit: limitQuery, cursor: cursorQuery }),
    response: pageOf(RuleEvaluationDto),
    handler: (c, { params, query }) => c.var.sdk.automation.rules.evaluations(params.id, query),
  });
}

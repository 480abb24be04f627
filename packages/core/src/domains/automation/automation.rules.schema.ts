/**
 * Inputs and DTOs of named conditions (`named_conditions`) and automation rules
 * (`automation_rules`, `rule_evaluation_log`): zod schemas, their input types, and the rule
 * types with their typed `config` (a discriminated union on `ruleType`, strict objects).
 */
import { z } from 'zod';
import { emailSchema, jsonValue } from '../../shared/validation';
import { dynamicGroupConfigSchema } from './dynamic-groups.schema';

/** Any PostgreSQL uuid (ids may come from elsewhere than gen_random_uuid). */
const id = z.guid();
const page = {
  cursor: z.string().min(1).max(4000).nullable().optional(),
  limit: z.int().min(1).max(500).default(50),
};
const description = z.string().trim().max(2000).nullable().optional();
/** A condition tree: its shape, facts and limits are checked by `validateCondition`. */
const conditions = jsonValue().refine((v) => v !== undefined && v !== null, 'Required');

// ---------------------------------------------------------------------------------------------
// Named conditions

/**
 * The name a tree references (`{ condition: "<name>" }`): 1 to 100 characters, no control
 * characters, no leading or trailing space. It only ever reaches SQL as a parameter.
 */
export const conditionNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^\s\p{Cc}](?:[^\p{Cc}]*[^\s\p{Cc}])?$/u, 'No control characters or outer spaces');

/** Input of `conditions.create`. */
export const createNamedConditionSchema = z.strictObject({
  name: conditionNameSchema,
  displayName: z.string().trim().min(1).max(255),
  description,
  /** The condition tree (`{ all }`, `{ any }`, `{ not }`, leaves, references). */
  conditions,
});
/** Input of `conditions.create`. */
export type CreateNamedConditionInput = z.input<typeof createNamedConditionSchema>;

/** Input of `conditions.update` (a rename is refused while the condition is referenced). */
export const updateNamedConditionSchema = z.strictObject({
  name: conditionNameSchema.optional(),
  displayName: z.string().trim().min(1).max(255).optional(),
  description,
  conditions: conditions.optional(),
});
/** Input of `conditions.update`. */
export type UpdateNamedConditionInput = z.input<typeof updateNamedConditionSchema>;

/** Input of `conditions.list`. */
export const listNamedConditionsSchema = z.strictObject({
  /** Names or display names containing this text (case-insensitive). */
  search: z.string().trim().min(1).max(100).optional(),
  ...page,
});
/** Input of `conditions.list`. */
export type ListNamedConditionsInput = z.input<typeof listNamedConditionsSchema>;

// ---------------------------------------------------------------------------------------------
// Rules

/** The rule types and what each does with its matches. */
export const RULE_TYPES = [
  'dynamic_group',
  'training_assign',
  'notification',
  'template_match',
] as const;
/** A rule type. */
export type RuleType = (typeof RULE_TYPES)[number];

/** `training_assign`: the training content assigned to matching users. */
export const trainingAssignConfigSchema = z.strictObject({
  contentIds: z
    .array(id)
    .min(1)
    .max(50)
    .refine((ids) => new Set(ids.map((x) => x.toLowerCase())).size === ids.length, 'Duplicate id'),
  /** Due this many days after the assignment (none: no due date). */
  dueInDays: z.int().min(1).max(365).optional(),
});
/** A recipient of a notification rule: a user id, an email address, or `manager` (the matching user's manager). */
export const notificationRecipientSchema = z.union([z.literal('manager'), id, emailSchema]);
/**
 * The events a `notification` rule runs on: a user created, updated (profile, role or manager) or
 * changed status (suspended, restored, deleted...), a lifecycle request created (evaluated against
 * the request's facts), or `schedule` (once a day, every matching user).
 */
export const NOTIFICATION_EVENTS = [
  'user.created',
  'user.updated',
  'user.status_changed',
  'lifecycle.request_created',
  'schedule',
] as const;
/** An event of {@link NOTIFICATION_EVENTS}. */
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];
/** The events of a `notification` rule whose config names none (rows saved before `events` existed). */
export const DEFAULT_NOTIFICATION_EVENTS: readonly NotificationEvent[] = ['user.created'];

/** `notification`: who is mailed about matching users, and what. */
export const notificationConfigSchema = z.strictObject({
  recipients: z.array(notificationRecipientSchema).min(1).max(50),
  subject: z.string().trim().min(1).max(200),
  message: z.string().trim().min(1).max(5000),
  /** When the rule runs (default `['user.created']`). */
  events: z
    .array(z.enum(NOTIFICATION_EVENTS))
    .min(1)
    .max(NOTIFICATION_EVENTS.length)
    .refine((e) => new Set(e).size === e.length, 'Duplicate event')
    .optional(),
});
/**
 * `template_match`: the onboarding or offboarding template picked for new requests of
 * `requestType` created without a template (`transfer` requests use onboarding templates).
 */
export const templateMatchConfigSchema = z.strictObject({
  templateId: id,
  requestType: z.enum(['onboard', 'offboard', 'transfer']),
});

/** The typed config of `dynamic_group` rules. */
/** The typed config of `training_assign` rules. */
export type TrainingAssignConfig = z.output<typeof trainingAssignConfigSchema>;
/** The typed config of `notification` rules. */
export type NotificationConfig = z.output<typeof notificationConfigSchema>;
/** The typed config of `template_match` rules. */
export type TemplateMatchConfig = z.output<typeof templateMatchConfigSchema>;

/** A rule type with its config, discriminated on `ruleType`. */
export const ruleTypeConfigSchema = z.discriminatedUnion('ruleType', [
  z.strictObject({ ruleType: z.literal('dynamic_group'), config: dynamicGroupConfigSchema }),
  z.strictObject({ ruleType: z.literal('training_assign'), config: trainingAssignConfigSchema }),
  z.strictObject({ ruleType: z.literal('notification'), config: notificationConfigSchema }),
  z.strictObject({ ruleType: z.literal('template_match'), config: templateMatchConfigSchema }),
]);
/** A rule type with its typed config. */
export type RuleTypeConfig = z.output<typeof ruleTypeConfigSchema>;

const ruleFields = {
  name: z.string().trim().min(1).max(255),
  description,
  conditions,
  /** Higher runs first in `evaluateRulesByType` (default 0). */
  priority: z.int().min(-1_000_000).max(1_000_000).optional(),
  /** A disabled rule never matches (default true). */
  isEnabled: z.boolean().optional(),
};

/** Input of `rules.create` (the predecessor's rule JSON: name, ruleType, conditions, config, priority, isEnabled). */
export const createRuleSchema = z.discriminatedUnion('ruleType', [
  z.strictObject({
    ...ruleFields,
    ruleType: z.literal('dynamic_group'),
    config: dynamicGroupConfigSchema,
  }),
  z.strictObject({
    ...ruleFields,
    ruleType: z.literal('training_assign'),
    config: trainingAssignConfigSchema,
  }),
  z.strictObject({
    ...ruleFields,
    ruleType: z.literal('notification'),
    config: notificationConfigSchema,
  }),
  z.strictObject({
    ...ruleFields,
    ruleType: z.literal('template_match'),
    config: templateMatchConfigSchema,
  }),
]);
/** Input of `rules.create`. */
export type CreateRuleInput = z.input<typeof createRuleSchema>;

/**
 * Input of `rules.update`: any field; `config` is checked against the (new or current) rule type,
 * so changing `ruleType` needs a `config` of the new type.
 */
export const updateRuleSchema = z.strictObject({
  name: ruleFields.name.optional(),
  description,
  conditions: conditions.optional(),
  priority: ruleFields.priority,
  isEnabled: ruleFields.isEnabled,
  ruleType: z.enum(RULE_TYPES).optional(),
  config: jsonValue().optional(),
});
/** Input of `rules.update`. */
export type UpdateRuleInput = z.input<typeof updateRuleSchema>;

/** Input of `rules.list`. */
export const listRulesSchema = z.strictObject({
  ruleType: z.string().min(1).max(50).optional(),
  isEnabled: z.boolean().optional(),
  ...page,
});
/** Input of `rules.list`. */
export type ListRulesInput = z.input<typeof listRulesSchema>;

/** Input of `rules.evaluate` and `rules.evaluateByType`. */
export const evaluateSchema = z.strictObject({
  /** How many matching user ids to return (default 20, at most 1000). */
  limit: z.int().min(0).max(1000).default(20),
  /** What triggered the evaluation, recorded in the log (default `manual`). */
  triggeredBy: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'Letters, digits and _ . : -')
    .default('manual'),
});
/** Input of `rules.evaluate`. */
export type EvaluateRuleInput = z.input<typeof evaluateSchema>;

/** Input of `rules.evaluations`. */
export const listEvaluationsSchema = z.strictObject({ ...page });
/** Input of `rules.evaluations`. */
export type ListEvaluationsInput = z.input<typeof listEvaluationsSchema>;

/** A rule type name as `evaluateByType` takes it. */
export const ruleTypeSchema = z.enum(RULE_TYPES);
/** An id argument. */
export const idSchema = id;

// ---------------------------------------------------------------------------------------------
// DTOs

/** A named condition (`named_conditions`). */
export interface NamedCondition {
  id: string;
  organizationId: string;
  /** What trees reference (`{ condition: name }`). */
  name: string;
  displayName: string;
  description: string | null;
  conditions: unknown;
  /** Nesting depth, counting referenced named conditions. */
  nestingDepth: number;
  /** The named conditions it references directly. */
  referencesConditions: string[];
  /** How many rules and named conditions reference it. */
  usageCount: number;
  createdBy: string | null;
  updatedBy: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** An automation rule (`automation_rules`). */
export interface AutomationRule {
  id: string;
  organizationId: string;
  name: string;
  description: string | null;
  /** One of {@link RULE_TYPES} (rows of the predecessor may hold others, e.g. `workflow`). */
  ruleType: string;
  conditions: unknown;
  priority: number;
  isEnabled: boolean;
  nestingDepth: number;
  /** Leaves, counting referenced named conditions. */
  conditionCount: number;
  referencesConditions: string[];
  config: Record<string, unknown>;
  lastEvaluatedAt: Date | null;
  lastMatchCount: number;
  createdBy: string | null;
  updatedBy: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** One logged evaluation (`rule_evaluation_log`). */
export interface RuleEvaluation {
  id: string;
  ruleId: string | null;
  ruleType: string;
  /** What was evaluated: the facts used, depth and leaf count. */
  facts: unknown;
  matched: boolean;
  /** `{ count, sample }` of a full evaluation. */
  result: unknown;
  triggeredBy: string | null;
  userId: string | null;
  evaluationTimeMs: number | null;
  createdAt: Date | null;
}

/** Who references a named condition. */
export interface ConditionUsage {
  rules: { id: string; name: string; ruleType: string }[];
  conditions: { id: string; name: string }[];
}

/** What `rules.evaluate` returns. */
export interface RuleEvaluationResult {
  ruleId: string;
  name: string;
  ruleType: string;
  priority: number;
  isEnabled: boolean;
  /** How many users match (0 for a disabled rule). */
  count: number;
  /** Up to `limit` matching user ids, in id order. */
  sample: string[];
  evaluatedAt: Date;
}

/** What `rules.test` returns. */
export interface RuleTestResult {
  /** False for a disabled rule, whatever the facts. */
  matched: boolean;
  isEnabled: boolean;
  facts: Record<string, unknown>;
}

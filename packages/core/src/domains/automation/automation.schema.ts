/**
 * The condition language of automation (zod schemas and their types), kept compatible with the
 * predecessor's stored rows (`automation_rules.conditions`, `named_conditions.conditions`): trees of
 * `{ all: [...] }` / `{ any: [...] }` / `{ not: ... }`, leaves `{ fact, operator, value, path? }` and
 * references to named conditions `{ condition: "<name>" }`.
 */
import { z } from 'zod';

/** Every operator of the language (json-rules-engine's built-ins plus the predecessor's custom ones). */
export const CONDITION_OPERATORS = [
  'equal',
  'notEqual',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
  'isUnder',
  'isNotUnder',
  'matchesRegex',
  'isEmpty',
  'isNotEmpty',
  'isNull',
  'isNotNull',
  'startsWith',
  'endsWith',
] as const;
/** An operator of the language. */
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** The value types of facts. */
export const FACT_TYPES = [
  'string',
  'path',
  'id',
  'number',
  'date',
  'boolean',
  'idList',
  'stringList',
] as const;
/** The value type of a fact: `path` is a `/`-separated path (org units); `idList`/`stringList` are arrays. */
export type FactType = (typeof FACT_TYPES)[number];

/** Limits of the language (§8 of the predecessor, plus caps that keep a statement bounded). */
export const CONDITION_LIMITS = {
  /** Nesting depth of groups (`all`, `any`, `not`), counting the depth of referenced named conditions. */
  maxDepth: 3,
  /** Leaves, counting the leaves of referenced named conditions. */
  maxLeaves: 20,
  /** Characters of a `matchesRegex` pattern. */
  maxRegexLength: 256,
  /** Elements of an `in`/`notIn` list. */
  maxListLength: 500,
  /** Characters of a string value. */
  maxStringLength: 1000,
} as const;

/**
 * A leaf: a fact compared with a value by an operator; `path` selects a custom field (`$.key`).
 * json-rules-engine's `name`, `priority` and `params` (on leaves and groups) are accepted and ignored.
 */
export interface ConditionLeaf {
  fact: string;
  operator: string;
  value?: unknown;
  path?: string;
}
/** A reference to a named condition of the organization, expanded inline. */
export interface ConditionReference {
  condition: string;
}
/** Every child must match. */
export interface AllCondition {
  all: ConditionNode[];
}
/** At least one child must match. */
export interface AnyCondition {
  any: ConditionNode[];
}
/** The child must not match. */
export interface NotCondition {
  not: ConditionNode;
}
/** A node of a condition tree. */
export type ConditionNode =
  | AllCondition
  | AnyCondition
  | NotCondition
  | ConditionLeaf
  | ConditionReference;

/** A leaf's shape (the fact, operator and value are checked against the facts catalogue afterwards). */
export const conditionLeafSchema = z.strictObject({
  fact: z.string().min(1).max(100),
  operator: z.string().min(1).max(40),
  value: z.unknown().optional(),
  path: z.string().min(1).max(200).optional(),
});
/** A reference's shape. */
export const conditionReferenceSchema = z.strictObject({ condition: z.string().min(1).max(255) });

/** A condition tree (shape only; `helios.automation.validate` checks facts, operators, values and limits). */
export const conditionNodeSchema: z.ZodType<ConditionNode> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(conditionNodeSchema) }),
    z.strictObject({ any: z.array(conditionNodeSchema) }),
    z.strictObject({ not: conditionNodeSchema }),
    conditionLeafSchema,
    conditionReferenceSchema,
  ]),
);

/** Options of `validate`. */
export const validateOptionsSchema = z.strictObject({
  /** The name of the named condition this tree is saved as (self and circular references are refused). */
  asCondition: z.string().min(1).max(255).optional(),
});
/** Options of `validate`. */
export type ValidateConditionOptions = z.input<typeof validateOptionsSchema>;

/** Options of `matchingUsers`. */
export const matchingUsersOptionsSchema = z.strictObject({
  /** How many matching user ids to return as a sample (default 20, at most 1000). */
  limit: z.int().min(0).max(1000).default(20),
});
/** Options of `matchingUsers`. */
export type MatchingUsersOptions = z.input<typeof matchingUsersOptionsSchema>;

/** The user id of `matches`. */
export const userIdSchema = z.guid();

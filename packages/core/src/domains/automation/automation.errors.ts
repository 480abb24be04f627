/**
 * The error codes of automation (`helios.automation`), with their kind and message.
 */
import { codesOf, defineErrors } from '../../errors';

/** One problem of a condition tree: where (`path` into the tree, e.g. `all.1.value`), what (`code`) and why. */
export interface ConditionProblem {
  path: string;
  code: ConditionProblemCode;
  message: string;
}

/** The codes of {@link ConditionProblem}. */
export const CONDITION_PROBLEM_CODES = [
  'BAD_NODE',
  'EMPTY_GROUP',
  'UNKNOWN_FACT',
  'UNKNOWN_OPERATOR',
  'OPERATOR_NOT_ALLOWED',
  'BAD_VALUE',
  'BAD_PATH',
  'TOO_DEEP',
  'TOO_MANY_LEAVES',
  'UNKNOWN_CONDITION',
  'SELF_REFERENCE',
  'CIRCULAR_REFERENCE',
] as const;
/** The code of a {@link ConditionProblem}. */
export type ConditionProblemCode = (typeof CONDITION_PROBLEM_CODES)[number];

/** A rule or named condition that references a named condition. */
export interface Referrer {
  id: string;
  name: string;
}

/** A referring rule or named condition a change would make invalid, with its problems. */
export interface DependantProblem {
  kind: 'rule' | 'condition';
  id: string;
  name: string;
  problems: ConditionProblem[];
}

/** Every error automation throws. */
export const AUTOMATION_ERRORS = defineErrors({
  /** The condition tree is invalid: `details.problems` lists each problem with its path and code. */
  INVALID_CONDITION: {
    code: 'AUTOMATION.INVALID_CONDITION',
    kind: 'INVALID_INPUT',
    message: (p: { problems: ConditionProblem[] }) =>
      `The condition is invalid: ${p.problems
        .slice(0, 3)
        .map((x) => `${x.path || '(root)'}: ${x.message}`)
        .join('; ')}${p.problems.length > 3 ? ` (and ${p.problems.length - 3} more)` : ''}`,
    details: (p: { problems: ConditionProblem[] }) => p,
    summary:
      'The condition tree is invalid (`details.problems`: `path`, `code`, `message` of each problem).',
  },
  /** `matches` names no user of the organization. */
  USER_NOT_FOUND: {
    code: 'AUTOMATION.USER_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such user.',
    details: (p: { userId: string }) => p,
  },
  /** No named condition of this id in the organization. */
  CONDITION_NOT_FOUND: {
    code: 'AUTOMATION.CONDITION_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such named condition.',
    details: (p: { id: string }) => p,
  },
  /** Another named condition of the organization has this name. */
  CONDITION_NAME_TAKEN: {
    code: 'AUTOMATION.CONDITION_NAME_TAKEN',
    kind: 'CONFLICT',
    message: (p: { name: string }) => `A named condition "${p.name}" already exists.`,
    details: (p: { name: string }) => p,
    summary: 'Another named condition of the organization has this name (`details.name`).',
  },
  /**
   * The named condition is referenced by rules or other named conditions: it cannot be deleted
   * or renamed (`details.rules`, `details.conditions`: id and name of each referrer).
   */
  CONDITION_IN_USE: {
    code: 'AUTOMATION.CONDITION_IN_USE',
    kind: 'CONFLICT',
    message: (p: { id: string; rules: Referrer[]; conditions: Referrer[] }) =>
      `The named condition is used by ${[
        ...p.rules.map((r) => `rule "${r.name}"`),
        ...p.conditions.map((c) => `condition "${c.name}"`),
      ]
        .slice(0, 5)
        .join(', ')}${p.rules.length + p.conditions.length > 5 ? ' and more' : ''}.`,
    details: (p: { id: string; rules: Referrer[]; conditions: Referrer[] }) => p,
    summary:
      'The named condition is referenced by rules or named conditions (`details.rules`, `details.conditions`): delete or change them first.',
  },
  /**
   * The change to a named condition would make a condition or rule that references it invalid
   * (over depth 3, over 20 leaves, a cycle): `details.dependants` lists each with its problems.
   */
  DEPENDANT_INVALID: {
    code: 'AUTOMATION.DEPENDANT_INVALID',
    kind: 'CONFLICT',
    message: (p: { dependants: DependantProblem[] }) =>
      `The change would make ${p.dependants
        .slice(0, 3)
        .map((d) => `${d.kind} "${d.name}"`)
        .join(', ')}${p.dependants.length > 3 ? ' and more' : ''} invalid.`,
    details: (p: { dependants: DependantProblem[] }) => p,
    summary:
      'The change would make a referring named condition or rule invalid (`details.dependants`: kind, id, name, problems).',
  },
  /** No rule of this id in the organization. */
  RULE_NOT_FOUND: {
    code: 'AUTOMATION.RULE_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such automation rule.',
    details: (p: { id: string }) => p,
  },
  /** A `dynamic_group` rule names an access group that does not exist in the organization. */
  GROUP_NOT_FOUND: {
    code: 'AUTOMATION.GROUP_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: 'The access group of the rule does not exist.',
    details: (p: { accessGroupId: string }) => p,
  },
  /** The access group already has a `dynamic_group` rule (at most one per group). */
  GROUP_RULE_EXISTS: {
    code: 'AUTOMATION.GROUP_RULE_EXISTS',
    kind: 'CONFLICT',
    message: 'The access group already has a dynamic group rule.',
    details: (p: { accessGroupId: string; ruleId: string }) => p,
    summary: 'The access group already has a dynamic group rule (`details.ruleId`).',
  },
  /** A `training_assign` rule names training content that does not exist (or is inactive) in the organization. */
  TRAINING_CONTENT_NOT_FOUND: {
    code: 'AUTOMATION.TRAINING_CONTENT_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: 'Training content of the rule does not exist or is inactive.',
    details: (p: { contentIds: string[] }) => p,
  },
  /** A `template_match` rule names an onboarding/offboarding template that does not exist in the organization. */
  TEMPLATE_NOT_FOUND: {
    code: 'AUTOMATION.TEMPLATE_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: (p: { templateId: string; requestType: 'onboard' | 'offboard' | 'transfer' }) =>
      `The ${p.requestType === 'offboard' ? 'offboarding' : 'onboarding'} template does not exist.`,
    details: (p: { templateId: string; requestType: 'onboard' | 'offboard' | 'transfer' }) => p,
    summary:
      'The onboarding or offboarding template of a `template_match` rule does not exist (`details.requestType`).',
  },
  /** A `notification` rule names recipient user ids that are not users of the organization. */
  RECIPIENT_NOT_FOUND: {
    code: 'AUTOMATION.RECIPIENT_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: 'A recipient of the notification rule is not a user of the organization.',
    details: (p: { userIds: string[] }) => p,
  },
  /**
   * A `notification` rule on `lifecycle.request_created` uses facts a request does not have (see
   * `REQUEST_FACTS`).
   */
  FACT_NOT_FOR_REQUESTS: {
    code: 'AUTOMATION.FACT_NOT_FOR_REQUESTS',
    kind: 'INVALID_INPUT',
    message: (p: { facts: string[]; available: readonly string[] }) =>
      `A rule evaluated against lifecycle requests cannot use: ${p.facts.join(', ')}.`,
    details: (p: { facts: string[]; available: readonly string[] }) => p,
    summary:
      'The notification rule runs on lifecycle requests and uses facts a request does not have (`details.facts`; `details.available` lists those it may use).',
  },
});

/** The codes of {@link AUTOMATION_ERRORS} by name. */
export const AUTOMATION_ERROR_CODES = codesOf(AUTOMATION_ERRORS);

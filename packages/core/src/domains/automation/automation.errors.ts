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
});

/** The codes of {@link AUTOMATION_ERRORS} by name. */
export const AUTOMATION_ERROR_CODES = codesOf(AUTOMATION_ERRORS);

/**
 * Validation of condition trees (§8 of the predecessor): shape, facts, operators and values against
 * the catalogue; depth <= 3 counting referenced named conditions; <= 20 leaves; referenced names
 * exist; no self or circular references. The result is a checked tree the compiler turns into SQL,
 * with the depth, leaf count and referenced ids a save persists.
 */
import { z } from 'zod';
import {
  AUTOMATION_ERRORS,
  type ConditionProblem,
  type ConditionProblemCode,
} from './automation.errors';
import {
  customFieldKey,
  FACTS_BY_NAME,
  type FactDefinition,
  VALUELESS_OPERATORS,
} from './automation.facts';
import { isPortableRegex } from './automation.regex';
import {
  CONDITION_LIMITS,
  CONDITION_OPERATORS,
  type ConditionOperator,
  conditionLeafSchema,
  type FactType,
} from './automation.schema';

/** A named condition as validation sees it. */
export interface NamedConditionSource {
  id: string;
  name: string;
  conditions: unknown;
}

/** A leaf after validation: the fact from the catalogue and the value normalized for SQL. */
export interface CheckedLeaf {
  kind: 'leaf';
  fact: FactDefinition;
  operator: ConditionOperator;
  /** Normalized: ids lower-cased, numbers as numbers, lists as arrays; null for valueless operators. */
  value: unknown;
  /** The custom field key (fact `customFields`). */
  key: string | null;
  /** For `matchesRegex`: false when the pattern is outside the portable subset (the leaf never matches). */
  regexOk: boolean;
}
/** A validated tree, references expanded. */
export type CheckedNode =
  | { kind: 'all'; children: CheckedNode[] }
  | { kind: 'any'; children: CheckedNode[] }
  | { kind: 'not'; child: CheckedNode }
  | CheckedLeaf;

/** Something valid but worth knowing (the predecessor warned from depth 2). */
export interface ConditionWarning {
  path: string;
  code: 'DEEP_NESTING' | 'REGEX_NEVER_MATCHES';
  message: string;
}

/** What `validate` returns for a valid tree. */
export interface ConditionSummary {
  /** Nesting depth, counting referenced named conditions (a leaf alone is 0). */
  depth: number;
  /** Leaves, counting those of referenced named conditions. */
  leafCount: number;
  /** The ids of the named conditions the tree references directly (`references_conditions`). */
  referencedIds: string[];
  /** The facts the tree uses (after expanding references). */
  facts: string[];
  warnings: ConditionWarning[];
}

/** The checked tree with its summary. */
export interface ValidatedCondition extends ConditionSummary {
  tree: CheckedNode;
}

const MAX_WALK_DEPTH = 12;
const ENGINE_KEYS: ReadonlySet<string> = new Set(['name', 'priority', 'params']);
const MAX_NODES = 500;

/** Any PostgreSQL uuid (not only RFC 4122 versions: ids may come from elsewhere). */
const uuid = z.guid();
const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;

function validDate(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const m = isoDate.exec(v);
  if (!m) return null;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v ? v : null;
}

/** The value of one element of `type`, normalized, or undefined when it is not one. */
function element(type: FactType, v: unknown): unknown {
  switch (type) {
    case 'string':
    case 'stringList':
      return typeof v === 'string' && v.length <= CONDITION_LIMITS.maxStringLength ? v : undefined;
    case 'path':
      return typeof v === 'string' && v.length <= CONDITION_LIMITS.maxStringLength ? v : undefined;
    case 'id':
    case 'idList':
      return typeof v === 'string' && uuid.safeParse(v).success ? v.toLowerCase() : undefined;
    case 'number': {
      const n =
        typeof v === 'number'
          ? v
          : typeof v === 'string' && v.trim() !== ''
            ? Number(v)
            : Number.NaN;
      return Number.isFinite(n) ? n : undefined;
    }
    case 'date':
      return validDate(v) ?? undefined;
    case 'boolean':
      return typeof v === 'boolean' ? v : undefined;
  }
}

const TYPE_WORDS: Record<FactType, string> = {
  string: 'a string',
  path: 'a string',
  id: 'a uuid',
  idList: 'a uuid',
  stringList: 'a string',
  number: 'a number',
  date: 'a date (YYYY-MM-DD)',
  boolean: 'true or false',
};

/**
 * Validates `input` against the catalogue and the organization's named conditions.
 * @throws HeliosError INVALID_INPUT `AUTOMATION.INVALID_CONDITION` with `details.problems`
 */
export function validateCondition(
  input: unknown,
  named: ReadonlyMap<string, NamedConditionSource>,
  options: { asCondition?: string } = {},
): ValidatedCondition {
  const problems: ConditionProblem[] = [];
  const warnings: ConditionWarning[] = [];
  const facts = new Set<string>();
  const referencedIds = new Set<string>();
  let nodes = 0;
  const problem = (path: string, code: ConditionProblemCode, message: string) => {
    if (problems.length < 100) problems.push({ path, code, message });
  };
  const join = (path: string, part: string | number) => (path ? `${path}.${part}` : String(part));

  // Returns the checked node with its depth and leaf count, or null after a problem.
  function walk(
    node: unknown,
    path: string,
    level: number,
    stack: string[],
  ): { node: CheckedNode; depth: number; leaves: number } | null {
    if (++nodes > MAX_NODES) {
      if (nodes === MAX_NODES + 1)
        problem(path, 'BAD_NODE', `The tree has more than ${MAX_NODES} nodes`);
      return null;
    }
    if (level > MAX_WALK_DEPTH) {
      problem(path, 'TOO_DEEP', `Nested deeper than ${MAX_WALK_DEPTH} levels`);
      return null;
    }
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      problem(
        path,
        'BAD_NODE',
        'A node is an object: { all }, { any }, { not }, a leaf { fact, operator, value } or { condition }',
      );
      return null;
    }
    // json-rules-engine's `name`, `priority` and `params` are accepted (stored rows may have them) and ignored.
    const keys = Object.keys(node).filter((k) => !ENGINE_KEYS.has(k));
    const record = node as Record<string, unknown>;
    if ('all' in record || 'any' in record) {
      const kind = 'all' in record ? 'all' : 'any';
      if (keys.length !== 1) {
        problem(path, 'BAD_NODE', `A group has only the key "${kind}"`);
        return null;
      }
      const list = record[kind];
      if (!Array.isArray(list)) {
        problem(join(path, kind), 'BAD_NODE', `"${kind}" is an array of conditions`);
        return null;
      }
      if (list.length === 0) {
        problem(join(path, kind), 'EMPTY_GROUP', `"${kind}" needs at least one condition`);
        return null;
      }
      const children: CheckedNode[] = [];
      let depth = 0;
      let leaves = 0;
      list.forEach((child, i) => {
        const r = walk(child, join(join(path, kind), i), level + 1, stack);
        if (r) {
          children.push(r.node);
          depth = Math.max(depth, r.depth);
          leaves += r.leaves;
        }
      });
      return children.length === list.length
        ? { node: { kind, children }, depth: depth + 1, leaves }
        : null;
    }
    if ('not' in record) {
      if (keys.length !== 1) {
        problem(path, 'BAD_NODE', 'A negation has only the key "not"');
        return null;
      }
      const r = walk(record.not, join(path, 'not'), level + 1, stack);
      return r
        ? { node: { kind: 'not', child: r.node }, depth: r.depth + 1, leaves: r.leaves }
        : null;
    }
    if ('condition' in record) {
      const name = record.condition;
      if (keys.length !== 1 || typeof name !== 'string' || name.length === 0 || name.length > 255) {
        problem(path, 'BAD_NODE', 'A reference is { condition: "<named condition name>" }');
        return null;
      }
      if (name === options.asCondition) {
        // Directly: a self reference; through another named condition: a cycle back to itself.
        if (stack.length === 0)
          problem(path, 'SELF_REFERENCE', `The condition "${name}" cannot reference itself`);
        else
          problem(
            path,
            'CIRCULAR_REFERENCE',
            `Circular reference: ${[options.asCondition, ...stack, name].join(' -> ')}`,
          );
        return null;
      }
      if (stack.includes(name)) {
        problem(path, 'CIRCULAR_REFERENCE', `Circular reference: ${[...stack, name].join(' -> ')}`);
        return null;
      }
      const target = named.get(name);
      if (!target) {
        problem(path, 'UNKNOWN_CONDITION', `No named condition "${name}"`);
        return null;
      }
      if (stack.length === 0) referencedIds.add(target.id);
      // The referenced tree is expanded inline; its own depth counts, the reference adds none.
      return walk(target.conditions, `${path}{${name}}`, level, [...stack, name]);
    }
    if ('fact' in record || 'operator' in record) return leaf(record, path);
    problem(
      path,
      'BAD_NODE',
      'A node is { all }, { any }, { not }, a leaf { fact, operator, value } or { condition }',
    );
    return null;
  }

  function leaf(
    record: Record<string, unknown>,
    path: string,
  ): { node: CheckedNode; depth: number; leaves: number } | null {
    const shape = conditionLeafSchema.safeParse(
      Object.fromEntries(Object.entries(record).filter(([k]) => !ENGINE_KEYS.has(k))),
    );
    if (!shape.success) {
      for (const issue of shape.error.issues) {
        const where = issue.code === 'unrecognized_keys' ? '' : issue.path.map(String).join('.');
        problem(where ? join(path, where) : path, 'BAD_NODE', issue.message);
      }
      return null;
    }
    const { fact: factName, operator, value, path: factPath } = shape.data;
    const fact = FACTS_BY_NAME.get(factName);
    let ok = true;
    if (!fact) {
      problem(join(path, 'fact'), 'UNKNOWN_FACT', `Unknown fact "${factName.slice(0, 100)}"`);
      ok = false;
    }
    if (!(CONDITION_OPERATORS as readonly string[]).includes(operator)) {
      problem(
        join(path, 'operator'),
        'UNKNOWN_OPERATOR',
        `Unknown operator "${operator.slice(0, 40)}"`,
      );
      ok = false;
    }
    if (!fact || !ok) return null;
    const op = operator as ConditionOperator;
    if (!fact.operators.includes(op)) {
      problem(
        join(path, 'operator'),
        'OPERATOR_NOT_ALLOWED',
        `"${factName}" does not take "${op}" (allowed: ${fact.operators.join(', ')})`,
      );
      return null;
    }
    let key: string | null = null;
    if (fact.name === 'customFields') {
      key = factPath === undefined ? null : customFieldKey(factPath);
      if (key === null) {
        problem(
          join(path, 'path'),
          'BAD_PATH',
          'A custom field is selected by `path: "$.<field key>"` (letters, digits, _)',
        );
        return null;
      }
    } else if (factPath !== undefined) {
      problem(join(path, 'path'), 'BAD_PATH', `"${factName}" takes no path`);
      return null;
    }
    let normalized: unknown = null;
    let regexOk = true;
    const valuePath = join(path, 'value');
    if (!VALUELESS_OPERATORS.has(op)) {
      const type = fact.type;
      if (op === 'in' || op === 'notIn') {
        if (
          !Array.isArray(value) ||
          value.length === 0 ||
          value.length > CONDITION_LIMITS.maxListLength
        ) {
          problem(
            valuePath,
            'BAD_VALUE',
            `"${op}" takes a list of 1 to ${CONDITION_LIMITS.maxListLength} values`,
          );
          return null;
        }
        const items = value.map((v) => element(type, v));
        const bad = items.indexOf(undefined);
        if (bad >= 0) {
          problem(join(valuePath, bad), 'BAD_VALUE', `Each value is ${TYPE_WORDS[type]}`);
          return null;
        }
        normalized = items;
      } else if (op === 'matchesRegex' || op === 'startsWith' || op === 'endsWith') {
        const max =
          op === 'matchesRegex'
            ? CONDITION_LIMITS.maxRegexLength
            : CONDITION_LIMITS.maxStringLength;
        if (typeof value !== 'string' || value.length > max) {
          problem(valuePath, 'BAD_VALUE', `"${op}" takes a string of at most ${max} characters`);
          return null;
        }
        normalized = value;
        if (op === 'matchesRegex' && !isPortableRegex(value)) {
          regexOk = false;
          warnings.push({
            path: valuePath,
            code: 'REGEX_NEVER_MATCHES',
            message: 'The pattern is invalid or outside the supported subset: it never matches',
          });
        }
      } else if ((op === 'isUnder' || op === 'isNotUnder') && type === 'path') {
        if (
          typeof value !== 'string' ||
          !value.startsWith('/') ||
          value.length > CONDITION_LIMITS.maxStringLength
        ) {
          problem(valuePath, 'BAD_VALUE', `"${op}" takes a path starting with "/"`);
          return null;
        }
        normalized = value;
      } else {
        const v = element(type, value);
        if (v === undefined) {
          problem(valuePath, 'BAD_VALUE', `"${factName}" ${op} takes ${TYPE_WORDS[type]}`);
          return null;
        }
        normalized = v;
      }
    }
    facts.add(fact.name === 'customFields' ? `customFields.${key}` : fact.name);
    return {
      node: { kind: 'leaf', fact, operator: op, value: normalized, key, regexOk },
      depth: 0,
      leaves: 1,
    };
  }

  const result = walk(input, '', 0, []);
  if (result) {
    if (result.depth > CONDITION_LIMITS.maxDepth) {
      problem(
        '',
        'TOO_DEEP',
        `Nesting depth ${result.depth} is more than ${CONDITION_LIMITS.maxDepth} (references count with their own depth)`,
      );
    }
    if (result.leaves > CONDITION_LIMITS.maxLeaves) {
      problem(
        '',
        'TOO_MANY_LEAVES',
        `${result.leaves} conditions is more than ${CONDITION_LIMITS.maxLeaves} (references count with their own)`,
      );
    }
  }
  if (problems.length > 0 || !result) throw AUTOMATION_ERRORS.INVALID_CONDITION({ problems });
  if (result.depth >= 2)
    warnings.unshift({
      path: '',
      code: 'DEEP_NESTING',
      message: `Nesting depth ${result.depth}: consider a named condition`,
    });
  return {
    tree: result.node,
    depth: result.depth,
    leafCount: result.leaves,
    referencedIds: [...referencedIds],
    facts: [...facts],
    warnings,
  };
}

/**
 * The facts catalogue: every user fact a condition may name, with its type, category and allowed
 * operators. It is a whitelist: a fact's SQL comes from here (automation.compile.ts), never from input.
 */
import type { ConditionOperator, FactType } from './automation.schema';

/** Where a fact comes from (for grouping in a UI). */
export type FactCategory =
  | 'identity'
  | 'job'
  | 'organization'
  | 'manager'
  | 'dates'
  | 'google'
  | 'microsoft'
  | 'groups'
  | 'custom';

/** A fact of the catalogue, as `helios.automation.facts()` lists it. */
export interface FactDefinition {
  /** The name a leaf uses (`{ fact: name, ... }`). */
  name: string;
  /** For custom fields: the `path` a leaf uses (`$.<field key>`). */
  path?: string;
  label: string;
  category: FactCategory;
  type: FactType;
  /** The operators this fact accepts. */
  operators: readonly ConditionOperator[];
  description?: string;
}

const NO_VALUE: readonly ConditionOperator[] = ['isEmpty', 'isNotEmpty', 'isNull', 'isNotNull'];
/** The operators of each type. */
export const OPERATORS_BY_TYPE: Record<FactType, readonly ConditionOperator[]> = {
  string: [
    'equal',
    'notEqual',
    'in',
    'notIn',
    'startsWith',
    'endsWith',
    'matchesRegex',
    ...NO_VALUE,
  ],
  path: [
    'equal',
    'notEqual',
    'in',
    'notIn',
    'startsWith',
    'endsWith',
    'matchesRegex',
    'isUnder',
    'isNotUnder',
    ...NO_VALUE,
  ],
  id: ['equal', 'notEqual', 'in', 'notIn', ...NO_VALUE],
  number: [
    'equal',
    'notEqual',
    'lessThan',
    'lessThanInclusive',
    'greaterThan',
    'greaterThanInclusive',
    'in',
    'notIn',
    ...NO_VALUE,
  ],
  date: [
    'equal',
    'notEqual',
    'lessThan',
    'lessThanInclusive',
    'greaterThan',
    'greaterThanInclusive',
    ...NO_VALUE,
  ],
  boolean: ['equal', 'notEqual', 'isNull', 'isNotNull'],
  idList: ['contains', 'doesNotContain', 'isUnder', 'isNotUnder', 'isEmpty', 'isNotEmpty'],
  stringList: ['contains', 'doesNotContain', 'isEmpty', 'isNotEmpty'],
};

/** The operators that take no value. */
export const VALUELESS_OPERATORS: ReadonlySet<string> = new Set(NO_VALUE);

type Def = [
  name: string,
  label: string,
  category: FactCategory,
  type: FactType,
  description?: string,
];

const DEFS: Def[] = [
  ['id', 'User id', 'identity', 'id'],
  ['email', 'Email', 'identity', 'string'],
  ['firstName', 'First name', 'identity', 'string'],
  ['lastName', 'Last name', 'identity', 'string'],
  ['fullName', 'Full name', 'identity', 'string', 'First and last name separated by one space.'],
  ['employeeId', 'Employee id', 'identity', 'string'],
  ['role', 'Portal role', 'identity', 'string', 'admin, manager or user.'],
  ['jobTitle', 'Job title', 'job', 'string'],
  ['employeeType', 'Employee type', 'job', 'string'],
  ['userType', 'User type', 'job', 'string'],
  [
    'userStatus',
    'Status',
    'job',
    'string',
    'The lifecycle status (`user_status`): active, staged, suspended, ...',
  ],
  ['isGuest', 'Guest', 'job', 'boolean'],
  [
    'department',
    'Department',
    'organization',
    'string',
    "The department's name (or the legacy department text).",
  ],
  [
    'departmentId',
    'Department id',
    'organization',
    'id',
    'isUnder/isNotUnder: the department is the given one or one of its sub-departments (any depth up to 20).',
  ],
  [
    'departmentAncestry',
    'Parent departments',
    'organization',
    'idList',
    "The ids of the department's parents, nearest first (not the department itself).",
  ],
  [
    'location',
    'Location',
    'organization',
    'string',
    "The location's name (or the legacy location text).",
  ],
  [
    'locationId',
    'Location id',
    'organization',
    'id',
    'isUnder/isNotUnder: the location is the given one or one of its sub-locations.',
  ],
  [
    'costCenter',
    'Cost center',
    'organization',
    'string',
    "The cost center's code (or the legacy cost center text).",
  ],
  ['costCenterId', 'Cost center id', 'organization', 'id'],
  [
    'organizationalUnit',
    'Organizational unit',
    'organization',
    'path',
    'isUnder: the path is the given one or below it.',
  ],
  ['managerId', 'Manager id', 'manager', 'id'],
  ['managerEmail', 'Manager email', 'manager', 'string'],
  ['managerName', 'Manager name', 'manager', 'string'],
  [
    'managerChain',
    'Management chain',
    'manager',
    'idList',
    "The ids up the reporting line: the manager, the manager's manager, ... (20 levels).",
  ],
  ['hireDate', 'Hire date', 'dates', 'date', 'Start date, YYYY-MM-DD.'],
  ['terminationDate', 'Termination date', 'dates', 'date', 'End date, YYYY-MM-DD.'],
  [
    'tenureDays',
    'Tenure (days)',
    'dates',
    'number',
    'Days from the hire date to today (UTC); null without a hire date.',
  ],
  ['google.orgUnitPath', 'Google org unit', 'google', 'path'],
  ['google.department', 'Google department', 'google', 'string'],
  ['google.jobTitle', 'Google job title', 'google', 'string'],
  ['google.isAdmin', 'Google admin', 'google', 'boolean'],
  ['google.isSuspended', 'Google suspended', 'google', 'boolean'],
  ['google.lastLoginDate', 'Google last login', 'google', 'date', 'UTC date of the last sign-in.'],
  ['microsoft.userPrincipalName', 'Microsoft UPN', 'microsoft', 'string'],
  ['microsoft.department', 'Microsoft department', 'microsoft', 'string'],
  ['microsoft.jobTitle', 'Microsoft job title', 'microsoft', 'string'],
  ['microsoft.officeLocation', 'Microsoft office', 'microsoft', 'string'],
  ['microsoft.companyName', 'Microsoft company', 'microsoft', 'string'],
  ['microsoft.accountEnabled', 'Microsoft account enabled', 'microsoft', 'boolean'],
  ['microsoft.isAdmin', 'Microsoft admin', 'microsoft', 'boolean'],
  [
    'groupIds',
    'Groups',
    'groups',
    'idList',
    'The ids of the access groups the user is an active member of.',
  ],
  [
    'groupNames',
    'Group names',
    'groups',
    'stringList',
    'The names of the access groups the user is an active member of.',
  ],
  [
    'customFields',
    'Custom field',
    'custom',
    'string',
    'A custom field by key: `path: "$.<field key>"`; the value as text.',
  ],
];

/** The built-in facts (custom fields are one fact, `customFields`, selected by `path`). */
export const FACTS: readonly FactDefinition[] = DEFS.map(
  ([name, label, category, type, description]) => ({
    name,
    label,
    category,
    type,
    operators:
      name === 'departmentId' || name === 'locationId'
        ? [...OPERATORS_BY_TYPE.id, 'isUnder', 'isNotUnder']
        : OPERATORS_BY_TYPE[type],
    ...(description ? { description } : {}),
  }),
);

/** The facts by name. */
export const FACTS_BY_NAME: ReadonlyMap<string, FactDefinition> = new Map(
  FACTS.map((f) => [f.name, f]),
);

/** A custom field key as `path` names it: `$.key` (JSONPath) or `key`. */
const CUSTOM_PATH = /^(?:\$\.)?([A-Za-z_][A-Za-z0-9_]{0,99})$/;

/** The custom field key of a leaf's `path`, or null when the path is not a plain key. */
export function customFieldKey(path: string): string | null {
  return CUSTOM_PATH.exec(path)?.[1] ?? null;
}

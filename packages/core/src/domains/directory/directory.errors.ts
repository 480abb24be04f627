/**
 * The error codes of the directory master data: departments, locations, cost centers, job titles
 * and custom fields, with their kind and message.
 */
import { codesOf, defineErrors } from '../../errors';

type Id = { id: string };
type Usage = Record<string, number>;

/** Errors of the directory master data. */
export const DIRECTORY_ERRORS = defineErrors({
  DEPARTMENT_NOT_FOUND: {
    code: 'DEPARTMENTS.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such department.',
    details: (p: Id) => p,
  },
  DEPARTMENT_NAME_TAKEN: {
    code: 'DEPARTMENTS.NAME_TAKEN',
    kind: 'CONFLICT',
    message: (p: { name: string; id: string }) => `A department named "${p.name}" already exists.`,
    details: (p) => ({ name: p.name, id: p.id }),
    summary: 'A department with this name already exists.',
  },
  DEPARTMENT_PARENT_NOT_FOUND: {
    code: 'DEPARTMENTS.PARENT_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: 'The parent department does not exist.',
    details: (p: { parentId: string }) => p,
  },
  DEPARTMENT_CYCLE: {
    code: 'DEPARTMENTS.CYCLE',
    kind: 'INVALID_INPUT',
    message: (p: { id: string; parentId?: string }) =>
      p.parentId === undefined
        ? 'A department cannot be its own parent.'
        : 'A department cannot be moved under itself or one of its sub-departments.',
    details: (p) => (p.parentId === undefined ? { id: p.id } : { id: p.id, parentId: p.parentId }),
    summary: 'A department cannot be its own parent, or moved under one of its sub-departments.',
  },
  DEPARTMENT_IN_USE: {
    code: 'DEPARTMENTS.IN_USE',
    kind: 'PRECONDITION_FAILED',
    message: (p: { id: string; name: string; usage: Usage }) =>
      `Department "${p.name}" is still in use (users, sub-departments, cost centers or job titles).`,
    details: (p) => ({ id: p.id, ...p.usage }),
    summary: 'The department still has users, sub-departments, cost centers or job titles.',
  },
  LOCATION_NOT_FOUND: {
    code: 'LOCATIONS.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such location.',
    details: (p: Id) => p,
  },
  LOCATION_NAME_TAKEN: {
    code: 'LOCATIONS.NAME_TAKEN',
    kind: 'CONFLICT',
    message: (p: { name: string; parentId: string | null; id: string }) =>
      `A location named "${p.name}" already exists at this level.`,
    details: (p) => ({ name: p.name, parentId: p.parentId, id: p.id }),
    summary: 'A location with this name already exists under the same parent.',
  },
  LOCATION_PARENT_NOT_FOUND: {
    code: 'LOCATIONS.PARENT_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: 'The parent location does not exist.',
    details: (p: { parentId: string }) => p,
  },
  LOCATION_CYCLE: {
    code: 'LOCATIONS.CYCLE',
    kind: 'INVALID_INPUT',
    message: (p: { id: string; parentId?: string }) =>
      p.parentId === undefined
        ? 'A location cannot be its own parent.'
        : 'A location cannot be moved under one of its own sub-locations.',
    details: (p) => (p.parentId === undefined ? { id: p.id } : { id: p.id, parentId: p.parentId }),
    summary: 'A location cannot be its own parent, or moved under one of its sub-locations.',
  },
  LOCATION_IN_USE: {
    code: 'LOCATIONS.IN_USE',
    kind: 'PRECONDITION_FAILED',
    message: (p: { id: string; name: string; usage: Usage }) =>
      `Location "${p.name}" still has users or sub-locations.`,
    details: (p) => ({ id: p.id, ...p.usage }),
    summary: 'The location still has users or sub-locations.',
  },
  COST_CENTER_NOT_FOUND: {
    code: 'COST_CENTERS.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such cost center.',
    details: (p: Id) => p,
  },
  COST_CENTER_CODE_TAKEN: {
    code: 'COST_CENTERS.CODE_TAKEN',
    kind: 'CONFLICT',
    message: (p: { code: string; id: string }) => `Cost center code "${p.code}" is taken.`,
    details: (p) => ({ code: p.code, id: p.id }),
    summary: 'Another cost center has this code.',
  },
  COST_CENTER_IN_USE: {
    code: 'COST_CENTERS.IN_USE',
    kind: 'PRECONDITION_FAILED',
    message: (p: { id: string; code: string; users: number }) =>
      `Cost center "${p.code}" is still assigned to users.`,
    details: (p) => ({ id: p.id, users: p.users }),
    summary: 'The cost center is still assigned to users.',
  },
  COST_CENTER_DEPARTMENT_NOT_FOUND: {
    code: 'COST_CENTERS.DEPARTMENT_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: 'The department does not exist.',
    details: (p: { departmentId: string }) => p,
  },
  JOB_TITLE_NOT_FOUND: {
    code: 'JOB_TITLES.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such job title.',
    details: (p: Id) => p,
  },
  JOB_TITLE_TAKEN: {
    code: 'JOB_TITLES.TITLE_TAKEN',
    kind: 'CONFLICT',
    message: (p: { title: string; id: string }) => `Job title "${p.title}" already exists.`,
    details: (p) => ({ title: p.title, id: p.id }),
    summary: 'This job title already exists.',
  },
  JOB_TITLE_DEPARTMENT_NOT_FOUND: {
    code: 'JOB_TITLES.DEPARTMENT_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: 'The department does not exist.',
    details: (p: { departmentId: string }) => p,
  },
  CUSTOM_FIELD_NOT_FOUND: {
    code: 'CUSTOM_FIELDS.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such custom field.',
    details: (p: Id) => p,
  },
  CUSTOM_FIELD_KEY_TAKEN: {
    code: 'CUSTOM_FIELDS.KEY_TAKEN',
    kind: 'CONFLICT',
    message: (p: { fieldKey: string }) => `A custom field with key "${p.fieldKey}" exists.`,
    details: (p) => ({ fieldKey: p.fieldKey }),
    summary: 'A custom field with this key exists.',
  },
  CUSTOM_FIELD_TYPE_LOCKED: {
    code: 'CUSTOM_FIELDS.TYPE_LOCKED',
    kind: 'PRECONDITION_FAILED',
    message: 'The kind of a field cannot change while users have values.',
    details: (p: { id: string; values: number }) => p,
  },
  CUSTOM_FIELD_OPTION_IN_USE: {
    code: 'CUSTOM_FIELDS.OPTION_IN_USE',
    kind: 'PRECONDITION_FAILED',
    message: 'Options still used by values cannot be removed.',
    details: (p: { id: string; options: string[] }) => p,
  },
  CUSTOM_FIELD_INVALID_VALUE: {
    code: 'CUSTOM_FIELDS.INVALID_VALUE',
    kind: 'INVALID_INPUT',
    message: (p: { issues: Array<{ path: string; message: string; code: string }> }) =>
      `Invalid custom field values: ${p.issues.map((i) => i.path).join(', ')}`,
    details: (p) => ({ issues: p.issues }),
    summary: 'A custom field value breaks its field’s kind, options or rules (`details.issues`).',
  },
  CUSTOM_FIELD_VALUE_EXISTS: {
    code: 'CUSTOM_FIELDS.VALUE_EXISTS',
    kind: 'CONFLICT',
    message: 'A row with the same unique value already exists.',
    summary: 'The user already has a value for this field (unique constraint).',
  },
});

/** The codes of {@link DIRECTORY_ERRORS} by name. */
export const DIRECTORY_ERROR_CODES = codesOf(DIRECTORY_ERRORS);

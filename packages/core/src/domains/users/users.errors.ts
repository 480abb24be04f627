/**
 * The error codes of the users service, with their kind and message.
 */
import { codesOf, defineErrors, type HeliosError } from '../../errors';
import { issuesSpec } from '../../errors/core.errors';

/** Every error the users service throws itself (besides `VALIDATION.FAILED` and `POLICY.*`). */
export const USERS_ERRORS = defineErrors({
  /** No such user in the organization. */
  NOT_FOUND: {
    code: 'USERS.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such user.',
    details: (p: { id: string } | { userId: string } | Record<string, never>) => p,
  },
  /** Another user has this email (also raised by the unique constraint). */
  EMAIL_TAKEN: {
    code: 'USERS.EMAIL_TAKEN',
    kind: 'CONFLICT',
    message: 'Another user has this email address.',
    details: (p: { email: string }) => p,
  },
  /** The department does not exist in the organization. */
  DEPARTMENT_NOT_FOUND: {
    code: 'USERS.DEPARTMENT_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: 'No such department in the organization.',
    details: (p: { departmentId: string }) => p,
  },
  /** The location does not exist in the organization. */
  LOCATION_NOT_FOUND: {
    code: 'USERS.LOCATION_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: 'No such location in the organization.',
    details: (p: { locationId: string }) => p,
  },
  /** The cost center does not exist in the organization. */
  COST_CENTER_NOT_FOUND: {
    code: 'USERS.COST_CENTER_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: 'No such cost center in the organization.',
    details: (p: { costCenterId: string }) => p,
  },
  /** The manager is not a (non-deleted) user of the organization. */
  MANAGER_NOT_FOUND: {
    code: 'USERS.MANAGER_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: 'The manager is not a user of the organization.',
    details: (p: { managerId: string }) => p,
  },
  /** Master data is enforced and a free-text value was given (or the job title is unknown). */
  MASTER_DATA_REQUIRED: {
    code: 'USERS.MASTER_DATA_REQUIRED',
    kind: 'INVALID_INPUT',
    message: (p: { field: 'department' | 'location' | 'costCenter' | 'jobTitle' }) =>
      ({
        department: 'Departments are managed as master data: give a departmentId.',
        location: 'Locations are managed as master data: give a locationId.',
        costCenter: 'Cost centers are managed as master data: give a costCenterId.',
        jobTitle: 'Job titles are managed as master data: use a title from the job title list.',
      })[p.field],
    details: (p) => ({ field: p.field }),
    summary:
      'Master data is enforced and a free-text value was given (or the job title is not in the list).',
  },
  /** The caller may not change one of the fields given. */
  FIELD_NOT_ALLOWED: {
    code: 'USERS.FIELD_NOT_ALLOWED',
    kind: 'FORBIDDEN',
    message: (p: { fields: string[]; allowed: readonly string[] }) =>
      `You may not change: ${p.fields.join(', ')}.`,
    details: (p) => ({ fields: p.fields, allowed: p.allowed }),
    summary: 'The caller may not change one of the fields given (`details.fields`).',
  },
  /** The state change is not allowed from the current state. */
  INVALID_TRANSITION: {
    code: 'USERS.INVALID_TRANSITION',
    kind: 'PRECONDITION_FAILED',
    message: (p: { from: string; to: string; verb: string }) =>
      `A ${p.from} user cannot be ${p.verb}.`,
    details: (p) => ({ from: p.from, to: p.to }),
    summary: 'The status change is not allowed from the current status.',
  },
  /** Nobody may delete, suspend or block themselves. */
  SELF_ACTION: {
    code: 'USERS.SELF_ACTION',
    kind: 'PRECONDITION_FAILED',
    message: (p: { to: string }) =>
      `You cannot ${p.to === 'deleted' ? 'delete' : p.to === 'blocked' ? 'block' : 'suspend'} yourself.`,
    details: (p) => ({ to: p.to }),
    summary: 'Nobody may delete, suspend or block themselves.',
  },
  /** The change would leave the organization without an active admin. */
  LAST_ADMIN: {
    code: 'USERS.LAST_ADMIN',
    kind: 'PRECONDITION_FAILED',
    message: (p: { userId: string; change: string }) =>
      `The last active admin cannot be ${p.change}.`,
    details: (p) => ({ userId: p.userId, change: p.change }),
    summary: 'The change would leave the organization without an active admin.',
  },
  /** The manager is the user or someone below them in the reporting line. */
  MANAGER_CYCLE: {
    code: 'USERS.MANAGER_CYCLE',
    kind: 'PRECONDITION_FAILED',
    message: (p: { userId: string | null; managerId: string; self: boolean }) =>
      p.self
        ? 'A user cannot be their own manager.'
        : 'The manager reports (directly or indirectly) to the user.',
    details: (p) => ({ userId: p.userId, managerId: p.managerId }),
    summary: 'The manager is the user, or reports (directly or indirectly) to the user.',
  },
  /** The address is already one of the user's addresses (also raised by the unique constraint). */
  SECONDARY_EMAIL_TAKEN: {
    code: 'USERS.SECONDARY_EMAIL_TAKEN',
    kind: 'CONFLICT',
    message: 'This address is already one of the user’s addresses.',
  },
  /** An initial password is already stored for the address (raised by the unique constraint). */
  INITIAL_PASSWORD_EXISTS: {
    code: 'USERS.INITIAL_PASSWORD_EXISTS',
    kind: 'CONFLICT',
    message: 'A row with the same unique value already exists.',
    summary: 'An initial password is already stored for this address (unique constraint).',
  },
  /** A user id given to another domain is not a uuid. */
  INVALID_ID: issuesSpec('USERS.INVALID_ID', 'A user id is not a uuid (`details.issues`).'),
});

/** Every error code of the users service by name. */
export const USERS_ERROR_CODES = codesOf(USERS_ERRORS);

/** NOT_FOUND `USERS.NOT_FOUND`. */
export function userNotFound(id: string): HeliosError {
  return USERS_ERRORS.NOT_FOUND({ id });
}

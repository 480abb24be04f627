/**
 * The error codes of the users service, and small constructors for them.
 */
import { HeliosError } from '../../errors';

/** Every error code the users service throws itself (besides `VALIDATION.FAILED` and `POLICY.*`). */
export const USERS_ERROR_CODES = {
  /** NOT_FOUND: no such user in the organization. */
  NOT_FOUND: 'USERS.NOT_FOUND',
  /** CONFLICT: another user has this email (also raised by the unique constraint). */
  EMAIL_TAKEN: 'USERS.EMAIL_TAKEN',
  /** INVALID_INPUT: the department does not exist in the organization. */
  DEPARTMENT_NOT_FOUND: 'USERS.DEPARTMENT_NOT_FOUND',
  /** INVALID_INPUT: the location does not exist in the organization. */
  LOCATION_NOT_FOUND: 'USERS.LOCATION_NOT_FOUND',
  /** INVALID_INPUT: the cost center does not exist in the organization. */
  COST_CENTER_NOT_FOUND: 'USERS.COST_CENTER_NOT_FOUND',
  /** INVALID_INPUT: the manager is not a (non-deleted) user of the organization. */
  MANAGER_NOT_FOUND: 'USERS.MANAGER_NOT_FOUND',
  /** INVALID_INPUT: master data is enforced and a free-text value was given (or the job title is unknown). */
  MASTER_DATA_REQUIRED: 'USERS.MASTER_DATA_REQUIRED',
  /** FORBIDDEN: the caller may not change one of the fields given. */
  FIELD_NOT_ALLOWED: 'USERS.FIELD_NOT_ALLOWED',
  /** PRECONDITION_FAILED: the state change is not allowed from the current state. */
  INVALID_TRANSITION: 'USERS.INVALID_TRANSITION',
  /** PRECONDITION_FAILED: nobody may delete, suspend or block themselves. */
  SELF_ACTION: 'USERS.SELF_ACTION',
  /** PRECONDITION_FAILED: the change would leave the organization without an active admin. */
  LAST_ADMIN: 'USERS.LAST_ADMIN',
  /** PRECONDITION_FAILED: the manager is the user or someone below them in the reporting line. */
  MANAGER_CYCLE: 'USERS.MANAGER_CYCLE',
} as const;

/** NOT_FOUND `USERS.NOT_FOUND`. */
export function userNotFound(id: string): HeliosError {
  return new HeliosError('NOT_FOUND', USERS_ERROR_CODES.NOT_FOUND, 'No such user.', { details: { id } });
}

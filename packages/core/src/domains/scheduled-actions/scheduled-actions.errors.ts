/**
 * The error codes of scheduled user actions (`helios.scheduledActions` and the
 * `scheduled-actions.run` task), with their kind and message.
 */
import { codesOf, defineErrors } from '../../errors';

type Id = { id: string };

/** Every error scheduled user actions throw or record on a failed action (`errorDetails.code`). */
export const SCHEDULED_ACTIONS_ERRORS = defineErrors({
  /** No action of this id in the organization (or not visible to the caller). */
  NOT_FOUND: {
    code: 'SCHEDULED_ACTIONS.NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such scheduled action.',
    details: (p: Id) => p,
  },
  /** The action is no longer pending: it cannot be changed, cancelled, approved or rejected. */
  NOT_PENDING: {
    code: 'SCHEDULED_ACTIONS.NOT_PENDING',
    kind: 'PRECONDITION_FAILED',
    message: (p: { id: string; status: string }) =>
      `The scheduled action is ${p.status}: only a pending action can be changed.`,
    details: (p: { id: string; status: string }) => p,
    summary:
      'Only a pending action can be changed, cancelled, approved or rejected (`details.status`).',
  },
  /** Approve or reject on an action that does not require approval, or was already approved. */
  APPROVAL_NOT_EXPECTED: {
    code: 'SCHEDULED_ACTIONS.APPROVAL_NOT_EXPECTED',
    kind: 'PRECONDITION_FAILED',
    message: (p: { id: string; reason: 'not_required' | 'already_approved' }) =>
      p.reason === 'not_required'
        ? 'The scheduled action does not require approval.'
        : 'The scheduled action is already approved.',
    details: (p: { id: string; reason: 'not_required' | 'already_approved' }) => p,
    summary: 'The action does not require approval, or is already approved (`details.reason`).',
  },
  /** The user the action targets does not exist in the organization. */
  USER_NOT_FOUND: {
    code: 'SCHEDULED_ACTIONS.USER_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: 'The user of the scheduled action does not exist.',
    details: (p: { userId: string }) => p,
  },
  /** `dependsOnActionId` names no action of the organization, the action itself, or makes a cycle. */
  BAD_DEPENDENCY: {
    code: 'SCHEDULED_ACTIONS.BAD_DEPENDENCY',
    kind: 'INVALID_INPUT',
    message: (p: { dependsOnActionId: string; reason: 'not_found' | 'cycle' }) =>
      p.reason === 'not_found'
        ? 'The action it depends on does not exist.'
        : 'An action cannot depend on itself or on an action that depends on it.',
    details: (p: { dependsOnActionId: string; reason: 'not_found' | 'cycle' }) => p,
    summary:
      'The action it depends on does not exist, or the dependency makes a cycle (`details.reason`).',
  },
  /** A template id names no template of the organization. */
  TEMPLATE_NOT_FOUND: {
    code: 'SCHEDULED_ACTIONS.TEMPLATE_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: (p: { templateId: string; kind: 'onboarding' | 'offboarding' }) =>
      `The ${p.kind} template does not exist.`,
    details: (p: { templateId: string; kind: 'onboarding' | 'offboarding' }) => p,
    summary: 'The onboarding or offboarding template does not exist (`details.kind`).',
  },
  /** The action's dependency failed or was cancelled: the action failed without running (recorded on the action). */
  DEPENDENCY_FAILED: {
    code: 'SCHEDULED_ACTIONS.DEPENDENCY_FAILED',
    kind: 'PRECONDITION_FAILED',
    message: (p: { dependsOnActionId: string; dependencyStatus: string }) =>
      `The action it depends on is ${p.dependencyStatus}: this action did not run.`,
    details: (p: { dependsOnActionId: string; dependencyStatus: string }) => p,
    summary:
      'The action it depends on failed or was cancelled; this one failed without running (recorded in `errorDetails`).',
  },
  /** The action's user no longer exists (recorded on the action). */
  USER_GONE: {
    code: 'SCHEDULED_ACTIONS.USER_GONE',
    kind: 'PRECONDITION_FAILED',
    message: 'The user of the scheduled action no longer exists.',
    details: (p: { userId: string | null }) => p,
  },
  /** The local state does not allow the action (e.g. unsuspend of a user who is not suspended); recorded on the action. */
  INVALID_USER_STATE: {
    code: 'SCHEDULED_ACTIONS.INVALID_USER_STATE',
    kind: 'PRECONDITION_FAILED',
    message: (p: { userId: string; actionType: string; userStatus: string | null }) =>
      `Cannot ${p.actionType} a user whose status is ${p.userStatus ?? 'unknown'}.`,
    details: (p: { userId: string; actionType: string; userStatus: string | null }) => p,
    summary: "The user's current status does not allow the action (`details.userStatus`).",
  },
  /** No longer thrown: onboard and offboard actions run as lifecycle runs. Kept so old records still explain. */
  LIFECYCLE_NOT_AVAILABLE: {
    code: 'LIFECYCLE.NOT_AVAILABLE',
    kind: 'PRECONDITION_FAILED',
    message: (p: { actionType: string }) =>
      `The ${p.actionType} lifecycle execution is not available in this version of Helios; the action was not run.`,
    details: (p: { actionType: string }) => p,
    summary:
      'No longer thrown (onboard and offboard actions run as lifecycle runs); older Helios versions recorded it on a scheduled onboard or offboard.',
  },
});

/** The codes of {@link SCHEDULED_ACTIONS_ERRORS} by name. */
export const SCHEDULED_ACTIONS_ERROR_CODES = codesOf(SCHEDULED_ACTIONS_ERRORS);

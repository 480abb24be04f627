/**
 * The error codes of the lifecycle domain (`helios.lifecycle`): templates, timelines and requests.
 * `LIFECYCLE.NOT_AVAILABLE` (scheduled-actions.errors.ts) and `LIFECYCLE.DEFAULT_TEMPLATE_EXISTS`
 * (db.errors.ts) are defined elsewhere and not repeated here.
 */
import { codesOf, defineErrors } from '../../errors';

/** An onboarding or an offboarding template. */
export type TemplateKind = 'onboarding' | 'offboarding';

/** Every error `helios.lifecycle.templates` and `helios.lifecycle.requests` throw. */
export const LIFECYCLE_ERRORS = defineErrors({
  /** No template of this kind and id in the organization. */
  TEMPLATE_NOT_FOUND: {
    code: 'LIFECYCLE.TEMPLATE_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: (p: { id: string; kind: TemplateKind }) => `No such ${p.kind} template.`,
    details: (p: { id: string; kind: TemplateKind }) => p,
    summary: 'No onboarding or offboarding template of this id in the organization.',
  },
  /** The template is used by an open request (pending, approved or in progress): deactivate it instead. */
  TEMPLATE_IN_USE: {
    code: 'LIFECYCLE.TEMPLATE_IN_USE',
    kind: 'CONFLICT',
    message: (p: { id: string; kind: TemplateKind; openRequests: number }) =>
      `The ${p.kind} template is used by ${p.openRequests} open request(s): deactivate it instead of deleting it.`,
    details: (p: { id: string; kind: TemplateKind; openRequests: number }) => p,
    summary:
      'The template is used by an open request and cannot be deleted; deactivate it (`isActive: false`) instead.',
  },
  /** A request names a template that does not exist for its type, or an inactive one. */
  INVALID_TEMPLATE: {
    code: 'LIFECYCLE.INVALID_TEMPLATE',
    kind: 'INVALID_INPUT',
    message: (p: { templateId: string; kind: TemplateKind; reason: 'not_found' | 'inactive' }) =>
      p.reason === 'not_found'
        ? `The ${p.kind} template does not exist.`
        : `The ${p.kind} template is not active.`,
    details: (p: { templateId: string; kind: TemplateKind; reason: 'not_found' | 'inactive' }) => p,
    summary:
      "The request's template does not exist for the request's type, or is inactive (`details.reason`).",
  },
  /** A referenced object (department, user, group, signature template, training content) is not in the organization. */
  REFERENCE_NOT_FOUND: {
    code: 'LIFECYCLE.REFERENCE_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: (p: { field: string; id: string }) =>
      `${p.field}: no such object in the organization.`,
    details: (p: { field: string; id: string }) => p,
    summary:
      'A referenced department, user, group, signature template or training content does not exist in the organization (`details.field`).',
  },
  /** A stored timeline (written outside Helios) does not have the timeline's shape. */
  INVALID_STORED_TIMELINE: {
    code: 'LIFECYCLE.INVALID_STORED_TIMELINE',
    kind: 'PRECONDITION_FAILED',
    message:
      "The template's stored timeline is not valid: save the template with a valid timeline.",
    details: (p: { templateId: string; issues: Array<{ path: string; message: string }> }) => p,
  },
  /** No request of this id in the organization (or not visible to the caller). */
  REQUEST_NOT_FOUND: {
    code: 'LIFECYCLE.REQUEST_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such lifecycle request.',
    details: (p: { id: string }) => p,
  },
  /** The request's state does not allow this change (see the state machine of requests). */
  INVALID_TRANSITION: {
    code: 'LIFECYCLE.INVALID_TRANSITION',
    kind: 'CONFLICT',
    message: (p: { id: string; from: string; to: string }) =>
      `A ${p.from} request cannot become ${p.to}.`,
    details: (p: { id: string; from: string; to: string }) => p,
    summary:
      "The request's current status does not allow the change (`details.from`, `details.to`; `to` is `updated` for an edit).",
  },
  /** Approval needs the request's reference date (start date, or end date of an offboarding) for its timeline. */
  REFERENCE_DATE_REQUIRED: {
    code: 'LIFECYCLE.REFERENCE_DATE_REQUIRED',
    kind: 'PRECONDITION_FAILED',
    message: (p: { id: string; field: 'startDate' | 'endDate' }) =>
      `The template's timeline has tasks relative to the request's ${p.field}: set it before approving.`,
    details: (p: { id: string; field: 'startDate' | 'endDate' }) => p,
    summary:
      "The template's timeline has date-relative tasks and the request has no start date (end date for an offboarding): set it, then approve.",
  },
  /** No lifecycle run (onboarding or offboarding) of this id in the organization. */
  RUN_NOT_FOUND: {
    code: 'LIFECYCLE.RUN_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such lifecycle run.',
    details: (p: { id: string }) => p,
    summary: 'No onboarding or offboarding run of this id in the organization.',
  },
  /** An onboarding names an address an organization user already has. */
  RUN_USER_EXISTS: {
    code: 'LIFECYCLE.RUN_USER_EXISTS',
    kind: 'CONFLICT',
    message: (p: { email: string }) => `An organization user with the address ${p.email} exists.`,
    details: (p: { email: string }) => p,
    summary: 'The onboarding names an address an organization user already has.',
  },
  /** The offboarded user is not in the organization. */
  RUN_USER_NOT_FOUND: {
    code: 'LIFECYCLE.RUN_USER_NOT_FOUND',
    kind: 'INVALID_INPUT',
    message: 'No such organization user.',
    details: (p: { userId: string }) => p,
    summary: 'The user to offboard is not an organization user.',
  },
  /** A run from a request needs an approved (or in-progress) request of the run's kind. */
  RUN_REQUEST_INVALID: {
    code: 'LIFECYCLE.RUN_REQUEST_INVALID',
    kind: 'PRECONDITION_FAILED',
    message: (p: { requestId: string; reason: string }) =>
      `The request cannot be run: ${p.reason}.`,
    details: (p: { requestId: string; reason: string }) => p,
    summary:
      'The request is not approved, is of another kind, or lacks the user (`details.reason`).',
  },
  /** Only a run with failed or never-run steps (failed, completed, or in progress with a failed step) can be resumed. */
  RUN_NOT_RESUMABLE: {
    code: 'LIFECYCLE.RUN_NOT_RESUMABLE',
    kind: 'CONFLICT',
    message: (p: { id: string; status: string }) =>
      `Run ${p.id} is ${p.status.replace('_', ' ')} with no failed step: there is nothing to resume (a pending or running run goes on by itself).`,
    details: (p: { id: string; status: string }) => p,
    summary:
      'The run is pending, cancelled, in progress with no failed step, or has nothing left to do.',
  },
});

/** The codes of {@link LIFECYCLE_ERRORS} by name. */
export const LIFECYCLE_ERROR_CODES = codesOf(LIFECYCLE_ERRORS);

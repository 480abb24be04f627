/**
 * The error codes of lifecycle tasks (`helios.lifecycle.tasks`, `helios.lifecycle.dashboard` and
 * the reminder digest), with their kind and message. The requests and templates side of the
 * lifecycle domain has its own registry (`lifecycle.errors.ts`); these codes are `LIFECYCLE.TASK_*`.
 */
import { codesOf, defineErrors } from '../../errors';

type Id = { id: string };
type Transition = { id: string; status: string; action: 'start' | 'complete' | 'skip' };

/** Every error the lifecycle task services throw. */
export const LIFECYCLE_TASKS_ERRORS = defineErrors({
  /** No task of this id in the organization. */
  TASK_NOT_FOUND: {
    code: 'LIFECYCLE.TASK_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such lifecycle task.',
    details: (p: Id) => p,
  },
  /** The caller is not the task's assignee, the request's manager for a manager task, a member of its hr/it pool or an administrator. */
  TASK_FORBIDDEN: {
    code: 'LIFECYCLE.TASK_FORBIDDEN',
    kind: 'FORBIDDEN',
    message: 'Only the task’s assignee (or an administrator) may act on this task.',
    details: (p: Id) => p,
  },
  /** The task depends on a task that is neither completed nor skipped, or is itself blocked. */
  TASK_BLOCKED: {
    code: 'LIFECYCLE.TASK_BLOCKED',
    kind: 'PRECONDITION_FAILED',
    message: (p: {
      id: string;
      dependsOnTaskId: string | null;
      dependencyStatus: string | null;
    }) =>
      p.dependsOnTaskId
        ? `The task waits for task ${p.dependsOnTaskId} (${p.dependencyStatus ?? 'unknown'}): complete or skip that one first.`
        : 'The task is blocked.',
    details: (p: { id: string; dependsOnTaskId: string | null; dependencyStatus: string | null }) =>
      p,
    summary:
      'The task waits for another task that is not completed or skipped yet (`details.dependsOnTaskId`, `details.dependencyStatus`).',
  },
  /** The task's status does not allow the action (e.g. completing a completed task, starting an in-progress one). */
  TASK_INVALID_TRANSITION: {
    code: 'LIFECYCLE.TASK_INVALID_TRANSITION',
    kind: 'PRECONDITION_FAILED',
    message: (p: Transition) =>
      `A ${p.status} task cannot be ${p.action === 'start' ? 'started' : p.action === 'complete' ? 'completed' : 'skipped'}.`,
    details: (p: Transition) => p,
    summary:
      'The task’s status does not allow this action: start needs pending; complete needs pending or in progress; skip needs a task not completed or skipped (`details.status`).',
  },
  /** The task's request was cancelled or rejected: its tasks can no longer change. */
  TASK_REQUEST_CLOSED: {
    code: 'LIFECYCLE.TASK_REQUEST_CLOSED',
    kind: 'PRECONDITION_FAILED',
    message: (p: { id: string; requestStatus: string }) =>
      `The task’s request is ${p.requestStatus}: its tasks can no longer change.`,
    details: (p: { id: string; requestStatus: string }) => p,
    summary: 'The task’s request was cancelled or rejected (`details.requestStatus`).',
  },
  /** The user whose reminder preference is set does not exist in the organization. */
  TASK_USER_NOT_FOUND: {
    code: 'LIFECYCLE.TASK_USER_NOT_FOUND',
    kind: 'NOT_FOUND',
    message: 'No such user.',
    details: (p: { userId: string }) => p,
  },
  /** A user named as an hr/it pool member does not exist in the organization or is not active. */
  TASK_POOL_MEMBER_INVALID: {
    code: 'LIFECYCLE.TASK_POOL_MEMBER_INVALID',
    kind: 'INVALID_INPUT',
    message: (p: { userIds: string[] }) =>
      `Pool members must be active users of the organization; not: ${p.userIds.join(', ')}.`,
    details: (p: { userIds: string[] }) => p,
    summary: 'An hr/it pool member is not an active user of the organization (`details.userIds`).',
  },
});

/** The codes of {@link LIFECYCLE_TASKS_ERRORS} by name. */
export const LIFECYCLE_TASKS_ERROR_CODES = codesOf(LIFECYCLE_TASKS_ERRORS);

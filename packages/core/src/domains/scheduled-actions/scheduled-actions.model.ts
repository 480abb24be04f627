/**
 * The DTOs of scheduled user actions and their journal, the row mappers, and the rules of time
 * (retry backoff, recurrence) shared by the service and the run task.
 */
import type { Row } from '../../repositories/types';
import type {
  RecurrenceInterval,
  ScheduledActionStatus,
  ScheduledActionType,
} from './scheduled-actions.schema';

/** A scheduled user action: every column of `scheduled_user_actions`, camelCase. */
export interface ScheduledAction {
  id: string;
  organizationId: string;
  /** The Helios user acted on (null for an onboard of someone not in Helios yet). */
  userId: string | null;
  targetEmail: string | null;
  targetFirstName: string | null;
  targetLastName: string | null;
  targetPersonalEmail: string | null;
  actionType: ScheduledActionType;
  onboardingTemplateId: string | null;
  offboardingTemplateId: string | null;
  /** The action's configuration (`create`'s `config`). */
  actionConfig: Record<string, unknown>;
  configOverrides: Record<string, unknown>;
  /** When it is due. */
  scheduledFor: Date;
  isRecurring: boolean;
  recurrenceInterval: RecurrenceInterval | null;
  /** The last occurrence is at or before this instant. */
  recurrenceUntil: Date | null;
  /** When the series last fired (set on the completed occurrence and carried to the next one). */
  lastRecurrenceAt: Date | null;
  /** The action's state. */
  status: ScheduledActionStatus;
  /** When a worker first claimed it. */
  startedAt: Date | null;
  /** When it ended (completed, or failed for good). */
  completedAt: Date | null;
  totalSteps: number;
  completedSteps: number;
  /** The step running now (null when not running). */
  currentStep: string | null;
  errorMessage: string | null;
  /** `{ code, kind, details, step }` of the last failure. */
  errorDetails: Record<string, unknown> | null;
  retryCount: number;
  maxRetries: number;
  /** When a failed attempt is tried again. */
  nextRetryAt: Date | null;
  requiresApproval: boolean;
  approvedBy: string | null;
  approvedAt: Date | null;
  approvalNotes: string | null;
  rejectedBy: string | null;
  rejectedAt: Date | null;
  rejectionReason: string | null;
  /** Runs only after this action completed; fails when that one failed or was cancelled. */
  dependsOnActionId: string | null;
  createdBy: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  cancelledBy: string | null;
  cancelledAt: Date | null;
  cancellationReason: string | null;
}

/** One journaled step of an action (`user_lifecycle_logs`). */
export interface LifecycleLog {
  id: string;
  organizationId: string;
  userId: string | null;
  actionId: string | null;
  /** `claim`, `local_user`, `google`, `microsoft`, `dependency`, `lifecycle`. */
  stepName: string;
  /** `system`, `local` or `integration`. */
  stepType: string;
  /** `started`, `completed`, `skipped` or `failed`. */
  status: string;
  details: Record<string, unknown>;
  errorMessage: string | null;
  durationMs: number | null;
  createdAt: Date | null;
}

const asObject = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/** The DTO of a row. */
export function toScheduledAction(row: Row<'scheduled_user_actions'>): ScheduledAction {
  return {
    id: row.id,
    organizationId: row.organization_id,
    userId: row.user_id,
    targetEmail: row.target_email,
    targetFirstName: row.target_first_name,
    targetLastName: row.target_last_name,
    targetPersonalEmail: row.target_personal_email,
    actionType: row.action_type as ScheduledActionType,
    onboardingTemplateId: row.onboarding_template_id,
    offboardingTemplateId: row.offboarding_template_id,
    actionConfig: asObject(row.action_config),
    configOverrides: asObject(row.config_overrides),
    scheduledFor: row.scheduled_for,
    isRecurring: row.is_recurring === true,
    recurrenceInterval: (row.recurrence_interval as RecurrenceInterval | null) ?? null,
    recurrenceUntil: row.recurrence_until,
    lastRecurrenceAt: row.last_recurrence_at,
    status: (row.status ?? 'pending') as ScheduledActionStatus,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    totalSteps: row.total_steps ?? 0,
    completedSteps: row.completed_steps ?? 0,
    currentStep: row.current_step,
    errorMessage: row.error_message,
    errorDetails: row.error_details === null ? null : asObject(row.error_details),
    retryCount: row.retry_count ?? 0,
    maxRetries: row.max_retries ?? 3,
    nextRetryAt: row.next_retry_at,
    requiresApproval: row.requires_approval === true,
    approvedBy: row.approved_by,
    approvedAt: row.approved_at,
    approvalNotes: row.approval_notes,
    rejectedBy: row.rejected_by,
    rejectedAt: row.rejected_at,
    rejectionReason: row.rejection_reason,
    dependsOnActionId: row.depends_on_action_id,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    cancelledBy: row.cancelled_by,
    cancelledAt: row.cancelled_at,
    cancellationReason: row.cancellation_reason,
  };
}

/** The DTO of a journal row. */
export function toLifecycleLog(row: Row<'user_lifecycle_logs'>): LifecycleLog {
  return {
    id: row.id,
    organizationId: row.organization_id,
    userId: row.user_id,
    actionId: row.action_id,
    stepName: row.step_name,
    stepType: row.step_type,
    status: row.status,
    details: asObject(row.details),
    errorMessage: row.error_message,
    durationMs: row.duration_ms,
    createdAt: row.created_at,
  };
}

/** The job key of an action's run job: one waiting job per action. */
export function runJobKey(actionId: string): string {
  return `scheduled-action:${actionId}`;
}

/** When an action is next runnable: its due time, or its retry time when later. */
export function dueAt(
  row: Pick<Row<'scheduled_user_actions'>, 'scheduled_for' | 'next_retry_at'>,
): Date {
  return row.next_retry_at && row.next_retry_at > row.scheduled_for
    ? row.next_retry_at
    : row.scheduled_for;
}

/**
 * The wait before retry number `retry` (1-based) of a failed action: 5 minutes times 3^(retry-1)
 * (5, 15, 45 minutes...), at most one day.
 */
export function retryDelayMs(retry: number): number {
  return Math.min(5 * 60_000 * 3 ** Math.max(0, retry - 1), 24 * 3600_000);
}

/** `at` plus one interval, in UTC (a month keeps the day, clamped to the month's last day). */
export function addInterval(at: Date, interval: RecurrenceInterval): Date {
  const next = new Date(at.getTime());
  if (interval === 'daily') next.setUTCDate(next.getUTCDate() + 1);
  else if (interval === 'weekly') next.setUTCDate(next.getUTCDate() + 7);
  else {
    const day = next.getUTCDate();
    next.setUTCDate(1);
    next.setUTCMonth(next.getUTCMonth() + 1);
    const last = new Date(Date.UTC(next.getUTCFullYear(), next.getUTCMonth() + 1, 0)).getUTCDate();
    next.setUTCDate(Math.min(day, last));
  }
  return next;
}

/**
 * The next occurrence of a series after `from` that is later than `now` (missed occurrences are
 * skipped, not run in a burst), or null past `until`.
 */
export function nextOccurrence(
  from: Date,
  interval: RecurrenceInterval,
  until: Date | null,
  now: Date,
): Date | null {
  let next = addInterval(from, interval);
  for (let i = 0; next <= now && i < 10_000; i++) next = addInterval(next, interval);
  if (until && next > until) return null;
  return next;
}

/**
 * Timeline -> tasks: the pure rules that turn a template's timeline into the tasks of a request
 * (due dates with date-only arithmetic, assignees, action types, dependencies, sequence), and the
 * stored form of a timeline (the predecessor's snake_case keys of an action, e.g. `content_ids`).
 */
import { camelCase, snakeCase } from '../../shared/case';
import { parseInput } from '../../shared/validation';
import { LIFECYCLE_ERRORS } from './lifecycle.errors';
import {
  type TaskAssignee,
  type Timeline,
  type TimelineStep,
  type TimelineTrigger,
  timelineSchema,
} from './lifecycle.templates.schema';

// ---------------------------------------------------------------------------------------------
// Calendar dates (`YYYY-MM-DD`), never instants: no time zone or DST can move a due date.

const DAY_MS = 86_400_000;

function parts(date: string): [number, number, number] {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return [y, m, d];
}
const format = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** `date` plus `days` (negative: earlier). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = parts(date);
  return format(Date.UTC(y, m - 1, d) + days * DAY_MS);
}

/** `date` plus `months` (negative: earlier), the day clamped to the month's last day (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = parts(date);
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return format(Date.UTC(year, month, Math.min(d, last)));
}

/** Days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  const [y1, m1, d1] = parts(from);
  const [y2, m2, d2] = parts(to);
  return Math.round((Date.UTC(y2, m2 - 1, d2) - Date.UTC(y1, m1 - 1, d1)) / DAY_MS);
}

/** The calendar date of an instant in UTC. */
export function utcDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Whether the step's due date is relative to the request's reference date. */
export function isRelative(trigger: TimelineTrigger): boolean {
  return trigger !== 'on_approval';
}

/** The due date of a step: today at approval, else the reference date moved by the offset. */
export function dueDateOf(
  step: Pick<TimelineStep, 'trigger' | 'offset' | 'unit'>,
  referenceDate: string | null,
  today: string,
): string | null {
  if (step.trigger === 'on_approval') return today;
  if (referenceDate === null) return null;
  if (step.trigger === 'on_start_date') return referenceDate;
  const sign = step.trigger === 'days_before_start' ? -1 : 1;
  const offset = (step.offset ?? 0) * sign;
  const unit = step.unit ?? 'days';
  if (unit === 'months') return addMonths(referenceDate, offset);
  return addDays(referenceDate, unit === 'weeks' ? offset * 7 : offset);
}

// ---------------------------------------------------------------------------------------------
// Tasks.

/** A task a timeline generates (the preview; approval writes these as `lifecycle_tasks` rows). */
export interface TaskPreview {
  /** 1, 2, 3... in timeline order. */
  sequenceOrder: number;
  title: string;
  description: string | null;
  category: string | null;
  /** `user`, `manager`, `hr`, `it` or `system`. */
  assigneeType: TaskAssignee;
  /** The person (`user`: the request's user, null before the account exists) or the manager; null for pools and the system. */
  assigneeId: string | null;
  /** `hr` or `it` for a pool task, else null. */
  assigneeRole: 'hr' | 'it' | null;
  triggerType: TimelineTrigger;
  /** Days between the reference date and the due date (0 at approval and on the date itself). */
  triggerOffsetDays: number;
  /** `YYYY-MM-DD`; null in a preview without the reference date. */
  dueDate: string | null;
  /** Null for a manual task; `send_email`, `complete_training` or the system action. */
  actionType: string | null;
  actionConfig: Record<string, unknown> | null;
  /** `blocked` until the task it depends on is done. */
  status: 'pending' | 'blocked';
  /** The `sequenceOrder` of the task this one waits for. */
  dependsOnSequence: number | null;
}

/** What the generation needs to know about the request. */
export interface TaskContext {
  /** The start date (end date of an offboarding), or null. */
  referenceDate: string | null;
  /** Today's date (the approval's). */
  today: string;
  /** The request's user (null before the account exists). */
  userId: string | null;
  /** The request's manager. */
  managerId: string | null;
  /** Titles of training content, by id (for the training tasks' titles). */
  trainingTitles?: ReadonlyMap<string, string>;
}

const humanize = (name: string) => {
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};

function assign(
  assignee: TaskAssignee,
  ctx: TaskContext,
): Pick<TaskPreview, 'assigneeType' | 'assigneeId' | 'assigneeRole'> {
  switch (assignee) {
    case 'user':
      return { assigneeType: 'user', assigneeId: ctx.userId, assigneeRole: null };
    case 'manager':
      return { assigneeType: 'manager', assigneeId: ctx.managerId, assigneeRole: null };
    case 'hr':
    case 'it':
      return { assigneeType: assignee, assigneeId: null, assigneeRole: assignee };
    default:
      return { assigneeType: 'system', assigneeId: null, assigneeRole: null };
  }
}

/**
 * The tasks of a timeline for a request: steps in order, each action one task (a training action
 * one task per content), numbered 1, 2, 3...; an action with `dependsOn` starts `blocked` and
 * points at the last task of the action it names.
 */
export function generateTasks(timeline: Timeline, ctx: TaskContext): TaskPreview[] {
  const out: TaskPreview[] = [];
  const byKey = new Map<string, number>();
  for (const step of timeline) {
    const dueDate = dueDateOf(step, ctx.referenceDate, ctx.today);
    const triggerOffsetDays =
      dueDate !== null && ctx.referenceDate !== null && isRelative(step.trigger)
        ? Math.abs(daysBetween(ctx.referenceDate, dueDate))
        : 0;
    for (const action of step.actions) {
      const dependsOnSequence =
        action.dependsOn !== undefined ? (byKey.get(action.dependsOn) ?? null) : null;
      const common = {
        description: action.description ?? null,
        triggerType: step.trigger,
        triggerOffsetDays,
        dueDate,
        status: dependsOnSequence === null ? ('pending' as const) : ('blocked' as const),
        dependsOnSequence,
      };
      const push = (task: Omit<TaskPreview, 'sequenceOrder' | keyof typeof common>) =>
        out.push({ ...task, ...common, sequenceOrder: out.length + 1 });
      switch (action.type) {
        case 'task':
          push({
            title: action.title,
            category: action.category ?? null,
            ...assign(action.assignee ?? 'hr', ctx),
            actionType: null,
            actionConfig: null,
          });
          break;
        case 'system':
          push({
            title: action.title ?? humanize(action.action),
            category: action.category ?? 'system',
            ...assign('system', ctx),
            actionType: action.action,
            actionConfig: {
              ...(action.config ?? {}),
              ...(action.platforms ? { platforms: action.platforms } : {}),
            },
          });
          break;
        case 'email':
          push({
            title: action.title ?? `Send email: ${action.template}`,
            category: action.category ?? 'email',
            ...assign('system', ctx),
            actionType: 'send_email',
            actionConfig: { template: action.template, to: action.to },
          });
          break;
        case 'training':
          for (const contentId of action.contentIds) {
            const name = ctx.trainingTitles?.get(contentId);
            push({
              title: action.title ?? (name ? `Complete training: ${name}` : 'Complete training'),
              category: action.category ?? 'training',
              ...assign('user', ctx),
              actionType: 'complete_training',
              actionConfig: { contentId },
            });
          }
          break;
      }
      if (action.key !== undefined) byKey.set(action.key, out.length);
    }
  }
  return out;
}

/** The training content ids a timeline names. */
export function trainingContentIds(timeline: Timeline): string[] {
  const ids = new Set<string>();
  for (const step of timeline)
    for (const action of step.actions)
      if (action.type === 'training') for (const id of action.contentIds) ids.add(id);
  return [...ids];
}

/** Whether some step of the timeline is relative to the reference date. */
export function needsReferenceDate(timeline: Timeline): boolean {
  return timeline.some((step) => isRelative(step.trigger));
}

// ---------------------------------------------------------------------------------------------
// The stored form.

const mapActionKeys = (value: unknown, map: (key: string) => string): unknown => {
  if (!Array.isArray(value)) return value;
  return value.map((step) => {
    if (!step || typeof step !== 'object' || Array.isArray(step)) return step;
    const s = step as Record<string, unknown>;
    if (!Array.isArray(s.actions)) return s;
    return {
      ...s,
      actions: s.actions.map((action) =>
        action && typeof action === 'object' && !Array.isArray(action)
          ? Object.fromEntries(Object.entries(action).map(([k, v]) => [map(k), v]))
          : action,
      ),
    };
  });
};

/** The jsonb of a timeline (an action's keys in snake_case, as the predecessor stored them). */
export function toStoredTimeline(timeline: Timeline): string {
  return JSON.stringify(mapActionKeys(timeline, snakeCase));
}

/** A stored timeline as the API shows it (an action's keys in camelCase), unchecked. */
export function fromStoredTimeline(stored: unknown): unknown {
  return mapActionKeys(stored ?? [], camelCase);
}

/**
 * A stored timeline, checked.
 * @throws HeliosError PRECONDITION_FAILED `LIFECYCLE.INVALID_STORED_TIMELINE`
 */
export function readTimeline(templateId: string, stored: unknown): Timeline {
  try {
    return parseInput(timelineSchema, fromStoredTimeline(stored));
  } catch (error) {
    const issues = ((error as { details?: { issues?: unknown } }).details?.issues ?? []) as Array<{
      path: string;
      message: string;
    }>;
    throw LIFECYCLE_ERRORS.INVALID_STORED_TIMELINE({
      templateId,
      issues: issues.slice(0, 20).map((i) => ({ path: i.path, message: i.message })),
    });
  }
}

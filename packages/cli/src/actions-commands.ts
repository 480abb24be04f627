import { type HeliosScope, USERS_ERRORS } from '@helios/core';
import type { Command } from 'commander';
import { type CommonOptions, withCommonOptions, withHelios } from './open-helios';
import { EXIT, type Output } from './output';

interface ListOptions extends CommonOptions {
  status?: string;
  actionType?: string;
  userId?: string;
  limit?: string;
  cursor?: string;
}

/** The fields of a scheduled action the human output shows. */
interface ActionView {
  id: string;
  actionType: string;
  status: string | null;
  userId: string | null;
  targetEmail: string | null;
  scheduledFor: Date | string;
  requiresApproval: boolean | null;
  approvedAt: Date | string | null;
  completedSteps: number | null;
  totalSteps: number | null;
  currentStep: string | null;
  errorMessage: string | null;
  retryCount: number | null;
  maxRetries: number | null;
  nextRetryAt: Date | string | null;
  startedAt: Date | string | null;
  completedAt: Date | string | null;
  recurrenceInterval: string | null;
}

const iso = (value: Date | string | null | undefined) =>
  value == null ? '-' : value instanceof Date ? value.toISOString() : String(value);

function line(a: ActionView): string {
  const who = a.targetEmail ?? a.userId ?? '-';
  const approval = a.requiresApproval ? (a.approvedAt ? ' approved' : ' awaiting approval') : '';
  return `${a.id}  ${a.actionType.padEnd(9)} ${(a.status ?? '-').padEnd(11)} due ${iso(a.scheduledFor)}  ${who}${approval}`;
}

function detail(a: ActionView): string {
  const rows: [string, string][] = [
    ['id', a.id],
    ['action', a.actionType],
    ['status', a.status ?? '-'],
    ['user', a.userId ?? '-'],
    ['target', a.targetEmail ?? '-'],
    ['due', iso(a.scheduledFor)],
    ['recurrence', a.recurrenceInterval ?? 'none'],
    [
      'approval',
      a.requiresApproval
        ? a.approvedAt
          ? `approved ${iso(a.approvedAt)}`
          : 'awaiting approval'
        : 'not required',
    ],
    [
      'progress',
      `${a.completedSteps ?? 0}/${a.totalSteps ?? 0}${a.currentStep ? ` (${a.currentStep})` : ''}`,
    ],
    ['started', iso(a.startedAt)],
    ['completed', iso(a.completedAt)],
    [
      'retries',
      `${a.retryCount ?? 0}/${a.maxRetries ?? 0}${a.nextRetryAt ? `, next ${iso(a.nextRetryAt)}` : ''}`,
    ],
  ];
  if (a.errorMessage) rows.push(['error', a.errorMessage]);
  return rows.map(([k, v]) => `${k.padEnd(11)} ${v}`).join('\n');
}

/** Opens Helios (with the cloud endpoints from the environment), runs `fn` as the system actor `cli`. */
const withActions = (
  out: Output,
  opts: CommonOptions,
  fn: (helios: HeliosScope) => Promise<number>,
) =>
  withHelios(out, opts, (helios) => fn(helios.as({ type: 'system', name: 'cli' })), {
    integrations: true,
  });

interface CreateOptions extends CommonOptions {
  type: string;
  user?: string;
  email?: string;
  at?: string;
  recurrence?: string;
  until?: string;
  maxRetries?: string;
  requiresApproval?: boolean;
  dependsOn?: string;
}

/** The organization user named by `--user <id>` or `--email <address>` (exact, case-insensitive). */
async function resolveUser(helios: HeliosScope, opts: CreateOptions): Promise<string | undefined> {
  if (opts.user) return opts.user;
  if (!opts.email) return undefined;
  const wanted = opts.email.trim().toLowerCase();
  const page = await helios.users.list({ q: wanted, status: 'all', limit: 100 });
  const found = page.items.find((u) => u.email.toLowerCase() === wanted);
  if (!found) throw USERS_ERRORS.NOT_FOUND({});
  return found.id;
}

/** `helios actions list|get|create|cancel|approve|reject`: scheduled user actions, as the system (audited as `cli`). */
export function registerActionsCommands(
  program: Command,
  makeOutput: (json: boolean) => Output,
): void {
  const actions = program
    .command('actions')
    .description('scheduled user actions (suspend, unsuspend, delete, restore, onboard, offboard)');
  withCommonOptions(
    actions
      .command('list')
      .description('scheduled actions, soonest due first')
      .option('--status <states>', 'pending, in_progress, completed, failed, cancelled or skipped')
      .option('--action-type <type>', 'onboard, offboard, suspend, unsuspend, delete or restore')
      .option('--user-id <id>', 'actions on this user')
      .option('--limit <n>', 'page size (default 50)')
      .option('--cursor <cursor>', 'the nextCursor of the previous page'),
  ).action(async (opts: ListOptions) => {
    const out = makeOutput(Boolean(opts.json));
    const filter = {
      ...(opts.status ? { status: opts.status } : {}),
      ...(opts.actionType ? { actionType: opts.actionType } : {}),
      ...(opts.userId ? { userId: opts.userId } : {}),
      ...(opts.limit ? { limit: Number(opts.limit) } : {}),
      ...(opts.cursor ? { cursor: opts.cursor } : {}),
    };
    await withActions(out, opts, async (helios) => {
      const page = await helios.scheduledActions.list(filter as never);
      const items = page.items as unknown as ActionView[];
      const human = items.length === 0 ? 'No scheduled actions' : items.map(line).join('\n');
      out.result(page, page.nextCursor ? `${human}\nmore: --cursor ${page.nextCursor}` : human);
      return EXIT.ok;
    });
  });
  withCommonOptions(
    actions
      .command('get')
      .description('one scheduled action: state, progress, retries, last error')
      .argument('<id>', 'the action id'),
  ).action(async (id: string, opts: CommonOptions) => {
    const out = makeOutput(Boolean(opts.json));
    await withActions(out, opts, async (helios) => {
      const action = await helios.scheduledActions.get(id);
      out.result(action, detail(action as unknown as ActionView));
      return EXIT.ok;
    });
  });
  withCommonOptions(
    actions
      .command('create')
      .description('schedule an action on a user (due now unless --at is given)')
      .requiredOption('--type <type>', 'suspend, unsuspend, delete, restore, onboard or offboard')
      .option('--user <id>', 'the organization user id')
      .option('--email <address>', 'the organization user, by email address')
      .option('--at <iso-time>', 'when, ISO 8601 with a time zone (default: now)')
      .option('--recurrence <interval>', 'daily, weekly or monthly')
      .option('--until <iso-time>', 'the end of the recurrence')
      .option('--max-retries <n>', 'retries after a failure (0-10, default 3)')
      .option('--requires-approval', 'runs only once an administrator approved it')
      .option('--depends-on <id>', 'runs after this action completed'),
  ).action(async (opts: CreateOptions) => {
    const out = makeOutput(Boolean(opts.json));
    await withActions(out, opts, async (helios) => {
      const userId = await resolveUser(helios, opts);
      const input = {
        actionType: opts.type,
        ...(userId ? { userId } : {}),
        scheduledFor: opts.at ?? new Date(),
        ...(opts.recurrence
          ? {
              recurrence: {
                interval: opts.recurrence,
                ...(opts.until ? { until: opts.until } : {}),
              },
            }
          : {}),
        ...(opts.maxRetries !== undefined ? { maxRetries: Number(opts.maxRetries) } : {}),
        ...(opts.requiresApproval ? { requiresApproval: true } : {}),
        ...(opts.dependsOn ? { dependsOnActionId: opts.dependsOn } : {}),
      };
      const action = await helios.scheduledActions.create(input as never);
      out.result(action, `Scheduled ${action.id}\n${detail(action as unknown as ActionView)}`);
      return EXIT.ok;
    });
  });
  withCommonOptions(
    actions
      .command('cancel')
      .description('cancel a pending action: it never runs')
      .argument('<id>', 'the action id')
      .option('--reason <text>', 'why'),
  ).action(async (id: string, opts: CommonOptions & { reason?: string }) => {
    const out = makeOutput(Boolean(opts.json));
    await withActions(out, opts, async (helios) => {
      const action = await helios.scheduledActions.cancel(
        id,
        opts.reason ? { reason: opts.reason } : {},
      );
      out.result(action, `Cancelled ${id}\n${detail(action as unknown as ActionView)}`);
      return EXIT.ok;
    });
  });
  withCommonOptions(
    actions
      .command('approve')
      .description('approve an action that requires approval: it runs when due')
      .argument('<id>', 'the action id')
      .option('--notes <text>', 'approval notes'),
  ).action(async (id: string, opts: CommonOptions & { notes?: string }) => {
    const out = makeOutput(Boolean(opts.json));
    await withActions(out, opts, async (helios) => {
      const action = await helios.scheduledActions.approve(
        id,
        opts.notes ? { notes: opts.notes } : {},
      );
      out.result(action, `Approved ${id}\n${detail(action as unknown as ActionView)}`);
      return EXIT.ok;
    });
  });
  withCommonOptions(
    actions
      .command('reject')
      .description('reject an action that requires approval: it is cancelled and never runs')
      .argument('<id>', 'the action id')
      .requiredOption('--reason <text>', 'why (kept on the action and in the audit log)'),
  ).action(async (id: string, opts: CommonOptions & { reason: string }) => {
    const out = makeOutput(Boolean(opts.json));
    await withActions(out, opts, async (helios) => {
      const action = await helios.scheduledActions.reject(id, { reason: opts.reason });
      out.result(action, `Rejected ${id}\n${detail(action as unknown as ActionView)}`);
      return EXIT.ok;
    });
  });
}

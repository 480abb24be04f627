import { type Helios, type HeliosScope, type LifecycleRun, USERS_ERRORS } from '@helios/core';
import type { Command } from 'commander';
import {
  describePlan,
  describeRun,
  describeRunEnd,
  FINAL_STEP_STATES,
  runListLine,
  stepLine,
} from './lifecycle-display';
import { type CommonOptions, withCommonOptions, withHelios } from './open-helios';
import { EXIT, type Output } from './output';

/**
 * Exit codes of `helios lifecycle onboard|offboard|resume`: 0 the run completed (or waits for its
 * date), 1 a step failed (named in the output; `resume` runs it again), 2 any other error, 64 usage.
 */
export const LIFECYCLE_EXIT = {
  ok: EXIT.ok,
  stepsFailed: 1,
  failed: EXIT.failed,
  usage: EXIT.usage,
} as const;

interface RunOptions extends CommonOptions {
  template?: string;
  request?: string;
  set?: string[];
  plan?: boolean;
}

interface OnboardOptions extends RunOptions {
  email?: string;
  firstName?: string;
  lastName?: string;
  personalEmail?: string;
  startDate?: string;
  manager?: string;
  department?: string;
  jobTitle?: string;
  portalUrl?: string;
}

interface OffboardOptions extends RunOptions {
  user?: string;
  lastDay?: string;
  confirmWipe?: boolean;
}

/** Template fields that hold a list: `--set groupIds=a,b` splits on commas. */
const LIST_FIELDS = new Set([
  'groupIds',
  'calendarSubscriptions',
  'notificationEmailAddresses',
  'sharedDriveAccess',
]);

/** A `--set` that is not `key=value`. */
class UsageError extends Error {}

/**
 * `--set key=value ...` as template overrides: a value that is JSON (`true`, `30`, `["a"]`,
 * `{"driveId":"d","role":"writer"}`) is taken as such, a list field splits on commas, anything else
 * is text. The SDK validates the result (unknown keys and bad values: VALIDATION.FAILED).
 */
export function parseOverrides(pairs: string[] | undefined): Record<string, unknown> | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  const overrides: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--set takes key=value (got "${pair}")`);
    const key = pair.slice(0, at).trim();
    const raw = pair.slice(at + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = LIST_FIELDS.has(key)
        ? raw
            .split(',')
            .map((v) => v.trim())
            .filter(Boolean)
        : raw;
    }
    if (LIST_FIELDS.has(key) && !Array.isArray(value)) value = [value];
    overrides[key] = value;
  }
  return overrides;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The organization user named by an id or an email address (exact, case-insensitive). */
async function resolveUser(scope: HeliosScope, who: string): Promise<string> {
  if (UUID.test(who)) return who;
  const wanted = who.trim().toLowerCase();
  const page = await scope.users.list({ q: wanted, status: 'all', limit: 100 });
  const found = page.items.find((u) => u.email.toLowerCase() === wanted);
  if (!found) throw USERS_ERRORS.NOT_FOUND({});
  return found.id;
}

/** The onboarding input from the options (`--request` alone, or the user's fields). */
function onboardInput(opts: OnboardOptions, managerId?: string): Record<string, unknown> {
  const user = {
    ...(opts.email !== undefined ? { email: opts.email } : {}),
    ...(opts.firstName !== undefined ? { firstName: opts.firstName } : {}),
    ...(opts.lastName !== undefined ? { lastName: opts.lastName } : {}),
    ...(opts.personalEmail ? { personalEmail: opts.personalEmail } : {}),
    ...(opts.jobTitle ? { jobTitle: opts.jobTitle } : {}),
    ...(opts.department ? { departmentId: opts.department } : {}),
    ...(managerId ? { managerId } : {}),
    ...(opts.startDate ? { startDate: opts.startDate } : {}),
  };
  const overrides = parseOverrides(opts.set);
  const portalUrl = opts.portalUrl ?? process.env.HELIOS_PUBLIC_URL;
  return {
    ...(opts.request ? { requestId: opts.request } : {}),
    ...(!opts.request || Object.keys(user).length > 0 ? { user } : {}),
    ...(opts.template ? { templateId: opts.template } : {}),
    ...(overrides ? { overrides } : {}),
    ...(portalUrl ? { portalUrl } : {}),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Steps not ended that wait for a later date (`notBefore`), when nothing else can run now. */
function deferredOnly(run: LifecycleRun, now: number): LifecycleRun['steps'] {
  const open = run.steps.filter((s) => !FINAL_STEP_STATES.has(s.state));
  const later = open.filter((s) => s.notBefore && Date.parse(s.notBefore) > now);
  const rest = open.filter((s) => !later.includes(s) && s.state !== 'waiting');
  return later.length > 0 && rest.length === 0 ? later : [];
}

/**
 * Follows a run until it ends, running its jobs in this process unless another worker process is
 * live (PostgreSQL: `helios serve` or `helios worker`; then it only watches). Prints a line per
 * step as it succeeds, fails, is skipped or is retried, and a progress bar on a terminal.
 */
async function follow(
  helios: Helios,
  scope: HeliosScope,
  out: Output,
  json: boolean,
  first: LifecycleRun,
  resumed = false,
): Promise<LifecycleRun> {
  const tty = Boolean(process.stderr.isTTY) && !json;
  const say = (line: string) => {
    if (json) return;
    if (tty) process.stderr.write('\r\x1b[K');
    process.stdout.write(`${line}\n`);
  };
  const printed = new Map<string, string>();
  // A resumed run: the steps that ended before are not shown again.
  if (resumed)
    for (const step of first.steps)
      if (FINAL_STEP_STATES.has(step.state)) printed.set(step.id, `${step.state}:${step.attempts}`);
  const status = await helios.jobs.status();
  const watchOnly = status.workers.some((w) => !w.self);
  if (watchOnly) say(`A worker is running: watching run ${first.id}`);
  let run = first;
  let startTasks = true;
  for (;;) {
    for (const step of run.steps) {
      const key = `${step.state}:${step.attempts}`;
      if (printed.get(step.id) === key) continue;
      if (FINAL_STEP_STATES.has(step.state)) say(stepLine(step));
      else if (step.state === 'queued' && step.error && printed.has(step.id))
        say(`  retry ${step.id.padEnd(36)} after attempt ${step.attempts}: ${step.error.message}`);
      printed.set(step.id, key);
    }
    const done = run.steps.filter((s) => FINAL_STEP_STATES.has(s.state)).length;
    const current = run.steps.find((s) => s.state === 'running' || s.state === 'queued');
    out.progress(current ? current.id : run.status, done, run.steps.length);
    if (run.status !== 'in_progress') return run;
    const later = deferredOnly(run, Date.now());
    if (later.length > 0) {
      say(
        `${later.length} step(s) wait for their date (first ${
          later.map((s) => s.notBefore as string).sort()[0]
        }): a running worker (helios serve, or helios worker) runs them then`,
      );
      return run;
    }
    // This process is the worker: its first pass also runs the start tasks (the runs sweep picks
    // up steps a crashed process left queued with no job).
    if (!watchOnly) {
      await helios.jobs.runOnce({ startTasks });
      startTasks = false;
    }
    const next = await scope.lifecycle.runs.get(run.id);
    const moved = next.steps.some((s, i) => {
      const before = run.steps[i];
      return !before || before.state !== s.state || before.attempts !== s.attempts;
    });
    if (!moved && next.status === run.status) await sleep(250);
    run = next;
  }
}

/** Exit code of a followed run. */
const exitOf = (run: LifecycleRun) =>
  run.status === 'failed' || run.steps.some((s) => s.state === 'failed')
    ? LIFECYCLE_EXIT.stepsFailed
    : LIFECYCLE_EXIT.ok;

/** Opens Helios (cloud endpoints from the environment) and runs `fn` as the system actor `cli`. */
const withLifecycle = (
  out: Output,
  opts: CommonOptions,
  fn: (helios: Helios, scope: HeliosScope) => Promise<number>,
) =>
  withHelios(out, opts, (helios) => fn(helios, helios.as({ type: 'system', name: 'cli' })), {
    integrations: true,
  });

/** Plans (`--plan`) or applies and follows a run; a bad `--set` is a usage error. */
async function planOrApply(
  out: Output,
  opts: RunOptions,
  kind: 'onboard' | 'offboard',
  input: (scope: HeliosScope) => Promise<Record<string, unknown>>,
): Promise<void> {
  try {
    parseOverrides(opts.set);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = LIFECYCLE_EXIT.usage;
    return;
  }
  const json = Boolean(opts.json);
  await withLifecycle(out, opts, async (helios, scope) => {
    const ops = scope.lifecycle[kind];
    const data = await input(scope);
    if (opts.plan) {
      const plan = await ops.plan(data as never);
      out.result(plan, describePlan(plan));
      return LIFECYCLE_EXIT.ok;
    }
    const applied = await ops.apply(data as never);
    if (!json) process.stdout.write(`Run ${applied.id} started (${applied.totalSteps} steps)\n`);
    const run =
      applied.status === 'pending' ? applied : await follow(helios, scope, out, json, applied);
    out.result(run, describeRunEnd(run));
    return exitOf(run);
  });
}

const runOptions = (cmd: Command) =>
  withCommonOptions(
    cmd
      .option('--template <id>', "a template of the kind (default: the kind's default template)")
      .option('--request <id>', 'an approved lifecycle request whose fields are used')
      .option(
        '--set <key=value>',
        'override a template field (repeatable; JSON values, comma-separated lists), e.g. --set groupIds=<id>,<id> --set sendWelcomeEmail=false',
        collect,
      )
      .option(
        '--plan',
        'print the ordered steps (platform, call, why, or why skipped); write nothing',
      ),
  );

/**
 * `helios lifecycle onboard|offboard|runs|run|resume`: lifecycle runs from the command line, as the
 * system (audited as `cli`). Without `--plan` a run's steps run in this process (unless a worker is
 * running) with their progress printed until the run ends.
 */
export function registerLifecycleCommands(
  program: Command,
  makeOutput: (json: boolean) => Output,
): void {
  const lifecycle = program
    .command('lifecycle')
    .description(
      'onboarding and offboarding runs on Google Workspace and Microsoft 365: plan, apply, follow, resume',
    );

  runOptions(
    lifecycle
      .command('onboard')
      .description(
        'onboard a user: the local user, the cloud accounts, groups, licences, welcome mail... (exit 1: a step failed)',
      )
      .option('--email <address>', 'the new work address')
      .option('--first-name <name>', 'first name')
      .option('--last-name <name>', 'last name')
      .option('--personal-email <address>', 'where the welcome mail goes')
      .option('--start-date <YYYY-MM-DD>', 'the first working day')
      .option('--manager <id|email>', 'the manager (organization user id or email address)')
      .option('--department <id>', 'the department id')
      .option('--job-title <title>', 'the job title')
      .option(
        '--portal-url <url>',
        'where the welcome mail says to sign in (default: $HELIOS_PUBLIC_URL; none: no welcome mail)',
      ),
  ).action(async (opts: OnboardOptions) => {
    const out = makeOutput(Boolean(opts.json));
    await planOrApply(out, opts, 'onboard', async (scope) =>
      onboardInput(opts, opts.manager ? await resolveUser(scope, opts.manager) : undefined),
    );
  });

  runOptions(
    lifecycle
      .command('offboard')
      .description(
        'offboard a user: data transfer, forwarding, groups, sessions, licences, suspension, notices... (exit 1: a step failed)',
      )
      .option('--user <id|email>', 'the organization user who leaves (id or email address)')
      .option(
        '--last-day <YYYY-MM-DD>',
        'the last working day (suspension and licence removal then)',
      )
      .option('--confirm-wipe', 'allow the mobile wipe step (never runs without it)'),
  ).action(async (opts: OffboardOptions) => {
    const out = makeOutput(Boolean(opts.json));
    await planOrApply(out, opts, 'offboard', async (scope) => {
      const overrides = parseOverrides(opts.set);
      return {
        ...(opts.user ? { userId: await resolveUser(scope, opts.user) } : {}),
        ...(opts.request ? { requestId: opts.request } : {}),
        ...(opts.template ? { templateId: opts.template } : {}),
        ...(opts.lastDay ? { lastDay: opts.lastDay } : {}),
        ...(opts.confirmWipe ? { confirmWipe: true } : {}),
        ...(overrides ? { overrides } : {}),
      };
    });
  });

  withCommonOptions(
    lifecycle
      .command('runs')
      .description('lifecycle runs, newest first')
      .option('--kind <kind>', 'onboard or offboard')
      .option('--status <status>', 'pending, in_progress, completed, failed or cancelled')
      .option('--user <id>', 'runs on this organization user')
      .option('--limit <n>', 'page size (default 50)')
      .option('--cursor <cursor>', 'the nextCursor of the previous page'),
  ).action(
    async (
      opts: CommonOptions & {
        kind?: string;
        status?: string;
        user?: string;
        limit?: string;
        cursor?: string;
      },
    ) => {
      const out = makeOutput(Boolean(opts.json));
      const filter = {
        ...(opts.kind ? { kind: opts.kind } : {}),
        ...(opts.status ? { status: opts.status } : {}),
        ...(opts.user ? { userId: opts.user } : {}),
        ...(opts.limit ? { limit: Number(opts.limit) } : {}),
        ...(opts.cursor ? { cursor: opts.cursor } : {}),
      };
      await withLifecycle(out, opts, async (_helios, scope) => {
        const page = await scope.lifecycle.runs.list(filter as never);
        const human =
          page.items.length === 0 ? 'No lifecycle runs' : page.items.map(runListLine).join('\n');
        out.result(page, page.nextCursor ? `${human}\nmore: --cursor ${page.nextCursor}` : human);
        return LIFECYCLE_EXIT.ok;
      });
    },
  );

  withCommonOptions(
    lifecycle
      .command('run')
      .description('one run: its steps (state, call, error) and its journal')
      .argument('<id>', 'the run id'),
  ).action(async (id: string, opts: CommonOptions) => {
    const out = makeOutput(Boolean(opts.json));
    await withLifecycle(out, opts, async (_helios, scope) => {
      const run = await scope.lifecycle.runs.get(id);
      out.result(run, describeRun(run));
      return LIFECYCLE_EXIT.ok;
    });
  });

  withCommonOptions(
    lifecycle
      .command('resume')
      .description(
        'run again the failed and never-run steps of a run with failed steps, with its progress (exit 1: a step failed again)',
      )
      .argument('<id>', 'the run id'),
  ).action(async (id: string, opts: CommonOptions) => {
    const out = makeOutput(Boolean(opts.json));
    const json = Boolean(opts.json);
    await withLifecycle(out, opts, async (helios, scope) => {
      // What resume re-opens: the failed steps and those never run (waiting on them, or planned);
      // counted before, as after it some wait again on their dependencies and a later-dated step
      // is queued too.
      const reopened = (await scope.lifecycle.runs.get(id)).steps.filter((s) =>
        ['failed', 'waiting', 'planned'].includes(s.state),
      ).length;
      const resumed = await scope.lifecycle.runs.resume(id);
      if (!json)
        process.stdout.write(`Run ${resumed.id} resumed (${reopened} step(s) to run again)\n`);
      const run = await follow(helios, scope, out, json, resumed, true);
      out.result(run, describeRunEnd(run));
      return exitOf(run);
    });
  });
}

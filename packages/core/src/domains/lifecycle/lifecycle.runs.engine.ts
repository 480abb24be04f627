/**
 * The run engine: a run is a `scheduled_user_actions` row (onboard | offboard) whose
 * `action_config` holds the plan and each step's state; each step is its own job
 * (`lifecycle.run-step`, job key `lifecycle-run:<run>:<step>`).
 *
 * - Claim (one short transaction, the run's row locked): the step moves `queued -> running` only
 *   from `queued` (or `running` claimed by the same job, retried after a crash), so two workers
 *   never run a step twice; journaled `started`.
 * - The call, outside any transaction.
 * - Record (one short transaction, the row locked): `succeeded` with what changed, or a retry of a
 *   transient error with backoff (a few attempts), else `failed` with the explained error; the
 *   dependants whose dependencies all went through are queued, those of a failed step wait. The
 *   run's counters and status follow (completed when every step succeeded or was skipped, failed
 *   when the rest waits on a failure), and so do its request and the request's system tasks.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { isHeliosError } from '../../errors';
import type { HeliosScope } from '../../helios';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { isPermanentFailure } from '../integrations';
import { bindJobs, enqueueJobs, type JobInfo } from '../jobs';
import { enqueueDependents } from '../scheduled-actions';
import { executeStep, type StepOutcome } from './lifecycle.runs.execute';
import type { LifecyclePlan, RunStep } from './lifecycle.runs.schema';

/** The task that runs one step. */
export const RUN_STEP_TASK = 'lifecycle.run-step';
/** Attempts of a step that fails with a transient error. */
export const MAX_STEP_ATTEMPTS = 3;
/** The `action_config.engine` of a lifecycle run. */
export const ENGINE = 'lifecycle-run';

type RunRow = Row<'scheduled_user_actions'>;

/** What `action_config` holds. */
export interface RunConfig {
  engine: typeof ENGINE;
  plan: Omit<LifecyclePlan, 'steps'>;
  /** `jobId`: the job that claimed a running step; `claimedAt`: when (the sweep's lease). */
  steps: Array<RunStep & { jobId?: string | null; claimedAt?: string | null }>;
  started: boolean;
}

/** The code and message of an error, and whether retrying may help. */
export function explain(error: unknown): {
  code: string | null;
  message: string;
  permanent: boolean;
} {
  if (isHeliosError(error))
    return {
      code: error.code,
      message: error.message,
      permanent: isPermanentFailure(error),
    };
  return {
    code: null,
    message: error instanceof Error ? error.message : String(error),
    permanent: true,
  };
}

/** The run's configuration, or null when the row is not an engine run. */
export function configOf(row: Pick<RunRow, 'action_config'>): RunConfig | null {
  const c = row.action_config as RunConfig | null;
  return c && c.engine === ENGINE ? c : null;
}

/** The job key of a step. */
export const stepJobKey = (runId: string, stepId: string) => `lifecycle-run:${runId}:${stepId}`;

/**
 * Queues the job of a step on `db` (with its transaction on PostgreSQL), not before `notBefore`.
 * `priority` (smaller first): the steps of runs further along go before the first steps of runs
 * just applied, so started runs finish first instead of every run advancing breadth-first.
 */
export async function enqueueStep(
  rt: ServiceRuntime,
  db: Kysely<Database>,
  runId: string,
  stepId: string,
  notBefore: Date | null,
  priority = 0,
): Promise<void> {
  await enqueueJobs({ ...rt, db } as ServiceRuntime, [
    stepJob(rt, runId, stepId, notBefore, priority),
  ]);
}

/** The job of a step (see `enqueueStep`). */
function stepJob(
  rt: ServiceRuntime,
  runId: string,
  stepId: string,
  notBefore: Date | null,
  priority: number,
) {
  const delay = notBefore ? notBefore.getTime() - rt.clock.now().getTime() : 0;
  // graphile-worker compares run_at with PostgreSQL's now(), the in-process queue with the Helios clock.
  const runAt =
    delay <= 0
      ? undefined
      : bindJobs(rt).backend === 'postgres'
        ? new Date(Date.now() + delay)
        : notBefore;
  return {
    task: RUN_STEP_TASK,
    payload: { runId, stepId },
    options: { jobKey: stepJobKey(runId, stepId), priority, ...(runAt ? { runAt } : {}) },
  };
}

type JournalStatus = 'started' | 'succeeded' | 'failed' | 'skipped';
interface JournalExtra {
  details?: Record<string, unknown>;
  error?: string | null;
  durationMs?: number | null;
  userId?: string | null;
}

/** One journal row (`user_lifecycle_logs`, action_id = the run). */
export async function journal(
  s: Pick<OperationScope, 'db' | 'organizationId' | 'now'>,
  row: Pick<RunRow, 'id' | 'user_id'>,
  step: Pick<RunStep, 'id' | 'kind' | 'platform' | 'call'>,
  status: JournalStatus,
  extra: JournalExtra = {},
): Promise<void> {
  await journalRows(s, row, [{ step, status, extra }]);
}

/**
 * Journal rows in one insert, in the order given, after anything journaled before (a millisecond
 * apart, so they stay in order even when the clock stands still, as in tests).
 */
async function journalRows(
  s: Pick<OperationScope, 'db' | 'organizationId' | 'now'>,
  row: Pick<RunRow, 'id' | 'user_id'>,
  entries: Array<{
    step: Pick<RunStep, 'id' | 'kind' | 'platform' | 'call'>;
    status: JournalStatus;
    extra: JournalExtra;
  }>,
): Promise<void> {
  if (entries.length === 0) return;
  await s.db
    .insertInto('user_lifecycle_logs')
    .values(
      entries.map(({ step, status, extra }, i) => ({
        organization_id: s.organizationId,
        user_id: extra.userId ?? row.user_id,
        action_id: row.id,
        step_name: step.id.slice(0, 100),
        step_type: step.kind.slice(0, 50),
        status,
        details: JSON.stringify({
          platform: step.platform,
          operation: step.call?.operation ?? null,
          ...extra.details,
        }) as never,
        error_message: extra.error ?? null,
        duration_ms: extra.durationMs ?? null,
        created_at: sql<Date>`greatest(${s.now}::timestamptz, (select max(created_at) + interval '1 millisecond' from user_lifecycle_logs where action_id = ${row.id})) + ${i} * interval '1 millisecond'`,
      })),
    )
    .execute();
}

async function lockRun(s: OperationScope, runId: string): Promise<RunRow | undefined> {
  const row = await s.db
    .selectFrom('scheduled_user_actions')
    .selectAll()
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', runId)
    .forUpdate()
    .executeTakeFirst();
  const cfg = row ? configOf(row) : null;
  if (cfg) remember(cfg);
  return row;
}

/**
 * The JSON of each step (and of the rest) of a config as read from its locked row: `settle` then
 * writes back only the steps that changed (`jsonb_set`), not the whole plan (tens of kilobytes a
 * run) on every claim and record.
 */
const READ = new WeakMap<RunConfig, { head: string; steps: string[] }>();
const headOf = (cfg: RunConfig) => JSON.stringify({ ...cfg, steps: null });
function remember(cfg: RunConfig): void {
  READ.set(cfg, { head: headOf(cfg), steps: cfg.steps.map((st) => JSON.stringify(st)) });
}

/** The new `action_config`: the read one with the changed steps set, or the whole config. */
function configValue(cfg: RunConfig) {
  const read = READ.get(cfg);
  if (!read || read.steps.length !== cfg.steps.length || read.head !== headOf(cfg)) {
    remember(cfg);
    return sql<unknown>`${JSON.stringify(cfg)}::jsonb`;
  }
  let value = sql<unknown>`action_config`;
  cfg.steps.forEach((step, i) => {
    const json = JSON.stringify(step);
    if (json === read.steps[i]) return;
    value = sql<unknown>`jsonb_set(${value}, ${`{steps,${i}}`}::text[], ${json}::jsonb)`;
    read.steps[i] = json;
  });
  return value;
}

const DONE = new Set(['succeeded', 'skipped']);
/** What an `after` step may be in for the step to go: finished, whatever the outcome (a waiting step will not run until a resume). */
const FINISHED = new Set(['succeeded', 'skipped', 'failed', 'waiting']);

/** Depth first: the more steps of the run went through, the sooner its next ones run (smaller first). */
const progressPriority = (cfg: RunConfig) =>
  -Math.min(1000, cfg.steps.filter((st) => DONE.has(st.state)).length);

/**
 * Queues every step whose dependencies all went through and whose `after` steps all finished; a
 * step behind a failed dependency waits.
 */
async function queueReady(
  rt: ServiceRuntime,
  s: OperationScope,
  row: RunRow,
  cfg: RunConfig,
): Promise<void> {
  const byId = new Map(cfg.steps.map((st) => [st.id, st]));
  const priority = progressPriority(cfg);
  const jobs: Array<ReturnType<typeof stepJob>> = [];
  let moved = true;
  while (moved) {
    moved = false;
    for (const step of cfg.steps) {
      if (step.state !== 'planned' && step.state !== 'waiting') continue;
      const deps = step.dependsOn.map((d) => byId.get(d)?.state ?? 'skipped');
      const before = (step.after ?? []).map((d) => byId.get(d)?.state ?? 'skipped');
      if (deps.every((d) => DONE.has(d)) && before.every((d) => FINISHED.has(d))) {
        step.state = 'queued';
        jobs.push(
          stepJob(rt, row.id, step.id, step.notBefore ? new Date(step.notBefore) : null, priority),
        );
      } else if (deps.some((d) => d === 'failed' || d === 'waiting') && step.state !== 'waiting') {
        step.state = 'waiting';
        moved = true;
      }
    }
  }
  // One statement for them all (a run's first steps are a dozen or more).
  await enqueueJobs({ ...rt, db: s.db } as ServiceRuntime, jobs);
}

/** Writes the config and the row's counters and status; the request and its tasks follow. */
async function settle(
  rt: ServiceRuntime,
  s: OperationScope,
  row: RunRow,
  cfg: RunConfig,
  changedStep: RunStep | null,
  options: { returnRow?: boolean } = {},
): Promise<RunRow> {
  const steps = cfg.steps;
  const done = steps.filter((st) => DONE.has(st.state)).length;
  // Planned steps have not run yet: the run is not over while any is left.
  const active = steps.some(
    (st) => st.state === 'queued' || st.state === 'running' || st.state === 'planned',
  );
  const failed = steps.filter((st) => st.state === 'failed');
  const waiting = steps.filter((st) => st.state === 'waiting');
  const running = steps.find((st) => st.state === 'running');
  let status = row.status ?? 'in_progress';
  let completedAt: Date | null = null;
  let errorMessage: string | null = null;
  if (!active) {
    status = failed.length > 0 || waiting.length > 0 ? 'failed' : 'completed';
    completedAt = s.now;
    if (status === 'failed')
      errorMessage = `${failed.length} step(s) failed (${failed
        .map((st) => `${st.id}: ${st.error?.message ?? 'failed'}`)
        .join('; ')
        .slice(0, 900)})${waiting.length > 0 ? `, ${waiting.length} waiting on them` : ''}`;
  }
  const update = s.db
    .updateTable('scheduled_user_actions')
    .set({
      action_config: configValue(cfg) as never,
      total_steps: steps.length,
      completed_steps: done,
      current_step: running?.id.slice(0, 100) ?? null,
      status,
      completed_at: completedAt,
      error_message: errorMessage,
      error_details: errorMessage
        ? (JSON.stringify({ failed: failed.map((st) => ({ step: st.id, ...st.error })) }) as never)
        : null,
      updated_at: s.now,
    })
    .where('id', '=', row.id);
  // The row is returned only to a caller that shows it (its config is tens of kilobytes).
  let updated = row;
  if (options.returnRow) updated = await update.returningAll().executeTakeFirstOrThrow();
  else await update.execute();
  // The run ended: scheduled actions that depend on it may run (or fail) now.
  if (!active && row.status !== status) await enqueueDependents(rt, s, row.id);
  await followTasks(s, row, cfg, changedStep);
  return updated;
}

/** The request's system task of the changed step's kind: completed once all its steps went through, or noted failed. */
async function followTasks(
  s: OperationScope,
  row: RunRow,
  cfg: RunConfig,
  changedStep: RunStep | null,
): Promise<void> {
  const steps = cfg.steps;
  const requestId = cfg.plan.requestId;
  if (requestId && changedStep?.taskAction) {
    const same = steps.filter((st) => st.taskAction === changedStep.taskAction);
    const tasks = s.db
      .updateTable('lifecycle_tasks')
      .where('organization_id', '=', s.organizationId)
      .where('request_id', '=', requestId)
      .where('assignee_type', '=', 'system')
      .where('action_type', '=', changedStep.taskAction)
      .where('status', 'in', ['pending', 'in_progress']);
    if (same.every((st) => DONE.has(st.state)) && same.some((st) => st.state === 'succeeded')) {
      await tasks
        .set({
          status: 'completed',
          completed_at: s.now,
          completion_notes: `Done by lifecycle run ${row.id}`,
          updated_at: s.now,
        })
        .execute();
    } else if (changedStep.state === 'failed') {
      await tasks
        .set({
          completion_notes:
            `Lifecycle run ${row.id}: step ${changedStep.id} failed: ${changedStep.error?.message ?? ''}`.slice(
              0,
              2000,
            ),
          updated_at: s.now,
        })
        .execute();
    }
  }
}

/**
 * Starts a stored run (in_progress): journals the skipped steps once, moves its request to
 * in_progress, queues the steps that can run; a run with nothing to do completes at once.
 */
export async function startRun(
  rt: ServiceRuntime,
  s: OperationScope,
  row: RunRow,
  cfg: RunConfig,
): Promise<RunRow> {
  if (!cfg.started) {
    cfg.started = true;
    await journalRows(
      s,
      row,
      cfg.steps
        .filter((st) => st.state === 'skipped')
        .map((step) => ({
          step,
          status: 'skipped' as const,
          extra: { details: { reason: step.skipReason }, durationMs: 0 },
        })),
    );
    if (cfg.plan.requestId)
      await s.db
        .updateTable('user_requests')
        .set({ status: 'in_progress', updated_at: s.now })
        .where('organization_id', '=', s.organizationId)
        .where('id', '=', cfg.plan.requestId)
        .where('status', '=', 'approved')
        .execute();
    const followed = new Set<string>();
    for (const step of cfg.steps)
      if (step.state === 'skipped' && step.taskAction && !followed.has(step.taskAction)) {
        followed.add(step.taskAction);
        await followTasks(s, row, cfg, step);
      }
  }
  await queueReady(rt, s, row, cfg);
  return settle(rt, s, row, cfg, null, { returnRow: true });
}

/** A claimed step and the outputs of the steps before. */
interface Claimed {
  step: RunStep;
  outputs: Map<string, string | null>;
}

async function claim(
  rt: ServiceRuntime,
  runId: string,
  stepId: string,
  job: JobInfo | null,
): Promise<Claimed | null> {
  return rt.write(undefined, async (s) => {
    const row = await lockRun(s, runId);
    const cfg = row ? configOf(row) : null;
    if (!row || !cfg || row.status !== 'in_progress') return null;
    const step = cfg.steps.find((st) => st.id === stepId);
    if (!step) return null;
    const takeover = step.state === 'running' && job !== null && step.jobId === job.id;
    if (step.state !== 'queued' && !takeover) return null;
    if (step.notBefore && new Date(step.notBefore) > s.now) {
      await enqueueStep(rt, s.db, row.id, step.id, new Date(step.notBefore));
      return null;
    }
    step.state = 'running';
    step.attempts += 1;
    step.jobId = job?.id ?? null;
    (step as { claimedAt?: string }).claimedAt = s.now.toISOString();
    await journal(s, row, step, 'started', {
      details: { attempt: step.attempts, ...(takeover ? { takeover: true } : {}) },
    });
    await settle(rt, s, row, cfg, null);
    return {
      step,
      outputs: new Map(cfg.steps.map((st) => [st.id, st.output])),
    };
  });
}

/** Backoff before attempt n+1 of a step, in milliseconds. */
export const stepRetryDelayMs = (attempt: number) => 2_000 * 4 ** (attempt - 1);

async function record(
  rt: ServiceRuntime,
  runId: string,
  stepId: string,
  outcome: { ok: StepOutcome } | { error: unknown },
  durationMs: number,
): Promise<void> {
  await rt.write(undefined, async (s) => {
    const row = await lockRun(s, runId);
    const cfg = row ? configOf(row) : null;
    const step = cfg?.steps.find((st) => st.id === stepId);
    if (!row || !cfg || !step || step.state !== 'running') return;
    if ('ok' in outcome) {
      step.state = 'succeeded';
      step.output = outcome.ok.output;
      step.change = outcome.ok.change;
      step.error = null;
      const createdUser = step.id === 'local.create_user' ? outcome.ok.output : null;
      await journal(s, row, step, 'succeeded', {
        details: { change: outcome.ok.change },
        durationMs,
        ...(createdUser ? { userId: createdUser } : {}),
      });
      if (createdUser) {
        cfg.plan.userId = createdUser;
        await s.db
          .updateTable('scheduled_user_actions')
          .set({ user_id: createdUser })
          .where('id', '=', row.id)
          .execute();
        row.user_id = createdUser;
        if (cfg.plan.requestId)
          await s.db
            .updateTable('user_requests')
            .set({ user_id: createdUser, updated_at: s.now })
            .where('id', '=', cfg.plan.requestId)
            .where('user_id', 'is', null)
            .execute();
      }
    } else {
      const info = explain(outcome.error);
      step.error = { code: info.code, message: info.message };
      const retry = !info.permanent && step.attempts < MAX_STEP_ATTEMPTS;
      await journal(s, row, step, 'failed', {
        details: {
          error: { code: info.code, message: info.message },
          attempt: step.attempts,
          ...(retry ? { retryInMs: stepRetryDelayMs(step.attempts) } : {}),
        },
        error: info.message,
        durationMs,
      });
      if (retry) {
        step.state = 'queued';
        await enqueueStep(
          rt,
          s.db,
          row.id,
          step.id,
          new Date(s.now.getTime() + stepRetryDelayMs(step.attempts)),
          // A retry keeps its run's place (not behind every job queued meanwhile).
          progressPriority(cfg),
        );
      } else step.state = 'failed';
    }
    await queueReady(rt, s, row, cfg);
    await settle(rt, s, row, cfg, step);
  });
}

/** Runs one step of a run if it is queued (the body of the `lifecycle.run-step` task). */
export async function runStep(
  rt: ServiceRuntime,
  scope: HeliosScope,
  runId: string,
  stepId: string,
  job: JobInfo | null,
): Promise<void> {
  const claimed = await claim(rt, runId, stepId, job);
  if (!claimed) return;
  const started = Date.now();
  let outcome: { ok: StepOutcome } | { error: unknown };
  try {
    outcome = { ok: await executeStep(scope, claimed.step, claimed.outputs) };
  } catch (error) {
    outcome = { error };
  }
  await record(rt, runId, stepId, outcome, Date.now() - started);
}

/**
 * Re-opens a run: failed and never-run steps (failed, waiting, planned) go back to planned and
 * are queued when their dependencies went through; succeeded and skipped steps are left alone.
 * Returns null when nothing is left to do.
 */
export async function reopenRun(
  rt: ServiceRuntime,
  s: OperationScope,
  row: RunRow,
  cfg: RunConfig,
): Promise<RunRow | null> {
  let reopened = 0;
  for (const step of cfg.steps) {
    if (step.state === 'failed' || step.state === 'waiting' || step.state === 'planned') {
      step.state = 'planned';
      step.attempts = 0;
      reopened += 1;
    }
  }
  if (reopened === 0) return null;
  await s.db
    .updateTable('scheduled_user_actions')
    .set({ status: 'in_progress', completed_at: null, error_message: null, error_details: null })
    .where('id', '=', row.id)
    .execute();
  row.status = 'in_progress';
  await queueReady(rt, s, row, cfg);
  return settle(rt, s, row, cfg, null, { returnRow: true });
}

/**
 * The sweep of one run (see lifecycle.runs.sweep.ts): a `running` step claimed before `staleBefore`
 * (its worker died) goes back to `queued`, and every due `queued` step gets its job again (job
 * keys: a step whose job exists is not queued twice, and claiming is idempotent). Returns the ids
 * of the steps re-queued or taken over.
 */
export async function sweepRun(
  rt: ServiceRuntime,
  s: OperationScope,
  runId: string,
  staleBefore: Date,
): Promise<{ requeued: string[]; retaken: string[] }> {
  const row = await lockRun(s, runId);
  const cfg = row ? configOf(row) : null;
  const out = { requeued: [] as string[], retaken: [] as string[] };
  if (!row || !cfg || row.status !== 'in_progress') return out;
  for (const step of cfg.steps) {
    if (step.state === 'running') {
      const claimedAt = step.claimedAt ? new Date(step.claimedAt) : null;
      if (claimedAt && claimedAt >= staleBefore) continue;
      step.state = 'queued';
      step.jobId = null;
      step.claimedAt = null;
      await journal(s, row, step, 'failed', {
        error: 'The worker running this step stopped: taken over by the sweep',
        details: { platform: step.platform, takeover: true },
      });
      await enqueueStep(rt, s.db, row.id, step.id, null);
      out.retaken.push(step.id);
    } else if (step.state === 'queued') {
      if (step.notBefore && new Date(step.notBefore) > s.now) continue;
      await enqueueStep(rt, s.db, row.id, step.id, null);
      out.requeued.push(step.id);
    }
  }
  if (out.retaken.length > 0) await settle(rt, s, row, cfg, null);
  return out;
}

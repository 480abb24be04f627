/**
 * How `helios lifecycle` shows plans, runs and their progress: one line per step (its platform, the
 * exact call and why, or why it is skipped), a progress bar on a terminal while a run goes, and a
 * plain line per step as it succeeds, fails or is skipped.
 */
import type {
  LifecyclePlan,
  LifecycleRun,
  LifecycleRunWithJournal,
  PlannedStep,
  RunStep,
  RunStepState,
  StepCall,
} from '@helios/core';

const iso = (value: Date | string | null | undefined) =>
  value == null ? '-' : value instanceof Date ? value.toISOString() : String(value);

/** An argument as the plan shows it: a reference to an earlier step's output as `<step id>`. */
function showArg(value: unknown): string {
  const text = JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && typeof (v as { $ref?: unknown }).$ref === 'string'
      ? `<${(v as { $ref: string }).$ref}>`
      : v,
  );
  return text === undefined ? String(value) : text;
}

/** `operation(arg, arg)`, then ` then operation(...)`, cut at `max` characters. */
export function describeCall(call: StepCall | null, max = 400): string {
  if (!call) return '-';
  const one = (c: { operation: string; args: unknown[] }) =>
    `${c.operation}(${c.args.map(showArg).join(', ')})`;
  const text = call.andThen ? `${one(call)} then ${one(call.andThen)}` : one(call);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

const KIND = { onboard: 'Onboarding', offboard: 'Offboarding' } as const;

/** The plan as numbered steps: platform, call and reason, or why it is skipped. */
export function describePlan(plan: LifecyclePlan): string {
  const planned = plan.steps.filter((s) => s.state === 'planned').length;
  const lines = [
    `${KIND[plan.kind]} plan for ${plan.email} (nothing written): ${planned} step(s) to run, ${plan.steps.length - planned} skipped`,
    `  template ${plan.templateId ?? 'none'}${plan.requestId ? `, request ${plan.requestId}` : ''}${plan.userId ? `, user ${plan.userId}` : ''}`,
  ];
  plan.steps.forEach((step: PlannedStep, i) => {
    const n = `${i + 1}.`.padStart(4);
    lines.push(`${n} ${step.platform.padEnd(9)} ${step.id}`);
    if (step.state === 'skipped') lines.push(`       ${step.skipReason ?? 'skipped'}`);
    else {
      lines.push(`       call  ${describeCall(step.call)}`);
      lines.push(`       why   ${step.reason}`);
      if (step.dependsOn.length > 0) lines.push(`       after ${step.dependsOn.join(', ')}`);
      if (step.notBefore) lines.push(`       not before ${step.notBefore}`);
    }
  });
  return lines.join('\n');
}

/** Steps in a final state. */
export const FINAL_STEP_STATES: ReadonlySet<RunStepState> = new Set<RunStepState>([
  'succeeded',
  'failed',
  'skipped',
]);

/** The line of one step as it ended (or stands). */
export function stepLine(step: RunStep): string {
  const mark =
    step.state === 'succeeded'
      ? 'ok  '
      : step.state === 'failed'
        ? 'FAIL'
        : step.state === 'skipped'
          ? 'skip'
          : '... ';
  const detail =
    step.state === 'failed'
      ? `${step.error?.message ?? 'failed'}${step.error?.code ? ` [${step.error.code}]` : ''}`
      : step.state === 'skipped'
        ? (step.skipReason ?? 'skipped')
        : step.state === 'succeeded'
          ? step.change?.changed === false
            ? 'no change (already so)'
            : `changed${step.change?.items?.length ? `: ${step.change.items.join(', ').slice(0, 120)}` : ''}`
          : `${step.state}${step.notBefore ? ` (not before ${step.notBefore})` : ''}`;
  return `  ${mark} ${step.id.padEnd(36)} ${detail}`;
}

/** How the run ended, with the failed steps named. */
export function describeRunEnd(run: LifecycleRun): string {
  const by = (state: string) => run.steps.filter((s) => s.state === state);
  const failed = by('failed');
  const head =
    run.status === 'completed'
      ? `Run ${run.id} completed: ${by('succeeded').length} succeeded, ${by('skipped').length} skipped`
      : run.status === 'failed'
        ? `Run ${run.id} failed: ${failed.length} step(s) failed (${failed.map((s) => s.id).join(', ')}), ${by('succeeded').length} succeeded, ${by('skipped').length} skipped, ${by('waiting').length} waiting on a failed step`
        : run.status === 'pending'
          ? `Run ${run.id} scheduled for ${iso(run.scheduledFor)}: a worker (helios serve or helios worker) starts it then`
          : `Run ${run.id} ${run.status}: ${run.completedSteps}/${run.totalSteps} steps done`;
  const lines = [head];
  if (run.status === 'failed')
    lines.push(`resume it when fixed: helios lifecycle resume ${run.id}`);
  return lines.join('\n');
}

/** A run in detail: the row, each step, then the journal. */
export function describeRun(run: LifecycleRunWithJournal): string {
  const rows: [string, string][] = [
    ['id', run.id],
    ['kind', run.kind],
    ['status', run.status],
    ['email', run.email],
    ['user', run.userId ?? '-'],
    ['template', run.templateId ?? '-'],
    ['request', run.requestId ?? '-'],
    ['scheduled', iso(run.scheduledFor)],
    ['started', iso(run.startedAt)],
    ['completed', iso(run.completedAt)],
    ['progress', `${run.completedSteps}/${run.totalSteps}`],
  ];
  if (run.errorMessage) rows.push(['error', run.errorMessage]);
  const lines = rows.map(([k, v]) => `${k.padEnd(10)} ${v}`);
  lines.push('steps:');
  for (const step of run.steps) {
    lines.push(stepLine(step));
    if (step.call) lines.push(`       call ${describeCall(step.call)}`);
  }
  lines.push('journal:');
  for (const entry of run.journal)
    lines.push(
      `  ${iso(entry.createdAt)} ${entry.status.padEnd(9)} ${entry.stepId}${entry.errorMessage ? `: ${entry.errorMessage}` : ''}`,
    );
  return lines.join('\n');
}

/** One line of `helios lifecycle runs`. */
export function runListLine(run: LifecycleRun): string {
  return `${run.id}  ${run.kind.padEnd(8)} ${run.status.padEnd(11)} ${`${run.completedSteps}/${run.totalSteps}`.padEnd(7)} ${iso(run.createdAt)}  ${run.email}`;
}

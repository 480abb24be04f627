/**
 * What the onboarding and offboarding planners share: the clouds as the plan sees them (connected,
 * the user's linked account) and the step builders that skip a step with its reason (template off,
 * cloud not connected, user not linked, operation not supported by the cloud).
 */
import type { HeliosScope } from '../../helios';
import type { DirectoryIntegration, DirectoryOperation } from '../integrations';
import type { PlannedStep, StepCall, StepPlatform } from './lifecycle.runs.schema';

/** A cloud as a plan sees it. */
export interface PlanCloud {
  cloud: DirectoryIntegration;
  id: 'google' | 'microsoft';
  connected: boolean;
  /** The user's account in the cloud (offboarding), null when not linked. */
  externalId: string | null;
}

/**
 * Every cloud, with whether it is connected and the user's account in it. A user linked to a cloud
 * whose credentials are stored but did not pass their test (or were never tested) counts as
 * connected there: the steps are planned and fail with the cloud's own error (resumable once the
 * credentials are fixed), instead of being skipped as "not connected" while the account stays active.
 */
export async function planClouds(scope: HeliosScope, userId: string | null): Promise<PlanCloud[]> {
  const out: PlanCloud[] = [];
  for (const cloud of scope.integrations.all()) {
    let connected = await cloud.isConnected();
    const reachable = connected || (userId !== null && (await cloud.hasCredentials()));
    const externalId = reachable && userId ? await cloud.externalUserId(userId) : null;
    if (externalId) connected = true;
    out.push({ cloud, id: cloud.id, connected, externalId });
  }
  return out;
}

/** Collects the steps of a plan. */
export class PlanBuilder {
  readonly steps: PlannedStep[] = [];

  /** A step that will run. */
  add(
    id: string,
    kind: string,
    platform: StepPlatform,
    reason: string,
    call: StepCall,
    dependsOn: string[] = [],
    extra: Pick<PlannedStep, 'notBefore' | 'taskAction' | 'after'> = {},
  ): PlannedStep {
    // A step named that the plan does not have (not planned, or skipped) holds nothing back.
    const known = (ids: string[]) =>
      ids.filter((d) => this.steps.some((s) => s.id === d && s.state === 'planned'));
    const { after, ...rest } = extra;
    const order = known(after ?? []);
    const step: PlannedStep = {
      id,
      kind,
      platform,
      call,
      reason,
      dependsOn: dependsOn.filter((d) => this.steps.some((s) => s.id === d)),
      ...(order.length > 0 ? { after: order } : {}),
      state: 'planned',
      skipReason: null,
      ...rest,
    };
    this.steps.push(step);
    return step;
  }

  /** A step that will not run, and why. */
  skip(
    id: string,
    kind: string,
    platform: StepPlatform,
    reason: string,
    skipReason: string,
    extra: Pick<PlannedStep, 'taskAction'> & { notBefore?: string; after?: string[] } = {},
  ): PlannedStep {
    const step: PlannedStep = {
      id,
      kind,
      platform,
      call: null,
      reason,
      dependsOn: [],
      state: 'skipped',
      skipReason,
      ...(extra.notBefore ? { notBefore: extra.notBefore } : {}),
      ...(extra.taskAction ? { taskAction: extra.taskAction } : {}),
    };
    this.steps.push(step);
    return step;
  }

  /**
   * A cloud step: skipped when the cloud is not connected, the user has no account there (`linked`
   * false), or the cloud does not support one of `ops`; else planned with `call`.
   */
  cloud(
    c: PlanCloud,
    linked: boolean,
    id: string,
    kind: string,
    reason: string,
    ops: DirectoryOperation[],
    call: () => StepCall,
    dependsOn: string[] = [],
    extra: Pick<PlannedStep, 'notBefore' | 'taskAction' | 'after'> = {},
  ): PlannedStep {
    const full = `${c.id}.${id}`;
    const name = c.cloud.displayName;
    if (!c.connected)
      return this.skip(full, kind, c.id, reason, `skipped: ${name} is not connected`, extra);
    if (!linked)
      return this.skip(
        full,
        kind,
        c.id,
        reason,
        `skipped: the user has no ${name} account linked`,
        extra,
      );
    const missing = ops.filter((op) => !c.cloud.supports.has(op));
    if (missing.length > 0)
      return this.skip(
        full,
        kind,
        c.id,
        reason,
        `skipped: ${name} does not support ${missing.join(', ')} yet`,
        extra,
      );
    // A dependency that is skipped does not hold the step back; one that is absent is dropped.
    return this.add(full, kind, c.id, reason, call(), dependsOn, extra);
  }
}

/** A reference to an earlier step's output. */
export const ref = (stepId: string) => ({ $ref: stepId });

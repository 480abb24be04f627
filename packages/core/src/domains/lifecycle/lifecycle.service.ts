/**
 * `helios.lifecycle`: the namespace of the lifecycle services (templates, requests, the tasks queue
 * and its dashboard).
 */
import type { ServiceRuntime } from '../../runtime';
import type { LifecycleDashboardService } from './lifecycle.dashboard';
import {
  createLifecycleRequestsService,
  type LifecycleRequestsDeps,
  type LifecycleRequestsService,
} from './lifecycle.requests';
import type { LifecycleRunOperations, LifecycleRunsService } from './lifecycle.runs';
import type { OffboardInput, OnboardInput } from './lifecycle.runs.schema';
import type { LifecycleTasksService } from './lifecycle.tasks';
import {
  createLifecycleTemplatesService,
  type LifecycleTemplatesService,
} from './lifecycle.templates';

/** The lifecycle services of one scope. */
export interface LifecycleServices {
  /** Onboarding and offboarding templates, and the tasks their timelines generate. */
  readonly templates: LifecycleTemplatesService;
  /** Onboarding, offboarding and transfer requests with approval. */
  readonly requests: LifecycleRequestsService;
  /** The HR queue: my tasks, start / complete / skip, hr/it pool members, reminders. */
  readonly tasks: LifecycleTasksService;
  /** Active onboardings, tasks needing attention, my team, my task counters. */
  readonly dashboard: LifecycleDashboardService;
  /** Onboarding runs: plan (nothing written), apply (each step a job). */
  readonly onboard: LifecycleRunOperations<OnboardInput>;
  /** Offboarding runs: plan (nothing written), apply (each step a job). */
  readonly offboard: LifecycleRunOperations<OffboardInput>;
  /** The runs: get with the journal, list, resume. */
  readonly runs: LifecycleRunsService;
}

/** Builds `helios.lifecycle.templates`. */
export function createTemplatesService(rt: ServiceRuntime): LifecycleTemplatesService {
  return createLifecycleTemplatesService(rt);
}

/** Builds `helios.lifecycle.requests`. */
export function createRequestsService(
  rt: ServiceRuntime,
  deps: LifecycleRequestsDeps,
): LifecycleRequestsService {
  return createLifecycleRequestsService(rt, deps);
}

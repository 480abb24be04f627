/**
 * `helios.lifecycle`: the namespace of the lifecycle services (templates and requests here; the
 * tasks queue and dashboards are added beside them).
 */
import type { ServiceRuntime } from '../../runtime';
import {
  createLifecycleRequestsService,
  type LifecycleRequestsDeps,
  type LifecycleRequestsService,
} from './lifecycle.requests';
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

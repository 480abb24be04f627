/**
 * Runs one scheduled action (the `scheduled-actions.run` task). Skeleton: filled in next.
 */
import type { HeliosScope } from '../../helios';
import type { ServiceRuntime } from '../../runtime';
import type { JobInfo } from '../jobs';
import type { ScheduledAction } from './scheduled-actions.model';

/** Claims and runs the action `actionId` if it may run now; returns it as it ended, or null when it did not run. */
export async function runScheduledAction(
  _rt: ServiceRuntime,
  _scope: HeliosScope | null,
  _actionId: string,
  _job: JobInfo | null,
): Promise<ScheduledAction | null> {
  return null;
}

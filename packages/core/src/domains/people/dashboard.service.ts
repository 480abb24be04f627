import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface DashboardService {}

/** (to be written) */
export function createDashboardService(_rt: ServiceRuntime): DashboardService {
  return {};
}

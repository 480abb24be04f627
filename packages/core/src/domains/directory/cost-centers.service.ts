import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface CostCentersService {}

/** (to be written) */
export function createCostCentersService(_rt: ServiceRuntime): CostCentersService {
  return {};
}

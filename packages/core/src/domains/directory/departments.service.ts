import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface DepartmentsService {}

/** (to be written) */
export function createDepartmentsService(_rt: ServiceRuntime): DepartmentsService {
  return {};
}

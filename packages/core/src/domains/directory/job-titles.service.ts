import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface JobTitlesService {}

/** (to be written) */
export function createJobTitlesService(_rt: ServiceRuntime): JobTitlesService {
  return {};
}

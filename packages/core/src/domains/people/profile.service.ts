import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface ProfileService {}

/** (to be written) */
export function createProfileService(_rt: ServiceRuntime): ProfileService {
  return {};
}

import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface LocationsService {}

/** (to be written) */
export function createLocationsService(_rt: ServiceRuntime): LocationsService {
  return {};
}

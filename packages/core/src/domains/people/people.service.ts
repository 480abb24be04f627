import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface PeopleService {}

/** (to be written) */
export function createPeopleService(_rt: ServiceRuntime): PeopleService {
  return {};
}

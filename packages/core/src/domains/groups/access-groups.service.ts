import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface GroupsService {}

/** (to be written) */
export function createGroupsService(_rt: ServiceRuntime): GroupsService {
  return {};
}

import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface UserGroupsService {}

/** (to be written) */
export function createUserGroupsService(_rt: ServiceRuntime): UserGroupsService {
  return {};
}

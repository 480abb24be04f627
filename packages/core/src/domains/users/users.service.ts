import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface UsersService {}

/** (to be written) */
export function createUsersService(_rt: ServiceRuntime): UsersService {
  return {};
}

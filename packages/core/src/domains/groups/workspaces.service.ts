import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface WorkspacesService {}

/** (to be written) */
export function createWorkspacesService(_rt: ServiceRuntime): WorkspacesService {
  return {};
}

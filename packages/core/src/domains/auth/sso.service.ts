import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface SsoService {}

/** (to be written) */
export function createSsoService(_rt: ServiceRuntime): SsoService {
  return {};
}

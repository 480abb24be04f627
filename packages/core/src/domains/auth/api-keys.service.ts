import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface ApiKeysService {}

/** (to be written) */
export function createApiKeysService(_rt: ServiceRuntime): ApiKeysService {
  return {};
}

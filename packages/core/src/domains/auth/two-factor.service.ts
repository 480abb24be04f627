import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface TwoFactorService {}

/** (to be written) */
export function createTwoFactorService(_rt: ServiceRuntime): TwoFactorService {
  return {};
}

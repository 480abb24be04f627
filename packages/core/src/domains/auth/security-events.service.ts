import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface SecurityEventsService {}

/** (to be written) */
export function createSecurityEventsService(_rt: ServiceRuntime): SecurityEventsService {
  return {};
}

import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface InvitationsService {}

/** (to be written) */
export function createInvitationsService(_rt: ServiceRuntime): InvitationsService {
  return {};
}

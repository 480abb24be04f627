import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface SmtpService {}

/** (to be written) */
export function createSmtpService(_rt: ServiceRuntime): SmtpService {
  return {};
}

import type { ServiceRuntime } from '../../runtime';

/** (to be written) */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the domain's implementation
export interface CustomFieldsService {}

/** (to be written) */
export function createCustomFieldsService(_rt: ServiceRuntime): CustomFieldsService {
  return {};
}

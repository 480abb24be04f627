import type { BetterAuthPlugin } from 'better-auth';
import type { HeliosScope } from '../../helios';

/** (to be written) better-auth plugin of Helios for sso. */
export function ssoPlugin(_helios: HeliosScope): BetterAuthPlugin {
  return { id: 'helios-sso' };
}

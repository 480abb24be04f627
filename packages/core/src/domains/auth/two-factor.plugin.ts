import type { BetterAuthPlugin } from 'better-auth';
import type { HeliosScope } from '../../helios';

/** (to be written) better-auth plugin of Helios for two-factor. */
export function twoFactorPlugin(_helios: HeliosScope): BetterAuthPlugin {
  return { id: 'helios-two-factor' };
}

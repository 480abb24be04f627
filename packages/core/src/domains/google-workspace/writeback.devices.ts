/**
 * Google Workspace lifecycle write-back, part 3: the mobile wipe of an offboarding. Every mobile
 * device of the user gets `admin_account_wipe`, which removes the organization's account and its
 * data from the phone and leaves the phone itself (a personal one above all) as it was: never
 * `admin_remote_wipe`, Google's factory reset.
 *
 * Idempotent: the devices are read first (`mobiledevices.list?query=email:<address>`, every page,
 * kept only when the address is theirs, as Google's search matches loosely) and a device already
 * wiped or being wiped (`WIPING`, `WIPED`, `ACCOUNT_WIPING`, `ACCOUNT_WIPED`) is left alone, so a
 * retried step sends no wipe twice. Needs `users:write`; audited `google_workspace.mobile_wipe`
 * when a device was wiped; one scope, `admin.directory.device.mobile.action`.
 */
import { runWriteback } from '../integrations/writeback';
import type { GoogleMobileDevice } from './provider.devices';
import type { GoogleWritebackContext } from './writeback.context';
import { auditChange, emailOf, resolveUser } from './writeback.lifecycle';
import type { GoogleWritebackService } from './writeback.service';

/** The statuses of a device already wiped, or being wiped (account or full wipe). */
const WIPED = new Set(['WIPING', 'WIPED', 'ACCOUNT_WIPING', 'ACCOUNT_WIPED']);

/** Whether a device is the user's (Google's `email:` search also finds other addresses). */
const owns = (device: GoogleMobileDevice, email: string) =>
  (device.email ?? []).some((e) => e.toLowerCase() === email);

/** The mobile wipe operation. */
export function googleDeviceOperations(
  ctx: GoogleWritebackContext,
): Pick<GoogleWritebackService, 'wipeMobileDevices'> {
  const { rt } = ctx;
  return {
    wipeMobileDevices: (googleId, options) =>
      runWriteback(rt, 'googleWriteback.wipeMobileDevices', 'users:write', options, {
        async prepare(s) {
          const id = ctx.parseUserId(googleId);
          return { id, email: await emailOf(s, id) };
        },
        async call(user) {
          const google = await ctx.provider();
          const { email } = await resolveUser(google, user);
          const address = email.toLowerCase();
          const devices = (await google.listMobileDevices(`email:${address}`)).filter((d) =>
            owns(d, address),
          );
          const items: string[] = [];
          for (const device of devices) {
            if (WIPED.has(String(device.status ?? '').toUpperCase())) continue;
            await google.mobileDeviceAction(device.resourceId, 'admin_account_wipe');
            items.push(device.resourceId);
          }
          return { changed: items.length > 0, items, devices: devices.length };
        },
        async record(s, { changed, items, devices }, { id }) {
          return auditChange(
            s,
            'google_workspace.mobile_wipe',
            id,
            { changed, items },
            { devices },
          );
        },
      }),
  };
}

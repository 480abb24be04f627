/**
 * Microsoft 365 write-back of the mobile wipe of an offboarding: every mobile device (iOS, iPadOS,
 * Android) the user has enrolled in Intune is retired (`POST /deviceManagement/managedDevices/{id}/retire`),
 * which removes the organization's data, apps and management from the phone and leaves the rest of
 * it (a personal phone above all) as it was: never `wipe`, Intune's factory reset. Windows and macOS
 * computers are left to IT (they are handed back and reimaged, not retired by a run).
 *
 * Idempotent: the devices are read first (`GET /users/{id}/managedDevices`, every page) and a device
 * already going away (`managementState` `retirePending`, `retireIssued`, `wipePending`, `wipeIssued`,
 * `deletePending`, or a `retire`/`wipe` action result `pending`, `active` or `done`) is left alone,
 * so a retried step sends no retire twice. Needs `users:write`; audited `microsoft_365.mobile_wipe`
 * when a device was retired. Graph permissions DeviceManagementManagedDevices.Read.All and
 * DeviceManagementManagedDevices.PrivilegedOperations.All.
 */
import { runWriteback } from '../integrations/writeback';
import type { GraphObject } from './provider';
import type { MicrosoftWritebackContext } from './writeback.context';
import type { MicrosoftWritebackService } from './writeback.service';

/** The management states of a device already retired, wiped or deleted, or on its way. */
const GOING = new Set([
  'retirePending',
  'retireIssued',
  'wipePending',
  'wipeIssued',
  'deletePending',
]);
/** The action states of a retire or wipe that was sent and did not fail or get cancelled. */
const SENT = new Set(['pending', 'active', 'done']);

/** Whether a device runs a mobile operating system. */
export const isMobileDevice = (device: GraphObject) =>
  /^(ios|ipados|android)/i.test(String(device.operatingSystem ?? ''));

/** Whether a retire or wipe of the device was already sent (its state, or its action results). */
function alreadyGoing(device: GraphObject): boolean {
  if (GOING.has(String(device.managementState ?? ''))) return true;
  const results = Array.isArray(device.deviceActionResults) ? device.deviceActionResults : [];
  return results.some(
    (r: { actionName?: unknown; actionState?: unknown }) =>
      (r.actionName === 'retire' || r.actionName === 'wipe') && SENT.has(String(r.actionState)),
  );
}

/** The mobile wipe operation. */
export function microsoftDeviceOperations(
  ctx: MicrosoftWritebackContext,
): Pick<MicrosoftWritebackService, 'wipeMobileDevices'> {
  const { rt } = ctx;
  return {
    wipeMobileDevices: (msId, options) =>
      runWriteback(rt, 'microsoftWriteback.wipeMobileDevices', 'users:write', options, {
        prepare: (s) => ctx.prepareUser(s, msId),
        async call(row) {
          const ms = await ctx.provider();
          const devices = (await ms.listManagedDevices(row.ms_id)).filter(isMobileDevice);
          const items: string[] = [];
          for (const device of devices) {
            if (alreadyGoing(device)) continue;
            await ms.retireManagedDevice(device.id);
            items.push(device.id);
          }
          return { changed: items.length > 0, items, devices: devices.length };
        },
        async record(s, { changed, items, devices }, row) {
          if (changed)
            await s.audit({
              action: 'microsoft_365.mobile_wipe',
              resource: 'ms_synced_users',
              resourceId: row.id,
              details: { msId: row.ms_id, upn: row.upn, retired: items, devices },
            });
          return { changed, items };
        },
      }),
  };
}

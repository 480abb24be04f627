/**
 * The Intune calls of the Microsoft 365 provider (on `graphConnection`): a user's managed devices
 * (`GET /users/{id}/managedDevices`, every page; DeviceManagementManagedDevices.Read.All) and the
 * `retire` action (`POST /deviceManagement/managedDevices/{id}/retire`;
 * DeviceManagementManagedDevices.PrivilegedOperations.All), which removes the organization's data
 * and management from a device and leaves the rest of it as it was.
 */
import type { GraphObject, Microsoft365Provider } from './provider';
import { type GraphConnection, relative } from './provider.http';

/** The managed device properties read for a mobile wipe (`$select`). */
export const MS_MANAGED_DEVICE_FIELDS = [
  'id',
  'deviceName',
  'operatingSystem',
  'managementState',
  'deviceActionResults',
  'userPrincipalName',
] as const;

/** The Intune calls of the provider. */
export function deviceCalls(
  graph: GraphConnection,
): Pick<Microsoft365Provider, 'listManagedDevices' | 'retireManagedDevice'> {
  const { client, call, get, pageSize } = graph;
  return {
    async listManagedDevices(id) {
      const out: GraphObject[] = [];
      let next: string | null =
        `/users/${encodeURIComponent(id)}/managedDevices?$select=${MS_MANAGED_DEVICE_FIELDS.join(',')}&$top=${Math.min(pageSize, 100)}`;
      while (next) {
        const page: { value?: GraphObject[]; '@odata.nextLink'?: string } = await get(
          'managedDevices.list',
          next,
        );
        out.push(...(page.value ?? []));
        next = page['@odata.nextLink'] ? relative(page['@odata.nextLink']) : null;
      }
      return out;
    },
    // Not retried on failures (a retire is not sent twice), only when throttled.
    retireManagedDevice: async (deviceId) => {
      await call('managedDevices.retire', false, (signal) =>
        client
          .api(`/deviceManagement/managedDevices/${encodeURIComponent(deviceId)}/retire`)
          .option('signal', signal)
          .post({}),
      );
    },
  };
}

/**
 * The OneDrive calls of the Microsoft 365 provider (on `graphConnection`), on the user's own drive
 * (`/users/{id}/drive`): the permissions of its root and the items at its root (every page), a
 * sharing invitation on the root (`POST .../root/invite`) and the permanent deletion of an item
 * (`POST .../items/{id}/permanentDelete`, no recycle bin). Reads need Files.Read.All, writes
 * Files.ReadWrite.All.
 */
import type { GraphObject, Microsoft365Provider } from './provider';
import { type GraphConnection, relative } from './provider.http';

/** The OneDrive calls of the provider. */
export function driveCalls(
  graph: GraphConnection,
): Pick<
  Microsoft365Provider,
  'listDriveRootPermissions' | 'listDriveRootChildren' | 'inviteToDriveRoot' | 'deleteDriveItem'
> {
  const { client, call, get, pageSize } = graph;
  const drive = (id: string) => `/users/${encodeURIComponent(id)}/drive`;
  /** Every page of a list, following `@odata.nextLink`. */
  const all = async (operation: string, first: string) => {
    const out: GraphObject[] = [];
    let next: string | null = first;
    while (next) {
      const page: { value?: GraphObject[]; '@odata.nextLink'?: string } = await get(
        operation,
        next,
      );
      out.push(...(page.value ?? []));
      next = page['@odata.nextLink'] ? relative(page['@odata.nextLink']) : null;
    }
    return out;
  };
  return {
    listDriveRootPermissions: (id) => all('drive.permissions', `${drive(id)}/root/permissions`),
    listDriveRootChildren: (id) =>
      all(
        'drive.children',
        `${drive(id)}/root/children?$select=id,name,folder,file&$top=${Math.min(pageSize, 200)}`,
      ),
    // A write: retried only when throttled.
    inviteToDriveRoot: async (id, recipientId, role) => {
      const body = {
        requireSignIn: true,
        sendInvitation: false,
        roles: [role],
        recipients: [{ objectId: recipientId }],
      };
      const res: { value?: GraphObject[] } = await call('drive.invite', true, (signal) =>
        client
          .api(`${drive(id)}/root/invite`)
          .option('signal', signal)
          .post(body),
      );
      return res.value ?? [];
    },
    deleteDriveItem: async (id, itemId) => {
      await call('drive.delete', true, (signal) =>
        client
          .api(`${drive(id)}/items/${encodeURIComponent(itemId)}/permanentDelete`)
          .option('signal', signal)
          .post({}),
      );
    },
  };
}

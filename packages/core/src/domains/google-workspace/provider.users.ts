/** The users calls of the Google Workspace provider (on `directoryConnection`). */

import type { admin_directory_v1 } from '@googleapis/admin';
import type { GoogleUser, GoogleUserPatch, GoogleWorkspaceProvider } from './provider';
import { type DirectoryConnection, page } from './provider.http';

/** The users calls of the provider: list, get, insert, update (suspend, unsuspend, move), delete. */
export function userCalls(
  google: DirectoryConnection,
): Pick<
  GoogleWorkspaceProvider,
  | 'listUsers'
  | 'getUser'
  | 'insertUser'
  | 'updateUser'
  | 'suspendUser'
  | 'unsuspendUser'
  | 'moveUserToOrgUnit'
  | 'deleteUser'
> {
  const { call, customer } = google;
  const users = google.directory.users;
  const updateUser = (userKey: string, patch: GoogleUserPatch) =>
    call(
      'users.update',
      true,
      async () =>
        (await users.update({ userKey, requestBody: patch as admin_directory_v1.Schema$User }))
          .data as GoogleUser,
    );

  return {
    listUsers: (pageToken, listOptions = {}) =>
      call('users.list', true, async () => {
        const { data } = await users.list({
          customer,
          maxResults: listOptions.maxResults ?? 500,
          projection: 'full',
          ...(pageToken ? { pageToken } : {}),
          ...(listOptions.query ? { query: listOptions.query } : {}),
          ...(listOptions.showDeleted ? { showDeleted: 'true' } : {}),
          ...(listOptions.orderBy ? { orderBy: listOptions.orderBy } : {}),
        });
        return page<GoogleUser>(data.users, data.nextPageToken);
      }),

    getUser: (userKey) =>
      call(
        'users.get',
        true,
        async () => (await users.get({ userKey, projection: 'full' })).data as GoogleUser,
      ),

    insertUser: (user) =>
      call(
        'users.insert',
        false,
        async () =>
          (await users.insert({ requestBody: user as admin_directory_v1.Schema$User }))
            .data as GoogleUser,
      ),

    updateUser,
    suspendUser: (userKey) => updateUser(userKey, { suspended: true }),
    unsuspendUser: (userKey) => updateUser(userKey, { suspended: false }),
    moveUserToOrgUnit: (userKey, orgUnitPath) => updateUser(userKey, { orgUnitPath }),

    deleteUser: (userKey) =>
      call('users.delete', false, async () => {
        await users.delete({ userKey });
      }),
  };
}

/** The groups, members and org units calls of the Google Workspace provider (on `directoryConnection`). */

import type { admin_directory_v1 } from '@googleapis/admin';
import type { GoogleGroup, GoogleMember, GoogleOrgUnit, GoogleWorkspaceProvider } from './provider';
import { type DirectoryConnection, page } from './provider.http';

/** The groups calls of the provider: groups and members (list, insert, delete), and org units (list). */
export function groupCalls(
  google: DirectoryConnection,
): Pick<
  GoogleWorkspaceProvider,
  'listGroups' | 'listMembers' | 'listOrgUnits' | 'insertGroup' | 'insertMember' | 'deleteMember'
> {
  const { call, customer, directory } = google;
  return {
    listGroups: (pageToken, listOptions = {}) =>
      call('groups.list', true, async () => {
        const { data } = await directory.groups.list({
          customer,
          maxResults: listOptions.maxResults ?? 200,
          ...(pageToken ? { pageToken } : {}),
        });
        return page<GoogleGroup>(data.groups, data.nextPageToken);
      }),

    listMembers: (groupKey, pageToken, listOptions = {}) =>
      call('members.list', true, async () => {
        const { data } = await directory.members.list({
          groupKey,
          maxResults: listOptions.maxResults ?? 200,
          ...(pageToken ? { pageToken } : {}),
        });
        return page<GoogleMember>(data.members, data.nextPageToken);
      }),

    listOrgUnits: () =>
      call('orgunits.list', true, async () => {
        const { data } = await directory.orgunits.list({ customerId: customer, type: 'all' });
        return (data.organizationUnits ?? []) as GoogleOrgUnit[];
      }),

    insertGroup: (group) =>
      call(
        'groups.insert',
        false,
        async () =>
          (await directory.groups.insert({ requestBody: group as admin_directory_v1.Schema$Group }))
            .data as GoogleGroup,
      ),

    insertMember: (groupKey, member) =>
      call(
        'members.insert',
        false,
        async () =>
          (
            await directory.members.insert({
              groupKey,
              requestBody: { role: 'MEMBER', ...member } as admin_directory_v1.Schema$Member,
            })
          ).data as GoogleMember,
      ),

    deleteMember: (groupKey, memberKey) =>
      call('members.delete', false, async () => {
        await directory.members.delete({ groupKey, memberKey });
      }),
  };
}

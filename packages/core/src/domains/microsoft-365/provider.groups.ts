/** The groups calls of the Microsoft 365 provider (on `graphConnection`). */

import type { GraphObject, Microsoft365Provider } from './provider';
import { GRAPH_URL, type GraphConnection } from './provider.http';

/** The group properties the sync reads (`$select`; `members` adds `members@delta` in delta rounds). */
export const MS_GROUP_FIELDS = [
  'id',
  'displayName',
  'description',
  'mail',
  'mailEnabled',
  'mailNickname',
  'securityEnabled',
  'groupTypes',
  'createdDateTime',
] as const;

/** The groups calls of the provider: connection-test page, delta rounds, reads and membership writes. */
export function groupCalls(
  graph: GraphConnection,
): Pick<
  Microsoft365Provider,
  'listGroups' | 'groupsDelta' | 'getGroup' | 'addGroupMember' | 'removeGroupMember'
> {
  const { client, call, get } = graph;
  return {
    async listGroups({ top = 1 } = {}) {
      const page = await get<{ value?: GraphObject[] }>('groups.list', '/groups', (r) =>
        r.select(['id', 'displayName']).top(top),
      );
      return page.value ?? [];
    },

    groupsDelta: (deltaLink, onPage, first) =>
      graph.deltaRound(
        'groups.delta',
        '/groups/delta',
        [...MS_GROUP_FIELDS, 'members'],
        deltaLink,
        onPage,
        first,
      ),

    getGroup: (id) =>
      get<GraphObject>('groups.get', `/groups/${encodeURIComponent(id)}`, (r) =>
        r.select([...MS_GROUP_FIELDS]),
      ),
    addGroupMember: async (groupId, memberId) => {
      await call('groups.addMember', true, (signal) =>
        client
          .api(`/groups/${encodeURIComponent(groupId)}/members/$ref`)
          .option('signal', signal)
          .post({
            '@odata.id': `${GRAPH_URL}/v1.0/directoryObjects/${encodeURIComponent(memberId)}`,
          }),
      );
    },
    removeGroupMember: async (groupId, memberId) => {
      await call('groups.removeMember', true, (signal) =>
        client
          .api(
            `/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(memberId)}/$ref`,
          )
          .option('signal', signal)
          .delete(),
      );
    },
  };
}

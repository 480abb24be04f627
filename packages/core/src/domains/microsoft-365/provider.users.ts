/** The users calls of the Microsoft 365 provider (on `graphConnection`). */

import type { GraphObject, Microsoft365Provider } from './provider';
import { type GraphConnection, relative } from './provider.http';

/** The role template id of Global Administrator (the same in every tenant). */
export const GLOBAL_ADMIN_ROLE_TEMPLATE_ID = '62e90394-69f5-4237-9190-012177145e10';

/** The user properties the sync reads (`$select`). */
export const MS_USER_FIELDS = [
  'id',
  'userPrincipalName',
  'mail',
  'displayName',
  'givenName',
  'surname',
  'jobTitle',
  'department',
  'officeLocation',
  'companyName',
  'mobilePhone',
  'businessPhones',
  'accountEnabled',
  'usageLocation',
  'assignedLicenses',
  'createdDateTime',
] as const;

/** The users calls of the provider: connection-test page, delta rounds, Global Administrators, writes. */
export function userCalls(
  graph: GraphConnection,
): Pick<
  Microsoft365Provider,
  | 'listUsers'
  | 'usersDelta'
  | 'listGlobalAdminIds'
  | 'getUser'
  | 'createUser'
  | 'updateUser'
  | 'deleteUser'
  | 'revokeSignInSessions'
> {
  const { client, call, get } = graph;
  return {
    async listUsers({ top = 1 } = {}) {
      const page = await get<{ value?: GraphObject[] }>('users.list', '/users', (r) =>
        r.select(['id', 'userPrincipalName']).top(top),
      );
      return page.value ?? [];
    },

    usersDelta: (deltaLink, onPage, first) =>
      graph.deltaRound('users.delta', '/users/delta', MS_USER_FIELDS, deltaLink, onPage, first),
    async listGlobalAdminIds() {
      const roles = await get<{
        value?: Array<{ id: string; roleTemplateId?: string; displayName?: string }>;
      }>('directoryRoles.list', '/directoryRoles');
      const role = (roles.value ?? []).find(
        (r) =>
          r.roleTemplateId === GLOBAL_ADMIN_ROLE_TEMPLATE_ID ||
          r.displayName === 'Global Administrator',
      );
      if (!role) return [];
      const ids: string[] = [];
      let next: string | null = `/directoryRoles/${encodeURIComponent(role.id)}/members?$select=id`;
      while (next) {
        const page: { value?: Array<{ id: string }>; '@odata.nextLink'?: string } = await get(
          'directoryRoles.members',
          next,
        );
        for (const m of page.value ?? []) ids.push(m.id);
        next = page['@odata.nextLink'] ? relative(page['@odata.nextLink']) : null;
      }
      return ids;
    },

    getUser: (idOrUpn) =>
      get<GraphObject>('users.get', `/users/${encodeURIComponent(idOrUpn)}`, (r) =>
        r.select([...MS_USER_FIELDS]),
      ),
    createUser: (body) =>
      call<GraphObject>('users.create', true, (signal) =>
        client.api('/users').option('signal', signal).post(body),
      ),
    updateUser: async (id, patch) => {
      await call('users.update', true, (signal) =>
        client
          .api(`/users/${encodeURIComponent(id)}`)
          .option('signal', signal)
          .patch(patch),
      );
    },
    deleteUser: async (id) => {
      await call('users.delete', true, (signal) =>
        client
          .api(`/users/${encodeURIComponent(id)}`)
          .option('signal', signal)
          .delete(),
      );
    },
    revokeSignInSessions: async (id) => {
      await call('users.revokeSignInSessions', true, (signal) =>
        client
          .api(`/users/${encodeURIComponent(id)}/revokeSignInSessions`)
          .option('signal', signal)
          .post({}),
      );
    },
  };
}

/**
 * The calls of the Microsoft 365 provider that lifecycle runs need besides the directory write-back
 * (on `graphConnection`): the groups a user is a member of, the user's licence details, the
 * mailbox settings (automatic replies), the inbox message rules (forwarding) and the permissions of
 * a user's default calendar.
 */
import type { GraphObject, Microsoft365Provider } from './provider';
import { type GraphConnection, relative } from './provider.http';

/** The group properties read for a user's groups (`$select`). */
export const MS_MEMBER_OF_FIELDS = ['id', 'mail', 'displayName'] as const;

const user = (id: string) => `/users/${encodeURIComponent(id)}`;
const RULES = '/mailFolders/inbox/messageRules';
const CALENDAR_PERMISSIONS = '/calendar/calendarPermissions';

/** The lifecycle calls of the provider. */
export function mailboxCalls(
  graph: GraphConnection,
): Pick<
  Microsoft365Provider,
  | 'listUserGroups'
  | 'listLicenseDetails'
  | 'getMailboxSettings'
  | 'updateMailboxSettings'
  | 'listMessageRules'
  | 'createMessageRule'
  | 'updateMessageRule'
  | 'deleteMessageRule'
  | 'listCalendarPermissions'
  | 'createCalendarPermission'
  | 'updateCalendarPermission'
> {
  const { client, call, get, pageSize } = graph;
  return {
    async listUserGroups(id) {
      const out: GraphObject[] = [];
      let next: string | null =
        `${user(id)}/memberOf/microsoft.graph.group?$select=${MS_MEMBER_OF_FIELDS.join(',')}&$top=${pageSize}`;
      while (next) {
        const page: { value?: GraphObject[]; '@odata.nextLink'?: string } = await get(
          'users.memberOf',
          next,
        );
        out.push(...(page.value ?? []));
        next = page['@odata.nextLink'] ? relative(page['@odata.nextLink']) : null;
      }
      return out;
    },
    async listLicenseDetails(id) {
      const page = await get<{ value?: GraphObject[] }>(
        'users.licenseDetails',
        `${user(id)}/licenseDetails`,
      );
      return page.value ?? [];
    },
    getMailboxSettings: (id) =>
      get<Record<string, unknown>>('mailboxSettings.get', `${user(id)}/mailboxSettings`),
    updateMailboxSettings: (id, patch) =>
      call<Record<string, unknown>>('mailboxSettings.update', true, (signal) =>
        client
          .api(`${user(id)}/mailboxSettings`)
          .option('signal', signal)
          .patch(patch),
      ),
    async listMessageRules(id) {
      const page = await get<{ value?: GraphObject[] }>('messageRules.list', `${user(id)}${RULES}`);
      return page.value ?? [];
    },
    createMessageRule: (id, rule) =>
      call<GraphObject>('messageRules.create', true, (signal) =>
        client
          .api(`${user(id)}${RULES}`)
          .option('signal', signal)
          .post(rule),
      ),
    updateMessageRule: (id, ruleId, patch) =>
      call<GraphObject>('messageRules.update', true, (signal) =>
        client
          .api(`${user(id)}${RULES}/${encodeURIComponent(ruleId)}`)
          .option('signal', signal)
          .patch(patch),
      ),
    deleteMessageRule: async (id, ruleId) => {
      await call('messageRules.delete', true, (signal) =>
        client
          .api(`${user(id)}${RULES}/${encodeURIComponent(ruleId)}`)
          .option('signal', signal)
          .delete(),
      );
    },
    async listCalendarPermissions(id) {
      const page = await get<{ value?: GraphObject[] }>(
        'calendarPermissions.list',
        `${user(id)}${CALENDAR_PERMISSIONS}`,
      );
      return page.value ?? [];
    },
    createCalendarPermission: (id, permission) =>
      call<GraphObject>('calendarPermissions.create', true, (signal) =>
        client
          .api(`${user(id)}${CALENDAR_PERMISSIONS}`)
          .option('signal', signal)
          .post(permission),
      ),
    updateCalendarPermission: (id, permissionId, role) =>
      call<GraphObject>('calendarPermissions.update', true, (signal) =>
        client
          .api(`${user(id)}${CALENDAR_PERMISSIONS}/${encodeURIComponent(permissionId)}`)
          .option('signal', signal)
          .patch({ role }),
      ),
  };
}

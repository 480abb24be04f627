/**
 * The routes of the Graph simulator (under `/v1.0/`): each has a name (for the request counters),
 * the application roles that allow it, its resource-unit cost and its handler.
 */
import { isObject, lower } from '../http-kit';
import type { createCalendarRoutes } from './calendar';
import type { Changes } from './changes';
import type { createDelta } from './delta';
import type { createDeviceRoutes } from './devices';
import type { createDriveRoutes } from './drive';
import type { Groups } from './groups';
import type { createAssignLicense } from './licences';
import type { createMailboxRoutes } from './mailbox';
import type { OData } from './odata';
import { GRAPH_REQUEST_UNIT_COSTS, ROLES_FOR } from './permissions';
import { GROUP_NAMES, USER_DEFAULT, USER_NAMES } from './schema';
import type { Tenant } from './tenant';
import type { Users } from './users';
import {
  badRequest,
  type Ctx,
  GraphError,
  notFound,
  type Reply,
  type Route,
  unsupported,
} from './wire';

export interface RouterParts {
  tenant: Tenant;
  changes: Changes;
  odata: OData;
  users: Users;
  groups: Groups;
  assignLicense: ReturnType<typeof createAssignLicense>;
  mailbox: ReturnType<typeof createMailboxRoutes>;
  calendar: ReturnType<typeof createCalendarRoutes>;
  devices: ReturnType<typeof createDeviceRoutes>;
  drive: ReturnType<typeof createDriveRoutes>;
  deltaPage: ReturnType<typeof createDelta>;
}

export type Resolve = (method: string, raw: string[]) => Route | { error: GraphError };

export function createRouter(parts: RouterParts): Resolve {
  const { tenant: t, changes, assignLicense, deltaPage } = parts;
  const {
    tenantId,
    domain,
    initialDomain,
    adminUpn,
    users,
    groups,
    deletedUsers,
    skus,
    managers,
    revokedSessions,
    directoryRoles,
    roleMembers,
  } = t;
  const { userOf, groupOf, managerOf, groupsContaining, context, contextFor } = t;
  const {
    checkQueryOptions,
    parseSelect,
    parseExpand,
    listStore,
    userOut,
    groupOut,
    project,
    directoryObjectOut,
  } = parts.odata;
  const { usersCreate, usersUpdate, removeUser } = parts.users;
  const {
    groupsCreate,
    groupsUpdate,
    removeGroup,
    refTarget,
    addMember,
    removeMember,
    membersList,
  } = parts.groups;

  // --- organization, roles --------------------------------------------------------------------------
  const organization = () => ({
    id: tenantId,
    displayName: 'Helios Simulated Tenant',
    countryLetterCode: 'US',
    createdDateTime: '2019-12-31T00:00:00Z',
    preferredLanguage: 'en',
    tenantType: 'AAD',
    verifiedDomains: [
      {
        capabilities: 'Email, OfficeCommunicationsOnline',
        isDefault: true,
        isInitial: false,
        name: domain,
        type: 'Managed',
      },
      {
        capabilities: 'Email, OfficeCommunicationsOnline',
        isDefault: false,
        isInitial: true,
        name: initialDomain,
        type: 'Managed',
      },
    ],
    assignedPlans: [],
    technicalNotificationMails: [adminUpn],
  });
  const roleOf = (seg: string) => {
    const byTemplate = /^directoryRoles\(roleTemplateId='([^']+)'\)$/i.exec(seg)?.[1];
    const role = byTemplate
      ? directoryRoles.find((r) => r.template === lower(byTemplate))
      : directoryRoles.find((r) => r.id === lower(seg));
    if (!role) throw notFound(byTemplate ?? seg);
    return role;
  };
  const roleOut = (r: (typeof directoryRoles)[number]) => ({
    id: r.id,
    deletedDateTime: null,
    description: r.description,
    displayName: r.displayName,
    roleTemplateId: r.template,
  });

  // --- routes ---------------------------------------------------------------------------------------
  const ok = (body: unknown): Reply => ({ status: 200, body });
  const noContent: Reply = { status: 204 };
  const U = GRAPH_REQUEST_UNIT_COSTS;
  const listUsers = (ctx: Ctx) => {
    checkQueryOptions(ctx.query, ['$top', '$select', '$filter', '$expand', '$skiptoken', '$count']);
    const select = parseSelect(ctx.query.get('$select'), USER_NAMES, 'user');
    const expand = parseExpand(ctx.query.get('$expand'), 'manager', 'user');
    const reply = listStore(users, ctx, {
      entity: 'users',
      typeName: 'user',
      names: USER_NAMES,
      lookupProps: ['id', 'userPrincipalName', 'mail'],
      out: (u) => userOut(u, select, expand),
    });
    (reply.body as any)['@odata.context'] = contextFor('users', select);
    return reply;
  };
  const listGroups = (ctx: Ctx) => {
    checkQueryOptions(ctx.query, ['$top', '$select', '$filter', '$expand', '$skiptoken', '$count']);
    const select = parseSelect(ctx.query.get('$select'), GROUP_NAMES, 'group');
    const expand = parseExpand(ctx.query.get('$expand'), 'members', 'group');
    const reply = listStore(groups, ctx, {
      entity: 'groups',
      typeName: 'group',
      names: GROUP_NAMES,
      lookupProps: ['id', 'mailNickname', 'mail'],
      out: (g) => groupOut(g, select, expand),
    });
    (reply.body as any)['@odata.context'] = contextFor('groups', select);
    return reply;
  };
  const normalize = (seg: string) => seg.replace(/^microsoft\.graph\./, '').replace(/\(\)$/, '');
  const resolve = (method: string, raw: string[]): Route | { error: GraphError } => {
    const segs = raw.map(normalize);
    const [top, a, b, c, d] = segs;
    const n = segs.length;
    const r = (
      name: string,
      roles: readonly string[],
      units: number,
      run: (ctx: Ctx) => Reply,
    ): Route => ({ name, roles, units, run });
    const wrongMethod = {
      error: new GraphError(
        405,
        'Request_BadRequest',
        'Specified HTTP method is not allowed for the request target.',
      ),
    };
    if (top === 'organization') {
      if (method !== 'GET') return wrongMethod;
      if (n === 1)
        return r('organization', ROLES_FOR.org, U.other, () =>
          ok({ '@odata.context': context('organization'), value: [organization()] }),
        );
      if (n === 2)
        return r('organization.get', ROLES_FOR.org, U.other, () => {
          if (lower(a) !== tenantId) throw notFound(a!);
          return ok({ '@odata.context': context('organization/$entity'), ...organization() });
        });
    }
    if (top === 'users') {
      if (n === 1) {
        if (method === 'GET') return r('users.list', ROLES_FOR.usersRead, U.users, listUsers);
        if (method === 'POST') return r('users.create', ROLES_FOR.usersWrite, U.other, usersCreate);
        return wrongMethod;
      }
      if (n === 2 && a === 'delta') {
        if (method !== 'GET') return wrongMethod;
        return r('users.delta', ROLES_FOR.usersRead, U.other, (ctx) => {
          checkQueryOptions(ctx.query, ['$select', '$top', '$skiptoken', '$deltatoken', '$filter']);
          if (ctx.query.get('$filter')) throw unsupported();
          return deltaPage('u', ctx);
        });
      }
      if (n === 2) {
        if (method === 'GET')
          return r('users.get', ROLES_FOR.usersRead, U.other, (ctx) => {
            checkQueryOptions(ctx.query, ['$select', '$expand']);
            const select = parseSelect(ctx.query.get('$select'), USER_NAMES, 'user');
            const expand = parseExpand(ctx.query.get('$expand'), 'manager', 'user');
            const { user } = userOf(a!);
            return ok({
              '@odata.context': contextFor('users', select, true),
              ...userOut(user, select, expand),
            });
          });
        if (method === 'PATCH')
          return r(
            'users.update',
            [...ROLES_FOR.usersWrite, ...ROLES_FOR.password],
            U.other,
            (ctx) => usersUpdate(a!, ctx),
          );
        if (method === 'DELETE')
          return r('users.delete', ROLES_FOR.usersWrite, U.other, () => {
            removeUser(userOf(a!).id);
            return noContent;
          });
        return wrongMethod;
      }
      if (b === 'manager') {
        if (n === 3 && method === 'GET')
          return r('users.manager', ROLES_FOR.usersRead, U.other, (ctx) => {
            const select = parseSelect(ctx.query.get('$select'), USER_NAMES, 'user');
            const mid = managerOf(userOf(a!).id);
            const manager = mid === undefined ? undefined : users.peek(mid);
            if (!manager) throw notFound('manager');
            return ok({
              '@odata.context': context('directoryObjects/$entity'),
              '@odata.type': '#microsoft.graph.user',
              ...project(manager, select, USER_DEFAULT),
            });
          });
        if (n === 4 && c === '$ref' && method === 'PUT')
          return r('users.manager.set', ROLES_FOR.usersWrite, U.other, (ctx) => {
            const { id } = userOf(a!);
            const target = refTarget(isObject(ctx.body) ? ctx.body['@odata.id'] : undefined);
            if (target === id || !users.has(target)) throw badRequest('Invalid manager reference.');
            managers.set(id, target);
            changes.recordUser(id);
            return noContent;
          });
        if (n === 4 && c === '$ref' && method === 'DELETE')
          return r('users.manager.remove', ROLES_FOR.usersWrite, U.other, () => {
            const { id } = userOf(a!);
            if (managerOf(id) === undefined) throw notFound('manager');
            managers.set(id, null);
            changes.recordUser(id);
            return noContent;
          });
        return wrongMethod;
      }
      if (n >= 3) {
        const extra =
          parts.mailbox(method, a!, segs.slice(2)) ??
          parts.calendar(method, a!, segs.slice(2)) ??
          parts.devices.user(method, a!, segs.slice(2)) ??
          parts.drive(method, a!, segs.slice(2));
        if (extra) return extra;
      }
      if (n === 3 && b === 'memberOf') {
        if (method !== 'GET') return wrongMethod;
        return r(
          'users.memberOf',
          [...ROLES_FOR.usersRead, ...ROLES_FOR.groupsRead],
          U.other,
          (ctx) => {
            const { id } = userOf(a!);
            const select = parseSelect(ctx.query.get('$select'), GROUP_NAMES, 'group');
            const value: Array<Record<string, unknown>> = groupsContaining(id)
              .sort()
              .map((gid) => ({
                '@odata.type': '#microsoft.graph.group',
                ...project(groups.peek(gid)!, select, null),
              }));
            for (const role of directoryRoles)
              if (roleMembers.get(role.id)?.has(id))
                value.push({ '@odata.type': '#microsoft.graph.directoryRole', ...roleOut(role) });
            return ok({ '@odata.context': context('directoryObjects'), value });
          },
        );
      }
      if (n === 3 && b === 'revokeSignInSessions') {
        if (method !== 'POST') return wrongMethod;
        return r('users.revokeSignInSessions', ROLES_FOR.revoke, U.other, () => {
          const { id } = userOf(a!);
          revokedSessions.set(id, Date.now());
          return ok({ '@odata.context': context('Edm.Boolean'), value: true });
        });
      }
      if (n === 3 && b === 'assignLicense') {
        if (method !== 'POST') return wrongMethod;
        return r('users.assignLicense', ROLES_FOR.license, U.other, (ctx) =>
          assignLicense(a!, ctx),
        );
      }
    }
    if (top === 'groups') {
      if (n === 1) {
        if (method === 'GET') return r('groups.list', ROLES_FOR.groupsRead, U.other, listGroups);
        if (method === 'POST')
          return r('groups.create', ROLES_FOR.groupsCreate, U.other, groupsCreate);
        return wrongMethod;
      }
      if (n === 2 && a === 'delta') {
        if (method !== 'GET') return wrongMethod;
        return r('groups.delta', ROLES_FOR.groupsRead, U.other, (ctx) => {
          checkQueryOptions(ctx.query, [
            '$select',
            '$top',
            '$skiptoken',
            '$deltatoken',
            '$filter',
            '$expand',
          ]);
          if (ctx.query.get('$filter') || ctx.query.get('$expand')) throw unsupported();
          return deltaPage('g', ctx);
        });
      }
      if (n === 2) {
        if (method === 'GET')
          return r('groups.get', ROLES_FOR.groupsRead, U.other, (ctx) => {
            checkQueryOptions(ctx.query, ['$select', '$expand']);
            const select = parseSelect(ctx.query.get('$select'), GROUP_NAMES, 'group');
            const expand = parseExpand(ctx.query.get('$expand'), 'members', 'group');
            return ok({
              '@odata.context': contextFor('groups', select, true),
              ...groupOut(groupOf(a!).group, select, expand),
            });
          });
        if (method === 'PATCH')
          return r('groups.update', ROLES_FOR.groupsWrite, U.other, (ctx) => groupsUpdate(a!, ctx));
        if (method === 'DELETE')
          return r('groups.delete', ROLES_FOR.groupsWrite, U.other, () => {
            removeGroup(groupOf(a!).id);
            return noContent;
          });
        return wrongMethod;
      }
      if (b === 'members') {
        if (n === 3 && method === 'GET')
          return r('groups.members', ROLES_FOR.groupsRead, U.groupMembers, (ctx) =>
            membersList(a!, ctx),
          );
        if (n === 4 && c === '$ref' && method === 'POST')
          return r('groups.members.add', ROLES_FOR.membersWrite, U.other, (ctx) => {
            const { id } = groupOf(a!);
            if (!isObject(ctx.body) || typeof ctx.body['@odata.id'] !== 'string')
              throw badRequest("Invalid value specified for property '@odata.id'.");
            addMember(id, refTarget(ctx.body['@odata.id']));
            return noContent;
          });
        if (n === 5 && d === '$ref' && method === 'DELETE')
          return r('groups.members.remove', ROLES_FOR.membersWrite, U.other, () => {
            removeMember(groupOf(a!).id, lower(c));
            return noContent;
          });
        return wrongMethod;
      }
    }
    if (top === 'deviceManagement') {
      const route = parts.devices.top(method, segs.slice(1));
      if (route) return route;
    }
    if (top === 'subscribedSkus') {
      if (method !== 'GET') return wrongMethod;
      if (n === 1)
        return r('subscribedSkus', ROLES_FOR.skus, U.subscribedSkus, () =>
          ok({ '@odata.context': context('subscribedSkus'), value: [...skus.values()] }),
        );
      if (n === 2)
        return r('subscribedSkus.get', ROLES_FOR.skus, U.other, () => {
          const sku = [...skus.values()].find((s) => s.id === a || s.skuId === lower(a));
          if (!sku) throw notFound(a!);
          return ok({ '@odata.context': context('subscribedSkus/$entity'), ...sku });
        });
    }
    if (top === 'directoryRoles' || /^directoryRoles\(/i.test(raw[0] ?? '')) {
      if (method !== 'GET') return wrongMethod;
      const byTemplate = top !== 'directoryRoles';
      const roleSeg = byTemplate ? raw[0]! : a;
      const rest = byTemplate ? segs.slice(1) : segs.slice(2);
      if (!byTemplate && n === 1)
        return r('directoryRoles.list', ROLES_FOR.roles, U.other, () =>
          ok({ '@odata.context': context('directoryRoles'), value: directoryRoles.map(roleOut) }),
        );
      if (roleSeg && rest.length === 0)
        return r('directoryRoles.get', ROLES_FOR.roles, U.other, () =>
          ok({ '@odata.context': context('directoryRoles/$entity'), ...roleOut(roleOf(roleSeg)) }),
        );
      if (roleSeg && rest.length === 1 && rest[0] === 'members')
        return r('directoryRoles.members', ROLES_FOR.roles, U.other, (ctx) => {
          const role = roleOf(roleSeg);
          const select = parseSelect(ctx.query.get('$select'), USER_NAMES, 'user');
          const value = [...(roleMembers.get(role.id) ?? [])]
            .filter((id) => users.has(id))
            .map((id) => directoryObjectOut(id, select));
          return ok({ '@odata.context': context('directoryObjects'), value });
        });
    }
    if (top === 'directory' && a === 'deletedItems') {
      if (n === 3 && b === 'user' && method === 'GET')
        return r('deletedItems.users', ROLES_FOR.usersRead, U.other, (ctx) => {
          const reply = listStore(deletedUsers, ctx, {
            entity: 'users',
            typeName: 'user',
            names: USER_NAMES,
            lookupProps: ['id'],
            out: (u) => project(u, null, null),
          });
          (reply.body as any)['@odata.context'] = context(
            'directory/deletedItems/microsoft.graph.user',
          );
          return reply;
        });
      if (n === 3 && method === 'GET')
        return r('deletedItems.get', ROLES_FOR.usersRead, U.other, () => {
          const user = deletedUsers.peek(lower(b));
          if (!user) throw notFound(b!);
          return ok({
            '@odata.context': context('directory/deletedItems/$entity'),
            '@odata.type': '#microsoft.graph.user',
            ...user,
          });
        });
      if (n === 3 && method === 'DELETE')
        return r('deletedItems.delete', ROLES_FOR.usersWrite, U.other, () => {
          if (!deletedUsers.delete(lower(b))) throw notFound(b!);
          return noContent;
        });
    }
    return {
      error: badRequest(`Resource not found for the segment '${raw[n - 1] ?? ''}'.`, 'BadRequest'),
    };
  };

  return resolve;
}

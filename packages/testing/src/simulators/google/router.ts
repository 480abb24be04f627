/**
 * The routes of the Directory API simulator (under `admin/directory/v1/`): each has a name (for the
 * request counters), the scopes that allow it and its handler.
 */
import { isObject } from '../http-kit';
import type { Directory } from './directory';
import { addAlias, aliasesOf, refreshUserEmails, removeAlias } from './emails';
import {
  findMember,
  groupsDelete,
  groupsInsert,
  groupsList,
  groupsUpdate,
  memberAt,
  membersInsert,
  membersList,
  membersUpdate,
} from './groups';
import {
  findOrgUnit,
  orgUnitsDelete,
  orgUnitsInsert,
  orgUnitsList,
  orgUnitsUpdate,
} from './orgunits';
import { stamp } from './paging';
import {
  READ_ALIASES,
  READ_GROUPS,
  READ_MEMBERS,
  READ_ORGUNITS,
  READ_USERS,
  WRITE_ALIASES,
  WRITE_GROUPS,
  WRITE_MEMBERS,
  WRITE_ORGUNITS,
  WRITE_USERS,
} from './scopes';
import {
  projectionOf,
  usersDelete,
  usersInsert,
  usersList,
  usersUndelete,
  usersUpdate,
} from './users';

/** What a route's handler gets: the query, the JSON body and who the token acts as. */
export interface RouteContext {
  query: URLSearchParams;
  body: any;
  /** The token's subject (lower case email). */
  subject: string;
  /** The subject's user id. */
  subjectId: string;
}

export interface Route {
  name: string;
  scopes: string[];
  /** False when any user may call it as themself (Gmail, Calendar, Drive); default: super admins only. */
  admin?: boolean;
  run(ctx: RouteContext): { status: number; body?: unknown };
}

const ok = (body: unknown) => ({ status: 200, body });
const noContent = { status: 204 };
const done = (_: unknown) => noContent;
const inCustomer =
  (d: Directory, id: string, run: Route['run']): Route['run'] =>
  (ctx) => {
    d.checkCustomerId(id);
    return run(ctx);
  };

/** The route of a method and the path segments under the API prefix, if any. */
export function resolveRoute(d: Directory, method: string, segs: string[]): Route | undefined {
  const [top, a, b, c] = segs;
  const n = segs.length;
  const r = (name: string, scopes: string[], run: Route['run']): Route => ({ name, scopes, run });
  if (top === 'users') {
    if (n === 1 && method === 'GET')
      return r('users.list', READ_USERS, ({ query }) => ok(usersList(d, query)));
    if (n === 1 && method === 'POST')
      return r('users.insert', WRITE_USERS, ({ body }) => ok(usersInsert(d, body)));
    if (n === 2 && method === 'GET')
      return r('users.get', READ_USERS, ({ query }) => ok(projectionOf(query)(d.userOf(a!).user)));
    if (n === 2 && method === 'PUT')
      return r('users.update', WRITE_USERS, ({ body }) => ok(usersUpdate(d, a!, body)));
    if (n === 2 && method === 'PATCH')
      return r('users.patch', WRITE_USERS, ({ body }) => ok(usersUpdate(d, a!, body)));
    if (n === 2 && method === 'DELETE')
      return r('users.delete', WRITE_USERS, () => done(usersDelete(d, a!)));
    if (n === 3 && b === 'makeAdmin' && method === 'POST')
      return r('users.makeAdmin', WRITE_USERS, ({ body }) => {
        const { id, user } = d.userOf(a!);
        d.users.set(id, stamp({ ...user, isAdmin: isObject(body) && body.status === true }));
        return noContent;
      });
    if (n === 3 && b === 'undelete' && method === 'POST')
      return r('users.undelete', WRITE_USERS, ({ body }) => done(usersUndelete(d, a!, body)));
    if (n === 3 && b === 'aliases' && method === 'GET')
      return r('users.aliases.list', READ_ALIASES, () => {
        const { id, user } = d.userOf(a!);
        return ok(aliasesOf(user.primaryEmail, id, user.aliases));
      });
    if (n === 3 && b === 'aliases' && method === 'POST')
      return r('users.aliases.insert', WRITE_ALIASES, ({ body }) => {
        const { id, user } = d.userOf(a!);
        const out = addAlias(d, d.users, id, user, 'primaryEmail', body);
        refreshUserEmails(d, id);
        return ok(out);
      });
    if (n === 4 && b === 'aliases' && method === 'DELETE')
      return r('users.aliases.delete', WRITE_ALIASES, () => {
        const { id, user } = d.userOf(a!);
        removeAlias(d.users, id, user, c!);
        refreshUserEmails(d, id);
        return noContent;
      });
    return undefined;
  }
  if (top === 'groups') {
    if (n === 1 && method === 'GET')
      return r('groups.list', READ_GROUPS, ({ query }) => ok(groupsList(d, query)));
    if (n === 1 && method === 'POST')
      return r('groups.insert', WRITE_GROUPS, ({ body }) => ok(groupsInsert(d, body)));
    if (n === 2 && method === 'GET')
      return r('groups.get', READ_GROUPS, () => {
        const { id, group } = d.groupOf(a!);
        return ok(d.groupOut(id, group));
      });
    if (n === 2 && method === 'PUT')
      return r('groups.update', WRITE_GROUPS, ({ body }) => ok(groupsUpdate(d, a!, body)));
    if (n === 2 && method === 'PATCH')
      return r('groups.patch', WRITE_GROUPS, ({ body }) => ok(groupsUpdate(d, a!, body)));
    if (n === 2 && method === 'DELETE')
      return r('groups.delete', WRITE_GROUPS, () => done(groupsDelete(d, a!)));
    if (b === 'members') {
      if (n === 3 && method === 'GET')
        return r('members.list', READ_MEMBERS, ({ query }) => ok(membersList(d, a!, query)));
      if (n === 3 && method === 'POST')
        return r('members.insert', WRITE_MEMBERS, ({ body }) => ok(membersInsert(d, a!, body)));
      if (n === 4 && method === 'GET')
        return r('members.get', READ_MEMBERS, () =>
          ok(d.memberOut(memberAt(d, a!, c!, false).member)),
        );
      if (n === 4 && method === 'PUT')
        return r('members.update', WRITE_MEMBERS, ({ body }) => ok(membersUpdate(d, a!, c!, body)));
      if (n === 4 && method === 'PATCH')
        return r('members.patch', WRITE_MEMBERS, ({ body }) => ok(membersUpdate(d, a!, c!, body)));
      if (n === 4 && method === 'DELETE')
        return r('members.delete', WRITE_MEMBERS, () => {
          const { map, memberId } = memberAt(d, a!, c!, true);
          map.delete(memberId);
          return noContent;
        });
    }
    if (b === 'hasMember' && n === 4 && method === 'GET')
      return r('members.hasMember', READ_MEMBERS, () => {
        const { id } = d.groupOf(a!);
        const memberId = d.findUserId(c!) ?? d.findGroupId(c!);
        const isMember =
          memberId !== undefined
            ? d.isDirectMember(id, memberId)
            : findMember(d, d.membersOf(id, false), c!) !== undefined;
        return ok({ isMember });
      });
    if (b === 'aliases') {
      if (n === 3 && method === 'GET')
        return r('groups.aliases.list', READ_GROUPS, () => {
          const { id, group } = d.groupOf(a!);
          return ok(aliasesOf(group.email, id, group.aliases));
        });
      if (n === 3 && method === 'POST')
        return r('groups.aliases.insert', WRITE_GROUPS, ({ body }) => {
          const { id, group } = d.groupOf(a!);
          return ok(addAlias(d, d.groups, id, group, 'email', body));
        });
      if (n === 4 && method === 'DELETE')
        return r('groups.aliases.delete', WRITE_GROUPS, () => {
          const { id, group } = d.groupOf(a!);
          removeAlias(d.groups, id, group, c!);
          return noContent;
        });
    }
    return undefined;
  }
  if (top === 'customer' && b === 'orgunits' && a) {
    const path = segs.slice(3).join('/');
    if (n === 3 && method === 'GET')
      return r(
        'orgunits.list',
        READ_ORGUNITS,
        inCustomer(d, a, ({ query }) => ok(orgUnitsList(d, query))),
      );
    if (n === 3 && method === 'POST')
      return r(
        'orgunits.insert',
        WRITE_ORGUNITS,
        inCustomer(d, a, ({ body }) => ok(orgUnitsInsert(d, body))),
      );
    if (n > 3 && method === 'GET')
      return r(
        'orgunits.get',
        READ_ORGUNITS,
        inCustomer(d, a, () => ok(findOrgUnit(d, path))),
      );
    if (n > 3 && method === 'PUT')
      return r(
        'orgunits.update',
        WRITE_ORGUNITS,
        inCustomer(d, a, ({ body }) => ok(orgUnitsUpdate(d, path, body))),
      );
    if (n > 3 && method === 'PATCH')
      return r(
        'orgunits.patch',
        WRITE_ORGUNITS,
        inCustomer(d, a, ({ body }) => ok(orgUnitsUpdate(d, path, body))),
      );
    if (n > 3 && method === 'DELETE')
      return r(
        'orgunits.delete',
        WRITE_ORGUNITS,
        inCustomer(d, a, () => done(orgUnitsDelete(d, path))),
      );
  }
  return undefined;
}

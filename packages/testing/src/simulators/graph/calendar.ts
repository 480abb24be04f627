/**
 * Calendar sharing in the Graph simulator: the permissions of a user's default calendar
 * (`users/{id}/calendar/calendarPermissions`), list/get/create/update (role)/delete. Every calendar
 * starts with the organization's free/busy permission ("My Organization", not removable), as
 * Exchange Online's do. A user without a mailbox answers 404 `MailboxNotEnabledForRESTAPI`.
 */
import { randomBytes } from 'node:crypto';
import { isObject, lower } from '../http-kit';
import { createEventRoutes } from './events';
import { ROLES_FOR } from './permissions';
import type { Tenant } from './tenant';
import { badRequest, GraphError, otherRoute, type Route, wrongMethodError } from './wire';

/** The roles Graph's `calendarPermission` takes. */
const CALENDAR_ROLES = [
  'none',
  'freeBusyRead',
  'limitedRead',
  'read',
  'write',
  'delegateWithoutPrivateEventAccess',
  'delegateWithPrivateEventAccess',
] as const;

const invalid = (message: string) => badRequest(message, 'ErrorInvalidRequest');

/** The routes of `users/{id}/calendar/calendarPermissions[/{id}]`. */
export function createCalendarRoutes(t: Tenant) {
  const { userOf, calendarPermissions, domain, context } = t;

  const permissionsOf = (key: string) => {
    const { id, user } = userOf(key);
    if (!user.mail)
      throw new GraphError(
        404,
        'MailboxNotEnabledForRESTAPI',
        'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
      );
    let perms = calendarPermissions.get(id);
    if (!perms) {
      perms = new Map([
        [
          'RGVmYXVsdA==',
          {
            id: 'RGVmYXVsdA==',
            isRemovable: false,
            isInsideOrganization: true,
            role: 'freeBusyRead',
            allowedRoles: ['none', 'freeBusyRead', 'limitedRead', 'read'],
            emailAddress: { name: 'My Organization' },
          },
        ],
      ]);
      calendarPermissions.set(id, perms);
    }
    return { id, perms };
  };
  const roleOf = (value: unknown) => {
    if (!CALENDAR_ROLES.includes(value as never))
      throw invalid(`Requested value '${String(value)}' was not found.`);
    return value as string;
  };
  const base = (id: string) => context(`users('${id}')/calendar/calendarPermissions`);
  const r = otherRoute;
  const wrongMethod = wrongMethodError();
  const permissionIn = (perms: Map<string, any>, permId: string) => {
    const perm = perms.get(permId);
    if (!perm)
      throw new GraphError(
        404,
        'ErrorItemNotFound',
        'The specified object was not found in the store.',
      );
    return perm;
  };

  const events = createEventRoutes(t);
  return (
    method: string,
    key: string,
    rest: string[],
  ): Route | { error: GraphError } | undefined => {
    const [b, c, permId] = rest;
    if (b === 'calendarView' || b === 'events') return events(method, key, rest);
    if (b !== 'calendar' || c !== 'calendarPermissions' || rest.length > 3) return undefined;
    if (rest.length === 2) {
      if (method === 'GET')
        return r('calendarPermissions.list', ROLES_FOR.calendarsRead, () => {
          const { id, perms } = permissionsOf(key);
          return { status: 200, body: { '@odata.context': base(id), value: [...perms.values()] } };
        });
      if (method === 'POST')
        return r('calendarPermissions.create', ROLES_FOR.calendarsWrite, (ctx) => {
          const { id, perms } = permissionsOf(key);
          const body = ctx.body;
          if (!isObject(body) || !isObject(body.emailAddress))
            throw invalid("The property 'emailAddress' is required.");
          const address = body.emailAddress.address;
          if (typeof address !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(address))
            throw invalid("Invalid value for property 'emailAddress'.");
          const role = roleOf(body.role);
          if (
            [...perms.values()].some((p) => lower(p.emailAddress?.address ?? '') === lower(address))
          )
            throw new GraphError(
              409,
              'ErrorItemAlreadyExists',
              'A permission for this recipient already exists.',
            );
          const inside = lower(address.split('@')[1] ?? '') === domain;
          const perm = {
            id: randomBytes(24).toString('base64'),
            isRemovable: true,
            isInsideOrganization: inside,
            role,
            allowedRoles: inside
              ? [...CALENDAR_ROLES]
              : ['none', 'freeBusyRead', 'limitedRead', 'read', 'write'],
            emailAddress: {
              name: typeof body.emailAddress.name === 'string' ? body.emailAddress.name : address,
              address,
            },
          };
          if (!perm.allowedRoles.includes(role))
            throw invalid(`The role '${role}' is not allowed for this recipient.`);
          perms.set(perm.id, perm);
          return { status: 201, body: { '@odata.context': `${base(id)}/$entity`, ...perm } };
        });
      return wrongMethod;
    }
    const id = permId!;
    if (method === 'GET')
      return r('calendarPermissions.get', ROLES_FOR.calendarsRead, () => {
        const { id: uid, perms } = permissionsOf(key);
        return {
          status: 200,
          body: { '@odata.context': `${base(uid)}/$entity`, ...permissionIn(perms, id) },
        };
      });
    if (method === 'PATCH')
      return r('calendarPermissions.update', ROLES_FOR.calendarsWrite, (ctx) => {
        const { id: uid, perms } = permissionsOf(key);
        const perm = permissionIn(perms, id);
        if (!isObject(ctx.body)) throw invalid('Empty Payload. JSON content expected.');
        for (const k of Object.keys(ctx.body))
          if (k !== 'role' && !k.startsWith('@odata.'))
            throw invalid(`Property '${k}' is read-only and cannot be set.`);
        const role = roleOf(ctx.body.role);
        if (!perm.allowedRoles.includes(role))
          throw invalid(`The role '${role}' is not allowed for this recipient.`);
        const next = { ...perm, role };
        perms.set(id, next);
        return { status: 200, body: { '@odata.context': `${base(uid)}/$entity`, ...next } };
      });
    if (method === 'DELETE')
      return r('calendarPermissions.delete', ROLES_FOR.calendarsWrite, () => {
        const { perms } = permissionsOf(key);
        const perm = permissionIn(perms, id);
        if (!perm.isRemovable) throw invalid('This permission cannot be removed.');
        perms.delete(id);
        return { status: 204 };
      });
    return wrongMethod;
  };
}

/**
 * Users of the Graph simulator: create, update (properties and password), delete (soft, to
 * `directory/deletedItems`), with Graph's validation of user principal names and passwords.
 */
import { isObject, lower } from '../http-kit';
import type { Changes } from './changes';
import type { OData } from './odata';
import { ROLES_FOR } from './permissions';
import { USER_NAMES, USER_WRITABLE } from './schema';
import type { Tenant } from './tenant';
import { badRequest, type Ctx, denied, type Reply } from './wire';

/** Graph's password complexity: 8..256 characters from at least three of four classes. */
function weakPassword(password: unknown): boolean {
  if (typeof password !== 'string' || password.length < 8 || password.length > 256) return true;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((re) =>
    re.test(password),
  ).length;
  return classes < 3;
}

export type Users = ReturnType<typeof createUsers>;

export function createUsers(t: Tenant, changes: Changes, o: OData) {
  const {
    users,
    deletedUsers,
    members,
    skus,
    passwords,
    roleMembers,
    domain,
    initialDomain,
    seed,
    next,
    userOf,
    groupsContaining,
    contextFor,
  } = t;
  const { userOut } = o;

  const upnOf = (value: unknown): string => {
    const upn = String(value ?? '').trim();
    const at = upn.lastIndexOf('@');
    if (at < 1 || /\s/.test(upn))
      throw badRequest(
        "Invalid value specified for property 'userPrincipalName' of resource 'User'.",
      );
    const d = lower(upn.slice(at + 1));
    if (d !== domain && d !== initialDomain)
      throw badRequest(
        'The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.',
      );
    return upn;
  };
  const upnTaken = (upn: string, self?: string) => {
    const other = users.find(lower(upn));
    return other !== undefined && other !== self;
  };
  const applyUserChanges = (
    user: Record<string, any>,
    body: Record<string, any>,
    roles: Set<string> | null,
    creating: boolean,
  ) => {
    for (const [key, value] of Object.entries(body)) {
      if (key.startsWith('@odata.') || key === 'passwordProfile' || key === 'passwordPolicies')
        continue;
      if (creating && key === 'id') continue;
      const name = USER_NAMES.get(key.toLowerCase()) ?? (USER_WRITABLE.has(key) ? key : undefined);
      if (!name)
        throw badRequest(
          `Property '${key}' does not exist as a declared property or extension property.`,
        );
      if (!USER_WRITABLE.has(name))
        throw badRequest(`Property '${name}' is read-only and cannot be set.`);
      if (roles && !ROLES_FOR.usersWrite.some((r) => roles.has(r))) throw denied();
      if (name === 'userPrincipalName') {
        const upn = upnOf(value);
        if (upnTaken(upn, user.id))
          throw badRequest(
            'Another object with the same value for property userPrincipalName already exists.',
          );
        user.userPrincipalName = upn;
      } else if (name === 'accountEnabled') {
        if (typeof value !== 'boolean')
          throw badRequest(
            "Invalid value specified for property 'accountEnabled' of resource 'User'.",
          );
        user.accountEnabled = value;
      } else if (name === 'businessPhones') {
        if (!Array.isArray(value) || value.length > 1)
          throw badRequest(
            "Invalid value specified for property 'businessPhones' of resource 'User'.",
          );
        user.businessPhones = value.map(String);
      } else if (name === 'usageLocation') {
        if (value !== null && !/^[A-Za-z]{2}$/.test(String(value)))
          throw badRequest(
            "Invalid value specified for property 'usageLocation' of resource 'User'.",
          );
        user.usageLocation = value === null ? null : String(value).toUpperCase();
      } else user[name] = value === null ? null : String(value);
    }
    if (body.passwordProfile !== undefined) {
      if (roles && !ROLES_FOR.password.some((r) => roles.has(r))) throw denied();
      const password = isObject(body.passwordProfile) ? body.passwordProfile.password : undefined;
      if (creating || password !== undefined) {
        if (password === undefined || password === null || password === '')
          throw badRequest(
            "Invalid value specified for property 'passwordProfile' of resource 'User'.",
          );
        if (weakPassword(password))
          throw badRequest(
            'The specified password does not comply with password complexity requirements. Please provide a different password.',
          );
        passwords.set(user.id, password);
      }
    }
  };
  const usersCreate = (ctx: Ctx): Reply => {
    const body = ctx.body;
    if (!isObject(body)) throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
    for (const p of [
      'accountEnabled',
      'displayName',
      'mailNickname',
      'userPrincipalName',
      'passwordProfile',
    ])
      if (body[p] === undefined || body[p] === null || body[p] === '')
        throw badRequest(`Invalid value specified for property '${p}' of resource 'User'.`);
    const id = seed.userId(next.user++);
    const user: Record<string, any> = {
      id,
      accountEnabled: true,
      assignedLicenses: [],
      businessPhones: [],
      city: null,
      companyName: null,
      country: null,
      createdDateTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      department: null,
      displayName: null,
      employeeId: null,
      givenName: null,
      jobTitle: null,
      mail: null,
      mailNickname: null,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: null,
      surname: null,
      usageLocation: null,
      userPrincipalName: '',
      userType: 'Member',
    };
    applyUserChanges(user, body, null, true);
    users.set(id, user);
    changes.recordUser(id);
    return {
      status: 201,
      body: { '@odata.context': contextFor('users', null, true), ...userOut(user, null, null) },
    };
  };
  const usersUpdate = (key: string, ctx: Ctx): Reply => {
    const { id, user } = userOf(key);
    if (!isObject(ctx.body))
      throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
    const next = structuredClone(user);
    applyUserChanges(next, ctx.body, ctx.roles, false);
    users.set(id, next);
    changes.recordUser(id);
    return { status: 204 };
  };
  const removeUser = (id: string) => {
    const user = users.peek(id)!;
    for (const gid of groupsContaining(id)) {
      members.get(gid)!.delete(id);
      changes.recordMember(gid, id, false, '#microsoft.graph.user');
    }
    for (const set of roleMembers.values()) set.delete(id);
    for (const lic of user.assignedLicenses ?? []) {
      const sku = skus.get(lic.skuId);
      if (sku) sku.consumedUnits = Math.max(0, sku.consumedUnits - 1);
    }
    users.delete(id);
    deletedUsers.set(id, {
      ...user,
      assignedLicenses: [],
      deletedDateTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      userPrincipalName: `${id.replace(/-/g, '')}${user.userPrincipalName}`,
    });
    changes.recordUser(id);
  };

  return { usersCreate, usersUpdate, removeUser };
}

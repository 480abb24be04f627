/**
 * Users of the Directory API simulator: list (search queries, `orderBy`, `projection`, `domain`),
 * get, insert, update/patch, delete and undelete.
 */
import { isObject, lower } from '../http-kit';
import { userIdFor } from './data';
import type { Directory } from './directory';
import { composeEmails, nonEditableAliasOf, parseTypedEmails, typedEmailsOf } from './emails';
import { duplicate, invalid, notFound, parseError } from './errors';
import { decodeToken, fingerprint, intParam, page, stamp } from './paging';
import { type FieldGetter, parseQuery } from './query';

const NEVER = '1970-01-01T00:00:00.000Z';

const USER_QUERY_FIELDS: Record<string, FieldGetter> = {
  email: (u) => [u.primaryEmail, ...(u.aliases ?? [])],
  name: (u) => [u.name?.fullName, u.name?.givenName, u.name?.familyName],
  givenName: (u) => u.name?.givenName,
  familyName: (u) => u.name?.familyName,
  orgUnitPath: (u) => u.orgUnitPath,
  isSuspended: (u) => String(!!u.suspended),
  isAdmin: (u) => String(!!u.isAdmin),
  isDelegatedAdmin: (u) => String(!!u.isDelegatedAdmin),
  isArchived: (u) => String(!!u.archived),
  isEnrolledIn2Sv: (u) => String(!!u.isEnrolledIn2Sv),
  directManager: (u) =>
    (u.relations ?? []).filter((r: any) => r?.type === 'manager').map((r: any) => r.value),
};
const USER_QUERY_DEFAULTS = ['email', 'givenName', 'familyName'];

const USER_WRITABLE = [
  'organizations',
  'phones',
  'relations',
  'addresses',
  'externalIds',
  'locations',
  'languages',
  'keywords',
  'websites',
  'ims',
  'gender',
  'notes',
  'customSchemas',
  'recoveryEmail',
  'recoveryPhone',
  'posixAccounts',
  'sshPublicKeys',
];

const USER_FLAGS = [
  'changePasswordAtNextLogin',
  'includeInGlobalAddressList',
  'ipWhitelisted',
  'archived',
];

export function writeUser(d: Directory, id: string, base: any | undefined, body: any): any {
  const { customerId, domain, passwords } = d;
  if (!isObject(body)) throw parseError();
  const user: Record<string, any> = base
    ? { ...base }
    : {
        kind: 'admin#directory#user',
        id,
        etag: '',
        primaryEmail: '',
        name: {},
        isAdmin: false,
        isDelegatedAdmin: false,
        lastLoginTime: NEVER,
        creationTime: new Date().toISOString(),
        agreedToTerms: false,
        suspended: false,
        archived: false,
        changePasswordAtNextLogin: false,
        ipWhitelisted: false,
        emails: [],
        customerId,
        orgUnitPath: '/',
        isMailboxSetup: false,
        isEnrolledIn2Sv: false,
        isEnforcedIn2Sv: false,
        includeInGlobalAddressList: true,
      };
  if (!base && !body.primaryEmail) throw invalid('Invalid Input: primary_user_email');
  if (body.primaryEmail !== undefined && body.primaryEmail !== null) {
    const email = d.emailOf(body.primaryEmail, 'primary_user_email');
    if (email !== lower(user.primaryEmail)) {
      if (d.emailTaken(email, id)) throw duplicate();
      const aliases = (Array.isArray(user.aliases) ? user.aliases : []).filter(
        (a: string) => lower(a) !== email,
      );
      if (base) aliases.push(lower(base.primaryEmail));
      user.primaryEmail = email;
      if (aliases.length) user.aliases = aliases;
      else delete user.aliases;
    }
  }
  if (body.name !== undefined || !base) {
    if (!isObject(body.name) && base) throw invalid('Invalid Given/Family Name: GivenName');
    const given =
      body.name?.givenName !== undefined
        ? String(body.name.givenName).trim()
        : user.name?.givenName;
    const family =
      body.name?.familyName !== undefined
        ? String(body.name.familyName).trim()
        : user.name?.familyName;
    if (!given || given.length > 60) throw invalid('Invalid Given/Family Name: GivenName');
    if (!family || family.length > 60) throw invalid('Invalid Given/Family Name: FamilyName');
    user.name = { givenName: given, familyName: family, fullName: `${given} ${family}` };
  }
  if (body.password !== undefined || !base) {
    if (typeof body.password !== 'string' || body.password.length < 8 || body.password.length > 100)
      throw invalid('Invalid Password');
    passwords.set(id, body.password);
  }
  if (body.suspended !== undefined) {
    user.suspended = body.suspended === true;
    if (user.suspended) user.suspensionReason = 'ADMIN';
    else delete user.suspensionReason;
  }
  if (body.orgUnitPath !== undefined)
    user.orgUnitPath = body.orgUnitPath === null ? '/' : d.orgUnitPathOf(body.orgUnitPath);
  for (const flag of USER_FLAGS)
    if (body[flag] !== undefined && body[flag] !== null) user[flag] = body[flag] === true;
  for (const field of USER_WRITABLE) {
    if (body[field] === null) delete user[field];
    else if (body[field] !== undefined) user[field] = structuredClone(body[field]);
  }
  const typed =
    body.emails === undefined
      ? typedEmailsOf(base)
      : body.emails === null
        ? []
        : parseTypedEmails(body.emails);
  user.emails = composeEmails(user.primaryEmail, user.aliases, typed);
  user.nonEditableAliases = [nonEditableAliasOf(user.primaryEmail, domain)];
  return stamp(user);
}

/**
 * A user as `projection` asks (default `basic`: no `customSchemas`; `full`: all of them; `custom`:
 * the schemas named in `customFieldMask`).
 */
export function projectionOf(query: URLSearchParams): (user: any) => any {
  const projection = lower(query.get('projection') || 'basic');
  const mask = query.get('customFieldMask');
  if (projection === 'full') return (u) => u;
  if (projection === 'basic') return ({ customSchemas: _c, ...u }) => u;
  if (projection !== 'custom')
    throw invalid(`Invalid value for: ${query.get('projection')} is not a valid value`);
  if (!mask) throw invalid('Invalid Input: customFieldMask is required with projection=custom');
  const names = new Set(mask.split(',').map((m) => m.trim()));
  return ({ customSchemas, ...u }) => {
    const kept = isObject(customSchemas)
      ? Object.entries(customSchemas).filter(([name]) => names.has(name))
      : [];
    return kept.length ? { ...u, customSchemas: Object.fromEntries(kept) } : u;
  };
}
const USER_ORDER: Record<string, ((u: any) => string) | undefined> = {
  email: undefined,
  familyname: (u) => lower(u.name?.familyName),
  givenname: (u) => lower(u.name?.givenName),
};

export function usersList(d: Directory, query: URLSearchParams) {
  const { users, deletedUsers } = d;
  const onlyDomain = d.checkCustomer(query);
  const showDeleted = query.get('showDeleted') === 'true';
  const max = intParam(query, 'maxResults', 100, 500);
  const sortOrder = query.get('sortOrder');
  if (sortOrder && !['ascending', 'descending'].includes(lower(sortOrder)))
    throw invalid(`Invalid value for: ${sortOrder} is not a valid value`);
  const descending = lower(sortOrder) === 'descending';
  const orderBy = query.get('orderBy');
  if (orderBy && !(lower(orderBy) in USER_ORDER))
    throw invalid(`Invalid value for: ${orderBy} is not a valid value`);
  const project = projectionOf(query);
  const q = query.get('query') ?? '';
  const matches = q ? parseQuery(q, USER_QUERY_FIELDS, USER_QUERY_DEFAULTS) : undefined;
  const store = showDeleted ? deletedUsers : users;
  const filter =
    matches || onlyDomain
      ? (k: string) => {
          const u = store.peek(k);
          return (
            (!onlyDomain || d.domainOf(u.primaryEmail) === onlyDomain) && (!matches || matches(u))
          );
        }
      : undefined;
  const fp = fingerprint([
    'users',
    query.get('customer'),
    query.get('domain'),
    q,
    lower(orderBy),
    descending,
    showDeleted,
  ]);
  const after = decodeToken(query.get('pageToken'), fp);
  const byName = orderBy ? USER_ORDER[lower(orderBy)] : undefined;
  if (!byName) {
    const { keys, last, more } = store.page(after, max, descending, filter);
    return page(
      'admin#directory#users',
      'users',
      keys.map((k) => project(store.peek(k))),
      last,
      more,
      fp,
      keys,
    );
  }
  // By a name: ties broken by address; the page token holds the last (name, address) pair.
  const sortKey = (u: any) => JSON.stringify([byName(u), lower(u.primaryEmail)]);
  const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0) * (descending ? -1 : 1);
  const all = [...store.keys()]
    .filter((k) => !filter || filter(k))
    .map((k) => ({ k, sk: sortKey(store.peek(k)) }))
    .filter(({ sk }) => after === undefined || compare(sk, after) > 0)
    .sort((x, y) => compare(x.sk, y.sk));
  const chunk = all.slice(0, max);
  const keys = chunk.map((x) => x.k);
  return page(
    'admin#directory#users',
    'users',
    keys.map((k) => project(store.peek(k))),
    chunk.at(-1)?.sk,
    all.length > max,
    fp,
    keys,
  );
}

export function usersInsert(d: Directory, body: any) {
  const id = userIdFor(d.nextUserIndex++);
  const user = writeUser(d, id, undefined, body);
  d.users.set(id, user);
  return user;
}

export function usersUpdate(d: Directory, key: string, body: any) {
  const { id, user } = d.userOf(key);
  const next = writeUser(d, id, user, body);
  d.users.set(id, next);
  if (next.primaryEmail !== user.primaryEmail) d.renameMember(id, next.primaryEmail);
  return next;
}

export function usersDelete(d: Directory, key: string): void {
  const { id, user } = d.userOf(key);
  d.removeMemberEverywhere(id);
  d.users.delete(id);
  d.deletedUsers.set(id, { ...user, deletionTime: new Date().toISOString() });
}

export function usersUndelete(d: Directory, key: string, body: any): void {
  const user = d.deletedUsers.peek(key);
  if (!user) throw notFound('userKey');
  if (d.emailTaken(lower(user.primaryEmail))) throw duplicate();
  const { deletionTime: _t, ...rest } = user;
  const restored = stamp({
    ...rest,
    orgUnitPath:
      isObject(body) && body.orgUnitPath ? d.orgUnitPathOf(body.orgUnitPath) : rest.orgUnitPath,
  });
  d.deletedUsers.delete(key);
  d.users.set(key, restored);
}

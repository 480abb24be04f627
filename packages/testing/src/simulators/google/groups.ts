/**
 * Groups and members of the Directory API simulator: groups list (`customer`, `domain` or `userKey`,
 * search queries, `memberKey=`)/insert/update/patch/delete, members list (`roles`)/insert/update/patch.
 */
import { createHash } from 'node:crypto';
import { isObject, lower } from '../http-kit';
import type { IndexedMap } from '../indexed-map';
import { groupIdFor } from './data';
import type { Directory } from './directory';
import { ApiError, duplicate, invalid, notFound, parseError } from './errors';
import { decodeToken, fingerprint, intParam, page, stamp } from './paging';
import { type FieldGetter, parseQuery } from './query';

const ROLES = new Set(['MEMBER', 'MANAGER', 'OWNER']);

const GROUP_QUERY_FIELDS: Record<string, FieldGetter> = {
  email: (g) => [g.email, ...(g.aliases ?? [])],
  name: (g) => g.name,
};

export function groupsList(d: Directory, query: URLSearchParams) {
  const onlyDomain = d.checkCustomer(query, true);
  const max = intParam(query, 'maxResults', 200, 200);
  const descending = lower(query.get('sortOrder')) === 'descending';
  const q = query.get('query') ?? '';
  let memberKey = query.get('userKey');
  let filter: ((g: any, id: string) => boolean) | undefined;
  const memberCheck = (key: string) => {
    const memberId = d.findUserId(key) ?? d.findGroupId(key);
    return (gid: string) =>
      memberId !== undefined
        ? d.isDirectMember(gid, memberId)
        : d.members.seedOf(gid) === undefined &&
          d.membersOf(gid, false).find(lower(key)) !== undefined;
  };
  if (q) {
    const m = /(?:^|\s)memberKey=(\S+)/.exec(q);
    if (m) memberKey = m[1]!.replace(/^['"]|['"]$/g, '');
    const rest = q.replace(/(?:^|\s)memberKey=\S+/, '').trim();
    const byFields = rest ? parseQuery(rest, GROUP_QUERY_FIELDS, ['email', 'name']) : undefined;
    if (byFields) filter = (g) => byFields(g);
  }
  const byMember = memberKey ? memberCheck(memberKey) : undefined;
  const fp = fingerprint([
    'groups',
    query.get('customer'),
    query.get('domain'),
    query.get('userKey'),
    q,
    descending,
  ]);
  const after = decodeToken(query.get('pageToken'), fp);
  const inDomain = onlyDomain
    ? (k: string) => d.domainOf(d.groups.peek(k).email) === onlyDomain
    : undefined;
  const accept =
    filter || byMember || inDomain
      ? (k: string) =>
          (!inDomain || inDomain(k)) &&
          (!byMember || byMember(k)) &&
          (!filter || filter(d.groups.peek(k), k))
      : undefined;
  const { keys, last, more } = d.groups.page(after, max, descending, accept);
  return page(
    'admin#directory#groups',
    'groups',
    keys.map((k) => d.groupOut(k, d.groups.peek(k))),
    last,
    more,
    fp,
    keys,
  );
}

function groupsWrite(d: Directory, id: string, base: any | undefined, body: any) {
  if (!isObject(body)) throw parseError();
  const group: Record<string, any> = base
    ? { ...base }
    : {
        kind: 'admin#directory#group',
        id,
        etag: '',
        email: '',
        name: '',
        directMembersCount: '0',
        description: '',
        adminCreated: true,
      };
  if (!base && !body.email) throw new ApiError(400, 'Missing required field: email', 'required');
  if (body.email !== undefined && body.email !== null) {
    const email = d.emailOf(body.email, 'email');
    if (email !== lower(group.email)) {
      if (d.emailTaken(email, id)) throw duplicate();
      const aliases = (group.aliases ?? []).filter((a: string) => lower(a) !== email);
      if (base) aliases.push(lower(base.email));
      group.email = email;
      if (aliases.length) group.aliases = aliases;
      else delete group.aliases;
    }
  }
  if (body.name !== undefined) group.name = body.name === null ? '' : String(body.name);
  if (!base && !body.name) group.name = group.email.slice(0, group.email.indexOf('@'));
  if (body.description !== undefined)
    group.description = body.description === null ? '' : String(body.description);
  return stamp(group);
}

export function groupsInsert(d: Directory, body: any) {
  const id = groupIdFor(d.nextGroupIndex++);
  const group = groupsWrite(d, id, undefined, body);
  d.groups.set(id, group);
  d.members.set(id, d.newMemberMap());
  return d.groupOut(id, group);
}

export function groupsUpdate(d: Directory, key: string, body: any) {
  const { id, group } = d.groupOf(key);
  const next = groupsWrite(d, id, group, body);
  d.groups.set(id, next);
  if (next.email !== group.email) d.renameMember(id, next.email);
  return d.groupOut(id, next);
}

export function groupsDelete(d: Directory, key: string): void {
  const { id } = d.groupOf(key);
  d.removeMemberEverywhere(id);
  d.groups.delete(id);
  d.members.delete(id);
}

// --- members ---------------------------------------------------------------------------------------

export function findMember(d: Directory, map: IndexedMap<any>, key: string): string | undefined {
  if (map.has(key)) return key;
  const byEmail = map.find(lower(key));
  if (byEmail !== undefined) return byEmail;
  const memberId = d.findUserId(key) ?? d.findGroupId(key);
  return memberId !== undefined && map.has(memberId) ? memberId : undefined;
}

export function membersList(d: Directory, groupKey: string, query: URLSearchParams) {
  const { id } = d.groupOf(groupKey);
  const max = intParam(query, 'maxResults', 200, 200);
  const roles = query.get('roles');
  const wanted = roles ? new Set(roles.split(',').map((r) => r.trim().toUpperCase())) : undefined;
  const map = d.membersOf(id, false);
  const fp = fingerprint(['members', id, roles]);
  const after = decodeToken(query.get('pageToken'), fp);
  const { keys, last, more } = map.page(
    after,
    max,
    false,
    wanted ? (k) => wanted.has(map.peek(k)?.role) : undefined,
  );
  return page(
    'admin#directory#members',
    'members',
    keys.map((k) => d.memberOut(map.peek(k))),
    last,
    more,
    fp,
    keys,
  );
}

export function membersInsert(d: Directory, groupKey: string, body: any) {
  const { id: groupId } = d.groupOf(groupKey);
  if (!isObject(body)) throw parseError();
  const key = String(body.email ?? body.id ?? '');
  if (!key) throw new ApiError(400, 'Missing required field: memberKey', 'required');
  const role =
    body.role === undefined || body.role === null ? 'MEMBER' : String(body.role).toUpperCase();
  if (!ROLES.has(role)) throw invalid('Invalid Input: role');
  let member: Record<string, any>;
  const userId = d.findUserId(key);
  const memberGroupId = userId === undefined ? d.findGroupId(key) : undefined;
  if (userId !== undefined) {
    member = {
      kind: 'admin#directory#member',
      id: userId,
      email: lower(d.users.peek(userId)!.primaryEmail),
      role,
      type: 'USER',
      status: 'ACTIVE',
    };
  } else if (memberGroupId !== undefined) {
    if (memberGroupId === groupId) throw invalid('Invalid Input: memberKey');
    member = {
      kind: 'admin#directory#member',
      id: memberGroupId,
      email: lower(d.groups.peek(memberGroupId)!.email),
      role,
      type: 'GROUP',
      status: 'ACTIVE',
    };
  } else {
    const email = lower(key).trim();
    if (!email.includes('@') || d.domains.has(d.domainOf(email))) throw notFound('memberKey');
    const digits = BigInt(`0x${createHash('sha1').update(email).digest('hex').slice(0, 16)}`)
      .toString()
      .padStart(20, '0');
    member = {
      kind: 'admin#directory#member',
      id: `1${digits.slice(0, 20)}`,
      email,
      role,
      type: 'USER',
      status: 'ACTIVE',
    };
  }
  if (typeof body.delivery_settings === 'string') member.delivery_settings = body.delivery_settings;
  const map = d.membersOf(groupId, true);
  if (map.has(member.id) || map.find(member.email) !== undefined)
    throw duplicate('Member already exists.');
  map.set(member.id, member);
  return d.memberOut(member);
}

export function memberAt(d: Directory, groupKey: string, memberKey: string, keep: boolean) {
  const { id: groupId } = d.groupOf(groupKey);
  const map = d.membersOf(groupId, keep);
  const memberId = findMember(d, map, memberKey);
  if (memberId === undefined) throw notFound('memberKey');
  return { map, memberId, member: map.peek(memberId)! };
}

export function membersUpdate(d: Directory, groupKey: string, memberKey: string, body: any) {
  const { map, memberId, member } = memberAt(d, groupKey, memberKey, true);
  if (!isObject(body)) throw parseError();
  const next = { ...member };
  if (body.role !== undefined && body.role !== null) {
    const role = String(body.role).toUpperCase();
    if (!ROLES.has(role)) throw invalid('Invalid Input: role');
    next.role = role;
  }
  if (typeof body.delivery_settings === 'string') next.delivery_settings = body.delivery_settings;
  map.set(memberId, next);
  return d.memberOut(next);
}

/**
 * Groups and members of the Graph simulator: create (with `owners@odata.bind`/`members@odata.bind`),
 * update, delete, and members list/add/remove (`$ref`).
 */
import { isObject, lower } from '../http-kit';
import type { Changes } from './changes';
import type { OData } from './odata';
import { GROUP_NAMES, GROUP_WRITABLE, USER_NAMES } from './schema';
import type { Tenant } from './tenant';
import { badRequest, type Ctx, notFound, type Reply } from './wire';

export type Groups = ReturnType<typeof createGroups>;

export function createGroups(t: Tenant, changes: Changes, o: OData) {
  const {
    users,
    groups,
    members,
    domain,
    seed,
    next,
    findUserId,
    groupOf,
    isMember,
    groupsContaining,
    typeOf,
    context,
    contextFor,
    linkWith,
    fingerprint,
  } = t;
  const { groupOut, pageSize, parseSelect, listAfter, listToken, directoryObjectOut } = o;

  const applyGroupChanges = (
    group: Record<string, any>,
    body: Record<string, any>,
    creating: boolean,
  ) => {
    for (const [key, value] of Object.entries(body)) {
      if (key.startsWith('@odata.') || key.endsWith('@odata.bind')) continue;
      const name = GROUP_NAMES.get(key.toLowerCase());
      if (!name)
        throw badRequest(
          `Property '${key}' does not exist as a declared property or extension property.`,
        );
      if (
        !GROUP_WRITABLE.has(name) ||
        (!creating &&
          ['mailEnabled', 'securityEnabled', 'groupTypes'].includes(name) &&
          value !== group[name])
      )
        throw badRequest(`Property '${name}' is read-only and cannot be set.`);
      if (name === 'mailEnabled' || name === 'securityEnabled') {
        if (typeof value !== 'boolean')
          throw badRequest(`Invalid value specified for property '${name}' of resource 'Group'.`);
        group[name] = value;
      } else if (name === 'groupTypes') {
        if (!Array.isArray(value))
          throw badRequest(
            "Invalid value specified for property 'groupTypes' of resource 'Group'.",
          );
        group.groupTypes = value.map(String);
      } else if (name === 'mailNickname') {
        const nick = String(value ?? '');
        if (!/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]{1,64}$/.test(nick))
          throw badRequest(
            "Invalid value specified for property 'mailNickname' of resource 'Group'.",
          );
        group.mailNickname = nick;
      } else group[name] = value === null ? null : String(value);
    }
  };
  const groupsCreate = (ctx: Ctx): Reply => {
    const body = ctx.body;
    if (!isObject(body)) throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
    for (const p of ['displayName', 'mailEnabled', 'mailNickname', 'securityEnabled'])
      if (body[p] === undefined || body[p] === null || body[p] === '')
        throw badRequest(`Invalid value specified for property '${p}' of resource 'Group'.`);
    const id = seed.groupId(next.group++);
    const group: Record<string, any> = {
      id,
      createdDateTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      description: null,
      displayName: null,
      groupTypes: [],
      mail: null,
      mailEnabled: false,
      mailNickname: null,
      securityEnabled: true,
      visibility: null,
    };
    applyGroupChanges(group, body, true);
    const unified = group.groupTypes.includes('Unified');
    if (group.mailEnabled && !unified)
      throw badRequest(
        'Mail-enabled security groups cannot be created through the API.',
        'Request_BadRequest',
      );
    if (unified) {
      group.mail = `${group.mailNickname}@${domain}`;
      if (
        groups.find(lower(group.mail)) !== undefined ||
        users.find(lower(group.mail)) !== undefined
      )
        throw badRequest(
          'Another object with the same value for property proxyAddresses already exists.',
        );
      group.visibility = group.visibility ?? 'Public';
    }
    const owners: string[] = [];
    const initial: string[] = [];
    for (const [bindKey, list] of [
      ['owners@odata.bind', owners],
      ['members@odata.bind', initial],
    ] as const) {
      const refs = body[bindKey];
      if (refs === undefined) continue;
      if (!Array.isArray(refs) || refs.length > 20)
        throw badRequest(
          `Invalid value specified for property '${bindKey.split('@')[0]}' of resource 'Group'.`,
        );
      for (const ref of refs) list.push(refTarget(ref));
    }
    groups.set(id, group);
    members.set(id, new Set());
    changes.recordGroup(id);
    for (const mid of initial) addMember(id, mid);
    return {
      status: 201,
      body: { '@odata.context': contextFor('groups', null, true), ...groupOut(group, null, null) },
    };
  };
  const groupsUpdate = (key: string, ctx: Ctx): Reply => {
    const { id, group } = groupOf(key);
    if (!isObject(ctx.body))
      throw badRequest('Empty Payload. JSON content expected.', 'BadRequest');
    const next = structuredClone(group);
    applyGroupChanges(next, ctx.body, false);
    groups.set(id, next);
    changes.recordGroup(id);
    return { status: 204 };
  };
  const removeGroup = (id: string) => {
    for (const gid of groupsContaining(id)) {
      members.get(gid)!.delete(id);
      changes.recordMember(gid, id, false, '#microsoft.graph.group');
    }
    groups.delete(id);
    members.delete(id);
    changes.memberChanges.delete(id);
    changes.record('g', id);
  };
  /** The object id named by a `$ref` body or an `@odata.bind` URL (`.../directoryObjects/{id}`, `users/{id}`, `groups/{id}`). */
  const refTarget = (ref: unknown): string => {
    const url = String(ref ?? '');
    const m = /(?:directoryObjects|users|groups)(?:\/|\(')([^/?')]+)'?\)?\/?$/.exec(url);
    if (!m) throw badRequest(`Invalid object identifier '${url}'.`);
    const key = decodeURIComponent(m[1]!);
    const id = groups.has(key) ? key : findUserId(key);
    if (id === undefined || (!groups.has(id) && !users.has(id))) throw notFound(key);
    return id;
  };
  const addMember = (groupId: string, memberId: string) => {
    if (memberId === groupId) throw badRequest('A group cannot be a member of itself.');
    if (isMember(groupId, memberId))
      throw badRequest(
        "One or more added object references already exist for the following modified properties: 'members'.",
      );
    let set = members.get(groupId);
    if (!set) members.set(groupId, (set = new Set()));
    set.add(memberId);
    changes.recordMember(groupId, memberId, true, typeOf(memberId));
  };
  const removeMember = (groupId: string, memberId: string) => {
    if (!isMember(groupId, memberId)) throw notFound(memberId);
    members.get(groupId)!.delete(memberId);
    changes.recordMember(groupId, memberId, false, typeOf(memberId));
  };
  const membersList = (key: string, ctx: Ctx): Reply => {
    const { id } = groupOf(key);
    const top = pageSize(ctx.query, 100);
    const select = parseSelect(
      ctx.query.get('$select'),
      new Map([...USER_NAMES, ...GROUP_NAMES]),
      'directoryObject',
    );
    const fp = fingerprint(['members', id]);
    const after = listAfter(ctx.query, fp);
    const all = [...(members.peek(id) ?? [])].sort();
    const start = after === undefined ? 0 : all.findIndex((k) => k > after);
    const rest = start < 0 ? [] : all.slice(start);
    const keys = rest.slice(0, top);
    const body: Record<string, unknown> = { '@odata.context': context('directoryObjects') };
    if (rest.length > top)
      body['@odata.nextLink'] = linkWith(ctx.path, ctx.query, {
        $skiptoken: listToken(keys[keys.length - 1]!, fp),
      });
    body.value = keys.map((mid) => directoryObjectOut(mid, select));
    return { status: 200, body };
  };

  return {
    groupsCreate,
    groupsUpdate,
    removeGroup,
    refTarget,
    addMember,
    removeMember,
    membersList,
  };
}

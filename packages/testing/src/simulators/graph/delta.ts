/**
 * Delta queries of the Graph simulator (`users/delta`, `groups/delta` with `members@delta`): the
 * initial round pages through the objects (a large group's members in parts), later rounds replay
 * the change log after the version their delta link holds. Skip and delta tokens are sealed state.
 */
import { isObject } from '../http-kit';
import type { Changes } from './changes';
import type { OData } from './odata';
import { GROUP_NAMES, USER_NAMES } from './schema';
import type { Tenant } from './tenant';
import type { GraphSimulatorOptions } from './types';
import { type Ctx, GraphError, type Reply } from './wire';

interface DeltaState {
  /** users or groups */
  k: 'u' | 'g';
  /** i: initial round page; c: incremental page; d: delta link */
  m: 'i' | 'c' | 'd';
  /** initial round: the last id of the previous page */
  a?: string;
  /** initial round: members@delta of group `a` already sent (more follow) */
  o?: number;
  /** the version the round reports changes after */
  b: number;
  /** incremental round: the version of the last log entry processed */
  c?: number;
  /** $select */
  s: string;
  /** page size */
  n: number;
  /** epoch (expireDeltaLinks) */
  e: number;
  /** issued at, ms */
  t: number;
}

export function createDelta(
  tenant: Tenant,
  changeLog: Changes,
  odata: OData,
  options: GraphSimulatorOptions,
) {
  const { users, groups, members, typeOf, seal, unseal, v1, contextFor } = tenant;
  const { pageSize, parseSelect, userOut, groupOut } = odata;
  const deltaTtl = options.deltaTokenTtlMs ?? 7 * 86_400_000;
  const membersPerPage = Math.max(1, Math.floor(options.deltaMembersPerPage ?? 100));
  const expiredDeltaStatus = options.expiredDeltaStatus ?? 400;

  const resync = () =>
    expiredDeltaStatus === 410
      ? new GraphError(
          410,
          'resyncRequired',
          'Resync required. Replace any local cached copies of the collection with the versions from the server by restarting the initial delta query without a delta or skip token.',
        )
      : new GraphError(
          400,
          'syncStateNotFound',
          'The sync state for this delta token was not found or has expired. Restart the initial delta query without a delta or skip token.',
        );
  const readDeltaToken = (raw: string, kind: 'u' | 'g'): DeltaState => {
    const state = unseal(raw) as DeltaState | undefined;
    if (
      !isObject(state) ||
      state.k !== kind ||
      state.e !== changeLog.epoch ||
      typeof state.t !== 'number' ||
      Date.now() - state.t > deltaTtl ||
      state.b > changeLog.version
    )
      throw resync();
    return state;
  };
  const deltaPage = (kind: 'u' | 'g', ctx: Ctx): Reply => {
    const { query, headers } = ctx;
    const names = kind === 'u' ? USER_NAMES : GROUP_NAMES;
    const typeName = kind === 'u' ? 'user' : 'group';
    const entity = kind === 'u' ? 'users' : 'groups';
    const prefer = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(headers.prefer ?? '')?.[1];
    const skip = query.get('$skiptoken');
    const deltaToken = query.get('$deltatoken');
    let state: DeltaState;
    if (skip) state = readDeltaToken(skip, kind);
    else if (deltaToken && deltaToken !== 'latest') {
      const link = readDeltaToken(deltaToken, kind);
      state = { ...link, m: 'c', c: link.b, t: Date.now() };
    } else {
      const select = query.get('$select') ?? '';
      parseSelect(select, names, typeName, kind === 'g' ? ['members'] : []);
      state = {
        k: kind,
        m: 'i',
        b: changeLog.version,
        s: select,
        n: 100,
        e: changeLog.epoch,
        t: Date.now(),
      };
    }
    let size = prefer ? Number(prefer) : query.get('$top') ? pageSize(query, state.n) : state.n;
    size = Math.min(999, Math.max(1, size));
    const select = parseSelect(state.s || null, names, typeName, kind === 'g' ? ['members'] : []);
    const withMembers = kind === 'g' && (!select || select.includes('members'));
    const base = state.b;
    const body: Record<string, unknown> = { '@odata.context': contextFor(entity, select) };
    const value: Array<Record<string, unknown>> = [];
    const out = (_id: string, v: any) =>
      kind === 'u' ? userOut(v, select, null) : groupOut(v, select, null);
    const memberDelta = (gid: string, since: number | null): Array<Record<string, unknown>> => {
      if (since === null)
        return [...(members.peek(gid) ?? [])].map((mid) => ({
          '@odata.type': typeOf(mid),
          id: mid,
        }));
      const changes = changeLog.memberChanges.get(gid);
      const list: Array<Record<string, unknown>> = [];
      if (changes)
        for (const [mid, c] of changes)
          if (c.v > since)
            list.push(
              c.added
                ? { '@odata.type': c.type, id: mid }
                : { '@odata.type': c.type, id: mid, '@removed': { reason: 'deleted' } },
            );
      return list;
    };
    let next: DeltaState | undefined;
    if (deltaToken === 'latest' && !skip) {
      // "Sync from now": no data, a delta link at the current version.
    } else if (state.m === 'i') {
      const store = kind === 'u' ? users : groups;
      // A large group's members@delta comes in parts: the group is repeated (id and the next part only).
      const part = (
        id: string,
        from: number,
      ): { list: Array<Record<string, unknown>>; rest: boolean } => {
        const all = memberDelta(id, null);
        return {
          list: all.slice(from, from + membersPerPage),
          rest: all.length > from + membersPerPage,
        };
      };
      let split: number | undefined;
      if (withMembers && state.a !== undefined && state.o !== undefined && groups.peek(state.a)) {
        const { list, rest } = part(state.a, state.o);
        value.push({ '@odata.type': '#microsoft.graph.group', id: state.a, 'members@delta': list });
        if (rest) split = state.o + membersPerPage;
      }
      if (split !== undefined) next = { ...state, o: split, n: size, t: Date.now() };
      else {
        const { keys, more } = store.page(state.a, Math.max(1, size - value.length));
        let last: string | undefined;
        for (const id of keys) {
          const item = out(id, store.peek(id));
          last = id;
          if (withMembers) {
            const { list, rest } = part(id, 0);
            item['members@delta'] = list;
            if (rest) split = membersPerPage;
          }
          value.push(item);
          if (split !== undefined) break;
        }
        if (last !== undefined && (split !== undefined || more))
          next = { ...state, a: last, o: split, n: size, t: Date.now() };
      }
    } else {
      const log = changeLog.logs[kind];
      let lo = 0;
      let hi = log.versions.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (log.versions[mid]! <= state.c!) lo = mid + 1;
        else hi = mid;
      }
      let pos = lo;
      let cursor = state.c!;
      const live = () => {
        while (pos < log.versions.length && log.last.get(log.ids[pos]!) !== log.versions[pos])
          cursor = log.versions[pos++]!;
      };
      live();
      while (pos < log.versions.length && value.length < size) {
        const id = log.ids[pos]!;
        cursor = log.versions[pos++]!;
        const v = kind === 'u' ? users.peek(id) : groups.peek(id);
        if (!v) value.push({ id, '@removed': { reason: kind === 'u' ? 'changed' : 'deleted' } });
        else if (kind === 'u') value.push(out(id, v));
        else {
          const propsChanged = (changeLog.groupPropsVersion.get(id) ?? 0) > base;
          const delta = withMembers ? memberDelta(id, base) : [];
          if (propsChanged) {
            const item = out(id, v);
            if (withMembers && delta.length) item['members@delta'] = delta;
            value.push(item);
          } else if (delta.length)
            value.push({ '@odata.type': '#microsoft.graph.group', id, 'members@delta': delta });
        }
        live();
      }
      if (pos < log.versions.length) next = { ...state, c: cursor, n: size, t: Date.now() };
      else state = { ...state, b: Math.max(cursor, base) };
    }
    if (next) body['@odata.nextLink'] = `${v1()}/${entity}/delta?$skiptoken=${seal(next)}`;
    else {
      const b =
        deltaToken === 'latest' && !skip ? changeLog.version : state.m === 'i' ? base : state.b;
      body['@odata.deltaLink'] =
        `${v1()}/${entity}/delta?$deltatoken=${seal({ k: kind, m: 'd', b, s: state.s, n: size, e: changeLog.epoch, t: Date.now() } satisfies DeltaState)}`;
    }
    body.value = value;
    return {
      status: 200,
      body,
      headers: prefer ? { 'Preference-Applied': `odata.maxpagesize=${size}` } : {},
    };
  };

  return deltaPage;
}

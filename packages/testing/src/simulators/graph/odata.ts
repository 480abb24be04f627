/**
 * Graph's OData query options (`$top`, `$select`, `$expand`, `$filter`, `$count`, `$skiptoken`),
 * the wire shapes of users, groups and directory objects, and list pages in id order that resume
 * after the last id.
 */
import { lower } from '../http-kit';
import type { IndexedMap } from '../indexed-map';
import { parseFilter } from './filter';
import { GROUP_NAMES, USER_DEFAULT, USER_NAMES } from './schema';
import type { Tenant } from './tenant';
import { badRequest, type Ctx, type Reply, unsupported } from './wire';

export type OData = ReturnType<typeof createOData>;

export function createOData(t: Tenant) {
  const { users, groups, members, managerOf, seal, unseal, fingerprint, context, linkWith } = t;

  const pageSize = (query: URLSearchParams, fallback: number): number => {
    const raw = query.get('$top');
    if (raw === null || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 999)
      throw badRequest(
        `Invalid page size specified: '${raw}'. Must be between 1 and 999 inclusive.`,
      );
    return n;
  };
  const parseSelect = (
    raw: string | null,
    names: Map<string, string>,
    typeName: string,
    extra: string[] = [],
  ): string[] | null => {
    if (raw === null || raw.trim() === '') return null;
    const out: string[] = [];
    for (const part of raw.split(',')) {
      const name = part.trim();
      if (name === '*') return [...names.values(), ...extra];
      const c =
        names.get(name.toLowerCase()) ?? extra.find((e) => e.toLowerCase() === name.toLowerCase());
      if (!c)
        throw badRequest(
          `Could not find a property named '${name}' on type 'microsoft.graph.${typeName}'.`,
        );
      if (!out.includes(c)) out.push(c);
    }
    return out;
  };
  const project = (
    value: Record<string, any>,
    select: string[] | null | undefined,
    defaults: readonly string[] | null,
  ): Record<string, any> => {
    const fields = select ?? defaults;
    if (!fields) return { ...value };
    const out: Record<string, any> = {};
    for (const f of fields)
      if (f !== 'members')
        out[f] = value[f] ?? (f === 'businessPhones' || f === 'groupTypes' ? [] : null);
    if (out.id === undefined) out.id = value.id;
    return out;
  };
  const advanced = (headers: Record<string, string>) =>
    lower(headers.consistencylevel) === 'eventual';
  const checkQueryOptions = (query: URLSearchParams, allowed: string[]) => {
    for (const key of query.keys()) {
      if (key.startsWith('$') && !allowed.includes(key)) {
        if (key === '$orderby' || key === '$search' || key === '$skip') throw unsupported();
        throw badRequest(
          `Query option '${key}' is not allowed. Make sure that it is supported by the endpoint.`,
          'BadRequest',
        );
      }
    }
  };
  /** `$expand=manager` or `manager($select=a,b)` (users), `members` (groups). */
  const parseExpand = (
    raw: string | null,
    nav: string,
    typeName: string,
  ): { select: string[] | null } | null => {
    if (!raw) return null;
    const m = /^\s*([A-Za-z]+)\s*(?:\(\s*\$select\s*=\s*([^)]*)\))?\s*$/.exec(raw);
    if (!m || m[1]!.toLowerCase() !== nav.toLowerCase())
      throw badRequest(
        `Could not find a navigation property named '${m?.[1] ?? raw}' on type 'microsoft.graph.${typeName}'.`,
      );
    return { select: m[2] ? m[2].split(',').map((s) => s.trim()) : null };
  };
  const userOut = (
    user: any,
    select: string[] | null,
    expand: { select: string[] | null } | null,
  ): Record<string, any> => {
    const out = project(user, select, USER_DEFAULT);
    if (expand) {
      const mid = managerOf(user.id);
      const manager = mid === undefined ? undefined : users.peek(mid);
      if (manager)
        out.manager = {
          '@odata.type': '#microsoft.graph.user',
          ...project(
            manager,
            expand.select && parseSelect(expand.select.join(','), USER_NAMES, 'user'),
            USER_DEFAULT,
          ),
        };
    }
    return out;
  };
  const groupOut = (
    group: any,
    select: string[] | null,
    expand: { select: string[] | null } | null,
  ): Record<string, any> => {
    const out = project(group, select, null);
    if (expand) {
      const ids = [...(members.peek(group.id) ?? [])].slice(0, 20);
      out.members = ids.map((mid) =>
        directoryObjectOut(
          mid,
          expand.select &&
            parseSelect(
              expand.select.join(','),
              new Map([...USER_NAMES, ...GROUP_NAMES]),
              'directoryObject',
            ),
        ),
      );
    }
    return out;
  };
  const directoryObjectOut = (id: string, select: string[] | null): Record<string, any> => {
    const group = groups.peek(id);
    if (group)
      return {
        '@odata.type': '#microsoft.graph.group',
        ...project(
          group,
          select?.filter((s) => GROUP_NAMES.has(s.toLowerCase())),
          null,
        ),
      };
    const user = users.peek(id);
    return {
      '@odata.type': '#microsoft.graph.user',
      ...project(
        user ?? { id },
        select?.filter((s) => USER_NAMES.has(s.toLowerCase())),
        USER_DEFAULT,
      ),
    };
  };

  // --- lists ------------------------------------------------------------------------------------------
  const listToken = (last: string, fp: string) => seal(['l', last, fp]);
  const listAfter = (query: URLSearchParams, fp: string): string | undefined => {
    const raw = query.get('$skiptoken');
    if (!raw) return undefined;
    const parsed = unseal(raw);
    if (!Array.isArray(parsed) || parsed[0] !== 'l' || parsed[2] !== fp)
      throw badRequest('Invalid $skiptoken value.', 'Request_BadRequest');
    return parsed[1];
  };

  const listStore = (
    store: IndexedMap<any>,
    ctx: Ctx,
    opts: {
      entity: string;
      typeName: string;
      names: Map<string, string>;
      lookupProps: string[];
      out: (v: any) => Record<string, any>;
    },
  ): Reply => {
    const { query, headers, path } = ctx;
    const top = pageSize(query, 100);
    const filterText = query.get('$filter');
    const filter = filterText ? parseFilter(filterText, opts.names, opts.typeName) : undefined;
    if (filter?.needsAdvanced && !advanced(headers)) throw unsupported();
    const wantCount = lower(query.get('$count')) === 'true';
    if (wantCount && !advanced(headers))
      throw badRequest('$count is not currently supported.', 'Request_BadRequest');
    const fp = fingerprint([opts.entity, filterText]);
    const after = listAfter(query, fp);
    let keys: string[];
    let more: boolean;
    let total: number | undefined;
    if (filter?.lookup && opts.lookupProps.includes(filter.lookup.prop)) {
      const found = new Set<string>();
      for (const value of filter.lookup.values) {
        const id =
          filter.lookup.prop === 'id'
            ? store.has(value)
              ? value
              : store.has(lower(value))
                ? lower(value)
                : undefined
            : store.find(lower(value));
        if (id !== undefined && filter.test(store.peek(id)!)) found.add(id);
      }
      const all = [...found].sort();
      total = all.length;
      const start = after === undefined ? 0 : all.findIndex((k) => k > after);
      const rest = start < 0 ? [] : all.slice(start);
      keys = rest.slice(0, top);
      more = rest.length > top;
    } else {
      const accept = filter ? (k: string) => filter.test(store.peek(k)!) : undefined;
      const result = store.page(after, top, false, accept);
      keys = result.keys;
      more = result.more;
      if (wantCount) total = accept ? [...store.keys()].filter(accept).length : store.size;
    }
    const body: Record<string, unknown> = { '@odata.context': context(opts.entity) };
    if (wantCount) body['@odata.count'] = total;
    if (more && keys.length)
      body['@odata.nextLink'] = linkWith(path, query, {
        $skiptoken: listToken(keys[keys.length - 1]!, fp),
      });
    body.value = keys.map((k) => opts.out(store.peek(k)));
    return { status: 200, body };
  };

  return {
    pageSize,
    parseSelect,
    project,
    advanced,
    checkQueryOptions,
    parseExpand,
    userOut,
    groupOut,
    directoryObjectOut,
    listToken,
    listAfter,
    listStore,
  };
}

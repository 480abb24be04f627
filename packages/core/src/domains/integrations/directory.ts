/**
 * The synced directories of both clouds, read the same way: filters (search, removed rows, the link
 * to an organization user), one keyset page per list (`shared/paging.ts`), and the stored row ->
 * DTO mapping (raw JSON and hashes dropped, `removed` and `localUserId` added). Each vendor's
 * `directory.service.ts` names its tables and columns; `defineSyncedDirectory` is the rest.
 */
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import { z } from 'zod';
import type { HeliosError } from '../../errors';
import { CORE_ERRORS } from '../../errors/core.errors';
import type { ServiceRuntime } from '../../runtime';
import { type Camelize, camelize } from '../../shared/case';
import { type KeysetPage, keysetPage, type Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import type { CallOptions } from '../policy/actor';
import { isMarkedRemoved, type WritebackPlatform } from './writeback';

const LINK_COLUMN = {
  google_workspace: 'google_workspace_id',
  microsoft_365: 'microsoft_365_id',
} as const;

/** The filters every synced list has, plus the list's own conditions. */
export interface SyncedFilter {
  search?: string | undefined;
  includeRemoved?: boolean | undefined;
  linked?: boolean | undefined;
}

/** How one synced table is filtered: its alias, the columns `search` looks in, the cloud id for `linked`. */
export interface SyncedTable {
  alias: string;
  searchColumns: readonly string[];
  /** For `linked`: the cloud, and the column holding the cloud's id. */
  link?: { platform: WritebackPlatform; idColumn: string; organizationId: string };
}

/** `%text%` for ILIKE with the wildcards of `text` escaped. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Whether an organization user is linked to the row (`exists (...)`). */
function linkExists(link: NonNullable<SyncedTable['link']>): Expression<SqlBool> {
  return sql<SqlBool>`exists (select 1 from organization_users ou where ou.organization_id = ${link.organizationId} and ${sql.ref(`ou.${LINK_COLUMN[link.platform]}`)} = ${sql.ref(link.idColumn)})`;
}

/**
 * The where-clause of a synced list: the common filters (search in the table's columns, removed
 * rows hidden unless asked, linked or not) and the list's own `conditions`.
 */
export function syncedWhere(
  eb: ExpressionBuilder<any, any>,
  table: SyncedTable,
  filter: SyncedFilter,
  conditions: Expression<SqlBool>[] = [],
): Expression<SqlBool> {
  const all: Expression<SqlBool>[] = [];
  if (filter.search) {
    const pattern = containsPattern(filter.search);
    all.push(
      eb.or(
        table.searchColumns.map((column) =>
          eb(sql.ref(`${table.alias}.${column}`), 'ilike', pattern),
        ),
      ),
    );
  }
  all.push(...conditions);
  if (!filter.includeRemoved)
    all.push(sql<SqlBool>`${sql.ref(`${table.alias}.raw_data`)} -> '_helios' is null`);
  if (filter.linked !== undefined && table.link) {
    const link = linkExists(table.link);
    all.push(filter.linked ? link : sql<SqlBool>`not ${link}`);
  }
  return eb.and(all);
}

/** The linked organization user of a synced user row, as a `local_user_id` column. */
export function localUserIdColumn(
  eb: ExpressionBuilder<any, any>,
  platform: WritebackPlatform,
  organizationId: string,
  idColumn: string,
) {
  return eb
    .selectFrom('organization_users as ou')
    .select('ou.id')
    .where('ou.organization_id', '=', organizationId)
    .whereRef(`ou.${LINK_COLUMN[platform]}`, '=', idColumn)
    .limit(1)
    .as('local_user_id');
}

/** The keyset paging of a synced list, ordered by `sortKey` then the row id (use with `$call`). */
export function syncedPaging(spec: {
  list: string;
  sortKey: string | Expression<unknown>;
  idColumn: string;
  limit: number;
  cursor?: unknown;
}): KeysetPage {
  return keysetPage({
    list: spec.list,
    keys: [
      { by: spec.sortKey, kind: 'text' },
      { by: spec.idColumn, kind: 'uuid' },
    ],
    limit: spec.limit,
    cursor: spec.cursor,
  });
}

/** A stored row as its DTO: camelCase, without raw JSON or sync hash, with `removed`. */
export type SyncedDto<R> = Omit<Camelize<R>, 'rawData' | 'syncHash'> & { removed: boolean };

export function syncedDto<R extends { raw_data: unknown }>(row: R): SyncedDto<R> {
  const {
    rawData,
    syncHash: _hash,
    ...rest
  } = camelize(row) as Camelize<R> & { rawData: unknown; syncHash?: unknown };
  return {
    ...(rest as Omit<Camelize<R>, 'rawData' | 'syncHash'>),
    removed: isMarkedRemoved(rawData),
  };
}

/** A stored user row with its `local_user_id` as its DTO (`localUserId`). */
export function syncedUserDto<R extends { raw_data: unknown }>(
  row: R & { local_user_id: string | null },
): SyncedDto<R> & { localUserId: string | null } {
  const { local_user_id, ...stored } = row;
  return { ...syncedDto(stored as unknown as R), localUserId: local_user_id };
}

/**
 * The key of a `getUser` (an id, or an address with `@`), trimmed.
 * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED` when empty or longer than 255.
 */
export function directoryKey(
  value: unknown,
  what: { message: string; path: string; issue: string },
): string {
  const key = String(value ?? '').trim();
  if (!key || key.length > 255) {
    throw CORE_ERRORS.VALIDATION_FAILED({
      message: what.message,
      issues: [{ path: what.path, message: what.issue, code: 'custom' }],
    });
  }
  return key;
}

/** The fields every synced list takes: text search, removed rows, keyset paging. */
const syncedListFields = {
  /** Case-insensitive part of the list's text columns (each list names them). */
  search: z.string().trim().max(255).optional(),
  /** Include rows gone from the cloud (default false). */
  includeRemoved: z.boolean().optional(),
  /** Page size, 1..500 (default 50). */
  limit: z.int().min(1).max(500).default(50),
  /** The `nextCursor` of a previous page. */
  cursor: z.string().min(1).max(4000).nullable().optional(),
};

/** The filter of a synced list: the shared fields and the list's own `fields`, strict, default page of 50. */
export function syncedListSchema<S extends z.ZodRawShape>(fields: S) {
  const schema = z.object({ ...syncedListFields, ...fields }).strict();
  return schema.default({ limit: 50 } as never);
}

/** The filter of a synced user list: as `syncedListSchema`, plus `linked` (to an organization user). */
export function syncedUserListSchema<S extends z.ZodRawShape>(fields: S) {
  return syncedListSchema({
    ...fields,
    /** True: only users linked to an organization user; false: only unlinked ones. */
    linked: z.boolean().optional(),
  });
}

/** A stored user row as the lists select it. */
type StoredUserRow = { raw_data: unknown; local_user_id: string | null };

/** A parsed synced list filter. */
type ParsedListFilter = SyncedFilter & { limit: number; cursor?: string | null | undefined };

/** One synced table listed with keyset paging (`list` names the cursor; `sortKey` then the row id). */
export interface SyncedListSpec {
  /** The table with its alias (`gw_groups as g`). */
  from: string;
  alias: string;
  list: string;
  sortKey: string | Expression<unknown>;
  searchColumns: readonly string[];
  /** The permission that reads the list. */
  permission: 'users:read' | 'groups:read' | 'directory:read';
}

/** The users table of a cloud: the list, the cloud id column, the address column `getUser` matches. */
export interface SyncedUsersSpec<F> extends Omit<SyncedListSpec, 'permission' | 'alias'> {
  /** The column holding the cloud's user id (`google_id`). */
  cloudIdColumn: string;
  /** The lower-cased address column `getUser` matches a key with `@` against (`email`, `upn`). */
  addressColumn: string;
  /** The list's own filters that keep the rows whose column equals the value given (`{ isAdmin: 'is_admin' }`). */
  equals: Partial<Record<keyof F, string>>;
  /** The list's other conditions (on alias `u`). */
  conditions?(filter: F): Expression<SqlBool>[];
  /** How `getUser` names its key in a validation error. */
  key: { message: string; path: string; issue: string };
  notFound(key: string): HeliosError;
  /** With several rows for one key, take the most recently updated. */
  newestFirst?: boolean;
}

/** The groups table of a cloud: mirrored by `access_groups` rows (`external_id` = the cloud id). */
export interface SyncedGroupsSpec extends Omit<SyncedListSpec, 'permission' | 'alias'> {
  cloudIdColumn: string;
}

/** The filter of a synced list with no fields of its own (groups, org units). */
export const syncedPlainListSchema = syncedListSchema({});
/** Filters and paging of a synced list with no fields of its own. */
export type SyncedListInput = z.input<typeof syncedPlainListSchema>;

/**
 * A cloud's synced directory (read-only): `U`/`G` are the cloud's user and group DTOs, `UI`/`GI`
 * the inputs of its list schemas. Users need `users:read` on everyone (admins, API keys with the
 * scope); groups (`groups:read`) are readable by every user, as access groups are.
 */
export interface SyncedDirectoryService<U, G, UI, GI> {
  /**
   * Synced users by their address (email or UPN), 1..500 a page (keyset cursor), with the linked
   * organization user.
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   * @example
   * ```ts
   * const { items, nextCursor } = await helios.as(admin).google.directory.listUsers({ isSuspended: true, limit: 100 });
   * ```
   */
  listUsers(input?: UI, options?: CallOptions): Promise<Page<U>>;
  /**
   * One synced user by the cloud's id or by address (a key with `@`, case-insensitive).
   * @throws HeliosError NOT_FOUND `GOOGLE.USER_NOT_SYNCED` / `MICROSOFT.USER_NOT_SYNCED`; UNAUTHENTICATED; FORBIDDEN
   */
  getUser(idOrAddress: string, options?: CallOptions): Promise<U>;
  /** Synced groups (Google by email, Microsoft by display name), with their access group. @throws HeliosError as `listUsers` */
  listGroups(input?: GI, options?: CallOptions): Promise<Page<G>>;
}

/** The shared reads, and `list` for any other synced table (org units). */
export interface SyncedDirectory<U, G, UI, GI> extends SyncedDirectoryService<U, G, UI, GI> {
  list<R, I>(
    spec: SyncedListSpec,
    schema: z.ZodType<ParsedListFilter, I>,
    input: I | undefined,
    options?: CallOptions,
  ): Promise<Page<R>>;
}

/**
 * The read-only synced directory of a cloud: users (with the linked organization user), groups
 * (with their access group) and any other list, over the shared filters and paging. `U`/`G` are
 * the vendor's DTOs, `UI`/`GI` the inputs of its list schemas.
 */
export function defineSyncedDirectory<U, G, UI, GI, UF extends ParsedListFilter>(
  rt: ServiceRuntime,
  spec: {
    platform: WritebackPlatform;
    users: SyncedUsersSpec<UF> & { schema: z.ZodType<UF, UI> };
    groups: SyncedGroupsSpec & { schema: z.ZodType<ParsedListFilter, GI> };
  },
): SyncedDirectory<U, G, UI, GI> {
  const { platform, users, groups } = spec;
  const db = (s: { db: ServiceRuntime['db'] }) => s.db as unknown as import('kysely').Kysely<any>;
  const usersQuery = (s: { db: ServiceRuntime['db']; organizationId: string }) =>
    db(s)
      .selectFrom(users.from)
      .selectAll('u')
      .select((eb) => localUserIdColumn(eb, platform, s.organizationId, `u.${users.cloudIdColumn}`))
      .where('u.organization_id', '=', s.organizationId);
  const paging = (
    list: Omit<SyncedListSpec, 'permission' | 'alias'>,
    alias: string,
    filter: ParsedListFilter,
  ) =>
    syncedPaging({
      list: list.list,
      sortKey: list.sortKey,
      idColumn: `${alias}.id`,
      limit: filter.limit,
      cursor: filter.cursor,
    });

  return {
    listUsers: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('users:read');
        const filter = parseInput(users.schema, input);
        const page = paging(users, 'u', filter);
        const link = {
          platform,
          idColumn: `u.${users.cloudIdColumn}`,
          organizationId: s.organizationId,
        };
        const rows = await usersQuery(s)
          .where((eb) => {
            const own = Object.entries(users.equals as Record<string, string>).flatMap(
              ([field, column]) => {
                const value = (filter as Record<string, unknown>)[field];
                return value === undefined ? [] : [eb(`u.${column}`, '=', value)];
              },
            );
            return syncedWhere(
              eb,
              { alias: 'u', searchColumns: users.searchColumns, link },
              filter,
              [...own, ...(users.conditions?.(filter) ?? [])],
            );
          })
          .$call(page.query)
          .execute();
        return page.page(rows, (row) => syncedUserDto(row as StoredUserRow) as U);
      }),

    getUser: (value, options) =>
      rt.read(options, async (s) => {
        await s.authorize('users:read');
        const key = directoryKey(value, users.key);
        let query = usersQuery(s).where((eb) =>
          key.includes('@')
            ? eb(`u.${users.addressColumn}`, '=', key.toLowerCase())
            : eb(`u.${users.cloudIdColumn}`, '=', key),
        );
        if (users.newestFirst) query = query.orderBy('u.updated_at', 'desc');
        const row = await query.executeTakeFirst();
        if (!row) throw users.notFound(key);
        return syncedUserDto(row as StoredUserRow) as U;
      }),

    listGroups: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const filter = parseInput(groups.schema, input);
        const page = paging(groups, 'g', filter);
        const rows = await db(s)
          .selectFrom(groups.from)
          .leftJoin('access_groups as ag', (j) =>
            j
              .onRef('ag.external_id', '=', `g.${groups.cloudIdColumn}`)
              .on('ag.platform', '=', platform)
              .on('ag.organization_id', '=', s.organizationId),
          )
          .selectAll('g')
          .select('ag.id as access_group_id')
          .where('g.organization_id', '=', s.organizationId)
          .where((eb) =>
            syncedWhere(eb, { alias: 'g', searchColumns: groups.searchColumns }, filter),
          )
          .$call(page.query)
          .execute();
        return page.page(
          rows,
          ({ access_group_id, ...stored }) =>
            ({
              ...syncedDto(stored as { raw_data: unknown }),
              accessGroupId: access_group_id,
            }) as G,
        );
      }),

    list: (list, schema, input, options) =>
      rt.read(options, async (s) => {
        await s.authorize(list.permission);
        const filter = parseInput(schema, input);
        const page = paging(list, list.alias, filter);
        const rows = await db(s)
          .selectFrom(list.from)
          .selectAll(list.alias)
          .where(`${list.alias}.organization_id`, '=', s.organizationId)
          .where((eb) =>
            syncedWhere(eb, { alias: list.alias, searchColumns: list.searchColumns }, filter),
          )
          .$call(page.query)
          .execute();
        return page.page(rows, (row) => syncedDto(row as { raw_data: unknown }) as never);
      }),
  };
}

/**
 * The synced directories of both clouds, read the same way: filters (search, removed rows, the link
 * to an organization user), one keyset page per list (`shared/paging.ts`), and the stored row ->
 * DTO mapping (raw JSON and hashes dropped, `removed` and `localUserId` added).
 */
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import { CORE_ERRORS } from '../../errors/core.errors';
import { type Camelize, camelize } from '../../shared/case';
import { type KeysetPage, keysetPage } from '../../shared/paging';
import { containsPattern } from '../directory/directory.shared';
import { isMarkedRemoved, type WritebackPlatform } from './writeback';

const LINK_COLUMN = { google_workspace: 'google_workspace_id', microsoft_365: 'microsoft_365_id' } as const;

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
    all.push(eb.or(table.searchColumns.map((column) => eb(sql.ref(`${table.alias}.${column}`), 'ilike', pattern))));
  }
  all.push(...conditions);
  if (!filter.includeRemoved) all.push(sql<SqlBool>`${sql.ref(`${table.alias}.raw_data`)} -> '_helios' is null`);
  if (filter.linked !== undefined && table.link) {
    const link = linkExists(table.link);
    all.push(filter.linked ? link : sql<SqlBool>`not ${link}`);
  }
  return eb.and(all);
}

/** The linked organization user of a synced user row, as a `local_user_id` column. */
export function localUserIdColumn(eb: ExpressionBuilder<any, any>, platform: WritebackPlatform, organizationId: string, idColumn: string) {
  return eb
    .selectFrom('organization_users as ou')
    .select('ou.id')
    .where('ou.organization_id', '=', organizationId)
    .whereRef(`ou.${LINK_COLUMN[platform]}`, '=', idColumn)
    .limit(1)
    .as('local_user_id');
}

/** The keyset paging of a synced list, ordered by `sortKey` then the row id (use with `$call`). */
export function syncedPaging(spec: { list: string; sortKey: string | Expression<unknown>; idColumn: string; limit: number; cursor?: unknown }): KeysetPage {
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
  const { rawData, syncHash: _hash, ...rest } = camelize(row) as Camelize<R> & { rawData: unknown; syncHash?: unknown };
  return { ...(rest as Omit<Camelize<R>, 'rawData' | 'syncHash'>), removed: isMarkedRemoved(rawData) };
}

/** A stored user row with its `local_user_id` as its DTO (`localUserId`). */
export function syncedUserDto<R extends { raw_data: unknown }>(row: R & { local_user_id: string | null }): SyncedDto<R> & { localUserId: string | null } {
  const { local_user_id, ...stored } = row;
  return { ...syncedDto(stored as unknown as R), localUserId: local_user_id };
}

/**
 * The key of a `getUser` (an id, or an address with `@`), trimmed.
 * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED` when empty or longer than 255.
 */
export function directoryKey(value: unknown, what: { message: string; path: string; issue: string }): string {
  const key = String(value ?? '').trim();
  if (!key || key.length > 255) {
    throw CORE_ERRORS.VALIDATION_FAILED({ message: what.message, issues: [{ path: what.path, message: what.issue, code: 'custom' }] });
  }
  return key;
}

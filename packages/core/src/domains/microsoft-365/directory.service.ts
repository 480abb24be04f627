/**
 * The synced Microsoft 365 directory, read-only (`helios.microsoftDirectory`): users, groups (with
 * their members) and licences as the last sync stored them, with links to organization users and
 * access groups. Rows gone from Microsoft 365 are kept and flagged `removed`.
 */
import { type SqlBool, sql } from 'kysely';
import { z } from 'zod';
import type { Row } from '../../repositories/types';
import type { ServiceRuntime } from '../../runtime';
import { type Camelize, camelize } from '../../shared/case';
import type { Page } from '../../shared/paging';
import {
  defineSyncedDirectory,
  type SyncedDirectoryService,
  syncedPlainListSchema,
  syncedUserListSchema,
} from '../integrations/directory';
import type { CallOptions } from '../policy/actor';
import { MICROSOFT_ERRORS } from './errors';

/** A Microsoft 365 user as stored (without Graph's raw JSON). */
export type MicrosoftSyncedUser = Omit<Camelize<Row<'ms_synced_users'>>, 'rawData' | 'syncHash'> & {
  /** Gone from Microsoft 365 (the row is kept). */
  removed: boolean;
  /** The linked organization user, if any. */
  localUserId: string | null;
};
/** A Microsoft 365 group as stored, with its stable access group. */
export type MicrosoftSyncedGroup = Omit<
  Camelize<Row<'ms_synced_groups'>>,
  'rawData' | 'syncHash'
> & {
  removed: boolean;
  /** The `access_groups` row mirroring the group. */
  accessGroupId: string | null;
};
/** A license SKU as stored. */
export type MicrosoftLicense = Omit<Camelize<Row<'ms_licenses'>>, 'rawData'>;
/** @deprecated Use `MicrosoftLicense`. */
export type MicrosoftLicence = MicrosoftLicense;

/** @deprecated Use `Page<T>`. */
export type MicrosoftSyncedPage<T> = Page<T>;

/**
 * Filters and paging of `listUsers` (by UPN): `search` looks in the UPN, the mail and the display
 * name; `skuId` keeps the users holding that licence SKU id; `linked` and `includeRemoved` as every synced list.
 */
export const listSyncedMicrosoftUsersSchema = syncedUserListSchema({
  isAccountEnabled: z.boolean().optional(),
  isAdmin: z.boolean().optional(),
  department: z.string().trim().max(255).optional(),
  skuId: z.string().trim().max(64).optional(),
});
/** Filters and paging of `listUsers`. */
export type ListSyncedMicrosoftUsersInput = z.input<typeof listSyncedMicrosoftUsersSchema>;

/** Filters and paging of `listGroups` (by display name; `search` looks in it and the mail). */
export const listSyncedMicrosoftGroupsSchema = syncedPlainListSchema;
/** Filters and paging of `listGroups`. */
export type ListSyncedMicrosoftGroupsInput = z.input<typeof listSyncedMicrosoftGroupsSchema>;

/**
 * The synced Microsoft 365 directory (read-only, `helios.microsoft.directory`): the shared reads
 * (users by UPN, `getUser` by Graph id or UPN) and the licence SKUs (`organization:read`).
 */
export interface MicrosoftDirectoryService
  extends SyncedDirectoryService<
    MicrosoftSyncedUser,
    MicrosoftSyncedGroup,
    ListSyncedMicrosoftUsersInput,
    ListSyncedMicrosoftGroupsInput
  > {
  /**
   * The license SKUs with their units (total, consumed, available).
   * @example
   * ```ts
   * const skus = await helios.microsoft.directory.listLicenses();
   * ```
   */
  listLicenses(options?: CallOptions): Promise<MicrosoftLicense[]>;
  /** @deprecated Use `listLicenses` (removed in the next minor version). */
  listLicences(options?: CallOptions): Promise<MicrosoftLicense[]>;
}

/** Builds the read-only Microsoft directory service. */
export function createMicrosoftDirectoryService(rt: ServiceRuntime): MicrosoftDirectoryService {
  const directory = defineSyncedDirectory<
    MicrosoftSyncedUser,
    MicrosoftSyncedGroup,
    ListSyncedMicrosoftUsersInput,
    ListSyncedMicrosoftGroupsInput,
    z.output<typeof listSyncedMicrosoftUsersSchema>
  >(rt, {
    platform: 'microsoft_365',
    users: {
      schema: listSyncedMicrosoftUsersSchema,
      from: 'ms_synced_users as u',
      list: 'microsoft_users',
      sortKey: sql<string>`coalesce(u.upn, '')`,
      searchColumns: ['upn', 'email', 'display_name'],
      cloudIdColumn: 'ms_id',
      addressColumn: 'upn',
      equals: {
        isAccountEnabled: 'is_account_enabled',
        isAdmin: 'is_admin',
        department: 'department',
      },
      // Users holding the licence SKU: a jsonb containment on the assigned licences.
      conditions: (filter) =>
        filter.skuId
          ? [
              sql<SqlBool>`u.assigned_licenses @> ${JSON.stringify([{ skuId: filter.skuId }])}::jsonb`,
            ]
          : [],
      key: {
        message: 'Give a Graph user id or a UPN.',
        path: 'idOrUpn',
        issue: 'A Graph id or a UPN',
      },
      notFound: (key) => MICROSOFT_ERRORS.USER_NOT_SYNCED({ key }),
    },
    groups: {
      schema: listSyncedMicrosoftGroupsSchema,
      from: 'ms_synced_groups as g',
      list: 'microsoft_groups',
      sortKey: 'g.display_name',
      searchColumns: ['display_name', 'mail'],
      cloudIdColumn: 'ms_id',
    },
  });

  const listLicenses: MicrosoftDirectoryService['listLicenses'] = (options) =>
    rt.read(options, async (s) => {
      await s.authorize('organization:read');
      const rows = await s.db
        .selectFrom('ms_licenses')
        .selectAll()
        .where('organization_id', '=', s.organizationId)
        .orderBy('sku_part_number')
        .execute();
      return rows.map((row) => {
        const { rawData: _raw, ...rest } = camelize(row);
        return rest;
      });
    });

  const { list: _list, ...reads } = directory;
  return { ...reads, listLicenses, listLicences: listLicenses };
}

/**
 * The synced Microsoft 365 directory, read-only (`helios.microsoftDirectory`): users, groups (with
 * their members) and licences as the last sync stored them, with links to organization users and
 * access groups. Rows gone from Microsoft 365 are kept and flagged `removed`.
 */
import { type Expression, type SqlBool, sql } from 'kysely';
import { z } from 'zod';
import type { Row } from '../../repositories/types';
import type { ServiceRuntime } from '../../runtime';
import { type Camelize, camelize } from '../../shared/case';
import type { Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { cursorSchema, limitSchema } from '../directory/directory.shared';
import { directoryKey, localUserIdColumn, syncedDto, syncedPaging, syncedUserDto, syncedWhere } from '../integrations/directory';
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
export type MicrosoftSyncedGroup = Omit<Camelize<Row<'ms_synced_groups'>>, 'rawData' | 'syncHash'> & {
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

/** Filters and paging of `listUsers` (by UPN). */
export const listSyncedMicrosoftUsersSchema = z
  .object({
    /** Case-insensitive part of the UPN, the mail or the display name. */
    search: z.string().trim().max(255).optional(),
    isAccountEnabled: z.boolean().optional(),
    isAdmin: z.boolean().optional(),
    department: z.string().trim().max(255).optional(),
    /** Users holding this licence SKU id. */
    skuId: z.string().trim().max(64).optional(),
    /** True: only users linked to an organization user; false: only unlinked ones. */
    linked: z.boolean().optional(),
    includeRemoved: z.boolean().optional(),
    limit: limitSchema,
    cursor: cursorSchema,
  })
  .strict()
  .default({ limit: 50 });
/** Filters and paging of `listUsers`. */
export type ListSyncedMicrosoftUsersInput = z.input<typeof listSyncedMicrosoftUsersSchema>;

/** Filters and paging of `listGroups` (by display name). */
export const listSyncedMicrosoftGroupsSchema = z
  .object({
    search: z.string().trim().max(255).optional(),
    includeRemoved: z.boolean().optional(),
    limit: limitSchema,
    cursor: cursorSchema,
  })
  .strict()
  .default({ limit: 50 });
/** Filters and paging of `listGroups`. */
export type ListSyncedMicrosoftGroupsInput = z.input<typeof listSyncedMicrosoftGroupsSchema>;

/**
 * The synced Microsoft 365 directory (read-only). Users need `users:read` on everyone (admins, API
 * keys with the scope); groups (`groups:read`) and licences (`organization:read`) are readable by every user.
 */
export interface MicrosoftDirectoryService {
  /**
   * Synced users by UPN, 1..500 a page (keyset cursor), with the linked organization user.
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   * @example
   * ```ts
   * const { items } = await helios.as(admin).microsoftDirectory.listUsers({ isAccountEnabled: false });
   * ```
   */
  listUsers(input?: ListSyncedMicrosoftUsersInput, options?: CallOptions): Promise<Page<MicrosoftSyncedUser>>;
  /** One synced user by Graph id or UPN. @throws HeliosError NOT_FOUND `MICROSOFT.USER_NOT_SYNCED` */
  getUser(idOrUpn: string, options?: CallOptions): Promise<MicrosoftSyncedUser>;
  /** Synced groups by display name, with their access group. */
  listGroups(input?: ListSyncedMicrosoftGroupsInput, options?: CallOptions): Promise<Page<MicrosoftSyncedGroup>>;
  /**
   * The license SKUs with their units (total, consumed, available).
   * @example
   * ```ts
   * const skus = await helios.microsoftDirectory.listLicenses();
   * ```
   */
  listLicenses(options?: CallOptions): Promise<MicrosoftLicense[]>;
  /** @deprecated Use `listLicenses` (removed in the next minor version). */
  listLicences(options?: CallOptions): Promise<MicrosoftLicense[]>;
}

/** Builds the read-only Microsoft directory service. */
export function createMicrosoftDirectoryService(rt: ServiceRuntime): MicrosoftDirectoryService {
  const users = (s: { db: ServiceRuntime['db']; organizationId: string }) =>
    s.db
      .selectFrom('ms_synced_users as u')
      .selectAll('u')
      .select((eb) => localUserIdColumn(eb, 'microsoft_365', s.organizationId, 'u.ms_id'))
      .where('u.organization_id', '=', s.organizationId);

  const listLicenses: MicrosoftDirectoryService['listLicenses'] = (options) =>
    rt.read(options, async (s) => {
      await s.authorize('organization:read');
      const rows = await s.db.selectFrom('ms_licenses').selectAll().where('organization_id', '=', s.organizationId).orderBy('sku_part_number').execute();
      return rows.map((row) => {
        const { rawData: _raw, ...rest } = camelize(row);
        return rest;
      });
    });

  return {
    listUsers: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('users:read');
        const filter = parseInput(listSyncedMicrosoftUsersSchema, input);
        const paging = syncedPaging({
          list: 'microsoft_users',
          sortKey: sql<string>`coalesce(u.upn, '')`,
          idColumn: 'u.id',
          limit: filter.limit,
          cursor: filter.cursor,
        });
        const rows = await users(s)
          .where((eb) => {
            const own: Expression<SqlBool>[] = [];
            if (filter.isAccountEnabled !== undefined) own.push(eb('u.is_account_enabled', '=', filter.isAccountEnabled));
            if (filter.isAdmin !== undefined) own.push(eb('u.is_admin', '=', filter.isAdmin));
            if (filter.department !== undefined) own.push(eb('u.department', '=', filter.department));
            if (filter.skuId) own.push(sql<SqlBool>`u.assigned_licenses @> ${JSON.stringify([{ skuId: filter.skuId }])}::jsonb`);
            const link = { platform: 'microsoft_365' as const, idColumn: 'u.ms_id', organizationId: s.organizationId };
            return syncedWhere(eb, { alias: 'u', searchColumns: ['upn', 'email', 'display_name'], link }, filter, own);
          })
          .$call(paging.query)
          .execute();
        return paging.page(rows, syncedUserDto);
      }),

    getUser: (idOrUpn, options) =>
      rt.read(options, async (s) => {
        await s.authorize('users:read');
        const key = directoryKey(idOrUpn, { message: 'Give a Graph user id or a UPN.', path: 'idOrUpn', issue: 'A Graph id or a UPN' });
        const row = await users(s)
          .where((eb) => (key.includes('@') ? eb('u.upn', '=', key.toLowerCase()) : eb('u.ms_id', '=', key)))
          .executeTakeFirst();
        if (!row) throw MICROSOFT_ERRORS.USER_NOT_SYNCED({ key });
        return syncedUserDto(row);
      }),

    listGroups: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const filter = parseInput(listSyncedMicrosoftGroupsSchema, input);
        const paging = syncedPaging({ list: 'microsoft_groups', sortKey: 'g.display_name', idColumn: 'g.id', limit: filter.limit, cursor: filter.cursor });
        const rows = await s.db
          .selectFrom('ms_synced_groups as g')
          .leftJoin('access_groups as ag', (j) =>
            j.onRef('ag.external_id', '=', 'g.ms_id').on('ag.platform', '=', 'microsoft_365').on('ag.organization_id', '=', s.organizationId),
          )
          .selectAll('g')
          .select('ag.id as access_group_id')
          .where('g.organization_id', '=', s.organizationId)
          .where((eb) => syncedWhere(eb, { alias: 'g', searchColumns: ['display_name', 'mail'] }, filter))
          .$call(paging.query)
          .execute();
        return paging.page(rows, ({ access_group_id, ...row }) => ({ ...syncedDto(row as Row<'ms_synced_groups'>), accessGroupId: access_group_id }));
      }),

    listLicenses,
    listLicences: listLicenses,
  };
}

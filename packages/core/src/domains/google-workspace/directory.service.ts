/**
 * The synced Google Workspace directory, read-only (`helios.googleDirectory`): the users, groups and
 * org units the last sync stored (`gw_synced_users`, `gw_groups`, `gw_org_units`), with their links
 * to organization users and access groups. Rows gone from Google are kept and flagged `removed`.
 */
import type { Expression, SqlBool } from 'kysely';
import { z } from 'zod';
import type { Row } from '../../repositories/types';
import type { ServiceRuntime } from '../../runtime';
import type { Camelize } from '../../shared/case';
import type { Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { cursorSchema, limitSchema } from '../directory/directory.shared';
import { directoryKey, localUserIdColumn, syncedDto, syncedPaging, syncedUserDto, syncedWhere } from '../integrations/directory';
import type { CallOptions } from '../policy/actor';
import { GOOGLE_ERRORS } from './errors';
import type { GoogleWritebackGroup, GoogleWritebackUser } from './writeback.service';

/** A Google user as the last sync (or write-back) stored it. */
export type GoogleSyncedUser = GoogleWritebackUser;
/** A Google group as stored, with its stable access group id. */
export type GoogleSyncedGroup = Omit<GoogleWritebackGroup, 'accessGroupId'> & {
  /** The `access_groups` row mirroring the group (null only if it was never mirrored). */
  accessGroupId: string | null;
  /** True once the group is gone from Google (the row is kept). */
  removed: boolean;
};
/** A Google org unit as stored. */
export type GoogleSyncedOrgUnit = Omit<Camelize<Row<'gw_org_units'>>, 'rawData'> & { removed: boolean };

/** @deprecated Use `Page<T>`. */
export type GoogleSyncedPage<T> = Page<T>;

/** Filters and paging of `listUsers` (by email). */
export const listSyncedGoogleUsersSchema = z
  .object({
    /** Case-insensitive part of the email or the full name. */
    search: z.string().trim().max(255).optional(),
    isSuspended: z.boolean().optional(),
    isAdmin: z.boolean().optional(),
    /** Exactly this org unit path (`/Engineering`). */
    orgUnitPath: z.string().trim().max(255).optional(),
    /** True: only users linked to an organization user; false: only unlinked ones. */
    linked: z.boolean().optional(),
    /** Include users gone from Google (default false). */
    includeRemoved: z.boolean().optional(),
    limit: limitSchema,
    cursor: cursorSchema,
  })
  .strict()
  .default({ limit: 50 });
/** Filters and paging of `listUsers`. */
export type ListSyncedGoogleUsersInput = z.input<typeof listSyncedGoogleUsersSchema>;

/** Filters and paging of `listGroups` (by email). */
export const listSyncedGoogleGroupsSchema = z
  .object({
    /** Case-insensitive part of the email or the name. */
    search: z.string().trim().max(255).optional(),
    includeRemoved: z.boolean().optional(),
    limit: limitSchema,
    cursor: cursorSchema,
  })
  .strict()
  .default({ limit: 50 });
/** Filters and paging of `listGroups`. */
export type ListSyncedGoogleGroupsInput = z.input<typeof listSyncedGoogleGroupsSchema>;

/** Filters and paging of `listOrgUnits` (by path). */
export const listSyncedGoogleOrgUnitsSchema = z
  .object({
    /** Case-insensitive part of the path. */
    search: z.string().trim().max(255).optional(),
    includeRemoved: z.boolean().optional(),
    limit: limitSchema,
    cursor: cursorSchema,
  })
  .strict()
  .default({ limit: 50 });
/** Filters and paging of `listOrgUnits`. */
export type ListSyncedGoogleOrgUnitsInput = z.input<typeof listSyncedGoogleOrgUnitsSchema>;

/**
 * The synced Google Workspace directory (read-only). Users need `users:read` on everyone (admins, API
 * keys with the scope); groups (`groups:read`) and org units (`directory:read`) are readable by every
 * user, as access groups and departments are.
 */
export interface GoogleDirectoryService {
  /**
   * Synced Google users by email, 1..500 a page (keyset cursor), with the linked organization user.
   * @throws HeliosError UNAUTHENTICATED; FORBIDDEN; INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   * @example
   * ```ts
   * const { items, nextCursor } = await helios.as(admin).googleDirectory.listUsers({ isSuspended: true, limit: 100 });
   * ```
   */
  listUsers(input?: ListSyncedGoogleUsersInput, options?: CallOptions): Promise<Page<GoogleSyncedUser>>;
  /**
   * One synced Google user by Google id or primary email.
   * @throws HeliosError NOT_FOUND `GOOGLE.USER_NOT_SYNCED`; UNAUTHENTICATED; FORBIDDEN
   */
  getUser(googleIdOrEmail: string, options?: CallOptions): Promise<GoogleSyncedUser>;
  /** Synced Google groups by email, with their access group. @throws HeliosError as `listUsers` */
  listGroups(input?: ListSyncedGoogleGroupsInput, options?: CallOptions): Promise<Page<GoogleSyncedGroup>>;
  /** Synced org units by path. @throws HeliosError as `listUsers` */
  listOrgUnits(input?: ListSyncedGoogleOrgUnitsInput, options?: CallOptions): Promise<Page<GoogleSyncedOrgUnit>>;
}

const link = (organizationId: string) => ({ platform: 'google_workspace' as const, idColumn: 'u.google_id', organizationId });

/** Builds the read-only Google directory service. */
export function createGoogleDirectoryService(rt: ServiceRuntime): GoogleDirectoryService {
  const usersQuery = (db: ServiceRuntime['db'], organizationId: string) =>
    db
      .selectFrom('gw_synced_users as u')
      .selectAll('u')
      .select((eb) => localUserIdColumn(eb, 'google_workspace', organizationId, 'u.google_id'))
      .where('u.organization_id', '=', organizationId);

  return {
    listUsers: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('users:read');
        const filter = parseInput(listSyncedGoogleUsersSchema, input);
        const paging = syncedPaging({ list: 'google_users', sortKey: 'u.email', idColumn: 'u.id', limit: filter.limit, cursor: filter.cursor });
        const rows = await usersQuery(s.db, s.organizationId)
          .where((eb) => {
            const own: Expression<SqlBool>[] = [];
            if (filter.isSuspended !== undefined) own.push(eb('u.is_suspended', '=', filter.isSuspended));
            if (filter.isAdmin !== undefined) own.push(eb('u.is_admin', '=', filter.isAdmin));
            if (filter.orgUnitPath !== undefined) own.push(eb('u.org_unit_path', '=', filter.orgUnitPath));
            return syncedWhere(eb, { alias: 'u', searchColumns: ['email', 'full_name'], link: link(s.organizationId) }, filter, own);
          })
          .$call(paging.query)
          .execute();
        return paging.page(rows, syncedUserDto);
      }),

    getUser: (googleIdOrEmail, options) =>
      rt.read(options, async (s) => {
        await s.authorize('users:read');
        const key = directoryKey(googleIdOrEmail, {
          message: 'Give a Google user id or a primary email.',
          path: 'googleIdOrEmail',
          issue: 'A Google id or an email',
        });
        const row = await usersQuery(s.db, s.organizationId)
          .where((eb) => (key.includes('@') ? eb('u.email', '=', key.toLowerCase()) : eb('u.google_id', '=', key)))
          .orderBy('u.updated_at', 'desc')
          .executeTakeFirst();
        if (!row) throw GOOGLE_ERRORS.USER_NOT_SYNCED({ key });
        return syncedUserDto(row);
      }),

    listGroups: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const filter = parseInput(listSyncedGoogleGroupsSchema, input);
        const paging = syncedPaging({ list: 'google_groups', sortKey: 'g.email', idColumn: 'g.id', limit: filter.limit, cursor: filter.cursor });
        const rows = await s.db
          .selectFrom('gw_groups as g')
          .leftJoin('access_groups as ag', (j) =>
            j.onRef('ag.external_id', '=', 'g.google_id').on('ag.platform', '=', 'google_workspace').on('ag.organization_id', '=', s.organizationId),
          )
          .selectAll('g')
          .select('ag.id as access_group_id')
          .where('g.organization_id', '=', s.organizationId)
          .where((eb) => syncedWhere(eb, { alias: 'g', searchColumns: ['email', 'name'] }, filter))
          .$call(paging.query)
          .execute();
        return paging.page(rows, ({ access_group_id, ...stored }) => ({ ...syncedDto(stored as Row<'gw_groups'>), accessGroupId: access_group_id }));
      }),

    listOrgUnits: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        const filter = parseInput(listSyncedGoogleOrgUnitsSchema, input);
        const paging = syncedPaging({ list: 'google_org_units', sortKey: 'o.path', idColumn: 'o.id', limit: filter.limit, cursor: filter.cursor });
        const rows = await s.db
          .selectFrom('gw_org_units as o')
          .selectAll('o')
          .where('o.organization_id', '=', s.organizationId)
          .where((eb) => syncedWhere(eb, { alias: 'o', searchColumns: ['path'] }, filter))
          .$call(paging.query)
          .execute();
        return paging.page(rows, syncedDto);
      }),
  };
}

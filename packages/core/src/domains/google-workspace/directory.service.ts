/**
 * The synced Google Workspace directory, read-only (`helios.googleDirectory`): the users, groups and
 * org units the last sync stored (`gw_synced_users`, `gw_groups`, `gw_org_units`), with their links
 * to organization users and access groups. Rows gone from Google are kept and flagged `removed`.
 */

import { z } from 'zod';
import type { Row } from '../../repositories/types';
import type { ServiceRuntime } from '../../runtime';
import type { Camelize } from '../../shared/case';
import type { Page } from '../../shared/paging';
import {
  defineSyncedDirectory,
  type SyncedDirectoryService,
  syncedPlainListSchema,
  syncedUserListSchema,
} from '../integrations/directory';
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
export type GoogleSyncedOrgUnit = Omit<Camelize<Row<'gw_org_units'>>, 'rawData'> & {
  removed: boolean;
};

/** @deprecated Use `Page<T>`. */
export type GoogleSyncedPage<T> = Page<T>;

/**
 * Filters and paging of `listUsers` (by email): `search` looks in the email and the full name;
 * `orgUnitPath` is exactly one org unit path (`/Engineering`); `linked` and `includeRemoved` as every synced list.
 */
export const listSyncedGoogleUsersSchema = syncedUserListSchema({
  isSuspended: z.boolean().optional(),
  isAdmin: z.boolean().optional(),
  orgUnitPath: z.string().trim().max(255).optional(),
});
/** Filters and paging of `listUsers`. */
export type ListSyncedGoogleUsersInput = z.input<typeof listSyncedGoogleUsersSchema>;

/** Filters and paging of `listGroups` (by email; `search` looks in the email and the name). */
export const listSyncedGoogleGroupsSchema = syncedPlainListSchema;
/** Filters and paging of `listGroups`. */
export type ListSyncedGoogleGroupsInput = z.input<typeof listSyncedGoogleGroupsSchema>;
/** Filters and paging of `listOrgUnits` (by path; `search` looks in the path). */
export const listSyncedGoogleOrgUnitsSchema = syncedPlainListSchema;
/** Filters and paging of `listOrgUnits`. */
export type ListSyncedGoogleOrgUnitsInput = z.input<typeof listSyncedGoogleOrgUnitsSchema>;

/**
 * The synced Google Workspace directory (read-only, `helios.google.directory`): the shared reads
 * (users by email, `getUser` by Google id or primary email) and the org units by path, readable by
 * every user (`directory:read`) as departments are.
 */
export interface GoogleDirectoryService
  extends SyncedDirectoryService<
    GoogleSyncedUser,
    GoogleSyncedGroup,
    ListSyncedGoogleUsersInput,
    ListSyncedGoogleGroupsInput
  > {
  /** Synced org units by path. @throws HeliosError as `listUsers` */
  listOrgUnits(
    input?: ListSyncedGoogleOrgUnitsInput,
    options?: CallOptions,
  ): Promise<Page<GoogleSyncedOrgUnit>>;
}

/** Builds the read-only Google directory service. */
export function createGoogleDirectoryService(rt: ServiceRuntime): GoogleDirectoryService {
  const directory = defineSyncedDirectory<
    GoogleSyncedUser,
    GoogleSyncedGroup,
    ListSyncedGoogleUsersInput,
    ListSyncedGoogleGroupsInput,
    z.output<typeof listSyncedGoogleUsersSchema>
  >(rt, {
    platform: 'google_workspace',
    users: {
      schema: listSyncedGoogleUsersSchema,
      from: 'gw_synced_users as u',
      list: 'google_users',
      sortKey: 'u.email',
      searchColumns: ['email', 'full_name'],
      cloudIdColumn: 'google_id',
      addressColumn: 'email',
      equals: { isSuspended: 'is_suspended', isAdmin: 'is_admin', orgUnitPath: 'org_unit_path' },
      key: {
        message: 'Give a Google user id or a primary email.',
        path: 'googleIdOrEmail',
        issue: 'A Google id or an email',
      },
      notFound: (key) => GOOGLE_ERRORS.USER_NOT_SYNCED({ key }),
      newestFirst: true,
    },
    groups: {
      schema: listSyncedGoogleGroupsSchema,
      from: 'gw_groups as g',
      list: 'google_groups',
      sortKey: 'g.email',
      searchColumns: ['email', 'name'],
      cloudIdColumn: 'google_id',
    },
  });
  const orgUnits = {
    from: 'gw_org_units as o',
    alias: 'o',
    list: 'google_org_units',
    sortKey: 'o.path',
    searchColumns: ['path'],
    permission: 'directory:read',
  } as const;

  const { list, ...reads } = directory;
  return {
    ...reads,
    listOrgUnits: (input, options) =>
      list<GoogleSyncedOrgUnit, ListSyncedGoogleOrgUnitsInput>(
        orgUnits,
        listSyncedGoogleOrgUnitsSchema,
        input,
        options,
      ),
  };
}

/**
 * The synced Microsoft 365 directory, read-only (`helios.microsoftDirectory`): users, groups (with
 * their members) and licences as the last sync stored them, with links to organization users and
 * access groups. Rows gone from Microsoft 365 are kept and flagged `removed`.
 */
import { type Expression, type SqlBool, sql } from 'kysely';
import { z } from 'zod';
import { CORE_ERRORS } from '../../errors/core.errors';
import type { Row } from '../../repositories/types';
import type { ServiceRuntime } from '../../runtime';
import { type Camelize, camelize } from '../../shared/case';
import { keysetPage, type Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { containsPattern, cursorSchema, limitSchema } from '../directory/directory.shared';
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
/** A licence SKU as stored. */
export type MicrosoftLicence = Omit<Camelize<Row<'ms_licenses'>>, 'rawData'>;

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
  /** The licence SKUs with their units (total, consumed, available). */
  listLicences(options?: CallOptions): Promise<MicrosoftLicence[]>;
}

const removedOf = (raw: unknown) => Boolean((raw as { _helios?: { removedAt?: string } } | null)?._helios?.removedAt);

/** Builds the read-only Microsoft directory service. */
export function createMicrosoftDirectoryService(rt: ServiceRuntime): MicrosoftDirectoryService {
  const users = (s: { db: ServiceRuntime['db']; organizationId: string }) =>
    s.db
      .selectFrom('ms_synced_users as u')
      .selectAll('u')
      .select((eb) =>
        eb
          .selectFrom('organization_users as ou')
          .select('ou.id')
          .where('ou.organization_id', '=', s.organizationId)
          .whereRef('ou.microsoft_365_id', '=', 'u.ms_id')
          .limit(1)
          .as('local_user_id'),
      )
      .where('u.organization_id', '=', s.organizationId);
  const userDto = ({ local_user_id, ...row }: Row<'ms_synced_users'> & { local_user_id: string | null }): MicrosoftSyncedUser => {
    const { rawData, syncHash: _hash, ...rest } = camelize(row);
    return { ...rest, removed: removedOf(rawData), localUserId: local_user_id };
  };

  return {
    listUsers: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('users:read');
        const filter = parseInput(listSyncedMicrosoftUsersSchema, input);
        const paging = keysetPage({
          list: 'microsoft_users',
          keys: [
            { by: sql<string>`coalesce(u.upn, '')`, kind: 'text' },
            { by: 'u.id', kind: 'uuid' },
          ],
          limit: filter.limit,
          cursor: filter.cursor,
        });
        const rows = await users(s)
          .where((eb) => {
            const conditions: Expression<SqlBool>[] = [];
            if (filter.search) {
              const p = containsPattern(filter.search);
              conditions.push(eb.or([eb('u.upn', 'ilike', p), eb('u.email', 'ilike', p), eb('u.display_name', 'ilike', p)]));
            }
            if (filter.isAccountEnabled !== undefined) conditions.push(eb('u.is_account_enabled', '=', filter.isAccountEnabled));
            if (filter.isAdmin !== undefined) conditions.push(eb('u.is_admin', '=', filter.isAdmin));
            if (filter.department !== undefined) conditions.push(eb('u.department', '=', filter.department));
            if (filter.skuId) conditions.push(sql<SqlBool>`u.assigned_licenses @> ${JSON.stringify([{ skuId: filter.skuId }])}::jsonb`);
            if (!filter.includeRemoved) conditions.push(sql<SqlBool>`u.raw_data -> '_helios' is null`);
            if (filter.linked !== undefined) {
              const link = sql<SqlBool>`exists (select 1 from organization_users ou where ou.organization_id = ${s.organizationId} and ou.microsoft_365_id = u.ms_id)`;
              conditions.push(filter.linked ? link : sql<SqlBool>`not ${link}`);
            }
            return eb.and(conditions);
          })
          .$call(paging.query)
          .execute();
        return paging.page(rows, userDto);
      }),

    getUser: (idOrUpn, options) =>
      rt.read(options, async (s) => {
        await s.authorize('users:read');
        const key = String(idOrUpn ?? '').trim();
        if (!key || key.length > 255) {
          throw CORE_ERRORS.VALIDATION_FAILED({
            message: 'Give a Graph user id or a UPN.',
            issues: [{ path: 'idOrUpn', message: 'A Graph id or a UPN', code: 'custom' }],
          });
        }
        const row = await users(s)
          .where((eb) => (key.includes('@') ? eb('u.upn', '=', key.toLowerCase()) : eb('u.ms_id', '=', key)))
          .executeTakeFirst();
        if (!row) throw MICROSOFT_ERRORS.USER_NOT_SYNCED({ key });
        return userDto(row);
      }),

    listGroups: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const filter = parseInput(listSyncedMicrosoftGroupsSchema, input);
        const paging = keysetPage({
          list: 'microsoft_groups',
          keys: [
            { by: 'g.display_name', kind: 'text' },
            { by: 'g.id', kind: 'uuid' },
          ],
          limit: filter.limit,
          cursor: filter.cursor,
        });
        const rows = await s.db
          .selectFrom('ms_synced_groups as g')
          .leftJoin('access_groups as ag', (j) =>
            j.onRef('ag.external_id', '=', 'g.ms_id').on('ag.platform', '=', 'microsoft_365').on('ag.organization_id', '=', s.organizationId),
          )
          .selectAll('g')
          .select('ag.id as access_group_id')
          .where('g.organization_id', '=', s.organizationId)
          .where((eb) => {
            const conditions: Expression<SqlBool>[] = [];
            if (filter.search) {
              const p = containsPattern(filter.search);
              conditions.push(eb.or([eb('g.display_name', 'ilike', p), eb('g.mail', 'ilike', p)]));
            }
            if (!filter.includeRemoved) conditions.push(sql<SqlBool>`g.raw_data -> '_helios' is null`);
            return eb.and(conditions);
          })
          .$call(paging.query)
          .execute();
        return paging.page(rows, ({ access_group_id, ...row }) => {
          const { rawData, syncHash: _hash, ...rest } = camelize(row as Row<'ms_synced_groups'>);
          return { ...rest, removed: removedOf(rawData), accessGroupId: access_group_id };
        });
      }),

    listLicences: (options) =>
      rt.read(options, async (s) => {
        await s.authorize('organization:read');
        const rows = await s.db.selectFrom('ms_licenses').selectAll().where('organization_id', '=', s.organizationId).orderBy('sku_part_number').execute();
        return rows.map((row) => {
          const { rawData: _raw, ...rest } = camelize(row);
          return rest;
        });
      }),
  };
}

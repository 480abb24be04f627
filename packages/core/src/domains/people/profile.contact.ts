/**
 * Contact data and media of a profile: addresses (one primary), secondary email addresses and
 * the metadata of intro/pronunciation recordings (the files themselves are stored by the caller).
 */

import { z } from 'zod';
import type { HeliosError } from '../../errors';
import { CORE_ERRORS } from '../../errors/core.errors';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import { USERS_ERRORS } from '../users';
import { PEOPLE_ERRORS } from './people.errors';
import {
  loadItems,
  loadVisibility,
  type ProfileAddress,
  type ProfileMedia,
  type ProfileSecondaryEmail,
  toAddress,
  toMedia,
  toSecondaryEmail,
} from './people.shared';
import {
  emptyToNull,
  itemNotFound,
  limitReached,
  type ProfileOptions,
  parseItemId,
  readTarget,
  recordChange,
  writeTarget,
} from './profile.access';
import {
  type AddressAddInput,
  type AddressUpdateInput,
  addressAddSchema,
  addressUpdateSchema,
  type MediaSetInput,
  mediaSetSchema,
  PROFILE_LIMITS,
  PROFILE_MEDIA_TYPES,
  type ProfileMediaType,
  type SecondaryEmailAddInput,
  secondaryEmailAddSchema,
} from './profile.schema';

/** A user's postal addresses; at most one is primary. */
export interface ProfileAddresses {
  /**
   * The addresses, primary first.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; NOT_FOUND `PEOPLE.NOT_FOUND`
   */
  list(options?: ProfileOptions): Promise<ProfileAddress[]>;
  /**
   * Adds an address; the first one, or one with `isPrimary: true`, becomes the primary address
   * (audited `profile.address_add`).
   * @throws HeliosError PRECONDITION_FAILED `PROFILE.LIMIT_REACHED`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.as(me).profile.addresses.add({ addressType: 'home', city: 'Lyon', country: 'FR' });
   * ```
   */
  add(input: AddressAddInput, options?: ProfileOptions): Promise<ProfileAddress>;
  /**
   * Changes an address; `isPrimary: true` makes it the only primary one (audited `profile.address_update`).
   * @throws HeliosError NOT_FOUND `PROFILE.ADDRESS_NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  update(id: string, input: AddressUpdateInput, options?: ProfileOptions): Promise<ProfileAddress>;
  /**
   * Removes an address; when it was primary, the oldest remaining one becomes primary (audited
   * `profile.address_remove`).
   * @throws HeliosError NOT_FOUND `PROFILE.ADDRESS_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  remove(id: string, options?: ProfileOptions): Promise<void>;
}

/** A user's secondary email addresses (unique per user, unverified when added). */
export interface ProfileSecondaryEmails {
  /**
   * The secondary addresses, alphabetically.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; NOT_FOUND `PEOPLE.NOT_FOUND`
   */
  list(options?: ProfileOptions): Promise<ProfileSecondaryEmail[]>;
  /**
   * Adds a secondary address (audited `profile.secondary_email_add`).
   * @throws HeliosError CONFLICT `USERS.SECONDARY_EMAIL_TAKEN` (already listed, or the primary address);
   *   PRECONDITION_FAILED `PROFILE.LIMIT_REACHED`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.as(me).profile.secondaryEmails.add({ email: 'me@example.org', emailType: 'personal' });
   * ```
   */
  add(input: SecondaryEmailAddInput, options?: ProfileOptions): Promise<ProfileSecondaryEmail>;
  /**
   * Removes a secondary address (audited `profile.secondary_email_remove`).
   * @throws HeliosError NOT_FOUND `PROFILE.SECONDARY_EMAIL_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  remove(id: string, options?: ProfileOptions): Promise<void>;
}

/** Metadata of a user's profile recordings: one per media type. */
export interface ProfileMediaFiles {
  /**
   * The media of the user.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; NOT_FOUND `PEOPLE.NOT_FOUND`
   */
  list(options?: ProfileOptions): Promise<ProfileMedia[]>;
  /**
   * Records an uploaded file of a media type, replacing the previous one of that type; checks the
   * type's MIME types, size and duration limits (`MEDIA_CONSTRAINTS`) (audited `profile.media_set`).
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.as(me).profile.media.set({
   *   mediaType: 'name_pronunciation', storagePath: 'media/u1/name.webm', mimeType: 'audio/webm', sizeBytes: 42_000, durationSeconds: 3,
   * });
   * ```
   */
  set(input: MediaSetInput, options?: ProfileOptions): Promise<ProfileMedia>;
  /**
   * Removes the media of a type (audited `profile.media_remove`); the caller deletes the stored file.
   * @throws HeliosError NOT_FOUND `PROFILE.MEDIA_NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  remove(mediaType: ProfileMediaType, options?: ProfileOptions): Promise<ProfileMedia>;
}

const ADDRESS_TEXT = {
  streetAddress1: 'street_address_1',
  streetAddress2: 'street_address_2',
  city: 'city',
  stateProvince: 'state_province',
  postalCode: 'postal_code',
  country: 'country',
} as const;

/** The snake_case columns of an address input (text `''` cleared to null). */
function addressValues(data: z.output<typeof addressUpdateSchema>) {
  const values: Record<string, string | boolean | null> = {};
  if (data.addressType !== undefined) values.address_type = data.addressType;
  for (const [key, column] of Object.entries(ADDRESS_TEXT)) {
    const value = data[key as keyof typeof ADDRESS_TEXT];
    if (value !== undefined) values[column] = emptyToNull(value);
  }
  return values;
}

async function clearPrimary(
  s: OperationScope,
  userId: string,
  exceptId: string | null,
): Promise<void> {
  let q = s.db
    .updateTable('user_addresses')
    .set({ is_primary: false, updated_at: s.now })
    .where('user_id', '=', userId)
    .where('is_primary', '=', true);
  if (exceptId) q = q.where('id', '<>', exceptId);
  await q.execute();
}

/** Builds the addresses part of the profile service. */
export function createAddresses(rt: ServiceRuntime): ProfileAddresses {
  return {
    list: (options) =>
      rt.read(options, async (s) => {
        const { user, viewer } = await readTarget(s, options);
        return (await loadItems(s.db, user.id, viewer, await loadVisibility(s.db, user.id)))
          .addresses;
      }),
    add: (input, options) =>
      rt.write(options, async (s) => {
        const user = await writeTarget(s, options);
        const data = parseInput(addressAddSchema, input);
        const existing = await s.db
          .selectFrom('user_addresses')
          .select('id')
          .where('user_id', '=', user.id)
          .execute();
        if (existing.length >= PROFILE_LIMITS.addresses)
          throw limitReached('addresses', PROFILE_LIMITS.addresses);
        const primary = data.isPrimary === true || existing.length === 0;
        if (primary) await clearPrimary(s, user.id, null);
        const row = await s.db
          .insertInto('user_addresses')
          .values({
            user_id: user.id,
            address_type: 'work',
            ...addressValues(data),
            is_primary: primary,
            created_at: s.now,
            updated_at: s.now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordChange(
          s,
          user,
          'profile.address_add',
          {
            itemId: row.id,
            ...summarizeChange(null, { ...row, id: undefined, user_id: undefined }),
          },
          'Address added',
        );
        return toAddress(row);
      }),
    update: (id, input, options) =>
      rt.write(options, async (s) => {
        const user = await writeTarget(s, options);
        const itemId = parseItemId(id);
        const data = parseInput(addressUpdateSchema, input);
        const before = await s.db
          .selectFrom('user_addresses')
          .selectAll()
          .where('id', '=', itemId)
          .where('user_id', '=', user.id)
          .executeTakeFirst();
        if (!before) throw itemNotFound(PEOPLE_ERRORS.PROFILE_ADDRESS_NOT_FOUND, itemId);
        const values = addressValues(data);
        const merged = { ...before, ...values };
        if (
          ![merged.street_address_1, merged.city, merged.postal_code, merged.country].some(
            (v) => typeof v === 'string' && v.length > 0,
          )
        ) {
          throw CORE_ERRORS.VALIDATION_FAILED({
            message: 'An address needs at least a street, city, postal code or country.',
            issues: [
              {
                path: '',
                message: 'Give at least a street, city, postal code or country',
                code: 'custom',
              },
            ],
          });
        }
        if (data.isPrimary === true) await clearPrimary(s, user.id, itemId);
        const after = await s.db
          .updateTable('user_addresses')
          .set({
            ...values,
            ...(data.isPrimary !== undefined ? { is_primary: data.isPrimary } : {}),
            updated_at: s.now,
          })
          .where('id', '=', itemId)
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordChange(
          s,
          user,
          'profile.address_update',
          { itemId, ...summarizeChange(before, after) },
          'Address changed',
        );
        return toAddress(after);
      }),
    remove: (id, options) =>
      rt.write(options, async (s) => {
        const user = await writeTarget(s, options);
        const itemId = parseItemId(id);
        const row = await s.db
          .deleteFrom('user_addresses')
          .where('id', '=', itemId)
          .where('user_id', '=', user.id)
          .returningAll()
          .executeTakeFirst();
        if (!row) throw itemNotFound(PEOPLE_ERRORS.PROFILE_ADDRESS_NOT_FOUND, itemId);
        let promoted: string | null = null;
        if (row.is_primary) {
          const next = await s.db
            .selectFrom('user_addresses')
            .select('id')
            .where('user_id', '=', user.id)
            .orderBy('created_at')
            .orderBy('id')
            .limit(1)
            .executeTakeFirst();
          if (next) {
            await s.db
              .updateTable('user_addresses')
              .set({ is_primary: true, updated_at: s.now })
              .where('id', '=', next.id)
              .execute();
            promoted = next.id;
          }
        }
        await recordChange(
          s,
          user,
          'profile.address_remove',
          { itemId, addressType: row.address_type, wasPrimary: row.is_primary === true, promoted },
          'Address removed',
        );
      }),
  };
}

/** CONFLICT `USERS.SECONDARY_EMAIL_TAKEN`. */
function emailTaken(): HeliosError {
  return USERS_ERRORS.SECONDARY_EMAIL_TAKEN();
}

/** Builds the secondary emails part of the profile service. */
export function createSecondaryEmails(rt: ServiceRuntime): ProfileSecondaryEmails {
  return {
    list: (options) =>
      rt.read(options, async (s) => {
        const { user, viewer } = await readTarget(s, options);
        return (await loadItems(s.db, user.id, viewer, await loadVisibility(s.db, user.id)))
          .secondaryEmails;
      }),
    add: (input, options) =>
      rt.write(options, async (s) => {
        const user = await writeTarget(s, options);
        const data = parseInput(secondaryEmailAddSchema, input);
        if (user.email.toLowerCase() === data.email) throw emailTaken();
        const existing = await s.db
          .selectFrom('user_secondary_emails')
          .select(['id', 'email'])
          .where('user_id', '=', user.id)
          .execute();
        if (existing.some((e) => e.email.toLowerCase() === data.email)) throw emailTaken();
        if (existing.length >= PROFILE_LIMITS.secondaryEmails)
          throw limitReached('secondary emails', PROFILE_LIMITS.secondaryEmails);
        const row = await s.db
          .insertInto('user_secondary_emails')
          .values({
            user_id: user.id,
            email: data.email,
            email_type: data.emailType ?? 'personal',
            is_verified: false,
            created_at: s.now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordChange(
          s,
          user,
          'profile.secondary_email_add',
          { itemId: row.id, email: row.email, emailType: row.email_type },
          'Secondary email added',
        );
        return toSecondaryEmail(row);
      }),
    remove: (id, options) =>
      rt.write(options, async (s) => {
        const user = await writeTarget(s, options);
        const itemId = parseItemId(id);
        const row = await s.db
          .deleteFrom('user_secondary_emails')
          .where('id', '=', itemId)
          .where('user_id', '=', user.id)
          .returningAll()
          .executeTakeFirst();
        if (!row) throw itemNotFound(PEOPLE_ERRORS.PROFILE_SECONDARY_EMAIL_NOT_FOUND, itemId);
        await recordChange(
          s,
          user,
          'profile.secondary_email_remove',
          { itemId, email: row.email },
          'Secondary email removed',
        );
      }),
  };
}

const mediaTypeSchema = z.enum(PROFILE_MEDIA_TYPES);

/** Builds the media part of the profile service. */
export function createMedia(rt: ServiceRuntime): ProfileMediaFiles {
  return {
    list: (options) =>
      rt.read(options, async (s) => {
        const { user, viewer } = await readTarget(s, options);
        return (await loadItems(s.db, user.id, viewer, await loadVisibility(s.db, user.id))).media;
      }),
    set: (input, options) =>
      rt.write(options, async (s) => {
        const user = await writeTarget(s, options);
        const data = parseInput(mediaSetSchema, input);
        const replaced = await s.db
          .deleteFrom('user_media')
          .where('user_id', '=', user.id)
          .where('media_type', '=', data.mediaType)
          .returningAll()
          .execute();
        const row = await s.db
          .insertInto('user_media')
          .values({
            user_id: user.id,
            media_type: data.mediaType,
            storage_type: data.storageType ?? 'minio',
            storage_path: data.storagePath,
            original_filename: data.originalFilename ?? null,
            mime_type: data.mimeType,
            size_bytes: data.sizeBytes,
            is_primary: true,
            created_at: s.now,
            updated_at: s.now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordChange(
          s,
          user,
          'profile.media_set',
          {
            itemId: row.id,
            mediaType: row.media_type,
            mimeType: row.mime_type,
            sizeBytes: Number(row.size_bytes),
            replaced: replaced.map((r) => ({ id: r.id, storagePath: r.storage_path })),
          },
          'Profile media updated',
        );
        return toMedia(row);
      }),
    remove: (mediaType, options) =>
      rt.write(options, async (s) => {
        const user = await writeTarget(s, options);
        const type = parseInput(mediaTypeSchema, mediaType);
        const rows = await s.db
          .deleteFrom('user_media')
          .where('user_id', '=', user.id)
          .where('media_type', '=', type)
          .returningAll()
          .execute();
        const [first] = rows.sort(
          (a, b) => (b.updated_at?.getTime() ?? 0) - (a.updated_at?.getTime() ?? 0),
        );
        if (!first) throw itemNotFound(PEOPLE_ERRORS.PROFILE_MEDIA_NOT_FOUND, type);
        await recordChange(
          s,
          user,
          'profile.media_remove',
          { itemId: first.id, mediaType: type, storagePaths: rows.map((r) => r.storage_path) },
          'Profile media removed',
        );
        return toMedia(first);
      }),
  };
}

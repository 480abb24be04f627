/**
 * What the people, profile and dashboard services share: the user columns they read, loading a
 * target user, the profile item mappers and the loaders of a user's profile items.
 *
 * Owns (with the three services): user_interests, user_fun_facts, user_expertise_topics,
 * user_addresses, user_secondary_emails, user_media, user_field_visibility, user_dashboard_widgets;
 * reads organization_users.
 */
import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { HeliosError } from '../../errors';
import type { Row } from '../../repositories/types';
import type { OperationScope } from '../../runtime';
import { PEOPLE_ERRORS } from './people.errors';
import type { ProficiencyLevel, ProfileAddressType, ProfileMediaType } from './profile.schema';
import {
  MEDIA_FIELDS,
  type ProfileField,
  type ProfileViewer,
  type VisibilityMap,
  viewerCanSee,
  visibilityMapFromRows,
} from './visibility';

/** A person as listed in the directory (fields everyone may see). */
export interface PersonCard {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  fullName: string;
  jobTitle: string | null;
  department: string | null;
  location: string | null;
  avatarUrl: string | null;
  /** `YYYY-MM-DD`, or null. */
  startDate: string | null;
  /** True when the start date is within the last 30 days. */
  isNewJoiner: boolean;
}

/** An interest on a profile. */
export interface ProfileInterest {
  id: string;
  interest: string;
  category: string | null;
  createdAt: Date | null;
}

/** A fun fact on a profile. */
export interface ProfileFunFact {
  id: string;
  fact: string;
  /** Display order, ascending. */
  sortOrder: number;
  /** False: shown to the user (and admins) only. */
  isVisible: boolean;
  createdAt: Date | null;
}

/** An expertise topic on a profile. */
export interface ProfileExpertise {
  id: string;
  topic: string;
  proficiencyLevel: ProficiencyLevel | string | null;
  isWillingToHelp: boolean;
  createdAt: Date | null;
}

/** An address on a profile. */
export interface ProfileAddress {
  id: string;
  addressType: ProfileAddressType | string | null;
  streetAddress1: string | null;
  streetAddress2: string | null;
  city: string | null;
  stateProvince: string | null;
  postalCode: string | null;
  country: string | null;
  isPrimary: boolean;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** A secondary email address on a profile. */
export interface ProfileSecondaryEmail {
  id: string;
  email: string;
  emailType: string | null;
  isVerified: boolean;
  createdAt: Date | null;
}

/** The metadata of a profile media file, as its owner (and admins) see it. */
export interface ProfileMedia {
  id: string;
  mediaType: ProfileMediaType | string;
  storageType: string;
  storagePath: string;
  originalFilename: string | null;
  mimeType: string | null;
  sizeBytes: number | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** A profile media file as other people see it (no storage location). */
export interface PersonMedia {
  id: string;
  mediaType: ProfileMediaType | string;
  mimeType: string | null;
  sizeBytes: number | null;
  updatedAt: Date | null;
}

/** The profile items of a user (lists of what a viewer may see; hidden ones are empty). */
export interface ProfileItems {
  interests: ProfileInterest[];
  funFacts: ProfileFunFact[];
  expertise: ProfileExpertise[];
  addresses: ProfileAddress[];
  secondaryEmails: ProfileSecondaryEmail[];
  media: ProfileMedia[];
}

/** The user columns the people services read. */
export const USER_COLUMNS = [
  'ou.id',
  'ou.email',
  'ou.first_name',
  'ou.last_name',
  'ou.job_title',
  'ou.department',
  'ou.department_id',
  'ou.location',
  'ou.location_id',
  'ou.avatar_url',
  'ou.reporting_manager_id',
  'ou.bio',
  'ou.mobile_phone',
  'ou.work_phone',
  'ou.work_phone_extension',
  'ou.timezone',
  'ou.preferred_language',
  'ou.employee_type',
  'ou.user_status',
] as const;

/** A user as the people services read it. */
export interface PersonRow {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  job_title: string | null;
  department: string | null;
  department_id: string | null;
  location: string | null;
  location_id: string | null;
  avatar_url: string | null;
  reporting_manager_id: string | null;
  bio: string | null;
  mobile_phone: string | null;
  work_phone: string | null;
  work_phone_extension: string | null;
  timezone: string | null;
  preferred_language: string | null;
  employee_type: string | null;
  user_status: string | null;
  start_date_text: string | null;
}

/** `start_date` as `YYYY-MM-DD` text, the same on every backend. */
export const startDateText = sql<string | null>`to_char(ou.start_date, 'YYYY-MM-DD')`;

/** A select of users (aliased `ou`) in the organization with the people columns. */
export function selectPeople(
  db: Kysely<Database>,
  organizationId: string,
): SelectQueryBuilder<Database & { ou: Database['organization_users'] }, 'ou', PersonRow> {
  return db
    .selectFrom('organization_users as ou')
    .select([...USER_COLUMNS, startDateText.as('start_date_text')])
    .where('ou.organization_id', '=', organizationId) as never;
}

/** Restricts a select of users to the directory: active, not deleted. */
export function onlyListed<
  QB extends SelectQueryBuilder<Database & { ou: Database['organization_users'] }, 'ou', PersonRow>,
>(qb: QB): QB {
  return qb
    .where('ou.user_status', '=', 'active')
    .where('ou.deleted_at', 'is', null)
    .where(sql<boolean>`coalesce(ou.is_active, true)`) as QB;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** NOT_FOUND `PEOPLE.NOT_FOUND`. */
export function personNotFound(id: string): HeliosError {
  return PEOPLE_ERRORS.NOT_FOUND({ id });
}

/**
 * The user `id` of the organization, not deleted (with `listed`: also active). With `lock`, the row
 * is locked (FOR NO KEY UPDATE) so profile writes of one user are serialized.
 * @throws HeliosError NOT_FOUND `PEOPLE.NOT_FOUND`
 */
export async function loadPerson(
  s: OperationScope,
  id: string,
  opts: { listed?: boolean; lock?: boolean } = {},
): Promise<PersonRow> {
  if (!UUID.test(id)) throw personNotFound(id);
  let q = selectPeople(s.db, s.organizationId)
    .where('ou.id', '=', id)
    .where('ou.deleted_at', 'is', null)
    .where('ou.user_status', '<>', 'deleted');
  if (opts.listed) q = onlyListed(q);
  if (opts.lock) q = q.forNoKeyUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw personNotFound(id);
  return row;
}

/** `YYYY-MM-DD` of a date in UTC. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The first day (`YYYY-MM-DD`) that still counts as "new joiner" at `now`. */
export function newJoinerSince(now: Date): string {
  return isoDay(new Date(now.getTime() - 30 * 86_400_000));
}

/** True when `startDate` (`YYYY-MM-DD`) is within the 30 days up to `now`. */
export function isNewJoiner(startDate: string | null, now: Date): boolean {
  return startDate !== null && startDate >= newJoinerSince(now) && startDate <= isoDay(now);
}

/** The directory card of a user row. */
export function toPersonCard(row: PersonRow, now: Date): PersonCard {
  return {
    id: row.id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    fullName: `${row.first_name} ${row.last_name}`.trim(),
    jobTitle: row.job_title,
    department: row.department,
    location: row.location,
    avatarUrl: row.avatar_url,
    startDate: row.start_date_text,
    isNewJoiner: isNewJoiner(row.start_date_text, now),
  };
}

/** Maps an interest row. */
export function toInterest(row: Row<'user_interests'>): ProfileInterest {
  return { id: row.id, interest: row.interest, category: row.category, createdAt: row.created_at };
}
/** Maps a fun fact row. */
export function toFunFact(row: Row<'user_fun_facts'>): ProfileFunFact {
  return {
    id: row.id,
    fact: row.fact,
    sortOrder: row.sort_order ?? 0,
    isVisible: row.is_visible !== false,
    createdAt: row.created_at,
  };
}
/** Maps an expertise row. */
export function toExpertise(row: Row<'user_expertise_topics'>): ProfileExpertise {
  return {
    id: row.id,
    topic: row.topic,
    proficiencyLevel: row.proficiency_level,
    isWillingToHelp: row.is_willing_to_help !== false,
    createdAt: row.created_at,
  };
}
/** Maps an address row. */
export function toAddress(row: Row<'user_addresses'>): ProfileAddress {
  return {
    id: row.id,
    addressType: row.address_type,
    streetAddress1: row.street_address_1,
    streetAddress2: row.street_address_2,
    city: row.city,
    stateProvince: row.state_province,
    postalCode: row.postal_code,
    country: row.country,
    isPrimary: row.is_primary === true,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
/** Maps a secondary email row. */
export function toSecondaryEmail(row: Row<'user_secondary_emails'>): ProfileSecondaryEmail {
  return {
    id: row.id,
    email: row.email,
    emailType: row.email_type,
    isVerified: row.is_verified === true,
    createdAt: row.created_at,
  };
}
/** Maps a media row (owner view). */
export function toMedia(row: Row<'user_media'>): ProfileMedia {
  return {
    id: row.id,
    mediaType: row.media_type,
    storageType: row.storage_type,
    storagePath: row.storage_path,
    originalFilename: row.original_filename,
    mimeType: row.mime_type,
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
/** A media file as other people see it. */
export function toPersonMedia(media: ProfileMedia): PersonMedia {
  return {
    id: media.id,
    mediaType: media.mediaType,
    mimeType: media.mimeType,
    sizeBytes: media.sizeBytes,
    updatedAt: media.updatedAt,
  };
}

/** The visibility map of a user. */
export async function loadVisibility(db: Kysely<Database>, userId: string): Promise<VisibilityMap> {
  const rows = await db
    .selectFrom('user_field_visibility')
    .select(['field_name', 'visibility'])
    .where('user_id', '=', userId)
    .execute();
  return visibilityMapFromRows(rows);
}

/** Whether `viewer` may see the media of this type. */
function mediaVisible(viewer: ProfileViewer, map: VisibilityMap, mediaType: string): boolean {
  const field = MEDIA_FIELDS[mediaType as keyof typeof MEDIA_FIELDS];
  return field ? viewerCanSee(viewer, map, field) : viewer.kind === 'full';
}

/**
 * The profile items of `userId` that `viewer` may see: hidden lists are not read at all, and
 * hidden fun facts (`isVisible: false`) only reach full viewers.
 */
export async function loadItems(
  db: Kysely<Database>,
  userId: string,
  viewer: ProfileViewer,
  map: VisibilityMap,
): Promise<ProfileItems> {
  const can = (field: ProfileField) => viewerCanSee(viewer, map, field);
  const [interests, funFacts, expertise, addresses, emails, media] = await Promise.all([
    can('interests')
      ? db
          .selectFrom('user_interests')
          .selectAll()
          .where('user_id', '=', userId)
          .orderBy('interest')
          .orderBy('id')
          .execute()
      : [],
    can('funFacts')
      ? db
          .selectFrom('user_fun_facts')
          .selectAll()
          .where('user_id', '=', userId)
          .$if(viewer.kind !== 'full', (q) => q.where(sql<boolean>`coalesce(is_visible, true)`))
          .orderBy(sql`coalesce(sort_order, 0)`)
          .orderBy('created_at')
          .orderBy('id')
          .execute()
      : [],
    can('expertise')
      ? db
          .selectFrom('user_expertise_topics')
          .selectAll()
          .where('user_id', '=', userId)
          .orderBy('topic')
          .orderBy('id')
          .execute()
      : [],
    can('addresses')
      ? db
          .selectFrom('user_addresses')
          .selectAll()
          .where('user_id', '=', userId)
          .orderBy('is_primary', 'desc')
          .orderBy('created_at')
          .orderBy('id')
          .execute()
      : [],
    can('secondaryEmails')
      ? db
          .selectFrom('user_secondary_emails')
          .selectAll()
          .where('user_id', '=', userId)
          .orderBy('email')
          .execute()
      : [],
    db
      .selectFrom('user_media')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('media_type')
      .orderBy('updated_at', 'desc')
      .execute(),
  ]);
  return {
    interests: interests.map(toInterest),
    funFacts: funFacts.map(toFunFact),
    expertise: expertise.map(toExpertise),
    addresses: addresses.map(toAddress),
    secondaryEmails: emails.map(toSecondaryEmail),
    media: media.filter((m) => mediaVisible(viewer, map, m.media_type)).map(toMedia),
  };
}

/**
 * Profile privacy: which profile fields a viewer may see, in one module.
 *
 * - The relationship of a viewer to a target user is `self`, `manager` (the target is anywhere below
 *   the viewer in the reporting line, direct or indirect: the same people the policy lets edit the
 *   profile, so a skip-level manager is treated like a direct one), `team` (both have the same
 *   non-null `reporting_manager_id`), or `other` (everyone else, and API keys).
 * - A field's visibility is `everyone`, `team` (managers and team mates), `manager` (managers only)
 *   or `none` (nobody but the user). Unset or unknown stored values fall back to the field's default:
 *   `everyone` for every field except addresses and secondary emails, which default to `manager`
 *   (personal contact data is private unless the user opens it). The schema default `organization`
 *   means `everyone`.
 * - The user themself, admins, the system and `admin:full` keys see everything.
 *
 * Visibility rows are stored in `user_field_visibility` under snake_case field names
 * (`fun_facts`, `voice_intro`...), the names the predecessor used, so existing rows keep working.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { isInReportingLine, type Principal } from '../policy/policy';

/** A profile field whose visibility the user controls. */
export const PROFILE_FIELDS = [
  'bio',
  'phone',
  'funFacts',
  'interests',
  'expertise',
  'addresses',
  'secondaryEmails',
  'voiceIntro',
  'videoIntro',
  'namePronunciation',
] as const;
/** A profile field whose visibility the user controls. */
export type ProfileField = (typeof PROFILE_FIELDS)[number];

/** Who may see a field. */
export const PROFILE_VISIBILITIES = ['everyone', 'team', 'manager', 'none'] as const;
/** Who may see a field. */
export type ProfileVisibility = (typeof PROFILE_VISIBILITIES)[number];

/** How a viewer relates to the user whose profile is viewed. */
export type ProfileRelationship = 'self' | 'manager' | 'team' | 'other';

/** The visibility of every profile field. */
export type VisibilityMap = Record<ProfileField, ProfileVisibility>;

/** The `user_field_visibility.field_name` of each field. */
export const FIELD_STORAGE_NAMES: Readonly<Record<ProfileField, string>> = {
  bio: 'bio',
  phone: 'phone',
  funFacts: 'fun_facts',
  interests: 'interests',
  expertise: 'expertise',
  addresses: 'addresses',
  secondaryEmails: 'secondary_emails',
  voiceIntro: 'voice_intro',
  videoIntro: 'video_intro',
  namePronunciation: 'name_pronunciation',
};

/** The visibility of a field the user has not set. */
export const DEFAULT_VISIBILITY: Readonly<VisibilityMap> = {
  bio: 'everyone',
  phone: 'everyone',
  funFacts: 'everyone',
  interests: 'everyone',
  expertise: 'everyone',
  addresses: 'manager',
  secondaryEmails: 'manager',
  voiceIntro: 'everyone',
  videoIntro: 'everyone',
  namePronunciation: 'everyone',
};

/** The media type (`user_media.media_type`) guarded by each media field. */
export const MEDIA_FIELDS: Readonly<
  Record<'voice_intro' | 'video_intro' | 'name_pronunciation', ProfileField>
> = {
  voice_intro: 'voiceIntro',
  video_intro: 'videoIntro',
  name_pronunciation: 'namePronunciation',
};

const STORAGE_TO_FIELD = new Map<string, ProfileField>(
  Object.entries(FIELD_STORAGE_NAMES).map(([field, stored]) => [stored, field as ProfileField]),
);

/** The field stored under `fieldName`, or null for a name Helios does not know. */
export function fieldFromStorageName(fieldName: string): ProfileField | null {
  return STORAGE_TO_FIELD.get(fieldName) ?? null;
}

/**
 * A stored visibility value as one of the four: `organization` (the schema default) means
 * `everyone`; null, empty and unknown values fall back to the field's default.
 */
export function normalizeVisibility(
  value: string | null | undefined,
  field?: ProfileField,
): ProfileVisibility {
  const v = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (v === 'organization') return 'everyone';
  if ((PROFILE_VISIBILITIES as readonly string[]).includes(v)) return v as ProfileVisibility;
  return field ? DEFAULT_VISIBILITY[field] : 'everyone';
}

/** Whether a viewer with `relationship` may see a field with `visibility` (self always may). */
export function canViewField(
  visibility: ProfileVisibility,
  relationship: ProfileRelationship,
): boolean {
  if (relationship === 'self') return true;
  switch (visibility) {
    case 'everyone':
      return true;
    case 'team':
      return relationship === 'manager' || relationship === 'team';
    case 'manager':
      return relationship === 'manager';
    default:
      return false;
  }
}

/** The visibility map of a user from their `user_field_visibility` rows (unknown field names are ignored). */
export function visibilityMapFromRows(
  rows: ReadonlyArray<{ field_name: string; visibility: string | null }>,
): VisibilityMap {
  const map: VisibilityMap = { ...DEFAULT_VISIBILITY };
  for (const row of rows) {
    const field = fieldFromStorageName(row.field_name);
    if (field) map[field] = normalizeVisibility(row.visibility, field);
  }
  return map;
}

/** Who views a profile: everything, or what a relationship allows. */
export type ProfileViewer =
  | { kind: 'full' }
  | { kind: 'related'; relationship: ProfileRelationship };

/** Whether `viewer` may see `field` of a user whose visibility map is `map`. */
export function viewerCanSee(
  viewer: ProfileViewer,
  map: VisibilityMap,
  field: ProfileField,
): boolean {
  return viewer.kind === 'full' || canViewField(map[field], viewer.relationship);
}

/** The fields `viewer` may not see, in catalog order. */
export function hiddenFields(viewer: ProfileViewer, map: VisibilityMap): ProfileField[] {
  return PROFILE_FIELDS.filter((field) => !viewerCanSee(viewer, map, field));
}

/** A target user as far as relationships go. */
export interface RelationshipTarget {
  id: string;
  reporting_manager_id: string | null;
}

/**
 * The relationship of user `viewerId` to `target`: self, manager (target below the viewer in the
 * reporting line), team (same non-null manager) or other.
 */
export async function relationshipBetween(
  db: Kysely<Database>,
  viewerId: string,
  target: RelationshipTarget,
): Promise<ProfileRelationship> {
  if (viewerId === target.id) return 'self';
  if (await isInReportingLine(db, viewerId, target.id)) return 'manager';
  if (target.reporting_manager_id) {
    const viewer = await db
      .selectFrom('organization_users')
      .select('reporting_manager_id')
      .where('id', '=', viewerId)
      .executeTakeFirst();
    if (viewer?.reporting_manager_id && viewer.reporting_manager_id === target.reporting_manager_id)
      return 'team';
  }
  return 'other';
}

/**
 * The directory viewer of `principal` for `target`: admins, the system and `admin:full` keys see
 * everything; other API keys are `other`; users by their relationship.
 */
export async function directoryViewer(
  db: Kysely<Database>,
  principal: Principal,
  target: RelationshipTarget,
): Promise<ProfileViewer> {
  if (principal.isAdministrator) return { kind: 'full' };
  if (!principal.userId) return { kind: 'related', relationship: 'other' };
  const relationship = await relationshipBetween(db, principal.userId, target);
  return relationship === 'self' ? { kind: 'full' } : { kind: 'related', relationship };
}

/** A viewer for SQL filters: everything, or a user (or key) whose relationships are computed in SQL. */
export type SqlViewer =
  | { full: true }
  | { full: false; viewerId: string | null; viewerManagerId: string | null };

/** The SQL viewer of `principal` (reads the acting user's manager). */
export async function sqlViewerOf(db: Kysely<Database>, principal: Principal): Promise<SqlViewer> {
  if (principal.isAdministrator) return { full: true };
  if (!principal.userId) return { full: false, viewerId: null, viewerManagerId: null };
  const row = await db
    .selectFrom('organization_users')
    .select('reporting_manager_id')
    .where('id', '=', principal.userId)
    .executeTakeFirst();
  return {
    full: false,
    viewerId: principal.userId,
    viewerManagerId: row?.reporting_manager_id ?? null,
  };
}

const MAX_CHAIN_DEPTH = 50;
const KNOWN_STORED = ['everyone', 'organization', 'team', 'manager', 'none'];

/**
 * A boolean SQL expression: whether the viewer may see `field` of the user row aliased `ou`. It
 * mirrors `canView` (same defaults, same relationships) so searches never match hidden data.
 */
export function fieldVisibleSql(field: ProfileField, viewer: SqlViewer): RawBuilder<boolean> {
  if (viewer.full) return sql<boolean>`true`;
  const stored = FIELD_STORAGE_NAMES[field];
  const fallback = DEFAULT_VISIBILITY[field];
  const below = viewer.viewerId
    ? sql<boolean>`ou.id in (
        with recursive below(id, depth) as (
          select id, 1 from organization_users where reporting_manager_id = ${viewer.viewerId}
          union all
          select u.id, b.depth + 1 from organization_users u join below b on u.reporting_manager_id = b.id where b.depth < ${MAX_CHAIN_DEPTH}
        )
        select id from below)`
    : sql<boolean>`false`;
  const sameTeam = viewer.viewerManagerId
    ? sql<boolean>`(ou.reporting_manager_id = ${viewer.viewerManagerId})`
    : sql<boolean>`false`;
  const self = viewer.viewerId ? sql<boolean>`(ou.id = ${viewer.viewerId})` : sql<boolean>`false`;
  const known = sql.join(KNOWN_STORED.map((v) => sql.lit(v)));
  const value = sql`coalesce(
      (select case when lower(fv.visibility) in (${known}) then lower(fv.visibility) end
         from user_field_visibility fv where fv.user_id = ou.id and fv.field_name = ${stored}),
      ${fallback})`;
  return sql<boolean>`(${self} or (case ${value}
      when 'team' then (${below} or ${sameTeam})
      when 'manager' then ${below}
      when 'none' then false
      else true end))`;
}

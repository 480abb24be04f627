/**
 * The self-service profile (`/me`): a user's personal fields, interests, fun facts, expertise,
 * addresses, secondary emails, media metadata and who may see each of them. Every method acts on
 * the acting user unless `options.userId` names someone else, which needs `people:write` on them
 * (admins, their managers up the reporting line, API keys with `people:write`).
 *
 * Owns: user_interests, user_fun_facts, user_expertise_topics, user_addresses,
 * user_secondary_emails, user_media, user_field_visibility (personal fields of organization_users).
 */
import type { ServiceRuntime } from '../../runtime';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import {
  loadItems,
  loadPerson,
  loadVisibility,
  type PersonCard,
  type PersonRow,
  type ProfileItems,
  toPersonCard,
} from './people.shared';
import {
  emptyToNull,
  type ProfileOptions,
  profileViewer,
  readTarget,
  recordChange,
  writeTarget,
} from './profile.access';
import {
  createAddresses,
  createMedia,
  createSecondaryEmails,
  type ProfileAddresses,
  type ProfileMediaFiles,
  type ProfileSecondaryEmails,
} from './profile.contact';
import {
  createExpertise,
  createFunFacts,
  createInterests,
  type ProfileExpertiseTopics,
  type ProfileFunFacts,
  type ProfileInterests,
} from './profile.items';
import {
  type ProfileUpdateInput,
  profileUpdateSchema,
  type VisibilitySetInput,
  visibilitySetSchema,
} from './profile.schema';
import {
  FIELD_STORAGE_NAMES,
  hiddenFields,
  type ProfileField,
  type ProfileViewer,
  type ProfileVisibility,
  type VisibilityMap,
  viewerCanSee,
} from './visibility';

export type { ProfileOptions } from './profile.access';
export type {
  ProfileAddresses,
  ProfileMediaFiles,
  ProfileSecondaryEmails,
} from './profile.contact';
export type { ProfileExpertiseTopics, ProfileFunFacts, ProfileInterests } from './profile.items';

/** A user's profile as its owner sees it (fields the viewer may not see are null or empty and listed in `hidden`). */
export interface UserProfile extends PersonCard, ProfileItems {
  bio: string | null;
  mobilePhone: string | null;
  workPhone: string | null;
  workPhoneExtension: string | null;
  timezone: string | null;
  preferredLanguage: string | null;
  employeeType: string | null;
  reportingManagerId: string | null;
  /** Who may see each field. */
  visibility: VisibilityMap;
  /** The fields this viewer may not see (empty for the user themself). */
  hidden: ProfileField[];
}

/** The self-service profile. */
export interface ProfileService {
  /**
   * The whole profile of the acting user (or of `options.userId`).
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; NOT_FOUND `PEOPLE.NOT_FOUND`; INVALID_INPUT
   *   `PROFILE.USER_REQUIRED` (API keys and the system without `userId`); UNAUTHENTICATED `POLICY.NO_ACTOR`
   * @example
   * ```ts
   * const me = await helios.as({ type: 'user', userId }).profile.get();
   * const report = await helios.as(manager).profile.get({ userId: reportId });
   * ```
   */
  get(options?: ProfileOptions): Promise<UserProfile>;
  /**
   * Changes personal fields: names, bio, phones, time zone, language (audited `profile.update`).
   * An empty string clears a nullable field.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`; NOT_FOUND `PEOPLE.NOT_FOUND`
   * @example
   * ```ts
   * await helios.as(me).profile.update({ bio: 'Coffee first.', timezone: 'Europe/Paris' });
   * ```
   */
  update(input: ProfileUpdateInput, options?: ProfileOptions): Promise<UserProfile>;
  /** Interests. */
  readonly interests: ProfileInterests;
  /** Fun facts, ordered. */
  readonly funFacts: ProfileFunFacts;
  /** Expertise topics. */
  readonly expertise: ProfileExpertiseTopics;
  /** Postal addresses. */
  readonly addresses: ProfileAddresses;
  /** Secondary email addresses. */
  readonly secondaryEmails: ProfileSecondaryEmails;
  /** Media metadata (voice intro, video intro, name pronunciation). */
  readonly media: ProfileMediaFiles;
  /** Who may see each profile field. */
  readonly visibility: {
    /**
     * The visibility of every field (defaults for unset ones).
     * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; NOT_FOUND `PEOPLE.NOT_FOUND`
     */
    get(options?: ProfileOptions): Promise<VisibilityMap>;
    /**
     * Sets the visibility of some fields: `everyone`, `team`, `manager` or `none` (`organization`
     * is taken as `everyone`) (audited `profile.visibility_update`).
     * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
     * @example
     * ```ts
     * await helios.as(me).profile.visibility.set({ phone: 'team', addresses: 'none' });
     * ```
     */
    set(input: VisibilitySetInput, options?: ProfileOptions): Promise<VisibilityMap>;
  };
}

const PERSONAL_COLUMNS = {
  firstName: 'first_name',
  lastName: 'last_name',
  bio: 'bio',
  mobilePhone: 'mobile_phone',
  workPhone: 'work_phone',
  workPhoneExtension: 'work_phone_extension',
  timezone: 'timezone',
  preferredLanguage: 'preferred_language',
} as const;

/** Assembles the profile of `user` as `viewer` sees it. */
async function buildProfile(
  db: Parameters<typeof loadItems>[0],
  user: PersonRow,
  viewer: ProfileViewer,
  now: Date,
): Promise<UserProfile> {
  const visibility = await loadVisibility(db, user.id);
  const items = await loadItems(db, user.id, viewer, visibility);
  const can = (field: ProfileField) => viewerCanSee(viewer, visibility, field);
  return {
    ...toPersonCard(user, now),
    bio: can('bio') ? user.bio : null,
    mobilePhone: can('phone') ? user.mobile_phone : null,
    workPhone: can('phone') ? user.work_phone : null,
    workPhoneExtension: can('phone') ? user.work_phone_extension : null,
    timezone: user.timezone,
    preferredLanguage: user.preferred_language,
    employeeType: user.employee_type,
    reportingManagerId: user.reporting_manager_id,
    ...items,
    visibility,
    hidden: hiddenFields(viewer, visibility),
  };
}

/** Builds the profile service. */
export function createProfileService(rt: ServiceRuntime): ProfileService {
  return {
    get: (options) =>
      rt.read(options, async (s) => {
        const { user, viewer } = await readTarget(s, options);
        return buildProfile(s.db, user, viewer, s.now);
      }),
    update: (input, options) =>
      rt.write(options, async (s) => {
        const before = await writeTarget(s, options);
        const data = parseInput(profileUpdateSchema, input);
        const values: Record<string, string | null> = {};
        for (const [key, column] of Object.entries(PERSONAL_COLUMNS)) {
          const value = data[key as keyof typeof PERSONAL_COLUMNS];
          if (value !== undefined) values[column] = emptyToNull(value);
        }
        await s.db
          .updateTable('organization_users')
          .set({ ...values, updated_at: s.now })
          .where('id', '=', before.id)
          .where('organization_id', '=', s.organizationId)
          .execute();
        const after = await loadPerson(s, before.id);
        const pick = (row: PersonRow) =>
          Object.fromEntries(Object.values(PERSONAL_COLUMNS).map((c) => [c, row[c]]));
        await recordChange(
          s,
          after,
          'profile.update',
          summarizeChange(pick(before), pick(after)),
          'Profile updated',
        );
        return buildProfile(s.db, after, await profileViewer(s, after), s.now);
      }),
    interests: createInterests(rt),
    funFacts: createFunFacts(rt),
    expertise: createExpertise(rt),
    addresses: createAddresses(rt),
    secondaryEmails: createSecondaryEmails(rt),
    media: createMedia(rt),
    visibility: {
      get: (options) =>
        rt.read(options, async (s) => {
          const { user } = await readTarget(s, options);
          return loadVisibility(s.db, user.id);
        }),
      set: (input, options) =>
        rt.write(options, async (s) => {
          const user = await writeTarget(s, options);
          const data = parseInput(visibilitySetSchema, input) as Partial<
            Record<ProfileField, ProfileVisibility>
          >;
          const before = await loadVisibility(s.db, user.id);
          for (const [field, visibility] of Object.entries(data) as [
            ProfileField,
            ProfileVisibility,
          ][]) {
            await s.db
              .insertInto('user_field_visibility')
              .values({
                user_id: user.id,
                field_name: FIELD_STORAGE_NAMES[field],
                visibility,
                created_at: s.now,
                updated_at: s.now,
              })
              .onConflict((oc) =>
                oc
                  .columns(['user_id', 'field_name'])
                  .doUpdateSet({ visibility, updated_at: s.now }),
              )
              .execute();
          }
          const after = await loadVisibility(s.db, user.id);
          await recordChange(
            s,
            user,
            'profile.visibility_update',
            summarizeChange(before, after),
            'Privacy settings changed',
          );
          return after;
        }),
    },
  };
}

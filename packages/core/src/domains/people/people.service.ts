/**
 * The people directory: active, non-deleted colleagues with search, filters and keyset pages, a
 * person's card with the privacy rules applied (see visibility.ts), people by expertise, and a
 * person's team (manager, peers, reports). Readable by every signed-in user and by API keys with
 * `people:read` (which see only what `everyone` may see).
 *
 * Reads: organization_users, user_interests, user_fun_facts, user_expertise_topics, user_addresses,
 * user_secondary_emails, user_media, user_field_visibility.
 */
import { type RawBuilder, sql } from 'kysely';
import { z } from 'zod';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { keysetPage, type Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import type { CallOptions } from '../policy/actor';
import { PEOPLE_ERRORS } from './people.errors';
import {
  expertiseTopicSchema,
  type PeopleListInput,
  type PeopleSort,
  peopleListSchema,
} from './people.schema';
import {
  isoDay,
  loadItems,
  loadPerson,
  loadVisibility,
  newJoinerSince,
  onlyListed,
  type PersonCard,
  type PersonMedia,
  type PersonRow,
  type ProfileAddress,
  type ProfileExpertise,
  type ProfileFunFact,
  type ProfileInterest,
  type ProfileSecondaryEmail,
  personNotFound,
  selectPeople,
  toPersonCard,
  toPersonMedia,
} from './people.shared';
import { PROFICIENCY_LEVELS } from './profile.schema';
import {
  directoryViewer,
  fieldVisibleSql,
  hiddenFields,
  type ProfileField,
  type SqlViewer,
  sqlViewerOf,
  viewerCanSee,
} from './visibility';

/** A person's card in the directory, with the privacy rules applied. */
export interface PersonProfile extends PersonCard {
  timezone: string | null;
  employeeType: string | null;
  /** The person's manager (when listed in the directory). */
  manager: PersonCard | null;
  bio: string | null;
  mobilePhone: string | null;
  workPhone: string | null;
  workPhoneExtension: string | null;
  interests: ProfileInterest[];
  funFacts: ProfileFunFact[];
  expertise: ProfileExpertise[];
  addresses: ProfileAddress[];
  secondaryEmails: ProfileSecondaryEmail[];
  media: PersonMedia[];
  /** The fields the viewer may not see (null or empty above). */
  hidden: ProfileField[];
}

/** A person found by expertise, with the best matching topic. */
export interface ExpertPerson extends PersonCard {
  expertise: { topic: string; proficiencyLevel: string | null; isWillingToHelp: boolean };
}

/** A person's team. */
export interface PeopleTeam {
  person: PersonCard;
  manager: PersonCard | null;
  /** Others with the same manager. */
  peers: PersonCard[];
  /** Direct reports. */
  reports: PersonCard[];
}

/** The people directory. */
export interface PeopleService {
  /**
   * Active colleagues, filtered and sorted, one keyset page at a time.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`; FORBIDDEN `POLICY.FORBIDDEN`
   *   (API keys without `people:read`); UNAUTHENTICATED `POLICY.NO_ACTOR`
   * @example
   * ```ts
   * const page = await helios.as(me).people.list({ q: 'postgres', department: 'Engineering', sort: 'name', limit: 20 });
   * const next = await helios.as(me).people.list({ q: 'postgres', department: 'Engineering', sort: 'name', limit: 20, cursor: page.nextCursor });
   * ```
   */
  list(filter?: PeopleListInput, options?: CallOptions): Promise<Page<PersonCard>>;
  /**
   * A person's card: hidden fields (by the person's visibility settings and the viewer's
   * relationship) are null or empty and named in `hidden`.
   * @throws HeliosError NOT_FOUND `PEOPLE.NOT_FOUND` (unknown, inactive or deleted); INVALID_INPUT `VALIDATION.FAILED`;
   *   FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const card = await helios.as(me).people.get(colleagueId);
   * if (card.hidden.includes('phone')) ...
   * ```
   */
  get(id: string, options?: CallOptions): Promise<PersonProfile>;
  /**
   * Up to 100 people whose visible expertise contains `topic` (case-insensitive), most proficient first.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  byExpertise(topic: string, options?: CallOptions): Promise<ExpertPerson[]>;
  /**
   * A person's manager, peers and direct reports (default: the acting user's).
   * @throws HeliosError NOT_FOUND `PEOPLE.NOT_FOUND`; INVALID_INPUT `PEOPLE.USER_REQUIRED` (API keys without
   *   `userId`), `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  team(userId?: string, options?: CallOptions): Promise<PeopleTeam>;
}

const LIST_MAX_EXPERTS = 100;

/** The three sort key expressions of a sort (then `ou.id`); nulls last in both directions. */
function sortKeys(
  sort: PeopleSort,
  direction: 'asc' | 'desc',
): [RawBuilder<number>, RawBuilder<string>, RawBuilder<string>] {
  const name = sql<string>`lower(ou.first_name || ' ' || ou.last_name)`;
  const nullFlag = (column: RawBuilder<unknown>) =>
    direction === 'asc'
      ? sql<number>`(case when ${column} is null then 1 else 0 end)`
      : sql<number>`(case when ${column} is null then 0 else 1 end)`;
  switch (sort) {
    case 'department':
      return [nullFlag(sql`ou.department`), sql<string>`coalesce(lower(ou.department), '')`, name];
    case 'startDate':
      return [
        nullFlag(sql`ou.start_date`),
        sql<string>`coalesce(to_char(ou.start_date, 'YYYY-MM-DD'), '')`,
        name,
      ];
    default:
      return [sql<number>`(0)::int`, name, sql<string>`''::text`];
  }
}

/** `%text%` for LIKE with `\`, `%` and `_` escaped. */
function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const LEVEL_RANK = sql<number>`(case lower(t.proficiency_level) ${sql.join(
  [...PROFICIENCY_LEVELS]
    .reverse()
    .map((level, i) => sql`when ${sql.lit(level)} then ${sql.lit(i)}`),
  sql` `,
)} else ${sql.lit(PROFICIENCY_LEVELS.length)} end)`;

async function listedCards(
  s: OperationScope,
  where: (qb: ReturnType<typeof selectPeople>) => ReturnType<typeof selectPeople>,
): Promise<PersonCard[]> {
  const rows = await where(onlyListed(selectPeople(s.db, s.organizationId)))
    .orderBy(sql`lower(ou.first_name || ' ' || ou.last_name)`)
    .orderBy('ou.id')
    .execute();
  return rows.map((row) => toPersonCard(row, s.now));
}

async function findListed(s: OperationScope, id: string | null): Promise<PersonRow | null> {
  if (!id) return null;
  return (
    (await onlyListed(selectPeople(s.db, s.organizationId))
      .where('ou.id', '=', id)
      .executeTakeFirst()) ?? null
  );
}

/** Builds the people directory service. */
export function createPeopleService(rt: ServiceRuntime): PeopleService {
  return {
    list: (filter, options) =>
      rt.read(options, async (s) => {
        await s.authorize('people:read');
        const f = parseInput(peopleListSchema, filter ?? {});
        const direction = f.direction ?? (f.sort === 'startDate' ? 'desc' : 'asc');
        const viewer: SqlViewer = f.q ? await sqlViewerOf(s.db, s.principal) : { full: true };
        const [k0, k1, k2] = sortKeys(f.sort, direction);
        const paging = keysetPage({
          list: `people:${f.sort}`,
          keys: [
            { by: k0, kind: 'integer' },
            { by: k1, kind: 'text' },
            { by: k2, kind: 'text' },
            { by: 'ou.id', kind: 'uuid' },
          ],
          direction,
          limit: f.limit,
          cursor: f.cursor,
        });
        let q = onlyListed(selectPeople(s.db, s.organizationId));
        if (f.department) q = q.where(sql<boolean>`lower(ou.department) = lower(${f.department})`);
        if (f.departmentId) q = q.where('ou.department_id', '=', f.departmentId);
        if (f.location) q = q.where(sql<boolean>`lower(ou.location) = lower(${f.location})`);
        if (f.locationId) q = q.where('ou.location_id', '=', f.locationId);
        if (f.newJoiners) {
          q = q
            .where(sql<boolean>`ou.start_date >= ${newJoinerSince(s.now)}::date`)
            .where(sql<boolean>`ou.start_date <= ${isoDay(s.now)}::date`);
        }
        if (f.q) {
          const p = containsPattern(f.q);
          q = q.where(sql<boolean>`(
            lower(ou.first_name || ' ' || ou.last_name) like ${p} escape '\\'
            or lower(coalesce(ou.job_title, '')) like ${p} escape '\\'
            or (${fieldVisibleSql('expertise', viewer)} and exists (
              select 1 from user_expertise_topics t where t.user_id = ou.id and lower(t.topic) like ${p} escape '\\'))
            or (${fieldVisibleSql('interests', viewer)} and exists (
              select 1 from user_interests i where i.user_id = ou.id and lower(i.interest) like ${p} escape '\\')))`);
        }
        const rows = await q.$call(paging.query).execute();
        return paging.page(rows, (row) => toPersonCard(row, s.now));
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('people:read');
        const personId = parseInput(z.uuid(), id);
        const person = await loadPerson(s, personId, { listed: true });
        const viewer = await directoryViewer(s.db, s.principal, person);
        const visibility = await loadVisibility(s.db, person.id);
        const items = await loadItems(s.db, person.id, viewer, visibility);
        const can = (field: ProfileField) => viewerCanSee(viewer, visibility, field);
        const manager = await findListed(s, person.reporting_manager_id);
        return {
          ...toPersonCard(person, s.now),
          timezone: person.timezone,
          employeeType: person.employee_type,
          manager: manager ? toPersonCard(manager, s.now) : null,
          bio: can('bio') ? person.bio : null,
          mobilePhone: can('phone') ? person.mobile_phone : null,
          workPhone: can('phone') ? person.work_phone : null,
          workPhoneExtension: can('phone') ? person.work_phone_extension : null,
          interests: items.interests,
          funFacts: items.funFacts,
          expertise: items.expertise,
          addresses: items.addresses,
          secondaryEmails: items.secondaryEmails,
          media: items.media.map(toPersonMedia),
          hidden: hiddenFields(viewer, visibility),
        };
      }),

    byExpertise: (topic, options) =>
      rt.read(options, async (s) => {
        await s.authorize('people:read');
        const text = parseInput(expertiseTopicSchema, topic);
        const viewer = await sqlViewerOf(s.db, s.principal);
        const rows = await onlyListed(selectPeople(s.db, s.organizationId))
          .innerJoin('user_expertise_topics as t', 't.user_id', 'ou.id')
          .select([
            't.topic',
            't.proficiency_level',
            't.is_willing_to_help',
            LEVEL_RANK.as('level_rank'),
          ])
          .where(sql<boolean>`lower(t.topic) like ${containsPattern(text)} escape '\\'`)
          .where(fieldVisibleSql('expertise', viewer))
          .orderBy(LEVEL_RANK)
          .orderBy(sql`lower(ou.first_name || ' ' || ou.last_name)`)
          .orderBy('ou.id')
          .orderBy('t.topic')
          .limit(LIST_MAX_EXPERTS * 10)
          .execute();
        const seen = new Set<string>();
        const out: ExpertPerson[] = [];
        for (const row of rows) {
          if (seen.has(row.id)) continue;
          seen.add(row.id);
          out.push({
            ...toPersonCard(row, s.now),
            expertise: {
              topic: row.topic,
              proficiencyLevel: row.proficiency_level,
              isWillingToHelp: row.is_willing_to_help !== false,
            },
          });
          if (out.length === LIST_MAX_EXPERTS) break;
        }
        return out;
      }),

    team: (userId, options) =>
      rt.read(options, async (s) => {
        await s.authorize('people:read');
        const requested = userId ?? s.principal.userId;
        if (!requested) throw PEOPLE_ERRORS.USER_REQUIRED();
        const id = parseInput(z.uuid(), requested);
        const person =
          id === s.principal.userId ? await loadPerson(s, id) : await findListed(s, id);
        if (!person) throw personNotFound(id);
        const manager = await findListed(s, person.reporting_manager_id);
        const managerId = person.reporting_manager_id;
        return {
          person: toPersonCard(person, s.now),
          manager: manager ? toPersonCard(manager, s.now) : null,
          peers: managerId
            ? await listedCards(s, (qb) =>
                qb.where('ou.reporting_manager_id', '=', managerId).where('ou.id', '<>', person.id),
              )
            : [],
          reports: await listedCards(s, (qb) =>
            qb.where('ou.reporting_manager_id', '=', person.id),
          ),
        };
      }),
  };
}

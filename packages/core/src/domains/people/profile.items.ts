/**
 * Profile items the user lists about themself: interests, fun facts and expertise topics.
 */
import { sql } from 'kysely';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import { PEOPLE_ERRORS } from './people.errors';
import {
  loadItems,
  loadVisibility,
  type ProfileExpertise,
  type ProfileFunFact,
  type ProfileInterest,
  toExpertise,
  toFunFact,
  toInterest,
} from './people.shared';
import {
  itemNotFound,
  limitReached,
  type ProfileOptions,
  parseItemId,
  readTarget,
  recordChange,
  writeTarget,
} from './profile.access';
import {
  type ExpertiseAddInput,
  expertiseAddSchema,
  type FunFactAddInput,
  type FunFactReorderInput,
  type FunFactUpdateInput,
  funFactAddSchema,
  funFactReorderSchema,
  funFactUpdateSchema,
  type InterestAddInput,
  interestAddSchema,
  PROFILE_LIMITS,
} from './profile.schema';

/** A user's interests. */
export interface ProfileInterests {
  /**
   * The interests, alphabetically.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; NOT_FOUND `PEOPLE.NOT_FOUND`
   */
  list(options?: ProfileOptions): Promise<ProfileInterest[]>;
  /**
   * Adds an interest (audited `profile.interest_add`).
   * @throws HeliosError CONFLICT `PROFILE.INTEREST_EXISTS` (same text, any case); PRECONDITION_FAILED
   *   `PROFILE.LIMIT_REACHED`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.as(me).profile.interests.add({ interest: 'Climbing', category: 'Sport' });
   * ```
   */
  add(input: InterestAddInput, options?: ProfileOptions): Promise<ProfileInterest>;
  /**
   * Removes an interest (audited `profile.interest_remove`).
   * @throws HeliosError NOT_FOUND `PROFILE.INTEREST_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  remove(id: string, options?: ProfileOptions): Promise<void>;
}

/** A user's fun facts, in the user's order. */
export interface ProfileFunFacts {
  /**
   * The fun facts in display order (hidden ones only for the user and full viewers).
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; NOT_FOUND `PEOPLE.NOT_FOUND`
   */
  list(options?: ProfileOptions): Promise<ProfileFunFact[]>;
  /**
   * Adds a fun fact at the end (audited `profile.fun_fact_add`).
   * @throws HeliosError PRECONDITION_FAILED `PROFILE.LIMIT_REACHED`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.as(me).profile.funFacts.add({ fact: 'I once met a penguin.' });
   * ```
   */
  add(input: FunFactAddInput, options?: ProfileOptions): Promise<ProfileFunFact>;
  /**
   * Changes a fun fact's text or visibility (audited `profile.fun_fact_update`).
   * @throws HeliosError NOT_FOUND `PROFILE.FUN_FACT_NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  update(id: string, input: FunFactUpdateInput, options?: ProfileOptions): Promise<ProfileFunFact>;
  /**
   * Removes a fun fact (audited `profile.fun_fact_remove`).
   * @throws HeliosError NOT_FOUND `PROFILE.FUN_FACT_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  remove(id: string, options?: ProfileOptions): Promise<void>;
  /**
   * Puts the fun facts in the given order; `ids` must be exactly the user's fun facts (audited
   * `profile.fun_facts_reorder`).
   * @throws HeliosError INVALID_INPUT `PROFILE.REORDER_MISMATCH`, `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  reorder(ids: FunFactReorderInput, options?: ProfileOptions): Promise<ProfileFunFact[]>;
}

/** A user's expertise topics. */
export interface ProfileExpertiseTopics {
  /**
   * The topics, alphabetically.
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`; NOT_FOUND `PEOPLE.NOT_FOUND`
   */
  list(options?: ProfileOptions): Promise<ProfileExpertise[]>;
  /**
   * Adds a topic with a proficiency level (audited `profile.expertise_add`).
   * @throws HeliosError CONFLICT `PROFILE.EXPERTISE_EXISTS`; PRECONDITION_FAILED `PROFILE.LIMIT_REACHED`;
   *   INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.as(me).profile.expertise.add({ topic: 'PostgreSQL', proficiencyLevel: 'expert' });
   * ```
   */
  add(input: ExpertiseAddInput, options?: ProfileOptions): Promise<ProfileExpertise>;
  /**
   * Removes a topic (audited `profile.expertise_remove`).
   * @throws HeliosError NOT_FOUND `PROFILE.EXPERTISE_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   */
  remove(id: string, options?: ProfileOptions): Promise<void>;
}

async function countOf(
  s: OperationScope,
  table: 'user_interests' | 'user_fun_facts' | 'user_expertise_topics',
  userId: string,
): Promise<number> {
  const row = await s.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Builds the interests part of the profile service. */
export function createInterests(rt: ServiceRuntime): ProfileInterests {
  return {
    list: (options) =>
      rt.read(options, async (s) => {
        const { user, viewer } = await readTarget(s, options);
        return (await loadItems(s.db, user.id, viewer, await loadVisibility(s.db, user.id)))
          .interests;
      }),
    add: (input, options) =>
      rt.write(options, async (s) => {
        const user = await writeTarget(s, options);
        const data = parseInput(interestAddSchema, input);
        const same = await s.db
          .selectFrom('user_interests')
          .select('id')
          .where('user_id', '=', user.id)
          .where(sql<boolean>`lower(interest) = lower(${data.interest})`)
          .executeTakeFirst();
        if (same) throw PEOPLE_ERRORS.PROFILE_INTEREST_EXISTS({ id: same.id });
        if ((await countOf(s, 'user_interests', user.id)) >= PROFILE_LIMITS.interests)
          throw limitReached('interests', PROFILE_LIMITS.interests);
        const row = await s.db
          .insertInto('user_interests')
          .values({
            user_id: user.id,
            interest: data.interest,
            category: data.category ?? null,
            created_at: s.now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordChange(
          s,
          user,
          'profile.interest_add',
          {
            itemId: row.id,
            ...summarizeChange(null, { interest: row.interest, category: row.category }),
          },
          'Interest added',
        );
        return toInterest(row);
      }),
    remove: (id, options) =>
      rt.write(options, async (s) => {
        const user = await writeTarget(s, options);
        const itemId = parseItemId(id);
        const row = await s.db
          .deleteFrom('user_interests')
          .where('id', '=', itemId)
          .where('user_id', '=', user.id)
          .returningAll()
          .executeTakeFirst();
        if (!row) throw itemNotFound(PEOPLE_ERRORS.PROFILE_INTEREST_NOT_FOUND, itemId);
        await recordChange(
          s,
          user,
          'profile.interest_remove',
          { itemId, interest: row.interest },
          'Interest removed',
        );
      }),
  };
}

async function orderedFacts(s: OperationScope, userId: string) {
  return s.db
    .selectFrom('user_fun_facts')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy(sql`coalesce(sort_order, 0)`)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Builds the fun facts part of the profile service. */
export function createFunFacts(rt: ServiceRuntime): ProfileFunFacts {
  return {
    list: (options) =>
      rt.read(options, async (s) => {
        const { user, viewer } = await readTarget(s, options);
        return (await loadItems(s.db, user.id, viewer, await loadVisibility(s.db, user.id)))
          .funFacts;
      }),
    add: (input, options) =>
      rt.write(options, async (s) => {
        const user = await writeTarget(s, options);
        const data = parseInput(funFactAddSchema, input);
        if ((await countOf(s, 'user_fun_facts', user.id)) >= PROFILE_LIMITS.funFacts)
          throw limitReached('fun facts', PROFILE_LIMITS.funFacts);
        const last = await s.db
          .selectFrom('user_fun_facts')
          .select(sql<number | null>`max(sort_order)`.as('max'))
          .where('user_id', '=', user.id)
          .executeTakeFirst();
        const row = await s.db
          .insertInto('user_fun_facts')
          .values({
            user_id: user.id,
            fact: data.fact,
            is_visible: data.isVisible ?? true,
            sort_order: (last?.max ?? -1) + 1,
            created_at: s.now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordChange(
          s,
          user,
          'profile.fun_fact_add',
          {
            itemId: row.id,
            ...summarizeChange(null, { fact: row.fact, is_visible: row.is_visible }),
          },
          'Fun fact added',
        );
        return toFunFact(row);
      }),
    update: (id, input, options) =>
      rt.write(options, async (s) => {
        const user = await writeTarget(s, options);
        const itemId = parseItemId(id);
        const data = parseInput(funFactUpdateSchema, input);
        const before = await s.db
          .selectFrom('user_fun_facts')
          .selectAll()
          .where('id', '=', itemId)
          .where('user_id', '=', user.id)
          .executeTakeFirst();
        if (!before) throw itemNotFound(PEOPLE_ERRORS.PROFILE_FUN_FACT_NOT_FOUND, itemId);
        const after = await s.db
          .updateTable('user_fun_facts')
          .set({
            ...(data.fact !== undefined ? { fact: data.fact } : {}),
            ...(data.isVisible !== undefined ? { is_visible: data.isVisible } : {}),
          })
          .where('id', '=', itemId)
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordChange(
          s,
          user,
          'profile.fun_fact_update',
          { itemId, ...summarizeChange(before, after) },
          'Fun fact changed',
        );
        return toFunFact(after);
      }),
    remove: (id, options) =>
      rt.write(options, async (s) => {
        const user = await writeTarget(s, options);
        const itemId = parseItemId(id);
        const row = await s.db
          .deleteFrom('user_fun_facts')
          .where('id', '=', itemId)
          .where('user_id', '=', user.id)
          .returningAll()
          .executeTakeFirst();
        if (!row) throw itemNotFound(PEOPLE_ERRORS.PROFILE_FUN_FACT_NOT_FOUND, itemId);
        await recordChange(
          s,
          user,
          'profile.fun_fact_remove',
          { itemId, fact: row.fact },
          'Fun fact removed',
        );
      }),
    reorder: (ids, options) =>
      rt.write(options, async (s) => {
        const user = await writeTarget(s, options);
        const order = parseInput(funFactReorderSchema, ids);
        const current = await orderedFacts(s, user.id);
        const known = new Set(current.map((f) => f.id));
        if (order.length !== current.length || !order.every((id) => known.has(id))) {
          throw PEOPLE_ERRORS.PROFILE_REORDER_MISMATCH({
            expected: current.length,
            received: order.length,
          });
        }
        for (const [index, id] of order.entries()) {
          await s.db
            .updateTable('user_fun_facts')
            .set({ sort_order: index })
            .where('id', '=', id)
            .execute();
        }
        await recordChange(
          s,
          user,
          'profile.fun_facts_reorder',
          { from: current.map((f) => f.id), to: order },
          'Fun facts reordered',
        );
        return (await orderedFacts(s, user.id)).map(toFunFact);
      }),
  };
}

/** Builds the expertise part of the profile service. */
export function createExpertise(rt: ServiceRuntime): ProfileExpertiseTopics {
  return {
    list: (options) =>
      rt.read(options, async (s) => {
        const { user, viewer } = await readTarget(s, options);
        return (await loadItems(s.db, user.id, viewer, await loadVisibility(s.db, user.id)))
          .expertise;
      }),
    add: (input, options) =>
      rt.write(options, async (s) => {
        const user = await writeTarget(s, options);
        const data = parseInput(expertiseAddSchema, input);
        const same = await s.db
          .selectFrom('user_expertise_topics')
          .select('id')
          .where('user_id', '=', user.id)
          .where(sql<boolean>`lower(topic) = lower(${data.topic})`)
          .executeTakeFirst();
        if (same) throw PEOPLE_ERRORS.PROFILE_EXPERTISE_EXISTS({ id: same.id });
        if ((await countOf(s, 'user_expertise_topics', user.id)) >= PROFILE_LIMITS.expertise)
          throw limitReached('expertise topics', PROFILE_LIMITS.expertise);
        const row = await s.db
          .insertInto('user_expertise_topics')
          .values({
            user_id: user.id,
            topic: data.topic,
            proficiency_level: data.proficiencyLevel ?? 'intermediate',
            is_willing_to_help: data.isWillingToHelp ?? true,
            created_at: s.now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordChange(
          s,
          user,
          'profile.expertise_add',
          {
            itemId: row.id,
            ...summarizeChange(null, {
              topic: row.topic,
              proficiency_level: row.proficiency_level,
              is_willing_to_help: row.is_willing_to_help,
            }),
          },
          'Expertise added',
        );
        return toExpertise(row);
      }),
    remove: (id, options) =>
      rt.write(options, async (s) => {
        const user = await writeTarget(s, options);
        const itemId = parseItemId(id);
        const row = await s.db
          .deleteFrom('user_expertise_topics')
          .where('id', '=', itemId)
          .where('user_id', '=', user.id)
          .returningAll()
          .executeTakeFirst();
        if (!row) throw itemNotFound(PEOPLE_ERRORS.PROFILE_EXPERTISE_NOT_FOUND, itemId);
        await recordChange(
          s,
          user,
          'profile.expertise_remove',
          { itemId, topic: row.topic },
          'Expertise removed',
        );
      }),
  };
}

/**
 * `helios.automation`: the condition language, its facts catalogue, validation, and evaluation
 * compiled to one SQL statement (see automation.compile.ts).
 *
 * Who may call: administrators (portal admins, the system, `admin:full` keys) and API keys with
 * `users:read`; a condition reads every user's facts, so managers and users may not.
 *
 * `test` (an ad-hoc tree against one user) is also open to managers, for their reports only.
 * Named conditions (`helios.automation.conditions`, automation.conditions.ts) and rules
 * (`helios.automation.rules`, automation.rules.ts) build on `validateCondition` + `compileCondition`.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { parseInput } from '../../shared/validation';
import type { CallOptions } from '../policy/actor';
import { assertAdministrator } from '../policy/policy';
import {
  type CompileContext,
  compileCondition,
  countMatching,
  factValues,
  matchingUsersQuery,
  withoutJit,
} from './automation.compile';
import { createNamedConditionsService, type NamedConditionsService } from './automation.conditions';
import { AUTOMATION_ERRORS } from './automation.errors';
import { FACTS, type FactDefinition, OPERATORS_BY_TYPE } from './automation.facts';
import {
  type AutomationRulesService,
  authorizeTest,
  createAutomationRulesService,
  parseUserId,
  testUser,
} from './automation.rules';
import {
  type MatchingUsersOptions,
  matchingUsersOptionsSchema,
  userIdSchema,
  type ValidateConditionOptions,
  validateOptionsSchema,
} from './automation.schema';
import {
  type ConditionSummary,
  type NamedConditionSource,
  type ValidatedCondition,
  validateCondition,
} from './automation.validate';

/** What `matchingUsers` returns. */
export interface MatchingUsersResult {
  /** How many users (not deleted) match. */
  count: number;
  /** Up to `limit` matching user ids, in id order. */
  sample: string[];
}

/** What `matches` returns. */
export interface MatchResult {
  matched: boolean;
  /** The values of the facts the condition uses, for this user (`customFields.<key>` for custom fields). */
  facts: Record<string, unknown>;
}

/** The condition language: facts, validation and evaluation. */
export interface AutomationService {
  /**
   * The facts a condition may use, with their type and operators; custom fields are listed once per
   * active user field definition (`name: 'customFields'`, `path: '$.<key>'`).
   * @throws HeliosError FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const facts = await helios.automation.facts();
   * ```
   */
  facts(options?: CallOptions): Promise<FactDefinition[]>;
  /**
   * Validates a condition tree (references resolved against the organization's named conditions)
   * and returns its depth, leaf count, referenced named condition ids and warnings.
   * @throws HeliosError INVALID_INPUT `AUTOMATION.INVALID_CONDITION` (`details.problems`: path, code, message)
   * @example
   * ```ts
   * await helios.automation.validate({ all: [{ fact: 'userStatus', operator: 'equal', value: 'active' }] });
   * ```
   */
  validate(
    tree: unknown,
    input?: ValidateConditionOptions,
    options?: CallOptions,
  ): Promise<ConditionSummary>;
  /**
   * How many users match, and a sample of their ids: one SQL statement for the whole organization.
   * @throws HeliosError INVALID_INPUT `AUTOMATION.INVALID_CONDITION`, `VALIDATION.FAILED`; FORBIDDEN
   */
  matchingUsers(
    tree: unknown,
    input?: MatchingUsersOptions,
    options?: CallOptions,
  ): Promise<MatchingUsersResult>;
  /**
   * Whether one user matches (the same statement with an id filter), and the facts used.
   * @throws HeliosError INVALID_INPUT `AUTOMATION.INVALID_CONDITION`; NOT_FOUND `AUTOMATION.USER_NOT_FOUND`; FORBIDDEN
   */
  matches(tree: unknown, userId: string, options?: CallOptions): Promise<MatchResult>;
  /**
   * Tests an ad-hoc tree against one user: matched and the facts used; writes nothing.
   * Administrators and `users:read` keys may test any user; managers only their reports (direct
   * or not); anyone else is refused.
   * @throws HeliosError INVALID_INPUT `AUTOMATION.INVALID_CONDITION`; NOT_FOUND
   *   `AUTOMATION.USER_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const { matched, facts } = await helios.automation.test({ fact: 'department', operator: 'equal', value: 'Sales' }, userId);
   * ```
   */
  test(tree: unknown, userId: string, options?: CallOptions): Promise<MatchResult>;
  /** Named conditions (`named_conditions`). */
  readonly conditions: NamedConditionsService;
  /** Rules (`automation_rules`) and their evaluation. */
  readonly rules: AutomationRulesService;
}

/** The organization's named conditions by name (for references). */
export async function loadNamedConditions(
  db: Kysely<Database>,
  organizationId: string,
): Promise<Map<string, NamedConditionSource>> {
  const rows = await db
    .selectFrom('named_conditions')
    .select(['id', 'name', 'conditions'])
    .where('organization_id', '=', organizationId)
    .execute();
  return new Map(rows.map((r) => [r.name, { id: r.id, name: r.name, conditions: r.conditions }]));
}

async function authorize(s: OperationScope, what: string): Promise<void> {
  if (s.principal.actor.type === 'user') assertAdministrator(s.principal, 'users:read', what);
  await s.authorize('users:read');
}

async function checked(
  s: OperationScope,
  tree: unknown,
  asCondition?: string,
): Promise<{ v: ValidatedCondition; ctx: CompileContext }> {
  const named = await loadNamedConditions(s.db, s.organizationId);
  const v = validateCondition(tree, named, asCondition === undefined ? {} : { asCondition });
  return { v, ctx: { organizationId: s.organizationId, asOf: s.now.toISOString().slice(0, 10) } };
}

/** Builds `helios.automation`. */
export function createAutomationService(rt: ServiceRuntime): AutomationService {
  return {
    conditions: createNamedConditionsService(rt),
    rules: createAutomationRulesService(rt),
    test: (tree, userId, options) =>
      rt.read(options, async (s) => {
        const target = parseUserId(userId);
        await authorizeTest(s, target);
        const { v } = await checked(s, tree);
        return testUser(s, v, target);
      }),
    facts: (options) =>
      rt.read(options, async (s) => {
        await authorize(s, 'Reading the automation facts');
        const fields = await s.db
          .selectFrom('custom_field_definitions')
          .select(['field_key', 'display_name', 'description'])
          .where('organization_id', '=', s.organizationId)
          .where('entity_type', '=', 'user')
          .where('is_active', 'is not', false)
          .orderBy('display_order')
          .orderBy('field_key')
          .execute();
        const custom: FactDefinition[] = fields
          .filter((f) => /^[A-Za-z_][A-Za-z0-9_]{0,99}$/.test(f.field_key))
          .map((f) => ({
            name: 'customFields',
            path: `$.${f.field_key}`,
            label: f.display_name,
            category: 'custom',
            type: 'string',
            operators: OPERATORS_BY_TYPE.string,
            ...(f.description ? { description: f.description } : {}),
          }));
        return [...FACTS.map((f) => ({ ...f })), ...custom];
      }),
    validate: (tree, input, options) =>
      rt.read(options, async (s) => {
        const o = parseInput(validateOptionsSchema, input ?? {});
        await authorize(s, 'Validating a condition');
        const { v } = await checked(s, tree, o.asCondition);
        const { tree: _tree, ...summary } = v;
        return summary;
      }),
    matchingUsers: (tree, input, options) =>
      rt.read(options, async (s) => {
        const o = parseInput(matchingUsersOptionsSchema, input ?? {});
        await authorize(s, 'Evaluating a condition');
        const { v, ctx } = await checked(s, tree);
        return countMatching(s.db, s.organizationId, compileCondition(v.tree, ctx), o.limit);
      }),
    matches: (tree, userId, options) =>
      rt.read(options, async (s) => {
        await authorize(s, 'Evaluating a condition');
        const id = userIdSchema.safeParse(userId);
        if (!id.success)
          throw AUTOMATION_ERRORS.USER_NOT_FOUND({ userId: String(userId).slice(0, 64) });
        const { v, ctx } = await checked(s, tree);
        const exists = await s.db
          .selectFrom('organization_users')
          .select('id')
          .where('organization_id', '=', s.organizationId)
          .where('id', '=', id.data)
          .where('deleted_at', 'is', null)
          .executeTakeFirst();
        if (!exists) throw AUTOMATION_ERRORS.USER_NOT_FOUND({ userId: id.data });
        const where = compileCondition(v.tree, ctx);
        const row = await withoutJit(s.db, (db) =>
          matchingUsersQuery(db, s.organizationId, where, id.data).executeTakeFirst(),
        );
        return { matched: row !== undefined, facts: await factValues(s.db, ctx, id.data, v.facts) };
      }),
  };
}

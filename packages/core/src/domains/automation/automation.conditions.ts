/**
 * `helios.automation.conditions`: named conditions (`named_conditions`), the trees rules and other
 * named conditions reference by name (`{ condition: "<name>" }`).
 *
 * - Saving validates the tree (§8: depth <= 3 counting references, <= 20 leaves, names exist, no
 *   self or circular reference) and persists `nesting_depth` and `references_conditions`.
 * - Changing a tree re-validates every condition and rule that references it, directly or not,
 *   and refreshes their persisted depth and leaf count; a change that would make one invalid is
 *   refused (`AUTOMATION.DEPENDANT_INVALID`).
 * - A referenced condition cannot be deleted or renamed (`AUTOMATION.CONDITION_IN_USE`).
 * - `usage_count` is the number of rules plus named conditions that reference it directly,
 *   recomputed after every write (the schema's trigger only counts rules).
 *
 * Every write takes one transaction-scoped advisory lock per organization, so two concurrent
 * changes cannot build a cycle or orphan a reference between them.
 *
 * Who may call: reads as `helios.automation` (administrators, `users:read` keys); writes need an
 * administrator (a portal admin, the system, an `admin:full` key).
 *
 * Owns: named_conditions.
 */
import { type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { isHeliosError } from '../../errors';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { keysetPage, type Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';
import { assertAdministrator } from '../policy/policy';
import {
  AUTOMATION_ERRORS,
  type ConditionProblem,
  type DependantProblem,
} from './automation.errors';
import {
  type ConditionUsage,
  type CreateNamedConditionInput,
  createNamedConditionSchema,
  idSchema,
  type ListNamedConditionsInput,
  listNamedConditionsSchema,
  type NamedCondition,
  type UpdateNamedConditionInput,
  updateNamedConditionSchema,
} from './automation.rules.schema';
import {
  type NamedConditionSource,
  type ValidatedCondition,
  validateCondition,
} from './automation.validate';

/** Named conditions. */
export interface NamedConditionsService {
  /**
   * Saves a named condition after validating its tree (administrators).
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `AUTOMATION.INVALID_CONDITION`;
   *   CONFLICT `AUTOMATION.CONDITION_NAME_TAKEN`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.automation.conditions.create({
   *   name: 'engineers',
   *   displayName: 'Engineers',
   *   conditions: { all: [{ fact: 'department', operator: 'equal', value: 'Engineering' }] },
   * });
   * ```
   */
  create(input: CreateNamedConditionInput, options?: CallOptions): Promise<NamedCondition>;
  /**
   * One named condition.
   * @throws HeliosError NOT_FOUND `AUTOMATION.CONDITION_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const condition = await helios.automation.conditions.get(id);
   * ```
   */
  get(id: string, options?: CallOptions): Promise<NamedCondition>;
  /**
   * A page of named conditions by name.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const { items, nextCursor } = await helios.automation.conditions.list({ limit: 20 });
   * ```
   */
  list(filter?: ListNamedConditionsInput, options?: CallOptions): Promise<Page<NamedCondition>>;
  /**
   * Changes a named condition; a new tree is validated, and so is every condition and rule that
   * references it (their depth and leaf count are refreshed).
   * @throws HeliosError NOT_FOUND `AUTOMATION.CONDITION_NOT_FOUND`; INVALID_INPUT
   *   `VALIDATION.FAILED`, `AUTOMATION.INVALID_CONDITION`; CONFLICT `AUTOMATION.CONDITION_NAME_TAKEN`,
   *   `AUTOMATION.CONDITION_IN_USE` (rename of a referenced condition), `AUTOMATION.DEPENDANT_INVALID`;
   *   FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.automation.conditions.update(id, { displayName: 'All engineers' });
   * ```
   */
  update(
    id: string,
    patch: UpdateNamedConditionInput,
    options?: CallOptions,
  ): Promise<NamedCondition>;
  /**
   * Deletes a named condition nothing references.
   * @throws HeliosError NOT_FOUND `AUTOMATION.CONDITION_NOT_FOUND`; CONFLICT
   *   `AUTOMATION.CONDITION_IN_USE` (`details.rules`, `details.conditions`); FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * await helios.automation.conditions.delete(id);
   * ```
   */
  delete(id: string, options?: CallOptions): Promise<void>;
  /**
   * The rules and named conditions that reference this one directly.
   * @throws HeliosError NOT_FOUND `AUTOMATION.CONDITION_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const { rules, conditions } = await helios.automation.conditions.usage(id);
   * ```
   */
  usage(id: string, options?: CallOptions): Promise<ConditionUsage>;
}

// ---------------------------------------------------------------------------------------------
// Shared by conditions and rules

/** Reads: administrators and `users:read` keys (a condition reads every user's facts). */
export async function authorizeRead(s: OperationScope, what: string): Promise<void> {
  if (s.principal.actor.type === 'user') assertAdministrator(s.principal, 'users:read', what);
  await s.authorize('users:read');
}

/** Writes: administrators (portal admins, the system, `admin:full` keys). */
export function authorizeWrite(s: OperationScope, what: string): void {
  assertAdministrator(s.principal, 'users:write', what);
}

/** Serializes automation writes of the organization (until the transaction ends). */
export async function lockAutomation(s: OperationScope): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`helios.automation:${s.organizationId}`}::text))`.execute(
    s.db,
  );
}

/** A uuid[] literal made of parameters. */
export function uuidArray(ids: readonly string[]): RawBuilder<string[]> {
  return ids.length === 0
    ? sql<string[]>`'{}'::uuid[]`
    : sql<string[]>`array[${sql.join(ids.map((id) => sql`${id}::uuid`))}]::uuid[]`;
}

/** The organization's named conditions by name, as stored (inside the write, with its changes). */
export async function namedConditionMap(
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

/** Sets every named condition's `usage_count` of the organization to the rules plus named conditions referencing it. */
export async function recomputeUsage(s: OperationScope): Promise<void> {
  await sql`with counts as (
      select nc.id,
        (select count(*) from automation_rules r
          where r.organization_id = nc.organization_id and nc.id = any(r.references_conditions))
        + (select count(*) from named_conditions c
          where c.organization_id = nc.organization_id and c.id <> nc.id and nc.id = any(c.references_conditions)) as n
      from named_conditions nc where nc.organization_id = ${s.organizationId}::uuid)
    update named_conditions t set usage_count = counts.n
      from counts where t.id = counts.id and t.usage_count is distinct from counts.n`.execute(s.db);
}

/** The validated tree, or the problems (INVALID_CONDITION), without throwing. */
function tryValidate(
  tree: unknown,
  named: ReadonlyMap<string, NamedConditionSource>,
  asCondition?: string,
): ValidatedCondition | ConditionProblem[] {
  try {
    return validateCondition(tree, named, asCondition === undefined ? {} : { asCondition });
  } catch (error) {
    if (isHeliosError(error) && error.code === AUTOMATION_ERRORS.INVALID_CONDITION.code)
      return (error.details as { problems: ConditionProblem[] }).problems;
    throw error;
  }
}

const refersTo = (ids: readonly string[]): RawBuilder<SqlBool> =>
  sql<SqlBool>`references_conditions && ${uuidArray(ids)}`;

/**
 * Re-validates every named condition and rule that references `changed` (directly or through
 * other named conditions) against `named` (the organization with the change applied) and stores
 * their new depth and leaf count; throws DEPENDANT_INVALID listing those that would be invalid.
 */
async function revalidateDependants(
  s: OperationScope,
  changedId: string,
  named: ReadonlyMap<string, NamedConditionSource>,
): Promise<void> {
  const closure = new Set<string>([changedId]);
  const conditions: Row<'named_conditions'>[] = [];
  let frontier = [changedId];
  while (frontier.length > 0) {
    const rows = await s.db
      .selectFrom('named_conditions')
      .selectAll()
      .where('organization_id', '=', s.organizationId)
      .where(refersTo(frontier))
      .execute();
    frontier = [];
    for (const row of rows) {
      if (closure.has(row.id)) continue;
      closure.add(row.id);
      conditions.push(row);
      frontier.push(row.id);
    }
  }
  const rules = await s.db
    .selectFrom('automation_rules')
    .selectAll()
    .where('organization_id', '=', s.organizationId)
    .where(refersTo([...closure]))
    .execute();
  const failed: DependantProblem[] = [];
  const updates: Array<() => Promise<unknown>> = [];
  for (const row of conditions) {
    const v = tryValidate(row.conditions, named, row.name);
    if (Array.isArray(v))
      failed.push({ kind: 'condition', id: row.id, name: row.name, problems: v });
    else if (v.depth !== row.nesting_depth)
      updates.push(() =>
        s.db
          .updateTable('named_conditions')
          .set({ nesting_depth: v.depth })
          .where('id', '=', row.id)
          .execute(),
      );
  }
  for (const row of rules) {
    const v = tryValidate(row.conditions, named);
    if (Array.isArray(v)) failed.push({ kind: 'rule', id: row.id, name: row.name, problems: v });
    else if (v.depth !== row.nesting_depth || v.leafCount !== row.condition_count)
      updates.push(() =>
        s.db
          .updateTable('automation_rules')
          .set({ nesting_depth: v.depth, condition_count: v.leafCount })
          .where('id', '=', row.id)
          .execute(),
      );
  }
  if (failed.length > 0)
    throw AUTOMATION_ERRORS.DEPENDANT_INVALID({ dependants: failed.slice(0, 50) });
  for (const update of updates) await update();
}

/** The rules and named conditions that reference `id` directly. */
export async function referrersOf(s: OperationScope, id: string): Promise<ConditionUsage> {
  const [rules, conditions] = await Promise.all([
    s.db
      .selectFrom('automation_rules')
      .select(['id', 'name', 'rule_type'])
      .where('organization_id', '=', s.organizationId)
      .where(refersTo([id]))
      .orderBy('name')
      .orderBy('id')
      .execute(),
    s.db
      .selectFrom('named_conditions')
      .select(['id', 'name'])
      .where('organization_id', '=', s.organizationId)
      .where('id', '<>', id)
      .where(refersTo([id]))
      .orderBy('name')
      .orderBy('id')
      .execute(),
  ]);
  return {
    rules: rules.map((r) => ({ id: r.id, name: r.name, ruleType: r.rule_type })),
    conditions: conditions.map((c) => ({ id: c.id, name: c.name })),
  };
}

/** The DTO of a row. */
export function toNamedCondition(row: Row<'named_conditions'>): NamedCondition {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    displayName: row.display_name,
    description: row.description,
    conditions: row.conditions,
    nestingDepth: row.nesting_depth ?? 0,
    referencesConditions: row.references_conditions ?? [],
    usageCount: row.usage_count ?? 0,
    createdBy: row.created_by,
    updatedBy: row.updated_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function auditView(row: Row<'named_conditions'>): Record<string, unknown> {
  return {
    name: row.name,
    displayName: row.display_name,
    description: row.description,
    conditions: row.conditions,
    nestingDepth: row.nesting_depth,
    referencesConditions: row.references_conditions,
  };
}

async function findRow(
  s: OperationScope,
  id: string,
  forUpdate = false,
): Promise<Row<'named_conditions'>> {
  const parsed = idSchema.safeParse(id);
  if (!parsed.success) throw AUTOMATION_ERRORS.CONDITION_NOT_FOUND({ id: String(id).slice(0, 64) });
  let query = s.db
    .selectFrom('named_conditions')
    .selectAll()
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', parsed.data);
  if (forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw AUTOMATION_ERRORS.CONDITION_NOT_FOUND({ id: parsed.data });
  return row;
}

async function assertNameFree(s: OperationScope, name: string, selfId: string | null) {
  let query = s.db
    .selectFrom('named_conditions')
    .select('id')
    .where('organization_id', '=', s.organizationId)
    .where('name', '=', name);
  if (selfId) query = query.where('id', '<>', selfId);
  if (await query.executeTakeFirst()) throw AUTOMATION_ERRORS.CONDITION_NAME_TAKEN({ name });
}

/** Builds `helios.automation.conditions`. */
export function createNamedConditionsService(rt: ServiceRuntime): NamedConditionsService {
  return {
    create: (input, options) =>
      rt.write(options, async (s) => {
        const data = parseInput(createNamedConditionSchema, input);
        authorizeWrite(s, 'Creating a named condition');
        await lockAutomation(s);
        await assertNameFree(s, data.name, null);
        const named = await namedConditionMap(s.db, s.organizationId);
        const v = validateCondition(data.conditions, named, { asCondition: data.name });
        const row = await s.db
          .insertInto('named_conditions')
          .values({
            organization_id: s.organizationId,
            name: data.name,
            display_name: data.displayName,
            description: data.description ?? null,
            conditions: JSON.stringify(data.conditions),
            nesting_depth: v.depth,
            references_conditions: uuidArray(v.referencedIds),
            usage_count: 0,
            created_by: s.principal.userId,
            updated_by: s.principal.userId,
            created_at: s.now,
            updated_at: s.now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await recomputeUsage(s);
        const saved = await findRow(s, row.id);
        await s.audit({
          action: 'automation.conditions.create',
          resource: 'named_condition',
          resourceId: saved.id,
          details: summarizeChange(null, auditView(saved)),
        });
        return toNamedCondition(saved);
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await authorizeRead(s, 'Reading named conditions');
        return toNamedCondition(await findRow(s, id));
      }),

    list: (filter, options) =>
      rt.read(options, async (s) => {
        const f = parseInput(listNamedConditionsSchema, filter ?? {});
        await authorizeRead(s, 'Reading named conditions');
        const paging = keysetPage({
          list: 'automation.conditions:name',
          keys: [
            { by: 'name', kind: 'text' },
            { by: 'id', kind: 'uuid' },
          ],
          limit: f.limit,
          cursor: f.cursor,
        });
        let query = s.db
          .selectFrom('named_conditions')
          .selectAll()
          .where('organization_id', '=', s.organizationId);
        if (f.search) {
          const needle = f.search.toLowerCase();
          query = query.where(
            sql<SqlBool>`(strpos(lower(name), ${needle}) > 0 or strpos(lower(display_name), ${needle}) > 0)`,
          );
        }
        return paging.page(await query.$call(paging.query).execute(), (r) =>
          toNamedCondition(r as Row<'named_conditions'>),
        );
      }),

    update: (id, patch, options) =>
      rt.write(options, async (s) => {
        const data = parseInput(updateNamedConditionSchema, patch);
        authorizeWrite(s, 'Changing a named condition');
        await lockAutomation(s);
        const before = await findRow(s, id, true);
        const name = data.name ?? before.name;
        if (name !== before.name) {
          const usage = await referrersOf(s, before.id);
          if (usage.rules.length + usage.conditions.length > 0)
            throw AUTOMATION_ERRORS.CONDITION_IN_USE({ id: before.id, ...usage });
          await assertNameFree(s, name, before.id);
        }
        const tree = data.conditions === undefined ? before.conditions : data.conditions;
        const named = await namedConditionMap(s.db, s.organizationId);
        const v = validateCondition(tree, named, { asCondition: name });
        await s.db
          .updateTable('named_conditions')
          .set({
            name,
            ...(data.displayName !== undefined ? { display_name: data.displayName } : {}),
            ...(data.description !== undefined ? { description: data.description } : {}),
            ...(data.conditions !== undefined ? { conditions: JSON.stringify(tree) } : {}),
            nesting_depth: v.depth,
            references_conditions: uuidArray(v.referencedIds),
            updated_by: s.principal.userId,
            updated_at: s.now,
          })
          .where('id', '=', before.id)
          .execute();
        if (data.conditions !== undefined)
          await revalidateDependants(s, before.id, await namedConditionMap(s.db, s.organizationId));
        await recomputeUsage(s);
        const after = await findRow(s, before.id);
        await s.audit({
          action: 'automation.conditions.update',
          resource: 'named_condition',
          resourceId: after.id,
          details: summarizeChange(auditView(before), auditView(after)),
        });
        return toNamedCondition(after);
      }),

    delete: (id, options) =>
      rt.write(options, async (s) => {
        authorizeWrite(s, 'Deleting a named condition');
        await lockAutomation(s);
        const before = await findRow(s, id, true);
        const usage = await referrersOf(s, before.id);
        if (usage.rules.length + usage.conditions.length > 0)
          throw AUTOMATION_ERRORS.CONDITION_IN_USE({ id: before.id, ...usage });
        await s.db.deleteFrom('named_conditions').where('id', '=', before.id).execute();
        await recomputeUsage(s);
        await s.audit({
          action: 'automation.conditions.delete',
          resource: 'named_condition',
          resourceId: before.id,
          details: summarizeChange(auditView(before), null),
        });
      }),

    usage: (id, options) =>
      rt.read(options, async (s) => {
        await authorizeRead(s, 'Reading named conditions');
        const row = await findRow(s, id);
        return referrersOf(s, row.id);
      }),
  };
}

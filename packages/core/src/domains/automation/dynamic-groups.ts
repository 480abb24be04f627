/**
 * `helios.dynamicGroups`: access groups whose membership is a condition of the automation language.
 *
 * A group's rule is an `automation_rules` row of type `dynamic_group` whose config is exactly
 * `{ accessGroupId, pushToPlatform }` (at most one per group). `preview` says what `apply` would do
 * and writes nothing; `apply` adds the matching users as `dynamic` members, deactivates the
 * `dynamic` members who no longer match and reactivates returning ones, in one statement and one
 * transaction with its audit row, its `rule_evaluation_log` row and the rule's `last_evaluated_at`
 * / `last_match_count`. Platform and manual members are never touched. With `pushToPlatform`, the
 * membership then goes to the linked Google or Microsoft group through the integrations contract,
 * after the commit. `refresh` applies every enabled rule: the `automation.refresh` job runs it
 * after user and sync changes and every hour.
 *
 * The rule sees every user of the organization who is not deleted (as `helios.automation`):
 * add `{ fact: 'userStatus', operator: 'equal', value: 'active' }` to keep only active users.
 *
 * Who may call: administrators (admin users, the system and its jobs, `admin:full` keys) for every
 * write and `push`; `getRule`, `preview` and `pushPlan` also for API keys with `users:read`.
 */
import { sql } from 'kysely';
import type { HeliosScope } from '../../helios';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';
import { assertAdministrator } from '../policy/policy';
import { type CompileContext, compileCondition, withoutJit } from './automation.compile';
import { loadNamedConditions } from './automation.service';
import { validateCondition } from './automation.validate';
import { DYNAMIC_GROUPS_ERRORS } from './dynamic-groups.errors';
import { integrationOf, pushPlanOf, runPushCalls } from './dynamic-groups.push';
import {
  DYNAMIC_GROUP_RULE_TYPE,
  type DynamicGroupApplyResult,
  type DynamicGroupPreview,
  type DynamicGroupPreviewOptions,
  type DynamicGroupPushPlan,
  type DynamicGroupPushResult,
  type DynamicGroupRule,
  type DynamicGroupsRefreshResult,
  dynamicGroupConfigSchema,
  groupIdSchema,
  previewOptionsSchema,
  type SetDynamicGroupRuleOptions,
  setRuleOptionsSchema,
} from './dynamic-groups.schema';
import { applyStatement, previewStatement } from './dynamic-groups.sql';

/** `helios.dynamicGroups`. */
export interface DynamicGroupsService {
  /**
   * Sets the group's membership rule (creates it, or replaces the tree and options of the one it has).
   * The tree is validated like `helios.automation.validate`; its depth, leaf count and referenced
   * named conditions are stored with it. Nothing is applied: `preview`, then `apply` (or wait for
   * the next refresh). Audited `dynamic_groups.rule_set`.
   * @throws HeliosError INVALID_INPUT `AUTOMATION.INVALID_CONDITION`, `VALIDATION.FAILED`; NOT_FOUND
   *   `DYNAMIC_GROUPS.GROUP_NOT_FOUND`; PRECONDITION_FAILED `DYNAMIC_GROUPS.GROUP_INACTIVE`,
   *   `DYNAMIC_GROUPS.NOT_LINKED` (pushToPlatform on a group with no cloud group); FORBIDDEN
   * @example
   * ```ts
   * await helios.dynamicGroups.setRule(groupId, {
   *   all: [{ fact: 'department', operator: 'equal', value: 'Engineering' }],
   * }, { pushToPlatform: true });
   * ```
   */
  setRule(
    groupId: string,
    tree: unknown,
    input?: SetDynamicGroupRuleOptions,
    options?: CallOptions,
  ): Promise<DynamicGroupRule>;
  /**
   * The group's rule.
   * @throws HeliosError NOT_FOUND `DYNAMIC_GROUPS.GROUP_NOT_FOUND`, `DYNAMIC_GROUPS.RULE_NOT_FOUND`; FORBIDDEN
   * @example
   * ```ts
   * const rule = await helios.dynamicGroups.getRule(groupId);
   * ```
   */
  getRule(groupId: string, options?: CallOptions): Promise<DynamicGroupRule>;
  /**
   * Removes the group's rule; the members it added stay, as they are (remove them by hand, or set a
   * rule that matches nobody and apply it first). Audited `dynamic_groups.rule_remove`.
   * @throws HeliosError NOT_FOUND `DYNAMIC_GROUPS.GROUP_NOT_FOUND`, `DYNAMIC_GROUPS.RULE_NOT_FOUND`; FORBIDDEN
   * @example
   * ```ts
   * await helios.dynamicGroups.removeRule(groupId);
   * ```
   */
  removeRule(groupId: string, options?: CallOptions): Promise<void>;
  /**
   * What `apply` would do now: the users who would join and leave (counts and samples with email
   * and name), the match count and the static members it leaves alone. Writes nothing.
   * @throws HeliosError INVALID_INPUT `AUTOMATION.INVALID_CONDITION` (a referenced named condition
   *   changed), `VALIDATION.FAILED`; NOT_FOUND `DYNAMIC_GROUPS.GROUP_NOT_FOUND`,
   *   `DYNAMIC_GROUPS.RULE_NOT_FOUND`; FORBIDDEN
   * @example
   * ```ts
   * const { wouldAdd, wouldRemove } = await helios.dynamicGroups.preview(groupId, { sampleSize: 5 });
   * ```
   */
  preview(
    groupId: string,
    input?: DynamicGroupPreviewOptions,
    options?: CallOptions,
  ): Promise<DynamicGroupPreview>;
  /**
   * Applies the rule: one set-based statement in one transaction (audited `dynamic_groups.apply`
   * when it changed something or a person asked, with a `rule_evaluation_log` row); applying twice
   * changes nothing the second time. With `pushToPlatform` the membership is then pushed to the
   * linked cloud group (see `push`), unless called inside `helios.transaction`.
   * @throws HeliosError as `preview`; PRECONDITION_FAILED `DYNAMIC_GROUPS.GROUP_INACTIVE`,
   *   `DYNAMIC_GROUPS.RULE_DISABLED`
   * @example
   * ```ts
   * const { added, removed } = await helios.dynamicGroups.apply(groupId);
   * ```
   */
  apply(groupId: string, options?: CallOptions): Promise<DynamicGroupApplyResult>;
  /**
   * The calls that would make the linked cloud group hold the rule's members (add the active
   * dynamic members it lacks, remove the deactivated ones it holds). Writes nothing, calls nothing.
   * @throws HeliosError NOT_FOUND `DYNAMIC_GROUPS.GROUP_NOT_FOUND`, `DYNAMIC_GROUPS.RULE_NOT_FOUND`;
   *   PRECONDITION_FAILED `DYNAMIC_GROUPS.NOT_LINKED`; FORBIDDEN
   * @example
   * ```ts
   * const { calls } = await helios.dynamicGroups.pushPlan(groupId);
   * ```
   */
  pushPlan(groupId: string, options?: CallOptions): Promise<DynamicGroupPushPlan>;
  /**
   * Makes the push plan's calls through the integrations contract, with no transaction open (each
   * call audited by the cloud's write-back), then records what the cloud now holds (audited
   * `dynamic_groups.push`). A refused call is reported in `failed` and planned again next time.
   * @throws HeliosError as `pushPlan`; PRECONDITION_FAILED `EXTERNAL.IN_TRANSACTION`
   * @example
   * ```ts
   * const { added, removed, failed } = await helios.dynamicGroups.push(groupId);
   * ```
   */
  push(groupId: string, options?: CallOptions): Promise<DynamicGroupPushResult>;
  /**
   * Applies every enabled rule of the organization (what the `automation.refresh` job runs); a rule
   * that fails is logged and reported, the others still run. Administrators only.
   * @throws HeliosError FORBIDDEN
   * @example
   * ```ts
   * const { applied, failed } = await helios.dynamicGroups.refresh();
   * ```
   */
  refresh(options?: CallOptions): Promise<DynamicGroupsRefreshResult>;
}

const RESOURCE = 'access_group';
type GroupRow = Pick<
  Row<'access_groups'>,
  'id' | 'name' | 'is_active' | 'platform' | 'external_id'
>;
type RuleRow = Row<'automation_rules'>;

function assertWriter(s: OperationScope, what: string): void {
  assertAdministrator(s.principal, 'groups:write', what);
}

async function assertReader(s: OperationScope, what: string): Promise<void> {
  if (s.principal.actor.type === 'user') assertAdministrator(s.principal, 'users:read', what);
  await s.authorize('users:read');
}

async function loadGroup(s: OperationScope, groupId: unknown, lock: boolean): Promise<GroupRow> {
  const id = groupIdSchema.safeParse(groupId);
  if (!id.success)
    throw DYNAMIC_GROUPS_ERRORS.GROUP_NOT_FOUND({ groupId: String(groupId).slice(0, 64) });
  let query = s.db
    .selectFrom('access_groups')
    .select(['id', 'name', 'is_active', 'platform', 'external_id'])
    .where('organization_id', '=', s.organizationId)
    .where('id', '=', id.data.toLowerCase());
  if (lock) query = query.forUpdate();
  const group = await query.executeTakeFirst();
  if (!group) throw DYNAMIC_GROUPS_ERRORS.GROUP_NOT_FOUND({ groupId: id.data });
  return group;
}

async function findRuleRow(s: OperationScope, groupId: string): Promise<RuleRow | undefined> {
  return s.db
    .selectFrom('automation_rules')
    .selectAll()
    .where('organization_id', '=', s.organizationId)
    .where('rule_type', '=', DYNAMIC_GROUP_RULE_TYPE)
    .where(sql<string>`config ->> 'accessGroupId'`, '=', groupId)
    .orderBy('created_at')
    .orderBy('id')
    .executeTakeFirst();
}

async function ruleRow(s: OperationScope, groupId: string): Promise<RuleRow> {
  const row = await findRuleRow(s, groupId);
  if (!row) throw DYNAMIC_GROUPS_ERRORS.RULE_NOT_FOUND({ groupId });
  return row;
}

function configOf(row: RuleRow) {
  const parsed = dynamicGroupConfigSchema.safeParse(row.config);
  return { pushToPlatform: parsed.success ? parsed.data.pushToPlatform : false };
}

function toRule(row: RuleRow, groupId: string): DynamicGroupRule {
  return {
    id: row.id,
    groupId,
    conditions: row.conditions,
    pushToPlatform: configOf(row).pushToPlatform,
    enabled: row.is_enabled !== false,
    nestingDepth: row.nesting_depth ?? 0,
    conditionCount: row.condition_count ?? 0,
    referencedConditionIds: row.references_conditions ?? [],
    lastEvaluatedAt: row.last_evaluated_at,
    lastMatchCount: row.last_match_count ?? 0,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The compiled condition of a stored rule (validated again: named conditions may have changed). */
async function compiled(s: OperationScope, row: RuleRow) {
  const named = await loadNamedConditions(s.db, s.organizationId);
  const v = validateCondition(row.conditions, named);
  const ctx: CompileContext = {
    organizationId: s.organizationId,
    asOf: s.now.toISOString().slice(0, 10),
  };
  return compileCondition(v.tree, ctx);
}

function assertLinked(group: GroupRow) {
  const integration = integrationOf(group.platform);
  if (!integration || !group.external_id)
    throw DYNAMIC_GROUPS_ERRORS.NOT_LINKED({ groupId: group.id, platform: group.platform });
  return { integration, externalId: group.external_id };
}

function triggerOf(s: OperationScope): string {
  return s.principal.auditType === 'system' ? s.principal.auditId.slice(0, 100) : 'manual';
}

/**
 * Builds `helios.dynamicGroups`.
 * @param scope - the Helios scope of the same runtime (for the integrations contract)
 */
export function createDynamicGroupsService(
  rt: ServiceRuntime,
  scope: () => HeliosScope,
): DynamicGroupsService {
  const pushPlanIn = async (s: OperationScope, groupId: string) => {
    const group = await loadGroup(s, groupId, false);
    await ruleRow(s, group.id);
    const { integration, externalId } = assertLinked(group);
    return pushPlanOf(
      s.db,
      s.organizationId,
      { id: group.id, external_id: externalId },
      integration,
    );
  };

  const push = async (
    groupId: string,
    options: CallOptions | undefined,
  ): Promise<DynamicGroupPushResult> => {
    const plan = await rt.read(options, async (s) => {
      assertWriter(s, 'Pushing a dynamic group');
      return pushPlanIn(s, groupId);
    });
    const cloud = scope().integrations.get(plan.integration);
    const done = await runPushCalls(cloud, plan, options);
    const { pushed, pulled, ...result } = done;
    await rt.write(options, async (s) => {
      if (pushed.length > 0)
        await s.db
          .updateTable('access_group_members')
          .set({ synced_from_platform: true })
          .where('access_group_id', '=', plan.groupId)
          .where('user_id', 'in', pushed)
          .where('membership_source', '=', 'dynamic')
          .execute();
      if (pulled.length > 0)
        await s.db
          .updateTable('access_group_members')
          .set({ synced_from_platform: false })
          .where('access_group_id', '=', plan.groupId)
          .where('user_id', 'in', pulled)
          .where('membership_source', '=', 'dynamic')
          .where('is_active', '=', false)
          .execute();
      if (plan.calls.length > 0)
        await s.audit({
          action: 'dynamic_groups.push',
          resource: RESOURCE,
          resourceId: plan.groupId,
          details: {
            integration: plan.integration,
            planned: plan.calls.length,
            added: result.added,
            removed: result.removed,
            failed: result.failed.slice(0, 20),
            unlinked: result.unlinked,
          },
        });
    });
    return result;
  };

  const apply = async (
    groupId: string,
    options: CallOptions | undefined,
    fromRefresh: boolean,
  ): Promise<DynamicGroupApplyResult> => {
    const started = Date.now();
    const done = await rt.write(options, async (s) => {
      assertWriter(s, 'Applying a dynamic group');
      const group = await loadGroup(s, groupId, true);
      if (group.is_active === false)
        throw DYNAMIC_GROUPS_ERRORS.GROUP_INACTIVE({ groupId: group.id });
      const row = await ruleRow(s, group.id);
      if (row.is_enabled === false)
        throw DYNAMIC_GROUPS_ERRORS.RULE_DISABLED({ groupId: group.id, ruleId: row.id });
      const where = await compiled(s, row);
      // JIT compiles the recursive CTEs' plans for longer than they run (see withoutJit). The
      // anti-joins against the matches hash or sort every match: with the default work_mem (4 MB)
      // 40,000 matches spill to disk (a merge join on sorted temp files, ~0.5 s); 64 MB keeps them
      // in memory, for this transaction only.
      await sql`set local jit = off`.execute(s.db);
      await sql`set local work_mem = '64MB'`.execute(s.db);
      const counts = await applyStatement(s.db, s.organizationId, group.id, where, s.now);
      const changed = counts.added + counts.reactivated + counts.removed;
      await s.repos.automation_rules.update(row.id, {
        last_evaluated_at: s.now,
        last_match_count: counts.matchCount,
      });
      await s.repos.rule_evaluation_log.insert({
        rule_id: row.id,
        rule_type: DYNAMIC_GROUP_RULE_TYPE,
        facts: JSON.stringify({ accessGroupId: group.id }),
        matched: counts.matchCount > 0,
        result: JSON.stringify({ ...counts, accessGroupId: group.id }),
        triggered_by: triggerOf(s),
        evaluation_time_ms: Math.min(Date.now() - started, 2_147_483_647),
        created_at: s.now,
      });
      if (changed > 0 || !fromRefresh)
        await s.audit({
          action: 'dynamic_groups.apply',
          resource: RESOURCE,
          resourceId: group.id,
          details: { ruleId: row.id, ...counts },
        });
      return { ...counts, groupId: group.id, pushToPlatform: configOf(row).pushToPlatform };
    });
    const { pushToPlatform, ...counts } = done;
    const shouldPush = pushToPlatform && !rt.db.isTransaction;
    return { ...counts, push: shouldPush ? await push(done.groupId, options) : null };
  };

  return {
    setRule: (groupId, tree, input, options) =>
      rt.write(options, async (s) => {
        assertWriter(s, 'Setting the rule of a dynamic group');
        const opts = parseInput(setRuleOptionsSchema, input ?? {});
        const group = await loadGroup(s, groupId, true);
        if (group.is_active === false)
          throw DYNAMIC_GROUPS_ERRORS.GROUP_INACTIVE({ groupId: group.id });
        if (opts.pushToPlatform) assertLinked(group);
        const v = validateCondition(tree, await loadNamedConditions(s.db, s.organizationId));
        const config = dynamicGroupConfigSchema.parse({
          accessGroupId: group.id,
          pushToPlatform: opts.pushToPlatform,
        });
        const values = {
          conditions: JSON.stringify(tree),
          nesting_depth: v.depth,
          condition_count: v.leafCount,
          references_conditions: v.referencedIds,
          config: JSON.stringify(config),
          is_enabled: opts.enabled,
          updated_by: s.principal.userId,
        };
        const before = await findRuleRow(s, group.id);
        const after = before
          ? await s.repos.automation_rules.update(before.id, { ...values, updated_at: s.now })
          : await s.repos.automation_rules.insert({
              name: `Dynamic group: ${group.name}`.slice(0, 255),
              description: `The membership of the access group ${group.id}.`,
              rule_type: DYNAMIC_GROUP_RULE_TYPE,
              created_by: s.principal.userId,
              created_at: s.now,
              updated_at: s.now,
              ...values,
            });
        const view = (r: RuleRow | undefined) =>
          r ? { conditions: r.conditions, ...configOf(r), enabled: r.is_enabled !== false } : null;
        await s.audit({
          action: 'dynamic_groups.rule_set',
          resource: RESOURCE,
          resourceId: group.id,
          details: { ruleId: after.id, ...summarizeChange(view(before), view(after)) },
        });
        return toRule(after, group.id);
      }),

    getRule: (groupId, options) =>
      rt.read(options, async (s) => {
        await assertReader(s, 'Reading the rule of a dynamic group');
        const group = await loadGroup(s, groupId, false);
        return toRule(await ruleRow(s, group.id), group.id);
      }),

    removeRule: (groupId, options) =>
      rt.write(options, async (s) => {
        assertWriter(s, 'Removing the rule of a dynamic group');
        const group = await loadGroup(s, groupId, true);
        const row = await ruleRow(s, group.id);
        await s.repos.automation_rules.delete(row.id);
        await s.audit({
          action: 'dynamic_groups.rule_remove',
          resource: RESOURCE,
          resourceId: group.id,
          details: { ruleId: row.id, conditions: row.conditions },
        });
      }),

    preview: (groupId, input, options) =>
      rt.read(options, async (s) => {
        await assertReader(s, 'Previewing a dynamic group');
        const opts = parseInput(previewOptionsSchema, input ?? {});
        const group = await loadGroup(s, groupId, false);
        const where = await compiled(s, await ruleRow(s, group.id));
        const counts = await withoutJit(s.db, (db) =>
          previewStatement(db, s.organizationId, group.id, where, opts.sampleSize),
        );
        return { groupId: group.id, ...counts };
      }),

    apply: (groupId, options) => apply(groupId, options, false),

    pushPlan: (groupId, options) =>
      rt.read(options, async (s) => {
        await assertReader(s, 'Planning the push of a dynamic group');
        return pushPlanIn(s, groupId);
      }),

    push: (groupId, options) => push(groupId, options),

    refresh: async (options) => {
      const groups = await rt.read(options, async (s) => {
        assertWriter(s, 'Refreshing the dynamic groups');
        const rows = await sql<{ id: string }>`select distinct g.id from automation_rules r
          join access_groups g on g.organization_id = r.organization_id and g.id::text = r.config ->> 'accessGroupId'
          where r.organization_id = ${s.organizationId}::uuid and r.rule_type = ${DYNAMIC_GROUP_RULE_TYPE}
            and r.is_enabled is not false and g.is_active is not false
          order by g.id`.execute(s.db);
        return rows.rows.map((r) => r.id);
      });
      const result: DynamicGroupsRefreshResult = { applied: 0, failed: [] };
      for (const groupId of groups) {
        try {
          await apply(groupId, options, true);
          result.applied += 1;
        } catch (error) {
          const code =
            error && typeof error === 'object' && 'code' in error
              ? String((error as { code: unknown }).code)
              : 'INTERNAL.UNEXPECTED';
          rt.logger.warn('A dynamic group was not refreshed', { groupId, code });
          result.failed.push({ groupId, code });
        }
      }
      return result;
    },
  };
}

/**
 * Inputs and results of dynamic groups (`helios.dynamicGroups`): an access group whose membership
 * is a condition of the automation language, stored as an `automation_rules` row of type
 * `dynamic_group` with the config `{ accessGroupId, pushToPlatform }`.
 */
import { z } from 'zod';
import type { IntegrationId } from '../integrations/contract';

/** The rule type of a dynamic group's `automation_rules` row. */
export const DYNAMIC_GROUP_RULE_TYPE = 'dynamic_group';

/** The `config` of a `dynamic_group` rule, exactly (shared with the generic rules CRUD). */
export const dynamicGroupConfigSchema = z.strictObject({
  /** The access group whose membership the rule computes. */
  accessGroupId: z.guid(),
  /** Also add and remove the members in the linked Google or Microsoft group (default false). */
  pushToPlatform: z.boolean().default(false),
});
/** The `config` of a `dynamic_group` rule. */
export type DynamicGroupConfig = z.output<typeof dynamicGroupConfigSchema>;

/** An access group id (a uuid; anything else is NOT_FOUND, never a database error). */
export const groupIdSchema = z.guid();

/** Options of `setRule`. */
export const setRuleOptionsSchema = z.strictObject({
  /** Push the membership to the linked cloud group (default false). */
  pushToPlatform: z.boolean().default(false),
  /** Whether the rule runs (default true; a disabled rule is neither applied nor refreshed). */
  enabled: z.boolean().default(true),
});
/** Options of `setRule`. */
export type SetDynamicGroupRuleOptions = z.input<typeof setRuleOptionsSchema>;

/** Options of `preview`. */
export const previewOptionsSchema = z.strictObject({
  /** How many users each sample holds (default 20, at most 200). */
  sampleSize: z.int().min(0).max(200).default(20),
});
/** Options of `preview`. */
export type DynamicGroupPreviewOptions = z.input<typeof previewOptionsSchema>;

/** A group's rule. */
export interface DynamicGroupRule {
  /** The `automation_rules` row's id. */
  id: string;
  groupId: string;
  /** The condition tree, as stored. */
  conditions: unknown;
  pushToPlatform: boolean;
  enabled: boolean;
  /** Nesting depth, counting referenced named conditions. */
  nestingDepth: number;
  /** Leaves, counting referenced named conditions. */
  conditionCount: number;
  /** The named conditions the tree references. */
  referencedConditionIds: string[];
  lastEvaluatedAt: Date | null;
  /** How many users matched at the last apply. */
  lastMatchCount: number;
  createdAt: Date | null;
  updatedAt: Date | null;
}

/** A user of a preview sample. */
export interface DynamicGroupSampleUser {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
}

/** What `preview` returns: what `apply` would do now. Nothing is written. */
export interface DynamicGroupPreview {
  groupId: string;
  /** Users (not deleted) the rule matches. */
  matchCount: number;
  /** Matching users who are not active members yet (they would join as `dynamic`). */
  wouldAdd: { count: number; sample: DynamicGroupSampleUser[] };
  /** Active `dynamic` members who no longer match (they would be deactivated). */
  wouldRemove: { count: number; sample: DynamicGroupSampleUser[] };
  /** Active members from the platform or added by a person: never touched by the rule. */
  staticMembers: number;
}

/** One call of a push plan. */
export interface DynamicGroupPushCall {
  operation: 'addMember' | 'removeMember';
  /** The organization user. */
  userId: string;
  email: string;
  /** The cloud's group key and user key, as the integration contract takes them. */
  externalGroupId: string;
  externalUserId: string;
}

/** A push plan: the member calls that make the cloud group hold the rule's members. Data only. */
export interface DynamicGroupPushPlan {
  groupId: string;
  /** The cloud of the linked group. */
  integration: IntegrationId;
  calls: DynamicGroupPushCall[];
  /** Dynamic members the plan cannot push (not linked to an account of that cloud). */
  unlinked: number;
}

/** What pushing a plan did. */
export interface DynamicGroupPushResult {
  integration: IntegrationId;
  added: number;
  removed: number;
  /** Calls the cloud refused (the next push tries them again). */
  failed: Array<{ operation: 'addMember' | 'removeMember'; userId: string; code: string }>;
  unlinked: number;
}

/** What `apply` did. */
export interface DynamicGroupApplyResult {
  groupId: string;
  matchCount: number;
  /** New members (`dynamic`). */
  added: number;
  /** Former members who match again (reactivated as `dynamic`). */
  reactivated: number;
  /** `dynamic` members deactivated (`is_active` false, `removed_at` set). */
  removed: number;
  /**
   * The push to the linked cloud group, after the commit (null without `pushToPlatform`, or when
   * `apply` ran inside `helios.transaction`: then call `push` after it commits).
   */
  push: DynamicGroupPushResult | null;
}

/** What a refresh of every rule did. */
export interface DynamicGroupsRefreshResult {
  /** Rules applied. */
  applied: number;
  /** Rules that failed (logged; the others ran). */
  failed: Array<{ groupId: string; code: string }>;
}

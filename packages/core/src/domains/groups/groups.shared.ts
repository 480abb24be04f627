/**
 * Helpers shared by the groups domain's services (access groups, legacy user groups, workspaces):
 * page options, text search patterns, member user checks, who sees everything,
 * and the references that keep a group from being hard-deleted.
 */
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/database.generated';
import type { OperationScope } from '../../runtime';
import type { Page } from '../../shared/paging';
import type { Principal } from '../policy/policy';
import type { GROUPS_ERRORS } from './groups.errors';

/** The largest page a list of this domain returns. */
export const MAX_PAGE_SIZE = 200;
/** The default page size of this domain's lists. */
export const DEFAULT_PAGE_SIZE = 50;

/** Page options every list of the domain accepts. */
export const pageFields = {
  /** 1..200, default 50. */
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  /** `nextCursor` of the previous page. */
  cursor: z.string().min(1).max(2000).nullish(),
};

/** A LIKE pattern matching `text` anywhere, with `%`, `_` and `\` taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * True when the principal reads every group of the organization: the system, admins and API keys
 * (which were already checked for `groups:read`). Other users only see some groups.
 */
export function seesAllGroups(principal: Principal): boolean {
  return principal.isAdministrator || principal.actor.type !== 'user';
}

/** The facts of a member user shown with memberships. */
export interface MemberUser {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
}

/** The NOT_FOUND error of each kind of group for a user who is not a (non-deleted) user of the organization. */
export type MemberUserNotFound =
  | typeof GROUPS_ERRORS.USER_NOT_FOUND
  | typeof GROUPS_ERRORS.ACCESS_GROUP_USER_NOT_FOUND
  | typeof GROUPS_ERRORS.WORKSPACE_USER_NOT_FOUND;

/**
 * The user `userId` when it is a non-deleted user of the organization.
 * @throws HeliosError NOT_FOUND (`notFound`'s code) otherwise
 */
export async function requireMemberUser(
  s: OperationScope,
  userId: string,
  notFound: MemberUserNotFound,
): Promise<MemberUser> {
  const user = await s.db
    .selectFrom('organization_users')
    .select(['id', 'email', 'first_name', 'last_name'])
    .where('id', '=', userId)
    .where('organization_id', '=', s.organizationId)
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb('user_status', 'is', null), eb('user_status', '!=', 'deleted')]))
    .executeTakeFirst();
  if (!user) throw notFound({ userId });
  return user;
}

/** What still points at a group, by kind (only kinds with at least one reference). */
export type GroupReferences = Partial<
  Record<
    'dynamicRules' | 'signatureAssignments' | 'campaignAssignments' | 'onboardingTemplates',
    number
  >
>;

/**
 * Counts the rows that name the group `groupId`: dynamic group rules, signature and campaign
 * assignments to a group, and onboarding templates that add new users to it.
 */
export async function groupReferences(
  db: Kysely<Database>,
  organizationId: string,
  groupId: string,
): Promise<GroupReferences> {
  const row = await sql<{
    dynamic_rules: string;
    signature_assignments: string;
    campaign_assignments: string;
    onboarding_templates: string;
  }>`
    select
      (select count(*) from dynamic_group_rules where group_id = ${groupId}) as dynamic_rules,
      (select count(*) from signature_assignments
        where organization_id = ${organizationId} and target_id = ${groupId}
          and assignment_type in ('group', 'dynamic_group')) as signature_assignments,
      (select count(*) from campaign_assignments
        where target_id = ${groupId} and assignment_type in ('group', 'dynamic_group')) as campaign_assignments,
      (select count(*) from onboarding_templates
        where organization_id = ${organizationId} and ${groupId}::uuid = any(group_ids)) as onboarding_templates`.execute(
    db,
  );
  const counts = row.rows[0];
  const out: GroupReferences = {};
  if (!counts) return out;
  const add = (key: keyof GroupReferences, value: string) => {
    const n = Number(value);
    if (n > 0) out[key] = n;
  };
  add('dynamicRules', counts.dynamic_rules);
  add('signatureAssignments', counts.signature_assignments);
  add('campaignAssignments', counts.campaign_assignments);
  add('onboardingTemplates', counts.onboarding_templates);
  return out;
}

/** Stores a metadata object as jsonb text (null stays null, absent stays absent). */
export function jsonValue(
  value: Record<string, unknown> | null | undefined,
): string | null | undefined {
  if (value === undefined) return undefined;
  return value === null ? null : JSON.stringify(value);
}

/** A uuid argument, as a zod schema. */
export const idSchema = z.uuid();

/** A condition on `organization_users` aliased `u`: the user is not deleted. */
export const memberUserNotDeleted = sql<boolean>`(u.deleted_at is null and coalesce(u.user_status, 'active') <> 'deleted')`;

/** @deprecated Use `Page<T>`. */
export type GroupsPage<T> = Page<T>;

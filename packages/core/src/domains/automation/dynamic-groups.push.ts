/**
 * Pushing a dynamic group's membership to its linked cloud group (Google Workspace or Microsoft 365)
 * through the integrations contract, as a plan, then its calls.
 *
 * The plan is data (which member to add, which to remove), read from the memberships alone:
 * `synced_from_platform` tells whether the cloud holds a membership (the sync and the write-back set
 * it; a push that removed one clears it). It adds the active `dynamic` members the cloud does not
 * hold yet and removes the deactivated `dynamic` members it still holds; platform and manual
 * members are never pushed or removed. The calls run with no transaction open (each write-back
 * call journals itself: its own audit row); a call the cloud refuses is reported and planned
 * again by the next push.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.generated';
import { isHeliosError } from '../../errors';
import type { DirectoryIntegration, IntegrationId } from '../integrations/contract';
import type { CallOptions } from '../policy/actor';
import type {
  DynamicGroupPushCall,
  DynamicGroupPushPlan,
  DynamicGroupPushResult,
} from './dynamic-groups.schema';

/** The cloud of an access group's platform, or null when it mirrors no cloud group. */
export function integrationOf(platform: string | null): IntegrationId | null {
  if (platform === 'google_workspace') return 'google';
  if (platform === 'microsoft_365') return 'microsoft';
  return null;
}

interface PlanRow {
  user_id: string;
  email: string;
  is_active: boolean | null;
  external_user_id: string | null;
}

/** The push plan of a linked group (a read; nothing written). */
export async function pushPlanOf(
  db: Kysely<Database>,
  organizationId: string,
  group: { id: string; external_id: string },
  integration: IntegrationId,
): Promise<DynamicGroupPushPlan> {
  // Google takes a member by address (the synced account's primary address); Graph by object id.
  const externalUser =
    integration === 'google'
      ? sql<string | null>`(select g.email from gw_synced_users g
          where g.organization_id = u.organization_id and g.google_id = u.google_workspace_id)`
      : sql<string | null>`u.microsoft_365_id`;
  const rows =
    await sql<PlanRow>`select x.user_id, u.email, x.is_active, ${externalUser} as external_user_id
    from access_group_members x join organization_users u on u.id = x.user_id and u.organization_id = ${organizationId}::uuid
    where x.access_group_id = ${group.id}::uuid and x.membership_source = 'dynamic'
      and ((x.is_active is not false and x.synced_from_platform is not true)
        or (x.is_active is false and x.synced_from_platform is true))
    order by u.email, x.user_id`.execute(db);
  const calls: DynamicGroupPushCall[] = [];
  let unlinked = 0;
  for (const row of rows.rows) {
    if (!row.external_user_id) {
      unlinked += 1;
      continue;
    }
    calls.push({
      operation: row.is_active === false ? 'removeMember' : 'addMember',
      userId: row.user_id,
      email: row.email,
      externalGroupId: group.external_id,
      externalUserId: row.external_user_id,
    });
  }
  return { groupId: group.id, integration, calls, unlinked };
}

/** True when a refused call's effect is there already (member present on add, absent on remove). */
function alreadyDone(call: DynamicGroupPushCall, error: unknown): boolean {
  if (!isHeliosError(error)) return false;
  return call.operation === 'addMember'
    ? error.code === 'GOOGLE.CONFLICT' || error.code === 'MICROSOFT.CONFLICT'
    : error.code === 'GOOGLE.NOT_FOUND' || error.code === 'MICROSOFT.NOT_FOUND';
}

/**
 * Makes the plan's calls, one at a time, with no transaction open; returns what was done and the
 * user ids whose membership the cloud now holds (`pushed`) or no longer holds (`pulled`).
 */
export async function runPushCalls(
  cloud: DirectoryIntegration,
  plan: DynamicGroupPushPlan,
  options: CallOptions | undefined,
): Promise<DynamicGroupPushResult & { pushed: string[]; pulled: string[] }> {
  const result: DynamicGroupPushResult & { pushed: string[]; pulled: string[] } = {
    integration: plan.integration,
    added: 0,
    removed: 0,
    failed: [],
    unlinked: plan.unlinked,
    pushed: [],
    pulled: [],
  };
  for (const call of plan.calls) {
    try {
      if (call.operation === 'addMember')
        await cloud.addMember(call.externalGroupId, call.externalUserId, options);
      else await cloud.removeMember(call.externalGroupId, call.externalUserId, options);
    } catch (error) {
      if (!alreadyDone(call, error)) {
        result.failed.push({
          operation: call.operation,
          userId: call.userId,
          code: isHeliosError(error) ? error.code : 'INTERNAL.UNEXPECTED',
        });
        continue;
      }
    }
    if (call.operation === 'addMember') {
      result.added += 1;
      result.pushed.push(call.userId);
    } else {
      result.removed += 1;
      result.pulled.push(call.userId);
    }
  }
  return result;
}

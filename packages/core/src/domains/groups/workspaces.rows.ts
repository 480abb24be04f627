/**
 * Row-level helpers of the workspaces service: the workspace query with its visibility rule, row
 * locks, membership lookups and the row-to-DTO mappers. Internal to the groups domain.
 */
import { sql } from 'kysely';
import type { HeliosError } from '../../errors';
import type { Row } from '../../repositories/types';
import type { OperationScope } from '../../runtime';
import { camelize } from '../../shared/case';
import { GROUPS_ERRORS } from './groups.errors';
import { memberUserNotDeleted, seesAllGroups } from './groups.shared';
import type { Workspace, WorkspaceMember } from './workspaces.schema';

/** The audit resource name of workspaces. */
export const RESOURCE = 'workspace';
/** The columns of a membership joined with its user (`m`, `u`). */
export const MEMBER_COLUMNS = [
  'm.id',
  'm.workspace_id',
  'm.user_id',
  'm.role',
  'm.is_active',
  'm.joined_at',
  'm.removed_at',
  'm.synced_from_platform',
  'u.email',
  'u.first_name',
  'u.last_name',
] as const;

/** A workspace row with its member count. */
export type WorkspaceRow = Row<'workspaces'> & { member_count: number };
/** A membership row joined with its user. */
export type MemberRow = {
  id: string;
  workspace_id: string;
  user_id: string;
  role: string;
  is_active: boolean | null;
  joined_at: Date | null;
  removed_at: Date | null;
  synced_from_platform: boolean | null;
  email: string;
  first_name: string;
  last_name: string;
};

/** NOT_FOUND `WORKSPACES.NOT_FOUND`. */
export function notFound(id: string): HeliosError {
  return GROUPS_ERRORS.WORKSPACE_NOT_FOUND({ id });
}

/** The DTO of a workspace row. */
export function toWorkspace(row: WorkspaceRow): Workspace {
  const { member_count, ...rest } = row;
  return { ...camelize(rest), memberCount: Number(member_count) };
}

/** The DTO of a membership row. */
export function toMember(row: MemberRow): WorkspaceMember {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    userId: row.user_id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    role: row.role,
    isActive: row.is_active !== false,
    joinedAt: row.joined_at,
    removedAt: row.removed_at,
    syncedFromPlatform: row.synced_from_platform === true,
  };
}

/** Workspaces with their member count, limited to the organization and to what the principal may see. */
export function workspaceQuery(s: OperationScope) {
  let q = s.db
    .selectFrom('workspaces as w')
    .selectAll('w')
    .select((eb) =>
      eb
        .selectFrom('workspace_members as cm')
        .innerJoin('organization_users as u', 'u.id', 'cm.user_id')
        .select(sql<number>`count(*)::int`.as('n'))
        .whereRef('cm.workspace_id', '=', 'w.id')
        .where('cm.is_active', '=', true)
        .where(memberUserNotDeleted)
        .as('member_count'),
    )
    .where('w.organization_id', '=', s.organizationId);
  if (!seesAllGroups(s.principal)) {
    const viewer = s.principal.userId ?? '00000000-0000-0000-0000-000000000000';
    q = q
      .where(sql<boolean>`coalesce(w.is_active, true)`)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('workspace_members as vm')
            .select('vm.id')
            .whereRef('vm.workspace_id', '=', 'w.id')
            .where('vm.user_id', '=', viewer)
            .where('vm.is_active', '=', true),
        ),
      );
  }
  return q;
}

/** The workspace if the principal may see it, or null. */
export async function findVisibleWorkspace(
  s: OperationScope,
  id: string,
): Promise<Workspace | null> {
  const row = await workspaceQuery(s).where('w.id', '=', id).executeTakeFirst();
  return row ? toWorkspace(row as WorkspaceRow) : null;
}

/** As `findVisibleWorkspace`, for a workspace known to exist and be visible (after a write by a writer). */
export async function reloadWorkspace(s: OperationScope, id: string): Promise<Workspace> {
  const workspace = await findVisibleWorkspace(s, id);
  if (!workspace) throw notFound(id);
  return workspace;
}

/**
 * The workspace's row, locked for the rest of the transaction.
 * @throws HeliosError NOT_FOUND `WORKSPACES.NOT_FOUND`
 */
export async function lockWorkspace(s: OperationScope, id: string): Promise<Row<'workspaces'>> {
  const row = await s.db
    .selectFrom('workspaces')
    .selectAll()
    .where('id', '=', id)
    .where('organization_id', '=', s.organizationId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound(id);
  return row;
}

/** The membership of a user in a workspace (active or removed), with the user's name and email. */
export function memberOf(
  s: OperationScope,
  workspaceId: string,
  userId: string,
): Promise<MemberRow | undefined> {
  return s.db
    .selectFrom('workspace_members as m')
    .innerJoin('organization_users as u', 'u.id', 'm.user_id')
    .select(MEMBER_COLUMNS)
    .where('m.workspace_id', '=', workspaceId)
    .where('m.user_id', '=', userId)
    .executeTakeFirst();
}

/**
 * The active membership of a user in a workspace.
 * @throws HeliosError NOT_FOUND `WORKSPACES.NOT_A_MEMBER`
 */
export async function activeMember(
  s: OperationScope,
  workspaceId: string,
  userId: string,
): Promise<MemberRow> {
  const row = await memberOf(s, workspaceId, userId);
  if (!row || row.is_active === false) {
    throw GROUPS_ERRORS.WORKSPACE_NOT_A_MEMBER({ workspaceId, userId });
  }
  return row;
}

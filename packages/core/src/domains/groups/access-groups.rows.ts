/**
 * Row-level helpers of the access groups service: the group query with its visibility rule, row
 * locks, membership lookups and the row-to-DTO mappers. Internal to the groups domain.
 */
import { sql } from 'kysely';
import type { HeliosError } from '../../errors';
import type { Row } from '../../repositories/types';
import type { OperationScope } from '../../runtime';
import { camelize } from '../../shared/case';
import type { AccessGroup, AccessGroupMember, MembershipSource } from './access-groups.schema';
import { GROUPS_ERRORS } from './groups.errors';
import { memberUserNotDeleted, seesAllGroups } from './groups.shared';

/** The audit resource name of access groups. */
export const RESOURCE = 'access_group';
/** The columns of a membership joined with its user (`m`, `u`). */
export const MEMBER_COLUMNS = [
  'm.id',
  'm.access_group_id',
  'm.user_id',
  'm.member_type',
  'm.is_active',
  'm.joined_at',
  'm.removed_at',
  'm.synced_from_platform',
  'm.membership_source',
  'u.email',
  'u.first_name',
  'u.last_name',
] as const;

/** An access group row with its member count. */
export type GroupRow = Row<'access_groups'> & { member_count: number };
/** A membership row joined with its user. */
export type MemberRow = {
  id: string;
  access_group_id: string;
  user_id: string;
  member_type: string;
  is_active: boolean | null;
  joined_at: Date | null;
  removed_at: Date | null;
  synced_from_platform: boolean | null;
  membership_source: string | null;
  email: string;
  first_name: string;
  last_name: string;
};

/** NOT_FOUND `ACCESS_GROUPS.NOT_FOUND`. */
export function notFound(id: string): HeliosError {
  return GROUPS_ERRORS.ACCESS_GROUP_NOT_FOUND({ id });
}

/** True when two emails are equal, ignoring case. */
export function sameEmail(a: string | null, b: string | null): boolean {
  return (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
}

/** The DTO of a group row. */
export function toGroup(row: GroupRow): AccessGroup {
  const { member_count, ...rest } = row;
  return { ...camelize(rest), memberCount: Number(member_count) };
}

/** Where a membership comes from; a row written before migration 0007 has none: read from `synced_from_platform`. */
export function membershipSourceOf(
  row: Pick<MemberRow, 'membership_source' | 'synced_from_platform'>,
): MembershipSource {
  const source = row.membership_source;
  if (source === 'platform' || source === 'manual' || source === 'dynamic') return source;
  return row.synced_from_platform === true ? 'platform' : 'manual';
}

/** The DTO of a membership row. */
export function toMember(row: MemberRow): AccessGroupMember {
  return {
    id: row.id,
    groupId: row.access_group_id,
    userId: row.user_id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    memberType: row.member_type,
    isActive: row.is_active !== false,
    joinedAt: row.joined_at,
    removedAt: row.removed_at,
    syncedFromPlatform: row.synced_from_platform === true,
    membershipSource: membershipSourceOf(row),
  };
}

/** Groups with their member count, limited to the organization and to what the principal may see. */
export function groupQuery(s: OperationScope) {
  let q = s.db
    .selectFrom('access_groups as g')
    .selectAll('g')
    .select((eb) =>
      eb
        .selectFrom('access_group_members as cm')
        .innerJoin('organization_users as u', 'u.id', 'cm.user_id')
        .select(sql<number>`count(*)::int`.as('n'))
        .whereRef('cm.access_group_id', '=', 'g.id')
        .where('cm.is_active', '=', true)
        .where(memberUserNotDeleted)
        .as('member_count'),
    )
    .where('g.organization_id', '=', s.organizationId);
  if (!seesAllGroups(s.principal)) {
    const viewer = s.principal.userId ?? '00000000-0000-0000-0000-000000000000';
    q = q
      .where(sql<boolean>`coalesce(g.is_active, true)`)
      .where((eb) =>
        eb.or([
          eb('g.is_public', '=', true),
          eb.exists(
            eb
              .selectFrom('access_group_members as vm')
              .select('vm.id')
              .whereRef('vm.access_group_id', '=', 'g.id')
              .where('vm.user_id', '=', viewer)
              .where('vm.is_active', '=', true),
          ),
        ]),
      );
  }
  return q;
}

/** The group if the principal may see it, or null. */
export async function findVisibleGroup(s: OperationScope, id: string): Promise<AccessGroup | null> {
  const row = await groupQuery(s).where('g.id', '=', id).executeTakeFirst();
  return row ? toGroup(row as GroupRow) : null;
}

/** As `findVisibleGroup`, for a group known to exist and be visible (after a write by a writer). */
export async function reloadGroup(s: OperationScope, id: string): Promise<AccessGroup> {
  const group = await findVisibleGroup(s, id);
  if (!group) throw notFound(id);
  return group;
}

/**
 * The group's row, locked for the rest of the transaction.
 * @throws HeliosError NOT_FOUND `ACCESS_GROUPS.NOT_FOUND`
 */
export async function lockGroup(s: OperationScope, id: string): Promise<Row<'access_groups'>> {
  const row = await s.db
    .selectFrom('access_groups')
    .selectAll()
    .where('id', '=', id)
    .where('organization_id', '=', s.organizationId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound(id);
  return row;
}

/** The membership of a user in a group (active or removed), with the user's name and email. */
export function memberOf(
  s: OperationScope,
  groupId: string,
  userId: string,
): Promise<MemberRow | undefined> {
  return s.db
    .selectFrom('access_group_members as m')
    .innerJoin('organization_users as u', 'u.id', 'm.user_id')
    .select(MEMBER_COLUMNS)
    .where('m.access_group_id', '=', groupId)
    .where('m.user_id', '=', userId)
    .executeTakeFirst();
}

/**
 * The active membership of a user in a group.
 * @throws HeliosError NOT_FOUND `ACCESS_GROUPS.NOT_A_MEMBER`
 */
export async function activeMember(
  s: OperationScope,
  groupId: string,
  userId: string,
): Promise<MemberRow> {
  const row = await memberOf(s, groupId, userId);
  if (!row || row.is_active === false) {
    throw GROUPS_ERRORS.ACCESS_GROUP_NOT_A_MEMBER({ groupId, userId });
  }
  return row;
}

/**
 * Legacy user groups (`helios.userGroups`): the predecessor's first group model, kept for the data
 * that still uses it (dynamic group rules, bulk operations). New work should use access groups.
 *
 * Rules decided here:
 * - Reads need `groups:read`; admins, the system and API keys see every group, other users only the
 *   groups they belong to (the table has no notion of a public group). Writes need `groups:write`.
 * - Names are unique in the organization, compared case-insensitively.
 * - `delete` removes the group and its memberships; it is refused while dynamic rules, signature or
 *   campaign assignments or onboarding templates name it, and for system groups.
 * - Memberships have no history: removing a member deletes the row.
 *
 * Owns: user_groups, user_group_memberships.
 */
import { sql } from 'kysely';
import type { HeliosError } from '../../errors';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { type Camelize, camelize } from '../../shared/case';
import { keysetPage, type Page, type PageKeyColumns } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';
import type { AccessGroupMemberType } from './access-groups.schema';
import { GROUPS_ERRORS } from './groups.errors';
import {
  containsPattern,
  groupReferences,
  idSchema,
  memberUserNotDeleted,
  requireMemberUser,
  seesAllGroups,
} from './groups.shared';
import {
  type CreateUserGroupInput,
  createUserGroupSchema,
  type ListUserGroupMembersInput,
  type ListUserGroupsInput,
  listUserGroupMembersSchema,
  listUserGroupsSchema,
  type UpdateUserGroupInput,
  updateUserGroupSchema,
  userGroupMemberSchema,
} from './user-groups.schema';

/** A legacy user group, with its number of members. */
export type UserGroup = Camelize<Row<'user_groups'>> & {
  /** Members that are not deleted users. */
  memberCount: number;
};

/** A member of a user group, with the user's name and email. */
export interface UserGroupMember {
  /** The membership's id. */
  id: string;
  groupId: string;
  userId: string;
  email: string;
  firstName: string;
  lastName: string;
  role: string;
  joinedAt: Date | null;
}

/** Legacy user groups and their members. */
export interface UserGroupsService {
  /**
   * Creates a user group (admins, `groups:write`).
   * @throws HeliosError CONFLICT `GROUPS.NAME_TAKEN`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const group = await helios.as(admin).userGroups.create({ name: 'Contractors' });
   * ```
   */
  create(input: CreateUserGroupInput, options?: CallOptions): Promise<UserGroup>;
  /**
   * The group with this id, if the caller may see it.
   * @throws HeliosError NOT_FOUND `GROUPS.NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`
   */
  get(id: string, options?: CallOptions): Promise<UserGroup>;
  /** As `get`, but null when absent, invisible or malformed. */
  find(id: string, options?: CallOptions): Promise<UserGroup | null>;
  /**
   * Groups by name, one page at a time.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   */
  list(filter?: ListUserGroupsInput, options?: CallOptions): Promise<Page<UserGroup>>;
  /**
   * Changes a group (admins, `groups:write`); system groups cannot be renamed.
   * @throws HeliosError NOT_FOUND `GROUPS.NOT_FOUND`; CONFLICT `GROUPS.NAME_TAKEN`; PRECONDITION_FAILED
   *   `GROUPS.SYSTEM_GROUP`; INVALID_INPUT `VALIDATION.FAILED`
   */
  update(id: string, input: UpdateUserGroupInput, options?: CallOptions): Promise<UserGroup>;
  /**
   * Deletes a group and its memberships.
   * @throws HeliosError NOT_FOUND `GROUPS.NOT_FOUND`; PRECONDITION_FAILED `GROUPS.IN_USE` (details.references),
   *   `GROUPS.SYSTEM_GROUP`
   */
  delete(id: string, options?: CallOptions): Promise<void>;
  /**
   * Adds a user to a group.
   * @throws HeliosError NOT_FOUND `GROUPS.NOT_FOUND`, `GROUPS.USER_NOT_FOUND`; CONFLICT `GROUPS.ALREADY_MEMBER`;
   *   INVALID_INPUT `VALIDATION.FAILED`
   * @example
   * ```ts
   * await helios.as(admin).userGroups.addMember(group.id, user.id);
   * ```
   */
  addMember(
    groupId: string,
    userId: string,
    role?: AccessGroupMemberType,
    options?: CallOptions,
  ): Promise<UserGroupMember>;
  /**
   * Removes a user from a group.
   * @throws HeliosError NOT_FOUND `GROUPS.NOT_FOUND`, `GROUPS.NOT_A_MEMBER`; INVALID_INPUT `VALIDATION.FAILED`
   */
  removeMember(groupId: string, userId: string, options?: CallOptions): Promise<void>;
  /**
   * The members of a group, by email, one page at a time.
   * @throws HeliosError NOT_FOUND `GROUPS.NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   */
  listMembers(
    groupId: string,
    filter?: ListUserGroupMembersInput,
    options?: CallOptions,
  ): Promise<Page<UserGroupMember>>;
}

const RESOURCE = 'user_group';
const MEMBER_COLUMNS = [
  'm.id',
  'm.group_id',
  'm.user_id',
  'm.role',
  'm.joined_at',
  'u.email',
  'u.first_name',
  'u.last_name',
] as const;

type GroupRow = Row<'user_groups'> & { member_count: number };
type MemberRow = {
  id: string;
  group_id: string;
  user_id: string;
  role: string | null;
  joined_at: Date | null;
  email: string;
  first_name: string;
  last_name: string;
};

function notFound(id: string): HeliosError {
  return GROUPS_ERRORS.NOT_FOUND({ id });
}

function toGroup(row: GroupRow): UserGroup {
  const { member_count, ...rest } = row;
  return { ...camelize(rest), memberCount: Number(member_count) };
}

function toMember(row: MemberRow): UserGroupMember {
  return {
    id: row.id,
    groupId: row.group_id,
    userId: row.user_id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    role: row.role ?? 'member',
    joinedAt: row.joined_at,
  };
}

function groupQuery(s: OperationScope) {
  let q = s.db
    .selectFrom('user_groups as g')
    .selectAll('g')
    .select((eb) =>
      eb
        .selectFrom('user_group_memberships as cm')
        .innerJoin('organization_users as u', 'u.id', 'cm.user_id')
        .select(sql<number>`count(*)::int`.as('n'))
        .whereRef('cm.group_id', '=', 'g.id')
        .where(memberUserNotDeleted)
        .as('member_count'),
    )
    .where('g.organization_id', '=', s.organizationId);
  if (!seesAllGroups(s.principal)) {
    const viewer = s.principal.userId ?? '00000000-0000-0000-0000-000000000000';
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('user_group_memberships as vm')
          .select('vm.id')
          .whereRef('vm.group_id', '=', 'g.id')
          .where('vm.user_id', '=', viewer),
      ),
    );
  }
  return q;
}

/** Builds the legacy user groups service (`helios.userGroups`). */
export function createUserGroupsService(rt: ServiceRuntime): UserGroupsService {
  const findVisible = async (s: OperationScope, id: string): Promise<UserGroup | null> => {
    const row = await groupQuery(s).where('g.id', '=', id).executeTakeFirst();
    return row ? toGroup(row as GroupRow) : null;
  };

  const lockGroup = async (s: OperationScope, id: string): Promise<Row<'user_groups'>> => {
    const row = await s.db
      .selectFrom('user_groups')
      .selectAll()
      .where('id', '=', id)
      .where('organization_id', '=', s.organizationId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw notFound(id);
    return row;
  };

  const checkNameFree = async (s: OperationScope, name: string, exceptId: string | null) => {
    let q = s.db
      .selectFrom('user_groups')
      .select('id')
      .where('organization_id', '=', s.organizationId)
      .where(sql<boolean>`lower(name) = lower(${name})`);
    if (exceptId) q = q.where('id', '!=', exceptId);
    if (await q.executeTakeFirst()) {
      throw GROUPS_ERRORS.NAME_TAKEN({ name });
    }
  };

  const systemGroup = (group: Row<'user_groups'>, what: string): HeliosError =>
    GROUPS_ERRORS.SYSTEM_GROUP({ id: group.id, what });

  const memberOf = (s: OperationScope, groupId: string, userId: string) =>
    s.db
      .selectFrom('user_group_memberships as m')
      .innerJoin('organization_users as u', 'u.id', 'm.user_id')
      .select(MEMBER_COLUMNS)
      .where('m.group_id', '=', groupId)
      .where('m.user_id', '=', userId)
      .executeTakeFirst();

  return {
    create: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        const data = parseInput(createUserGroupSchema, input);
        await checkNameFree(s, data.name, null);
        const row = await s.repos.user_groups.insert({
          name: data.name,
          description: data.description ?? null,
          email: data.email ?? null,
          group_type: data.groupType,
          is_active: true,
          is_dynamic: false,
          is_system: false,
          created_at: s.now,
          updated_at: s.now,
        });
        await s.audit({
          action: 'user_groups.create',
          resource: RESOURCE,
          resourceId: row.id,
          details: summarizeChange(null, row),
        });
        return (await findVisible(s, row.id)) as UserGroup;
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const groupId = parseInput(idSchema, id);
        const group = await findVisible(s, groupId);
        if (!group) throw notFound(groupId);
        return group;
      }),

    find: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const parsed = idSchema.safeParse(id);
        return parsed.success ? findVisible(s, parsed.data) : null;
      }),

    list: (filter, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const f = parseInput(listUserGroupsSchema, filter ?? {});
        let q = groupQuery(s);
        if (f.isActive !== 'any')
          q = q.where(sql<boolean>`coalesce(g.is_active, true) = ${f.isActive}`);
        if (f.q) {
          const pattern = containsPattern(f.q);
          q = q.where((eb) =>
            eb.or([eb('g.name', 'ilike', pattern), eb('g.email', 'ilike', pattern)]),
          );
        }
        const paging = keysetPage({
          list: 'user_groups',
          keys: [
            { by: 'g.name', kind: 'text' },
            { by: 'g.id', kind: 'uuid' },
          ],
          limit: f.limit,
          cursor: f.cursor,
        });
        const rows = await q.$call(paging.query).execute();
        return paging.page(rows as (GroupRow & PageKeyColumns)[], toGroup);
      }),

    update: (id, input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        const groupId = parseInput(idSchema, id);
        const data = parseInput(updateUserGroupSchema, input ?? {});
        const before = await lockGroup(s, groupId);
        if (data.name !== undefined && data.name !== before.name) {
          if (before.is_system) throw systemGroup(before, 'renamed');
          await checkNameFree(s, data.name, before.id);
        }
        const patch = {
          ...(data.name !== undefined ? { name: data.name } : {}),
          ...(data.description !== undefined ? { description: data.description } : {}),
          ...(data.email !== undefined ? { email: data.email } : {}),
          ...(data.groupType !== undefined ? { group_type: data.groupType } : {}),
          ...(data.isActive !== undefined ? { is_active: data.isActive } : {}),
        };
        if (Object.keys(patch).length === 0) return (await findVisible(s, groupId)) as UserGroup;
        const after = await s.repos.user_groups.update(groupId, { ...patch, updated_at: s.now });
        const details = summarizeChange(before, after);
        if (Object.keys(details).length > 0)
          await s.audit({
            action: 'user_groups.update',
            resource: RESOURCE,
            resourceId: groupId,
            details,
          });
        return (await findVisible(s, groupId)) as UserGroup;
      }),

    delete: (id, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        const groupId = parseInput(idSchema, id);
        const before = await lockGroup(s, groupId);
        if (before.is_system) throw systemGroup(before, 'deleted');
        const references = await groupReferences(s.db, s.organizationId, groupId);
        if (Object.keys(references).length > 0) {
          throw GROUPS_ERRORS.IN_USE({ id: groupId, references });
        }
        const removed = await s.db
          .deleteFrom('user_group_memberships')
          .where('group_id', '=', groupId)
          .executeTakeFirst();
        await s.repos.user_groups.delete(groupId);
        await s.audit({
          action: 'user_groups.delete',
          resource: RESOURCE,
          resourceId: groupId,
          details: {
            ...summarizeChange(before, null),
            memberships: Number(removed.numDeletedRows),
          },
        });
      }),

    addMember: (groupId, userId, role, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        const data = parseInput(userGroupMemberSchema, { groupId, userId, role });
        const group = await lockGroup(s, data.groupId);
        const user = await requireMemberUser(s, data.userId, GROUPS_ERRORS.USER_NOT_FOUND);
        if (await memberOf(s, group.id, user.id)) {
          throw GROUPS_ERRORS.ALREADY_MEMBER({ groupId: group.id, userId: user.id });
        }
        const row = await s.db
          .insertInto('user_group_memberships')
          .values({ group_id: group.id, user_id: user.id, role: data.role, joined_at: s.now })
          .returningAll()
          .executeTakeFirstOrThrow();
        await s.audit({
          action: 'user_groups.member_add',
          resource: RESOURCE,
          resourceId: group.id,
          details: { userId: user.id, email: user.email, role: data.role },
        });
        return toMember({
          ...row,
          email: user.email,
          first_name: user.first_name,
          last_name: user.last_name,
        });
      }),

    removeMember: (groupId, userId, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        const data = parseInput(userGroupMemberSchema, { groupId, userId });
        const group = await lockGroup(s, data.groupId);
        const member = await memberOf(s, group.id, data.userId);
        if (!member) {
          throw GROUPS_ERRORS.NOT_A_MEMBER({ groupId: group.id, userId: data.userId });
        }
        await s.db.deleteFrom('user_group_memberships').where('id', '=', member.id).execute();
        await s.audit({
          action: 'user_groups.member_remove',
          resource: RESOURCE,
          resourceId: group.id,
          details: { userId: member.user_id, email: member.email, role: member.role },
        });
      }),

    listMembers: (groupId, filter, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const id = parseInput(idSchema, groupId);
        const f = parseInput(listUserGroupMembersSchema, filter ?? {});
        if (!(await findVisible(s, id))) throw notFound(id);
        let q = s.db
          .selectFrom('user_group_memberships as m')
          .innerJoin('organization_users as u', 'u.id', 'm.user_id')
          .select(MEMBER_COLUMNS)
          .where('m.group_id', '=', id)
          .where(memberUserNotDeleted);
        if (f.role) q = q.where(sql<boolean>`coalesce(m.role, 'member') = ${f.role}`);
        const paging = keysetPage({
          list: 'user_group_members',
          keys: [
            { by: 'u.email', kind: 'text' },
            { by: 'm.id', kind: 'uuid' },
          ],
          limit: f.limit,
          cursor: f.cursor,
        });
        const rows = await q.$call(paging.query).execute();
        return paging.page(rows, toMember);
      }),
  };
}

/**
 * Access groups (`helios.groups`): the live group model. Groups created here are `manual`; groups
 * synced from a platform (`google_workspace`, `microsoft_365`...) are managed by their sync, so their
 * identity (name, email, platform, external id) and existence are not changed here, while their
 * membership may be (the platform's module mirrors it). Ids are stable: a group is never deleted and
 * re-created.
 *
 * Rules decided here:
 * - Reads need `groups:read` (everyone). Admins, the system and API keys see every group; other users
 *   see the active groups that are public (`is_public`) or that they are an active member of. A group
 *   they may not see is reported as not found.
 * - Writes need `groups:write` (admins, keys with `groups:write`).
 * - `delete` is soft (`is_active = false`, members kept, `restore` undoes it); `purge` deletes the row
 *   with its memberships and is refused while dynamic rules, signature or campaign assignments or
 *   onboarding templates name the group.
 * - Membership is static. Removing a member is soft (`is_active = false`, `removed_at` set); adding a
 *   removed member again reactivates the same row.
 *
 * Owns: access_groups, access_group_members.
 */
import { sql } from 'kysely';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { keysetPage, type Page, type PageKeyColumns } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';
import { createAccessGroupMemberOperations } from './access-groups.members';
import {
  findVisibleGroup,
  type GroupRow,
  groupQuery,
  lockGroup,
  notFound,
  RESOURCE,
  reloadGroup,
  sameEmail,
  toGroup,
} from './access-groups.rows';
import {
  type AccessGroup,
  type AccessGroupMember,
  type AccessGroupMembership,
  type AccessGroupMemberType,
  type CreateAccessGroupInput,
  createAccessGroupSchema,
  type ListAccessGroupMembersInput,
  type ListAccessGroupsInput,
  listAccessGroupsSchema,
  type UpdateAccessGroupInput,
  updateAccessGroupSchema,
} from './access-groups.schema';
import { GROUPS_ERRORS } from './groups.errors';
import { containsPattern, groupReferences, idSchema, jsonValue } from './groups.shared';

/** Access groups and their (static) members. */
export interface GroupsService {
  /**
   * Creates a `manual` access group (admins, `groups:write`).
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`; CONFLICT `ACCESS_GROUPS.EMAIL_TAKEN` when an
   *   active group has the email; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const group = await helios.as(admin).groups.create({ name: 'Engineering', email: 'eng@acme.com', isPublic: true });
   * ```
   */
  create(input: CreateAccessGroupInput, options?: CallOptions): Promise<AccessGroup>;
  /**
   * The group with this id, if the caller may see it.
   * @throws HeliosError NOT_FOUND `ACCESS_GROUPS.NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED` for a malformed id
   */
  get(id: string, options?: CallOptions): Promise<AccessGroup>;
  /** As `get`, but null when there is no such (visible) group or the id is malformed. */
  find(id: string, options?: CallOptions): Promise<AccessGroup | null>;
  /**
   * Groups by name, one page at a time (non-admins: public groups and their own).
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   * @example
   * ```ts
   * let page = await helios.as(admin).groups.list({ q: 'eng', platform: 'manual', limit: 20 });
   * if (page.nextCursor) page = await helios.as(admin).groups.list({ q: 'eng', platform: 'manual', limit: 20, cursor: page.nextCursor });
   * ```
   */
  list(filter?: ListAccessGroupsInput, options?: CallOptions): Promise<Page<AccessGroup>>;
  /**
   * Changes a group (admins, `groups:write`). The name and email of a group synced from a platform
   * can only be changed by its sync (the system actor).
   * @throws HeliosError NOT_FOUND `ACCESS_GROUPS.NOT_FOUND`; PRECONDITION_FAILED
   *   `ACCESS_GROUPS.MANAGED_BY_PLATFORM`; CONFLICT `ACCESS_GROUPS.EMAIL_TAKEN`; INVALID_INPUT `VALIDATION.FAILED`
   * @example
   * ```ts
   * await helios.as(admin).groups.update(group.id, { description: 'Everyone who ships code' });
   * ```
   */
  update(id: string, input: UpdateAccessGroupInput, options?: CallOptions): Promise<AccessGroup>;
  /**
   * Deletes a group softly: it becomes inactive, keeps its id and members, and can be restored.
   * Groups synced from a platform are deleted by their sync only.
   * @throws HeliosError NOT_FOUND `ACCESS_GROUPS.NOT_FOUND`; PRECONDITION_FAILED `ACCESS_GROUPS.MANAGED_BY_PLATFORM`
   */
  delete(id: string, options?: CallOptions): Promise<AccessGroup>;
  /**
   * Makes a deleted group active again.
   * @throws HeliosError NOT_FOUND `ACCESS_GROUPS.NOT_FOUND`; CONFLICT `ACCESS_GROUPS.EMAIL_TAKEN`
   */
  restore(id: string, options?: CallOptions): Promise<AccessGroup>;
  /**
   * Deletes a group for good, with its memberships.
   * @throws HeliosError NOT_FOUND `ACCESS_GROUPS.NOT_FOUND`; PRECONDITION_FAILED `ACCESS_GROUPS.IN_USE`
   *   (details.references) while other records name it, `ACCESS_GROUPS.MANAGED_BY_PLATFORM`
   */
  purge(id: string, options?: CallOptions): Promise<void>;
  /**
   * Adds a user to an active group, or reactivates their removed membership (admins, `groups:write`).
   * @throws HeliosError NOT_FOUND `ACCESS_GROUPS.NOT_FOUND`, `ACCESS_GROUPS.USER_NOT_FOUND`; CONFLICT
   *   `ACCESS_GROUPS.ALREADY_MEMBER`; PRECONDITION_FAILED `ACCESS_GROUPS.INACTIVE`; INVALID_INPUT `VALIDATION.FAILED`
   * @example
   * ```ts
   * await helios.as(admin).groups.addMember(group.id, user.id, 'manager');
   * ```
   */
  addMember(
    groupId: string,
    userId: string,
    memberType?: AccessGroupMemberType,
    options?: CallOptions,
  ): Promise<AccessGroupMember>;
  /**
   * Changes an active member's type.
   * @throws HeliosError NOT_FOUND `ACCESS_GROUPS.NOT_FOUND`, `ACCESS_GROUPS.NOT_A_MEMBER`; INVALID_INPUT `VALIDATION.FAILED`
   */
  setMemberType(
    groupId: string,
    userId: string,
    memberType: AccessGroupMemberType,
    options?: CallOptions,
  ): Promise<AccessGroupMember>;
  /**
   * Removes a member softly (`isActive` false, `removedAt` set).
   * @throws HeliosError NOT_FOUND `ACCESS_GROUPS.NOT_FOUND`, `ACCESS_GROUPS.NOT_A_MEMBER`; INVALID_INPUT `VALIDATION.FAILED`
   */
  removeMember(groupId: string, userId: string, options?: CallOptions): Promise<AccessGroupMember>;
  /**
   * The members of a group the caller may see, by email, one page at a time.
   * @throws HeliosError NOT_FOUND `ACCESS_GROUPS.NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   */
  listMembers(
    groupId: string,
    filter?: ListAccessGroupMembersInput,
    options?: CallOptions,
  ): Promise<Page<AccessGroupMember>>;
  /**
   * The active groups a user is an active member of, by name (non-admins: only those they may see).
   * @throws HeliosError NOT_FOUND `ACCESS_GROUPS.USER_NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`
   */
  groupsOfUser(userId: string, options?: CallOptions): Promise<AccessGroupMembership[]>;
}

/** Builds the access groups service (`helios.groups`). */
export function createGroupsService(rt: ServiceRuntime): GroupsService {
  /** True when the group's identity and existence belong to its platform's sync (the system actor may act). */
  const managedElsewhere = (s: OperationScope, group: Row<'access_groups'>) =>
    group.platform !== 'manual' && s.principal.actor.type !== 'system';

  const refuseManaged = (group: Row<'access_groups'>, fields: string[]): never => {
    throw GROUPS_ERRORS.ACCESS_GROUP_MANAGED_BY_PLATFORM({
      id: group.id,
      platform: group.platform,
      fields,
    });
  };

  const checkEmailFree = async (
    s: OperationScope,
    email: string | null | undefined,
    exceptId: string | null,
  ) => {
    if (!email) return;
    let q = s.db
      .selectFrom('access_groups')
      .select('id')
      .where('organization_id', '=', s.organizationId)
      .where(sql<boolean>`lower(email) = lower(${email})`)
      .where(sql<boolean>`coalesce(is_active, true)`);
    if (exceptId) q = q.where('id', '!=', exceptId);
    if (await q.executeTakeFirst()) {
      throw GROUPS_ERRORS.ACCESS_GROUP_EMAIL_TAKEN({ email });
    }
  };

  const setActive = async (
    s: OperationScope,
    id: string,
    active: boolean,
  ): Promise<AccessGroup> => {
    const before = await lockGroup(s, id);
    if (!active && managedElsewhere(s, before)) refuseManaged(before, ['existence']);
    if ((before.is_active !== false) === active) return reloadGroup(s, id);
    if (active) await checkEmailFree(s, before.email, before.id);
    const after = await s.repos.access_groups.update(id, { is_active: active, updated_at: s.now });
    await s.audit({
      action: active ? 'groups.restore' : 'groups.delete',
      resource: RESOURCE,
      resourceId: id,
      details: summarizeChange(before, after),
    });
    return reloadGroup(s, id);
  };

  return {
    ...createAccessGroupMemberOperations(rt),

    create: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        const data = parseInput(createAccessGroupSchema, input);
        await checkEmailFree(s, data.email, null);
        const row = await s.repos.access_groups.insert({
          name: data.name,
          description: data.description ?? null,
          email: data.email ?? null,
          platform: 'manual',
          group_type: data.groupType,
          external_id: null,
          external_url: data.externalUrl ?? null,
          is_public: data.isPublic,
          allow_external_members: data.allowExternalMembers,
          is_active: true,
          metadata: jsonValue(data.metadata) ?? null,
          created_by: s.principal.userId,
          created_at: s.now,
          updated_at: s.now,
        });
        await s.audit({
          action: 'groups.create',
          resource: RESOURCE,
          resourceId: row.id,
          details: summarizeChange(null, row),
        });
        return reloadGroup(s, row.id);
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const groupId = parseInput(idSchema, id);
        const group = await findVisibleGroup(s, groupId);
        if (!group) throw notFound(groupId);
        return group;
      }),

    find: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const parsed = idSchema.safeParse(id);
        return parsed.success ? findVisibleGroup(s, parsed.data) : null;
      }),

    list: (filter, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const f = parseInput(listAccessGroupsSchema, filter ?? {});
        let q = groupQuery(s);
        if (f.isActive !== 'any')
          q = q.where(sql<boolean>`coalesce(g.is_active, true) = ${f.isActive}`);
        if (f.platform) q = q.where('g.platform', '=', f.platform);
        if (f.q) {
          const pattern = containsPattern(f.q);
          q = q.where((eb) =>
            eb.or([eb('g.name', 'ilike', pattern), eb('g.email', 'ilike', pattern)]),
          );
        }
        const paging = keysetPage({
          list: 'access_groups',
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
        const data = parseInput(updateAccessGroupSchema, input ?? {});
        const before = await lockGroup(s, groupId);
        if (managedElsewhere(s, before)) {
          const fields: string[] = [];
          if (data.name !== undefined && data.name !== before.name) fields.push('name');
          if (data.email !== undefined && !sameEmail(data.email, before.email))
            fields.push('email');
          if (fields.length > 0) refuseManaged(before, fields);
        }
        if (data.email !== undefined && !sameEmail(data.email, before.email))
          await checkEmailFree(s, data.email, before.id);
        const patch = {
          ...(data.name !== undefined ? { name: data.name } : {}),
          ...(data.description !== undefined ? { description: data.description } : {}),
          ...(data.email !== undefined ? { email: data.email } : {}),
          ...(data.groupType !== undefined ? { group_type: data.groupType } : {}),
          ...(data.isPublic !== undefined ? { is_public: data.isPublic } : {}),
          ...(data.allowExternalMembers !== undefined
            ? { allow_external_members: data.allowExternalMembers }
            : {}),
          ...(data.externalUrl !== undefined ? { external_url: data.externalUrl } : {}),
          ...(data.metadata !== undefined ? { metadata: jsonValue(data.metadata) } : {}),
        };
        if (Object.keys(patch).length === 0) return reloadGroup(s, groupId);
        const after = await s.repos.access_groups.update(groupId, { ...patch, updated_at: s.now });
        const details = summarizeChange(before, after);
        if (Object.keys(details).length > 0)
          await s.audit({
            action: 'groups.update',
            resource: RESOURCE,
            resourceId: groupId,
            details,
          });
        return reloadGroup(s, groupId);
      }),

    delete: (id, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        return setActive(s, parseInput(idSchema, id), false);
      }),

    restore: (id, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        return setActive(s, parseInput(idSchema, id), true);
      }),

    purge: (id, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        const groupId = parseInput(idSchema, id);
        const before = await lockGroup(s, groupId);
        if (managedElsewhere(s, before)) refuseManaged(before, ['existence']);
        const references = await groupReferences(s.db, s.organizationId, groupId);
        if (Object.keys(references).length > 0) {
          throw GROUPS_ERRORS.ACCESS_GROUP_IN_USE({ id: groupId, references });
        }
        const members = await s.db
          .selectFrom('access_group_members')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('access_group_id', '=', groupId)
          .executeTakeFirstOrThrow();
        await s.db
          .deleteFrom('access_group_members')
          .where('access_group_id', '=', groupId)
          .execute();
        await s.repos.access_groups.delete(groupId);
        await s.audit({
          action: 'groups.purge',
          resource: RESOURCE,
          resourceId: groupId,
          details: { ...summarizeChange(before, null), memberships: Number(members.n) },
        });
      }),
  };
}

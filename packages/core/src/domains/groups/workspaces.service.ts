/**
 * Workspaces (`helios.workspaces`): teams and chat spaces (Teams, Google Chat spaces...) as records
 * with their platform and external id, and their members with roles. Nothing here calls a platform.
 *
 * Rules decided here:
 * - Reads need `groups:read`; admins, the system and API keys see every workspace, other users only the
 *   active workspaces they are an active member of. Writes need `groups:write`.
 * - `(platform, externalId)` is unique in the organization.
 * - `delete` is soft (`is_active = false`, members kept, `restore` undoes it); archiving
 *   (`update({ isArchived })`) is a separate, visible state.
 * - Removing a member is soft (`is_active = false`, `removed_at` set); adding them again reactivates
 *   the same row.
 *
 * Owns: workspaces, workspace_members.
 */
import { sql } from 'kysely';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { keysetPage, type Page, type PageKeyColumns } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';
import { GROUPS_ERRORS } from './groups.errors';
import { containsPattern, idSchema, jsonValue } from './groups.shared';
import { createWorkspaceMemberOperations } from './workspaces.members';
import {
  findVisibleWorkspace,
  lockWorkspace,
  notFound,
  RESOURCE,
  reloadWorkspace,
  toWorkspace,
  type WorkspaceRow,
  workspaceQuery,
} from './workspaces.rows';
import {
  type CreateWorkspaceInput,
  createWorkspaceSchema,
  type ListWorkspaceMembersInput,
  type ListWorkspacesInput,
  listWorkspacesSchema,
  type UpdateWorkspaceInput,
  updateWorkspaceSchema,
  type Workspace,
  type WorkspaceMember,
  type WorkspaceRole,
} from './workspaces.schema';

/** Workspaces and their members. */
export interface WorkspacesService {
  /**
   * Creates a workspace (admins, `groups:write`).
   * @throws HeliosError CONFLICT `WORKSPACES.EXTERNAL_ID_TAKEN`; INVALID_INPUT `VALIDATION.FAILED`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const ws = await helios.as(admin).workspaces.create({ name: 'Design', platform: 'google_chat', externalId: 'spaces/AAA' });
   * ```
   */
  create(input: CreateWorkspaceInput, options?: CallOptions): Promise<Workspace>;
  /**
   * The workspace with this id, if the caller may see it.
   * @throws HeliosError NOT_FOUND `WORKSPACES.NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`
   */
  get(id: string, options?: CallOptions): Promise<Workspace>;
  /** As `get`, but null when absent, invisible or malformed. */
  find(id: string, options?: CallOptions): Promise<Workspace | null>;
  /**
   * Workspaces by name, one page at a time.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   */
  list(filter?: ListWorkspacesInput, options?: CallOptions): Promise<Page<Workspace>>;
  /**
   * Changes a workspace, or archives / unarchives it (admins, `groups:write`).
   * @throws HeliosError NOT_FOUND `WORKSPACES.NOT_FOUND`; CONFLICT `WORKSPACES.EXTERNAL_ID_TAKEN`; INVALID_INPUT `VALIDATION.FAILED`
   */
  update(id: string, input: UpdateWorkspaceInput, options?: CallOptions): Promise<Workspace>;
  /**
   * Deletes a workspace softly: it becomes inactive, keeps its id and members, and can be restored.
   * @throws HeliosError NOT_FOUND `WORKSPACES.NOT_FOUND`
   */
  delete(id: string, options?: CallOptions): Promise<Workspace>;
  /**
   * Makes a deleted workspace active again.
   * @throws HeliosError NOT_FOUND `WORKSPACES.NOT_FOUND`
   */
  restore(id: string, options?: CallOptions): Promise<Workspace>;
  /**
   * Adds a user to an active workspace, or reactivates their removed membership.
   * @throws HeliosError NOT_FOUND `WORKSPACES.NOT_FOUND`, `WORKSPACES.USER_NOT_FOUND`; CONFLICT
   *   `WORKSPACES.ALREADY_MEMBER`; PRECONDITION_FAILED `WORKSPACES.INACTIVE`; INVALID_INPUT `VALIDATION.FAILED`
   * @example
   * ```ts
   * await helios.as(admin).workspaces.addMember(ws.id, user.id, 'owner');
   * ```
   */
  addMember(
    workspaceId: string,
    userId: string,
    role?: WorkspaceRole,
    options?: CallOptions,
  ): Promise<WorkspaceMember>;
  /**
   * Changes an active member's role.
   * @throws HeliosError NOT_FOUND `WORKSPACES.NOT_FOUND`, `WORKSPACES.NOT_A_MEMBER`; INVALID_INPUT `VALIDATION.FAILED`
   */
  setMemberRole(
    workspaceId: string,
    userId: string,
    role: WorkspaceRole,
    options?: CallOptions,
  ): Promise<WorkspaceMember>;
  /**
   * Removes a member softly (`isActive` false, `removedAt` set).
   * @throws HeliosError NOT_FOUND `WORKSPACES.NOT_FOUND`, `WORKSPACES.NOT_A_MEMBER`; INVALID_INPUT `VALIDATION.FAILED`
   */
  removeMember(
    workspaceId: string,
    userId: string,
    options?: CallOptions,
  ): Promise<WorkspaceMember>;
  /**
   * The members of a workspace, by email, one page at a time.
   * @throws HeliosError NOT_FOUND `WORKSPACES.NOT_FOUND`; INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   */
  listMembers(
    workspaceId: string,
    filter?: ListWorkspaceMembersInput,
    options?: CallOptions,
  ): Promise<Page<WorkspaceMember>>;
}

/** Builds the workspaces service (`helios.workspaces`). */
export function createWorkspacesService(rt: ServiceRuntime): WorkspacesService {
  const checkExternalIdFree = async (
    s: OperationScope,
    platform: string,
    externalId: string | null | undefined,
    exceptId: string | null,
  ) => {
    if (!externalId) return;
    let q = s.db
      .selectFrom('workspaces')
      .select('id')
      .where('organization_id', '=', s.organizationId)
      .where('platform', '=', platform)
      .where('external_id', '=', externalId);
    if (exceptId) q = q.where('id', '!=', exceptId);
    if (await q.executeTakeFirst()) {
      throw GROUPS_ERRORS.WORKSPACE_EXTERNAL_ID_TAKEN({ platform, externalId });
    }
  };

  const setActive = async (s: OperationScope, id: string, active: boolean): Promise<Workspace> => {
    const before = await lockWorkspace(s, id);
    if ((before.is_active !== false) === active) return reloadWorkspace(s, id);
    const after = await s.repos.workspaces.update(id, { is_active: active, updated_at: s.now });
    await s.audit({
      action: active ? 'workspaces.restore' : 'workspaces.delete',
      resource: RESOURCE,
      resourceId: id,
      details: summarizeChange(before, after),
    });
    return reloadWorkspace(s, id);
  };

  return {
    ...createWorkspaceMemberOperations(rt),

    create: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        const data = parseInput(createWorkspaceSchema, input);
        await checkExternalIdFree(s, data.platform, data.externalId, null);
        const row = await s.repos.workspaces.insert({
          name: data.name,
          description: data.description ?? null,
          email: data.email ?? null,
          platform: data.platform,
          external_id: data.externalId ?? null,
          external_url: data.externalUrl ?? null,
          workspace_type: data.workspaceType ?? null,
          metadata: jsonValue(data.metadata) ?? null,
          is_active: true,
          is_archived: false,
          created_by: s.principal.userId,
          created_at: s.now,
          updated_at: s.now,
        });
        await s.audit({
          action: 'workspaces.create',
          resource: RESOURCE,
          resourceId: row.id,
          details: summarizeChange(null, row),
        });
        return reloadWorkspace(s, row.id);
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const workspaceId = parseInput(idSchema, id);
        const workspace = await findVisibleWorkspace(s, workspaceId);
        if (!workspace) throw notFound(workspaceId);
        return workspace;
      }),

    find: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const parsed = idSchema.safeParse(id);
        return parsed.success ? findVisibleWorkspace(s, parsed.data) : null;
      }),

    list: (filter, options) =>
      rt.read(options, async (s) => {
        await s.authorize('groups:read');
        const f = parseInput(listWorkspacesSchema, filter ?? {});
        let q = workspaceQuery(s);
        if (f.isActive !== 'any')
          q = q.where(sql<boolean>`coalesce(w.is_active, true) = ${f.isActive}`);
        if (f.isArchived !== undefined)
          q = q.where(sql<boolean>`coalesce(w.is_archived, false) = ${f.isArchived}`);
        if (f.platform) q = q.where('w.platform', '=', f.platform);
        if (f.q) {
          const pattern = containsPattern(f.q);
          q = q.where((eb) =>
            eb.or([eb('w.name', 'ilike', pattern), eb('w.email', 'ilike', pattern)]),
          );
        }
        const paging = keysetPage({
          list: 'workspaces',
          keys: [
            { by: 'w.name', kind: 'text' },
            { by: 'w.id', kind: 'uuid' },
          ],
          limit: f.limit,
          cursor: f.cursor,
        });
        const rows = await q.$call(paging.query).execute();
        return paging.page(rows as (WorkspaceRow & PageKeyColumns)[], toWorkspace);
      }),

    update: (id, input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('groups:write');
        const workspaceId = parseInput(idSchema, id);
        const data = parseInput(updateWorkspaceSchema, input ?? {});
        const before = await lockWorkspace(s, workspaceId);
        const platform = data.platform ?? before.platform;
        const externalId = data.externalId !== undefined ? data.externalId : before.external_id;
        if (platform !== before.platform || externalId !== before.external_id)
          await checkExternalIdFree(s, platform, externalId, before.id);
        const archiving =
          data.isArchived !== undefined && data.isArchived !== (before.is_archived === true);
        const patch = {
          ...(data.name !== undefined ? { name: data.name } : {}),
          ...(data.description !== undefined ? { description: data.description } : {}),
          ...(data.email !== undefined ? { email: data.email } : {}),
          ...(data.platform !== undefined ? { platform: data.platform } : {}),
          ...(data.externalId !== undefined ? { external_id: data.externalId } : {}),
          ...(data.externalUrl !== undefined ? { external_url: data.externalUrl } : {}),
          ...(data.workspaceType !== undefined ? { workspace_type: data.workspaceType } : {}),
          ...(data.metadata !== undefined ? { metadata: jsonValue(data.metadata) } : {}),
          ...(archiving
            ? { is_archived: data.isArchived, archived_at: data.isArchived ? s.now : null }
            : {}),
        };
        if (Object.keys(patch).length === 0) return reloadWorkspace(s, workspaceId);
        const after = await s.repos.workspaces.update(workspaceId, { ...patch, updated_at: s.now });
        const details = summarizeChange(before, after);
        if (Object.keys(details).length > 0) {
          const action =
            archiving && Object.keys(patch).length === 2
              ? data.isArchived
                ? 'workspaces.archive'
                : 'workspaces.unarchive'
              : 'workspaces.update';
          await s.audit({ action, resource: RESOURCE, resourceId: workspaceId, details });
        }
        return reloadWorkspace(s, workspaceId);
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
  };
}

/**
 * Departments: the organization's department master data, a tree by `parent_department_id`.
 *
 * Owns: departments. Keeps the denormalized `organization_users.department` text of linked users
 * in step with the department's name.
 */
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Database } from '../../db/database.generated';
import type { HeliosError } from '../../errors';
import type { Row } from '../../repositories/types';
import type { OperationScope, ServiceRuntime } from '../../runtime';
import { keysetPage, type Page } from '../../shared/paging';
import { parseInput } from '../../shared/validation';
import { summarizeChange } from '../audit';
import type { CallOptions } from '../policy/actor';
import {
  type CreateDepartmentInput,
  createDepartmentSchema,
  type DepartmentTreeInput,
  departmentTreeSchema,
  type ListDepartmentsInput,
  listDepartmentsSchema,
  type UpdateDepartmentInput,
  updateDepartmentSchema,
} from './departments.schema';
import { DIRECTORY_ERRORS } from './directory.errors';
import {
  ancestorIds,
  buildTree,
  containsPattern,
  countLinkedUsers,
  lockHierarchy,
  type TreeNode,
} from './directory.shared';

/** A department. */
export interface Department {
  id: string;
  name: string;
  description: string | null;
  /** The parent department, or null for a top-level department. */
  parentId: string | null;
  /** Linked Google Workspace OU id (stored as given). */
  orgUnitId: string | null;
  /** Linked Google Workspace OU path (stored as given). */
  orgUnitPath: string | null;
  autoSyncToOu: boolean;
  isActive: boolean;
  createdAt: Date | null;
  updatedAt: Date | null;
  /** The user who created it (null when created by a key or the system). */
  createdBy: string | null;
}

/** A department with its sub-departments. */
export type DepartmentNode = TreeNode<Department>;

/** @deprecated Use `Page<Department>`. */
export type DepartmentPage = Page<Department>;

/** Department master data: CRUD, listing and the department tree. */
export interface DepartmentsService {
  /**
   * Creates a department (admins, `directory:write`).
   * @throws HeliosError CONFLICT `DEPARTMENTS.NAME_TAKEN`; INVALID_INPUT `VALIDATION.FAILED`,
   *   `DEPARTMENTS.PARENT_NOT_FOUND`; FORBIDDEN `POLICY.FORBIDDEN`
   * @example
   * ```ts
   * const eng = await helios.departments.create({ name: 'Engineering' });
   * const web = await helios.departments.create({ name: 'Web', parentId: eng.id });
   * ```
   */
  create(input: CreateDepartmentInput, options?: CallOptions): Promise<Department>;
  /**
   * One department (everyone signed in).
   * @throws HeliosError NOT_FOUND `DEPARTMENTS.NOT_FOUND`
   */
  get(id: string, options?: CallOptions): Promise<Department>;
  /** One department, or null. */
  find(id: string, options?: CallOptions): Promise<Department | null>;
  /**
   * Changes a department (admins). Renaming also renames the `department` text of its users, in the
   * same transaction; moving it under one of its own descendants is refused.
   * @throws HeliosError NOT_FOUND `DEPARTMENTS.NOT_FOUND`; CONFLICT `DEPARTMENTS.NAME_TAKEN`;
   *   INVALID_INPUT `VALIDATION.FAILED`, `DEPARTMENTS.PARENT_NOT_FOUND`, `DEPARTMENTS.CYCLE`
   * @example
   * ```ts
   * await helios.departments.update(web.id, { name: 'Web Platform' });
   * ```
   */
  update(id: string, input: UpdateDepartmentInput, options?: CallOptions): Promise<Department>;
  /**
   * Deletes a department (admins), refused while users, sub-departments, cost centers or job titles
   * reference it.
   * @throws HeliosError NOT_FOUND `DEPARTMENTS.NOT_FOUND`; PRECONDITION_FAILED `DEPARTMENTS.IN_USE`
   *   with `details: { users, children, costCenters, jobTitles }`
   */
  delete(id: string, options?: CallOptions): Promise<void>;
  /**
   * A page of departments ordered by name, filtered by name part, parent and state.
   * @throws HeliosError INVALID_INPUT `VALIDATION.FAILED`, `PAGING.INVALID_CURSOR`
   * @example
   * ```ts
   * const { items, nextCursor } = await helios.departments.list({ search: 'eng', limit: 20 });
   * ```
   */
  list(input?: ListDepartmentsInput, options?: CallOptions): Promise<Page<Department>>;
  /** Every department nested under its parent, siblings by name. */
  tree(input?: DepartmentTreeInput, options?: CallOptions): Promise<DepartmentNode[]>;
}

/** Maps a row to the public shape. */
function toDepartment(row: Row<'departments'>): Department {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    parentId: row.parent_department_id,
    orgUnitId: row.org_unit_id,
    orgUnitPath: row.org_unit_path,
    autoSyncToOu: row.auto_sync_to_ou === true,
    isActive: row.is_active !== false,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
  };
}

function notFound(id: unknown): HeliosError {
  return DIRECTORY_ERRORS.DEPARTMENT_NOT_FOUND({ id: String(id).slice(0, 64) });
}

async function findRow(s: OperationScope, id: string): Promise<Row<'departments'> | null> {
  return s.repos.departments.findById(id);
}

async function getRow(s: OperationScope, id: string): Promise<Row<'departments'>> {
  const row = await findRow(s, id);
  if (!row) throw notFound(id);
  return row;
}

async function assertNameFree(
  s: OperationScope,
  name: string,
  exceptId: string | null,
): Promise<void> {
  let query = s.db
    .selectFrom('departments')
    .select('id')
    .where('organization_id', '=', s.organizationId)
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()));
  if (exceptId) query = query.where('id', '<>', exceptId);
  const clash = await query.executeTakeFirst();
  if (clash) {
    throw DIRECTORY_ERRORS.DEPARTMENT_NAME_TAKEN({ name, id: clash.id });
  }
}

/** Checks the new parent exists and, for an existing department, is not itself or a descendant. */
async function assertParent(
  s: OperationScope,
  parentId: string,
  selfId: string | null,
): Promise<void> {
  const parent = await findRow(s, parentId);
  if (!parent) {
    throw DIRECTORY_ERRORS.DEPARTMENT_PARENT_NOT_FOUND({ parentId });
  }
  if (!selfId) return;
  const chain = await ancestorIds(
    s.db,
    'departments',
    'parent_department_id',
    s.organizationId,
    parentId,
  );
  if (chain.includes(selfId)) {
    throw DIRECTORY_ERRORS.DEPARTMENT_CYCLE({ id: selfId, parentId });
  }
}

/** Builds the departments service. */
export function createDepartmentsService(rt: ServiceRuntime): DepartmentsService {
  return {
    create: (input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        const data = parseInput(createDepartmentSchema, input);
        await lockHierarchy(s, 'departments');
        await assertNameFree(s, data.name, null);
        if (data.parentId) await assertParent(s, data.parentId, null);
        const row = await s.repos.departments.insert({
          name: data.name,
          description: data.description ?? null,
          parent_department_id: data.parentId ?? null,
          org_unit_id: data.orgUnitId ?? null,
          org_unit_path: data.orgUnitPath ?? null,
          auto_sync_to_ou: data.autoSyncToOu ?? false,
          is_active: data.isActive ?? true,
          created_by: s.principal.userId,
          created_at: s.now,
          updated_at: s.now,
        });
        const dto = toDepartment(row);
        await s.audit({
          action: 'departments.create',
          resource: 'department',
          resourceId: row.id,
          details: summarizeChange(null, dto),
        });
        return dto;
      }),

    get: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        return toDepartment(await getRow(s, id));
      }),

    find: (id, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        const row = await findRow(s, id);
        return row ? toDepartment(row) : null;
      }),

    update: (id, input, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        const data = parseInput(updateDepartmentSchema, input);
        await lockHierarchy(s, 'departments');
        const before = await getRow(s, id);
        const renamed = data.name !== undefined && data.name !== before.name;
        if (renamed) await assertNameFree(s, data.name as string, before.id);
        if (
          data.parentId !== undefined &&
          data.parentId !== null &&
          data.parentId !== before.parent_department_id
        ) {
          if (data.parentId === before.id) {
            throw DIRECTORY_ERRORS.DEPARTMENT_CYCLE({ id: before.id });
          }
          await assertParent(s, data.parentId, before.id);
        }
        const after = await s.repos.departments.update(before.id, {
          ...(data.name !== undefined ? { name: data.name } : {}),
          ...(data.description !== undefined ? { description: data.description } : {}),
          ...(data.parentId !== undefined ? { parent_department_id: data.parentId } : {}),
          ...(data.orgUnitId !== undefined ? { org_unit_id: data.orgUnitId } : {}),
          ...(data.orgUnitPath !== undefined ? { org_unit_path: data.orgUnitPath } : {}),
          ...(data.autoSyncToOu !== undefined ? { auto_sync_to_ou: data.autoSyncToOu } : {}),
          ...(data.isActive !== undefined ? { is_active: data.isActive } : {}),
          updated_at: s.now,
        });
        let usersRenamed = 0;
        if (renamed) {
          const result = await s.db
            .updateTable('organization_users')
            .set({ department: after.name, updated_at: s.now })
            .where('organization_id', '=', s.organizationId)
            .where('department_id', '=', after.id)
            .executeTakeFirst();
          usersRenamed = Number(result.numUpdatedRows);
        }
        const dto = toDepartment(after);
        await s.audit({
          action: 'departments.update',
          resource: 'department',
          resourceId: after.id,
          details: {
            ...summarizeChange(toDepartment(before), dto),
            ...(renamed ? { usersRenamed } : {}),
          },
        });
        return dto;
      }),

    delete: (id, options) =>
      rt.write(options, async (s) => {
        await s.authorize('directory:write');
        await lockHierarchy(s, 'departments');
        const before = await getRow(s, id);
        const usage = {
          users: await countLinkedUsers(s, 'department_id', before.id),
          children: await s.repos.departments.count({ parent_department_id: before.id }),
          costCenters: await s.repos.cost_centers.count({ department_id: before.id }),
          jobTitles: await s.repos.job_titles.count({ department_id: before.id }),
        };
        if (usage.users + usage.children + usage.costCenters + usage.jobTitles > 0) {
          throw DIRECTORY_ERRORS.DEPARTMENT_IN_USE({ id: before.id, name: before.name, usage });
        }
        // Users already deleted may still point here; the foreign key clears their link.
        await s.repos.departments.delete(before.id);
        await s.audit({
          action: 'departments.delete',
          resource: 'department',
          resourceId: before.id,
          details: summarizeChange(toDepartment(before), null),
        });
      }),

    list: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        const filter = parseInput(listDepartmentsSchema, input);
        const paging = keysetPage({
          list: 'departments',
          keys: [
            { by: 'name', kind: 'text' },
            { by: 'id', kind: 'uuid' },
          ],
          limit: filter.limit,
          cursor: filter.cursor,
        });
        const rows = await s.db
          .selectFrom('departments')
          .selectAll()
          .where((eb: ExpressionBuilder<Database, 'departments'>) => {
            const conditions: Expression<SqlBool>[] = [
              eb('organization_id', '=', s.organizationId),
            ];
            if (filter.search) conditions.push(eb('name', 'ilike', containsPattern(filter.search)));
            if (filter.parentId === null) conditions.push(eb('parent_department_id', 'is', null));
            else if (filter.parentId !== undefined)
              conditions.push(eb('parent_department_id', '=', filter.parentId));
            if (filter.isActive !== undefined)
              conditions.push(eb('is_active', '=', filter.isActive));
            return eb.and(conditions);
          })
          .$call(paging.query)
          .execute();
        return paging.page(rows, toDepartment);
      }),

    tree: (input, options) =>
      rt.read(options, async (s) => {
        await s.authorize('directory:read');
        const filter = parseInput(departmentTreeSchema, input);
        let query = s.db
          .selectFrom('departments')
          .selectAll()
          .where('organization_id', '=', s.organizationId);
        if (filter.isActive !== undefined) query = query.where('is_active', '=', filter.isActive);
        const rows = await query.orderBy('name').orderBy('id').execute();
        return buildTree(rows.map(toDepartment));
      }),
  };
}

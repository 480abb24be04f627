/**
 * Internal helpers of the directory services (not part of the public surface): LIKE patterns, the
 * per-organization hierarchy lock and tree building (paging is `shared/paging`).
 */
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/database.generated';
import type { OperationScope } from '../../runtime';
import type { DIRECTORY_ERRORS } from './directory.errors';

/** The deepest hierarchy the recursive queries walk (a guard against pre-existing cycles). */
export const MAX_HIERARCHY_DEPTH = 100;

/** A uuid. */
export const idSchema = z.uuid({ message: 'A uuid' });

/** Page size of list methods. */
export const limitSchema = z.int().min(1).max(500).default(50);
/** The `nextCursor` of a previous page. */
export const cursorSchema = z.string().min(1).max(4000).nullable().optional();

/** Optional free text, trimmed; an empty string becomes null. */
export function optionalText(max: number) {
  return z
    .string()
    .trim()
    .max(max)
    .transform((v) => (v === '' ? null : v))
    .nullable()
    .optional();
}

/** `%text%` for ILIKE with the wildcards of `text` escaped. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Serializes changes to one hierarchy (departments, locations) of the organization for the rest of
 * the transaction, so two concurrent moves cannot build a cycle and sibling-name checks hold.
 */
export async function lockHierarchy(s: OperationScope, name: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`helios:directory:${name}:${s.organizationId}`}))`.execute(
    s.db,
  );
}

/**
 * The ids of `startId` and all its ancestors (following `parentColumn`), nearest first.
 * Bounded by MAX_HIERARCHY_DEPTH, so it ends even on a cycle already in the data.
 */
export async function ancestorIds(
  db: Kysely<Database>,
  table: 'departments' | 'locations',
  parentColumn: 'parent_department_id' | 'parent_id',
  organizationId: string,
  startId: string,
): Promise<string[]> {
  const result = await sql<{ id: string }>`
    with recursive chain(id, parent, depth) as (
      select id, ${sql.ref(parentColumn)}, 1 from ${sql.table(table)} where id = ${startId} and organization_id = ${organizationId}
      union all
      select t.id, t.${sql.ref(parentColumn)}, c.depth + 1
        from ${sql.table(table)} t join chain c on t.id = c.parent
       where c.depth < ${MAX_HIERARCHY_DEPTH} and t.organization_id = ${organizationId}
    )
    select id from chain order by depth`.execute(db);
  return result.rows.map((r) => r.id);
}

/** A node of a tree: the item and its children. */
export type TreeNode<T> = T & { children: TreeNode<T>[] };

/**
 * Nests items by `parentId` (items whose parent is absent from the list become roots), keeping the
 * order of `items` among siblings. Items on a cycle (which the services never create) become roots.
 */
export function buildTree<T extends { id: string; parentId: string | null }>(
  items: readonly T[],
): TreeNode<T>[] {
  const nodes = new Map<string, TreeNode<T>>();
  for (const item of items) nodes.set(item.id, { ...item, children: [] });
  const roots: TreeNode<T>[] = [];
  for (const item of items) {
    const node = nodes.get(item.id) as TreeNode<T>;
    const parent = item.parentId ? nodes.get(item.parentId) : undefined;
    if (parent && !isAncestorOf(nodes, node, parent)) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

function isAncestorOf<T extends { id: string; parentId: string | null }>(
  nodes: Map<string, TreeNode<T>>,
  node: TreeNode<T>,
  candidateChild: TreeNode<T>,
) {
  let current: TreeNode<T> | undefined = candidateChild;
  for (let depth = 0; current && depth <= nodes.size; depth += 1) {
    if (current.id === node.id) return true;
    current = current.parentId ? nodes.get(current.parentId) : undefined;
  }
  return false;
}

/** Counts users who are not deleted and still point at a directory record through `column`. */
export async function countLinkedUsers(
  s: OperationScope,
  column: 'department_id' | 'location_id' | 'cost_center_id',
  id: string,
): Promise<number> {
  const row = await s.db
    .selectFrom('organization_users')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('organization_id', '=', s.organizationId)
    .where(column, '=', id)
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb('user_status', 'is', null), eb('user_status', '<>', 'deleted')]))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Numeric columns come back as strings; DTOs expose numbers. */
export function toNumber(value: string | number | null): number | null {
  if (value === null) return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * The department must exist in the organization.
 * @throws HeliosError INVALID_INPUT (`notFound`'s code)
 */
export async function assertDepartmentExists(
  s: OperationScope,
  departmentId: string,
  notFound:
    | typeof DIRECTORY_ERRORS.COST_CENTER_DEPARTMENT_NOT_FOUND
    | typeof DIRECTORY_ERRORS.JOB_TITLE_DEPARTMENT_NOT_FOUND,
): Promise<void> {
  const row = await s.repos.departments.findById(departmentId);
  if (!row) throw notFound({ departmentId });
}

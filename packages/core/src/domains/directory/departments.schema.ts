import { z } from 'zod';
import { cursorSchema, idSchema, limitSchema, optionalText } from './directory.shared';

/** A department name: 1..255 characters, trimmed. */
export const departmentNameSchema = z.string().trim().min(1, 'Required').max(255);

const departmentFields = {
  name: departmentNameSchema,
  description: optionalText(5000),
  /** The parent department (null: a top-level department). */
  parentId: idSchema.nullable().optional(),
  /** Google Workspace OU id this department is linked to (stored as given). */
  orgUnitId: optionalText(255),
  /** Google Workspace OU path, e.g. `/Engineering` (stored as given). */
  orgUnitPath: optionalText(500),
  /** Whether the OU link should be kept in sync (stored; acted on by the Google Workspace sync). */
  autoSyncToOu: z.boolean().optional(),
  isActive: z.boolean().optional(),
};

/** A new department. */
export const createDepartmentSchema = z.object(departmentFields).strict();
/** A new department. */
export type CreateDepartmentInput = z.input<typeof createDepartmentSchema>;

/** Changes to a department (only the given fields change; null clears). */
export const updateDepartmentSchema = z
  .object({ ...departmentFields, name: departmentNameSchema.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'Nothing to change');
/** Changes to a department. */
export type UpdateDepartmentInput = z.input<typeof updateDepartmentSchema>;

/** Filters and paging of `departments.list` (ordered by name). */
export const listDepartmentsSchema = z
  .object({
    /** Case-insensitive part of the name. */
    search: z.string().trim().max(255).optional(),
    /** Children of this department; null for top-level departments. */
    parentId: idSchema.nullable().optional(),
    isActive: z.boolean().optional(),
    limit: limitSchema,
    cursor: cursorSchema,
  })
  .strict()
  .default({ limit: 50 });
/** Filters and paging of `departments.list`. */
export type ListDepartmentsInput = z.input<typeof listDepartmentsSchema>;

/** Filters of `departments.tree`. */
export const departmentTreeSchema = z
  .object({ isActive: z.boolean().optional() })
  .strict()
  .default({});
/** Filters of `departments.tree`. */
export type DepartmentTreeInput = z.input<typeof departmentTreeSchema>;
